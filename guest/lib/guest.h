/*
 * guest/lib/guest.h -- what a C test guest includes, and what it defines.
 *
 * A test guest is guest/tests/NAME.c, linked with this library (the
 * Makefile's "C test guests" part) into build/guest/NAME.elf, an ELF32
 * Multiboot kernel that pagoda (image=NAME.elf) and QEMU -kernel boot.
 * It defines:
 *
 *   const char guest_name[] = "NAME";   printed in the first and last lines
 *   void main(const char *cmdline)      its checks (report.h); when it
 *                                       returns, the library prints the
 *                                       summary and exits (report_done)
 *
 * and may define, in guest/tests/NAME.asm, a 32-bit routine `early32` that
 * the entry calls before the library changes anything the loader set up:
 * 32-bit protected mode, paging off, interrupts off, the loader's GDT and
 * segments, no IDT of ours, the bss zeroed, on the library's boot stack,
 * EAX = Multiboot magic, EBX = info address.  It must return with EBX,
 * ESI, EDI, EBP and ESP as it found them; it reports through variables
 * that main() reads and checks later in 64-bit mode.
 *
 * By main(), the guest runs in 64-bit mode on the library's GDT (64-bit
 * code 0x08, data 0x10), with the low 4 GiB identity-mapped by 2 MiB pages,
 * an IDT for the 32 exceptions (exception.h), COM1 set up (serial.h) and
 * the hypercall instruction chosen (hypercall.h).  Interrupts stay off.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include "lib/types.h"
#include "lib/string.h"
#include "guest/lib/cpu.h"
#include "guest/lib/serial.h"
#include "guest/lib/exception.h"
#include "guest/lib/hypercall.h"
#include "guest/lib/report.h"

/* Defined by the test. */
extern const char guest_name[];
void main(const char *cmdline);

/* True when WORD is one of the blank-separated tokens of CMDLINE. */
bool cmdline_has(const char *cmdline, const char *word);
/* The command line the loader passed, without a leading image path (QEMU
 * and GRUB put one there), copied into a buffer of the library's. */
const char *cmdline_from_loader(u32 mb_info_addr);

/* Called by entry.asm in 64-bit mode: set up, run main(), report. */
__noreturn void guest_start(u32 magic, u32 mb_info_addr);

#endif
