/*
 * A guest that floods its console: 64 writes of 4096 newlines through the
 * console-write hypercall (256 Ki lines) and 4096 lines on the UART.  Under
 * pagoda its output must cost the VMM no more than its rate: most of it is
 * dropped and counted (stats out_dropped), while other guests run and the
 * console answers.  It checks only that every write was accepted whole.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "flood";

static char newlines[4096];

void main(const char *cmdline)
{
	(void)cmdline;
	memset(newlines, '\n', sizeof(newlines));
	unsigned whole = 0;
	for (unsigned i = 0; i < 64; i++) {
		s64 ret = 0;
		int v = hypercall_safe(HC_CONSOLE_WRITE, (u64)(uintptr_t)newlines, sizeof(newlines), 0,
				       &ret);
		whole += v == NO_EXCEPTION && ret == (s64)sizeof(newlines);
	}
	for (unsigned i = 0; i < 4096; i++)
		printf("flood: uart line %u\n", i);
	expect_eq(whole, 64, "64 console writes of 4096 newlines accepted whole");
	report_done();
}
