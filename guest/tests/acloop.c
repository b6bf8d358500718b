/*
 * guest/tests/acloop.c -- the recursive #AC of CVE-2015-5307: all of it
 * is in acloop.asm's early32, which never returns (see there).  Reaching
 * main() means the loop ended, which it must not.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "acloop";

void main(const char *cmdline)
{
	(void)cmdline;
	expect(false, "acloop: the recursive #AC loop ended");
}
