/*
 * The host's 16550 UART (COM1 unless configured otherwise, in I/O space or,
 * from ACPI's SPCR, in memory): polled output and non-blocking input.  Until serial_init() finds a UART, output is
 * dropped and input is empty.
 */
#ifndef PAGODA_SERIAL_H
#define PAGODA_SERIAL_H

#include "lib/types.h"

#define COM1_PORT 0x3f8
#define SERIAL_BAUD 115200 /* default speed, and the 16550's divisor base */

/* Probe for a 16550 at I/O port BASE and program it for BAUD 8N1 (BAUD
 * divides 115200; 0 keeps the speed the firmware set).  0, or -E_NODEV when nothing answers there (the port is
 * then not used), or -E_INVAL for a BAUD that does not divide 115200. */
int serial_init(u16 base, u32 baud);
/* The same for a UART in memory at physical BASE (identity-mapped), its
 * registers STRIDE bytes apart, accessed WIDTH (1 or 4) bytes at a time;
 * BAUD 0 keeps the speed the firmware set. */
int serial_init_mmio(u64 base, u8 stride, u8 width, u32 baud);
/* Whether the UART's registers are in memory (serial_init_mmio). */
bool serial_is_mmio(void);
/* The address (I/O port or physical) last given to serial_init*(). */
u64 serial_base(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* A received byte, or -1 when none is waiting (or there is no UART). */
int serial_getc(void);

#endif
