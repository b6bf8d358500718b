/*
 * guest/lib/exception.c -- the IDT, exception dispatch and the ASM_SAFE
 * fixup (see exception.h).  Gate format: Intel SDM vol. 3 6.14.1 (64-bit
 * IDT gate descriptors).
 */
#include "guest/lib/exception.h"
#include "guest/lib/cpu.h"
#include "guest/lib/report.h"

#define SEL_CODE64 0x08           /* guest/lib/entry.asm's GDT */
#define GATE_INTR64 0x8e          /* P=1, DPL 0, type 0xE: 64-bit interrupt gate */

/* One 16-byte IDT entry. */
struct idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type;
	u16 off_mid;
	u32 off_hi;
	u32 zero;
} __packed;

struct idt_ptr {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");
_Static_assert(sizeof(struct exc_frame) == 22 * 8, "isr.asm pushes 22 quadwords");
_Static_assert(__builtin_offsetof(struct exc_fixup, to) == 8 &&
		       __builtin_offsetof(struct exc_fixup, vector) == 16,
	       "ASM_SAFE names exc_fixup's fields by offset");

extern const u64 exc_stubs[IDT_VECTORS]; /* guest/lib/isr.asm */

static struct idt_gate idt[IDT_VECTORS] __aligned(16);
static exc_handler_t handlers[IDT_VECTORS];
volatile struct exc_fixup exc_fixup;

static const char *const names[EXC_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "rsvd15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "rsvd22", "rsvd23",
	"rsvd24", "rsvd25", "rsvd26", "rsvd27", "#HV", "#VC", "#SX", "rsvd31",
};

/* Point every gate at its stub in isr.asm and LIDT the table.
 * Assumes the GDT of entry.asm (64-bit code at SEL_CODE64). */
void exc_init(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		u64 a = exc_stubs[v];
		idt[v] = (struct idt_gate){
			.off_lo = (u16)a,
			.sel = SEL_CODE64,
			.type = GATE_INTR64,
			.off_mid = (u16)(a >> 16),
			.off_hi = (u32)(a >> 32),
		};
	}
	struct idt_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* See exception.h.  A vector out of range changes nothing, returns NULL. */
exc_handler_t exc_set_handler(unsigned vector, exc_handler_t h)
{
	if (vector >= IDT_VECTORS)
		return NULL;
	exc_handler_t old = handlers[vector];
	handlers[vector] = h;
	return old;
}

/* See exception.h. */
const char *exc_name(unsigned vector)
{
	return vector < EXC_VECTORS ? names[vector] : "INTR";
}

/* Fixup first, then a test's handler, else report and exit failing.  An
 * exception while reporting one ends the guest at once (status 3). */
void exc_dispatch(struct exc_frame *f)
{
	static bool reporting;

	if (exc_fixup.from && exc_fixup.from == f->rip) {
		exc_fixup.vector = (s64)f->vector;
		exc_fixup.error_code = f->error_code;
		exc_fixup.from = 0;
		f->rip = exc_fixup.to;
		return;
	}
	if (f->vector < IDT_VECTORS && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (reporting)
		guest_exit(1);
	reporting = true;
	if (f->vector == EXC_PF)
		report_abort("unexpected exception %lu (%s) err=0x%lx rip=0x%lx cr2=0x%lx",
			     f->vector, exc_name(f->vector), f->error_code, f->rip, read_cr2());
	report_abort("unexpected exception %lu (%s) err=0x%lx rip=0x%lx", f->vector,
		     exc_name(f->vector), f->error_code, f->rip);
}

/* See exception.h.  EDX:EAX are only meaningful when nothing faulted. */
int rdmsr_safe(u32 msr, u64 *val)
{
	u32 lo = 0, hi = 0;
	__asm__ volatile(ASM_SAFE("rdmsr") : "=a"(lo), "=d"(hi) : "c"(msr) : "r11", "memory");
	if (exc_fixup.vector == NO_EXCEPTION)
		*val = (u64)hi << 32 | lo;
	return (int)exc_fixup.vector;
}

/* See exception.h. */
int read64_safe(u64 addr, u64 *val)
{
	u64 v = 0;
	__asm__ volatile(ASM_SAFE("mov (%1), %0") : "=r"(v) : "r"(addr) : "r11", "memory");
	if (exc_fixup.vector == NO_EXCEPTION)
		*val = v;
	return (int)exc_fixup.vector;
}
