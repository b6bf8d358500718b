/*
 * guest/lib/start.c -- from entry.asm to the test's main() and out.
 */
#include "guest/lib/guest.h"

#define MB_BOOT_MAGIC 0x2badb002 /* EAX at entry (Multiboot 0.6.96, 3.2) */

/* Set up serial, IDT and hypercalls, check that a Multiboot loader started
 * us, print "# NAME: cmdline "..."", run main(cmdline), then report and
 * exit.  Assumes entry.asm's state: 64-bit mode, identity map, own GDT. */
void guest_start(u32 magic, u32 mb_info_addr)
{
	serial_init();
	exc_init();
	hypercall_init();
	if (magic != MB_BOOT_MAGIC)
		report_abort("%s: not started by a Multiboot loader (EAX=0x%x)", guest_name,
			     magic);
	const char *cmdline = cmdline_from_loader(mb_info_addr);
	diag("%s: cmdline \"%s\"", guest_name, cmdline);
	main(cmdline);
	report_done();
}
