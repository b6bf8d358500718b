/*
 * guest/lib/mem.c -- memset and memcpy.  The VMM takes them from GNU-EFI;
 * a guest has no such library, and GCC may emit calls to them even in
 * freestanding code (structure copies and initialisers).  The rest of
 * lib/string.h comes from lib/string.c, built for the guest too.
 */
#include "lib/string.h"

/* Fill N bytes at D with the byte C; returns D. */
void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

/* Copy N bytes from S to D (which must not overlap); returns D. */
void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}
