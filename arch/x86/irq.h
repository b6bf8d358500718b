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

#endif
