/*
 * guest/lib/serial.c -- polled 16550 output on COM1 (see serial.h).
 * Registers: THR/DLL +0, IER/DLM +1, FCR +2, LCR +3, MCR +4, LSR +5.
 */
#include "guest/lib/serial.h"
#include "guest/lib/cpu.h"
#include "lib/string.h"

#define COM1 0x3f8
#define LSR_THRE 0x20          /* transmit holding register empty */
#define THRE_SPINS 1000000     /* give up waiting for THRE after this many polls */
#define PRINTF_MAX 512

static bool mid_line;          /* the last byte written was not "\n" */

/* Divisor 1 (115200 baud) with DLAB set, then 8N1, FIFOs on and cleared,
 * DTR+RTS, interrupts off.  Assumes nothing about the UART's prior state. */
void serial_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0x07);
	outb(COM1 + 4, 0x03);
}

/* Wait (bounded, so a missing UART cannot hang the guest) for THRE, then
 * send C. */
void putc(char c)
{
	for (unsigned i = 0; i < THRE_SPINS && !(inb(COM1 + 5) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1, (u8)c);
	mid_line = c != '\n';
}

/* Send every byte of S up to its NUL. */
void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* Format into a stack buffer with vsnprintf, then send it; returns the
 * number of bytes sent (the output is cut at PRINTF_MAX - 1). */
int printf(const char *fmt, ...)
{
	char buf[PRINTF_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts(buf);
	return (int)strlen(buf);
}

/* See serial.h. */
bool serial_at_line_start(void)
{
	return !mid_line;
}
