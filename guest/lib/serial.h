/*
 * guest/lib/serial.h -- output on COM1 (I/O 0x3f8), a 16550 driven by
 * polling: pagoda's virtual UART and QEMU's both.  Output is unbuffered;
 * pagoda prints it per line, prefixed "guest NAME: ".
 */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include "lib/types.h"

/* Program COM1 for 115200 8N1, FIFOs on, no interrupts. */
void serial_init(void);
/* Write C ("\n" is sent as is: both consoles take a bare LF). */
void putc(char c);
/* Write the string S (no newline added, unlike C's puts). */
void puts(const char *s);
/* Format as lib/fmt.c's vsnprintf (%d %i %u %x %lx %s %c %p %%, widths,
 * '0' and '-') and write; output beyond 511 bytes per call is cut.
 * Returns the number of bytes written. */
int printf(const char *fmt, ...) __printf(1, 2);
/* True when nothing was written yet or the last byte was "\n". */
bool serial_at_line_start(void);

#endif
