/*
 * Host test of what the VMM adds to a Linux guest's command line
 * (vmm/loader/linux_cmdline.c): tsc_early_khz= appended after the user's
 * words, left out when the user gave one or there is no rate, and never
 * written past the buffer (the buffers here are heap blocks of exactly
 * the given size, so AddressSanitizer catches an overrun).
 */
#include "vmm/loader/linux_cmdline.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

/* Run the function into a fresh LEN-byte heap buffer; the result string
 * in *OUT (freed by the caller), its return value returned. */
static bool run(const char *cmdline, u64 khz, size_t len, char **out)
{
	*out = malloc(len);
	memset(*out, 'X', len);
	return linux_cmdline_add_tsc_khz(*out, len, cmdline, khz);
}

static void check(const char *cmdline, u64 khz, size_t len, bool want_ret, const char *want,
		  const char *what)
{
	char *out;
	bool r = run(cmdline, khz, len, &out);
	ok(r == want_ret && !strcmp(out, want), "%s: \"%s\"", what, out);
	if (r != want_ret || strcmp(out, want))
		diag("got %d \"%s\", want %d \"%s\"", r, out, want_ret, want);
	free(out);
}

int main(void)
{
	check("console=ttyS0", 2115836, 2048, true, "console=ttyS0 tsc_early_khz=2115836",
	      "appended after the user's words");
	check("", 3000000, 2048, true, "tsc_early_khz=3000000", "an empty command line gets no leading space");
	check("console=ttyS0", 0, 2048, false, "console=ttyS0", "no rate: unchanged");
	check("console=ttyS0 tsc_early_khz=1000", 2115836, 2048, false,
	      "console=ttyS0 tsc_early_khz=1000", "the user's tsc_early_khz= wins");
	check("tsc_early_khz=5 quiet", 2115836, 2048, false, "tsc_early_khz=5 quiet",
	      "the user's tsc_early_khz= as the first word wins");
	check("console=ttyS0\tquiet", 7, 2048, true, "console=ttyS0\tquiet tsc_early_khz=7",
	      "tabs separate words");
	check("x_tsc_early_khz=1", 9, 2048, true, "x_tsc_early_khz=1 tsc_early_khz=9",
	      "only a whole word counts as the user's");
	check("a", 18446744073709551615ULL, 64, true, "a tsc_early_khz=18446744073709551615",
	      "the largest rate is written whole");
	/* "abc tsc_early_khz=12" is 20 characters: fits in 21 bytes, not 20. */
	check("abc", 12, 21, true, "abc tsc_early_khz=12", "fits exactly with its NUL");
	check("abc", 12, 20, false, "abc", "one byte short: unchanged");
	check("abcdef", 12, 4, false, "abc", "a command line longer than the buffer is truncated");
	check("abc", 12, 1, false, "", "a one-byte buffer holds the NUL");
	return tap_done();
}
