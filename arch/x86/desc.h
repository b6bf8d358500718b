/* The VMM's own GDT, TSS and IDT (arch/x86/desc.c). */
#ifndef PAGODA_DESC_H
#define PAGODA_DESC_H

#include "lib/types.h"

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18


/* Load the GDT (with a TSS) and IDT of the VMM on this CPU. */
void desc_init(void);
/* Physical address and limit of this CPU's GDT/IDT/TSS, for VMCS host state. */
u64 desc_gdt_base(void);
u64 desc_idt_base(void);
u64 desc_tss_base(void);

#endif
