/*
 * GDT, TSS and IDT of the VMM, loaded once boot services are gone.
 *
 * GDT: null, 64-bit kernel code (0x08), kernel data (0x10), a 16-byte
 * 64-bit TSS descriptor (0x18).  The TSS gives #DF, NMI and #MC their own
 * stack (IST1) so that even a stack overflow is reported, not a triple fault.
 * IDT: the 32 exception vectors go to entry.asm's stubs, which save every
 * general register and call exception_dispatch() (arch/x86/irq.c), as do
 * vectors 32..255.
 */
#include "arch/x86/desc.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

struct idt_gate {
	u16 off_lo;
	u16 sel;
	u8 ist;
	u8 type_attr;
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
} __packed;

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static struct idt_gate idt[256] __aligned(16); /* one IDT, shared by every CPU */

/* Entry stubs (arch/x86/entry.asm): 256 addresses, one per vector. */
extern const u64 isr_stub_table[256];


static void set_gate(int vec, u64 handler, u8 ist)
{
	idt[vec].off_lo = handler & 0xffff;
	idt[vec].sel = GDT_KERNEL_CS;
	idt[vec].ist = ist;
	idt[vec].type_attr = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	idt[vec].off_mid = (handler >> 16) & 0xffff;
	idt[vec].off_hi = handler >> 32;
	idt[vec].reserved = 0;
}

void desc_init(struct percpu *pc)
{
	u64 *gdt = pc->gdt;
	struct tss64 *tss = &pc->tss;
	u64 tss_base = (u64)(uintptr_t)tss;
	u64 tss_limit = sizeof(*tss) - 1;

	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL; /* code: P, DPL0, S, exec/read, L=1, G=1 */
	gdt[2] = 0x00cf93000000ffffULL; /* data: P, DPL0, S, read/write, D=1, G=1 */
	/* 64-bit TSS descriptor (SDM Vol 3 7.2.3): type 9 (available), P=1 */
	gdt[3] = (tss_limit & 0xffff) | ((tss_base & 0xffffff) << 16) | (0x89ULL << 40) |
		 ((tss_limit >> 16 & 0xf) << 48) | ((tss_base >> 24 & 0xff) << 56);
	gdt[4] = tss_base >> 32;

	tss->ist[0] = (u64)(uintptr_t)(pc->ist_stack + sizeof(pc->ist_stack));
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */

	struct desc_ptr gp = {sizeof(pc->gdt) - 1, (u64)(uintptr_t)gdt};
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w3\n\t" ::"m"(gp),
			 "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"((u16)GDT_TSS)
			 : "rax", "memory");

	for (int v = 0; v < 256 && !idt[255].type_attr; v++) { /* built once, by the boot CPU */
		u8 ist = (v == 2 || v == 8 || v == 18) ? 1 : 0; /* NMI, #DF, #MC */
		set_gate(v, isr_stub_table[v], ist);
	}
	struct desc_ptr ip = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(ip) : "memory");
	/* The selector loads above may have cleared the GS base: attach the
	 * per-CPU area only now. */
	percpu_attach(pc);
}

u64 desc_gdt_base(void) { return (u64)(uintptr_t)this_percpu()->gdt; }
u64 desc_idt_base(void) { return (u64)(uintptr_t)idt; }
u64 desc_tss_base(void) { return (u64)(uintptr_t)&this_percpu()->tss; }
