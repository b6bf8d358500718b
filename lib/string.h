/*
 * The few string and memory functions the VMM and the C test guests use,
 * all in lib/string.c (memset/memcpy/memmove with the string instructions,
 * also taking the compiler-generated calls).  Host-side test builds get
 * them from libc.
 */
#ifndef PAGODA_STRING_H
#define PAGODA_STRING_H

#include "lib/types.h"
#include <stdarg.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
