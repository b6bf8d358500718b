/* The VMM's own GDT, TSS and IDT (arch/x86/desc.c). */
#ifndef PAGODA_DESC_H
#define PAGODA_DESC_H

#include "lib/types.h"

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18

/* Registers pushed by the exception entry stubs (arch/x86/entry.asm). */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Load the GDT (with a TSS) and IDT of the VMM on this CPU. */
void desc_init(void);
/* Route VECTOR (>= 32) to HANDLER, called with the frame, interrupts off. */
void idt_set_irq_handler(u8 vector, void (*handler)(struct exc_frame *f));
/* Physical address and limit of this CPU's GDT/IDT/TSS, for VMCS host state. */
u64 desc_gdt_base(void);
u64 desc_idt_base(void);
u64 desc_tss_base(void);

#endif
