/* The host's 16550 UART on COM1: polled output and non-blocking input. */
#ifndef PAGODA_SERIAL_H
#define PAGODA_SERIAL_H

#include "lib/types.h"

#define COM1_PORT 0x3f8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* A received byte, or -1 when none is waiting. */
int serial_getc(void);

#endif
