/*
 * guest/tests/idt_first.c -- an IDT installed before any GDT of the
 * guest's own.  idt_first.asm's early32 loads a 32-bit IDT whose #UD gate
 * uses selector 0x08 of the loader's GDT and executes UD2 right at the
 * Multiboot entry; this checks, in 64-bit mode, what its handler recorded.
 * Passes under QEMU -kernel (its GDT has flat code at 0x08).  Under a
 * loader that leaves an empty GDTR the guest triple-faults in early32 and
 * prints nothing of its own.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "idt_first";

/* Written by idt_first.asm. */
extern const struct {
	u16 limit;
	u32 base;
} __packed early_gdtr;
extern const u32 early_cs, early_ud_count, early_ud_eip, early_ud_cs, early_resumed;
extern const char early_ud2[];

/* Report the loader's GDTR and CS, then the #UD delivery, frame and resume. */
void main(const char *cmdline)
{
	(void)cmdline;
	diag("loader's GDTR base=0x%x limit=0x%x, CS=0x%x at entry", early_gdtr.base,
	     early_gdtr.limit, early_cs);
	expect_eq(early_ud_count, 1,
		  "32-bit #UD handler ran once, IDT loaded before any GDT of the guest's own");
	expect_eq(early_ud_eip, (u32)(uintptr_t)early_ud2, "#UD frame: EIP is the UD2");
	/* The CPU pushes CS in 32 bits; the upper 16 need not be zero. */
	expect_eq(early_ud_cs & 0xffff, 0x08, "#UD frame: CS is the gate's selector 0x08");
	expect(early_resumed == 1, "execution went on after the UD2");
}
