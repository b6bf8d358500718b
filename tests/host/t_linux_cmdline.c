/*
 * Host test of what the VMM adds to a Linux guest's command line
 * (vmm/loader/linux_cmdline.c): tsc_early_khz= and tsc=reliable appended
 * after the user's words, each left out when the user gave the parameter
 * (or, for the rate, when there is none) or when it would not fit, and
 * nothing written past the buffer (the buffers here are heap blocks of
 * exactly the given size, so AddressSanitizer catches an overrun).
 */
#include "vmm/loader/linux_cmdline.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

#define KHZ LINUX_CMDLINE_TSC_KHZ
#define REL LINUX_CMDLINE_TSC_RELIABLE

/* Run linux_cmdline_add_tsc into a fresh LEN-byte heap buffer and check
 * what it returned and wrote. */
static void check(const char *cmdline, u64 khz, size_t len, unsigned want_ret, const char *want,
		  const char *what)
{
	char *out = malloc(len);
	memset(out, 'X', len);
	unsigned r = linux_cmdline_add_tsc(out, len, cmdline, khz);
	ok(r == want_ret && !strcmp(out, want), "%s: \"%s\"", what, out);
	if (r != want_ret || strcmp(out, want))
		diag("got %u \"%s\", want %u \"%s\"", r, out, want_ret, want);
	free(out);
}

int main(void)
{
	check("console=ttyS0", 2115836, 2048, KHZ | REL,
	      "console=ttyS0 tsc_early_khz=2115836 tsc=reliable", "both appended after the user's words");
	check("", 3000000, 2048, KHZ | REL, "tsc_early_khz=3000000 tsc=reliable",
	      "an empty command line gets no leading space");
	check("console=ttyS0", 0, 2048, REL, "console=ttyS0 tsc=reliable", "no rate: only tsc=reliable");
	check("console=ttyS0 tsc_early_khz=1000", 2115836, 2048, REL,
	      "console=ttyS0 tsc_early_khz=1000 tsc=reliable", "the user's tsc_early_khz= wins");
	check("tsc_early_khz=5 quiet", 2115836, 2048, REL, "tsc_early_khz=5 quiet tsc=reliable",
	      "the user's tsc_early_khz= as the first word wins");
	check("console=ttyS0 tsc=unstable", 7, 2048, KHZ, "console=ttyS0 tsc=unstable tsc_early_khz=7",
	      "the user's tsc= wins");
	check("tsc=reliable tsc_early_khz=1", 7, 2048, 0, "tsc=reliable tsc_early_khz=1",
	      "both the user's: unchanged");
	check("console=ttyS0\tquiet", 7, 2048, KHZ | REL, "console=ttyS0\tquiet tsc_early_khz=7 tsc=reliable",
	      "tabs separate words");
	check("x_tsc_early_khz=1 notsc=1", 9, 2048, KHZ | REL,
	      "x_tsc_early_khz=1 notsc=1 tsc_early_khz=9 tsc=reliable", "only a whole word counts as the user's");
	check("a", 18446744073709551615ULL, 64, KHZ | REL, "a tsc_early_khz=18446744073709551615 tsc=reliable",
	      "the largest rate is written whole");
	/* "abc tsc_early_khz=12" is 20 characters, " tsc=reliable" 13 more. */
	check("abc", 12, 34, KHZ | REL, "abc tsc_early_khz=12 tsc=reliable", "both fit exactly with the NUL");
	check("abc", 12, 33, KHZ, "abc tsc_early_khz=12", "one byte short for tsc=reliable");
	check("abc", 12, 16, 0, "abc", "the rate does not fit, nor tsc=reliable: unchanged");
	check("abc", 123456, 18, REL, "abc tsc=reliable", "the rate does not fit, tsc=reliable does");
	check("abcdef", 12, 4, 0, "abc", "a command line longer than the buffer is truncated");
	check("abc", 12, 1, 0, "", "a one-byte buffer holds the NUL");
	return tap_done();
}
