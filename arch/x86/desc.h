/* The VMM's own GDT, TSS and IDT (arch/x86/desc.c). */
#ifndef PAGODA_DESC_H
#define PAGODA_DESC_H

#include "lib/types.h"

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18


struct percpu;

/* Load the GDT (with a TSS) of PC and the shared IDT on this CPU, and
 * attach PC as this CPU's per-CPU area (its GS base). */
void desc_init(struct percpu *pc);
/* Address of this CPU's GDT/IDT/TSS, for VMCS host state. */
u64 desc_gdt_base(void);
u64 desc_idt_base(void);
u64 desc_tss_base(void);

#endif
