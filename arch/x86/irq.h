/*
 * Vector dispatch (arch/x86/irq.c): what runs when the entry stubs of
 * arch/x86/entry.asm take an exception or interrupt in the VMM.
 */
#ifndef PAGODA_IRQ_H
#define PAGODA_IRQ_H

#include "lib/types.h"

/* Registers pushed by the exception entry stubs (arch/x86/entry.asm). */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Route VECTOR (>= 32) to HANDLER, called with the frame, interrupts off. */
void irq_set_handler(u8 vector, void (*handler)(struct exc_frame *f));
/* The end-of-interrupt for vectors nobody handles (the local APIC's, set by
 * arch/x86/lapic.c); without one, nothing is acknowledged. */
void irq_set_eoi(void (*eoi)(void));

/*
 * Exit-path instruction counting, a debug mode (console `set
 * exitcount=on`): the backends call irq_step_begin() right after the world
 * switch returns and irq_step_end() right before the next one, and in
 * between the CPU single-steps the VMM (RFLAGS.TF, SDM Vol 3 18.3.1.4):
 * every instruction traps to #DB, whose handler counts it and returns with
 * TF still set.  Interrupt and exception handlers run with TF clear (the
 * gates clear it, SDM 6.12.1.3), so their instructions are not counted;
 * the world-switch assembly (fixed length) is not either.  With the mode
 * off each call is one load and a branch.
 */
extern bool irq_step_mode; /* the mode is on (read inline, set by irq_step_set_mode) */
/* Turn the mode on or off; call it when no counting runs (between slices). */
void irq_step_set_mode(bool on);
void irq_step_begin_slow(void);
void irq_step_end_slow(void);
bool irq_step_take_slow(u64 *insns, unsigned *pages);
void irq_step_cancel_slow(void);
/* Start counting on this CPU (mode on): from 0, TF set. */
static inline void irq_step_begin(void)
{
	if (irq_step_mode)
		irq_step_begin_slow();
}
/* Stop counting on this CPU (TF clear), keeping the count for
 * irq_step_take(); nothing when none was running. */
static inline void irq_step_end(void)
{
	if (irq_step_mode)
		irq_step_end_slow();
}
/* Stop counting on this CPU and drop the count (a path that does not end
 * at an entry: the scheduler's slice is over). */
static inline void irq_step_cancel(void)
{
	if (irq_step_mode)
		irq_step_cancel_slow();
}
/* The count the last irq_step_end() on this CPU kept, once: true with it
 * in *INSNS and the distinct code pages those ran on (the page of each
 * trap's return address, the first instruction's excepted) in *PAGES,
 * false when there is none. */
static inline bool irq_step_take(u64 *insns, unsigned *pages)
{
	return irq_step_mode && irq_step_take_slow(insns, pages);
}

#endif
