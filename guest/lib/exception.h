/*
 * guest/lib/exception.h -- the guest's IDT for the 32 exception vectors.
 *
 * Every vector has a gate (64-bit interrupt gate, our code selector 0x08).
 * An exception goes, in this order, to:
 *   1. the armed ASM_SAFE fixup, when it faulted on that very instruction:
 *      execution resumes after it and the vector is reported to the caller;
 *   2. the handler a test installed with exc_set_handler();
 *   3. otherwise it is unexpected: "not ok N - unexpected exception ..."
 *      with vector, name, error code and RIP (and CR2 for #PF), the
 *      summary, and the guest exits failing (report.h).
 * Interrupt vectors (32-255) have gates too and go the same way (a test
 * installs handlers for the ones it enables: guest/lib/intr.h); an
 * interrupt nobody expects is reported like an exception.
 */
#ifndef GUEST_EXCEPTION_H
#define GUEST_EXCEPTION_H

#include "lib/types.h"

#define EXC_DE 0
#define EXC_DB 1
#define EXC_BP 3
#define EXC_UD 6
#define EXC_DF 8
#define EXC_GP 13
#define EXC_PF 14
#define EXC_VECTORS 32   /* exceptions */
#define IDT_VECTORS 256  /* every vector has a gate */

/* What the safe helpers return when the instruction did not fault. */
#define NO_EXCEPTION (-1)

/* The stack at exception entry, lowest address first: the registers
 * guest/lib/isr.asm pushed, then vector and error code (0 when the CPU
 * pushes none), then the CPU's frame.  A handler may change any field;
 * IRETQ resumes from them. */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

/* A test's handler for one vector; returns to the frame's RIP. */
typedef void (*exc_handler_t)(struct exc_frame *f);

/* Build the IDT and load it.  Called once by guest_start(). */
void exc_init(void);
/* Install H for VECTOR (< 256; NULL: back to "unexpected").  Returns the
 * handler it replaces. */
exc_handler_t exc_set_handler(unsigned vector, exc_handler_t h);
/* "#GP", "#UD", ... for a vector below 32, else "INTR". */
const char *exc_name(unsigned vector);
/* Called by isr.asm for every exception (see the order above). */
void exc_dispatch(struct exc_frame *f);

/*
 * The fixup ASM_SAFE arms: FROM is the address of the instruction that may
 * fault, TO where to resume; exc_dispatch fills VECTOR and ERROR_CODE when
 * it fires.  The asm names the fields by offset (checked in exception.c).
 */
struct exc_fixup {
	u64 from;       /* +0: RIP of the guarded instruction, 0 = disarmed */
	u64 to;         /* +8: resume address */
	s64 vector;     /* +16: NO_EXCEPTION, or the vector it raised */
	u64 error_code; /* +24 */
};
extern volatile struct exc_fixup exc_fixup;

/*
 * ASM_SAFE("insn"): extended-asm text that runs one instruction with a
 * fixup armed; afterwards exc_fixup.vector says whether it faulted.  The
 * asm statement must list "r11" and "memory" as clobbers, and INSN must not
 * use the local labels 1 and 2.
 */
#define ASM_SAFE(insn)                              \
	"movq $-1, exc_fixup+16(%%rip)\n\t"         \
	"lea 1f(%%rip), %%r11\n\t"                  \
	"mov %%r11, exc_fixup+0(%%rip)\n\t"         \
	"lea 2f(%%rip), %%r11\n\t"                  \
	"mov %%r11, exc_fixup+8(%%rip)\n"           \
	"1:\t" insn "\n"                            \
	"2:\tmovq $0, exc_fixup+0(%%rip)\n\t"

/* RDMSR MSR into *VAL: NO_EXCEPTION, or the vector raised (*VAL unset). */
int rdmsr_safe(u32 msr, u64 *val);
/* 8-byte load from ADDR into *VAL: NO_EXCEPTION, or the vector raised. */
int read64_safe(u64 addr, u64 *val);

#endif
