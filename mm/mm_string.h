/*
 * The only C library functions mm/ uses.  The VMM provides them (vmm/ or
 * arch/x86, freestanding implementations); the host tests get libc's.
 */
#ifndef PAGODA_MM_STRING_H
#define PAGODA_MM_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
