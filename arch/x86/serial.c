/*
 * Polled 16550 driver for the host console (COM1 unless boot/ is told
 * otherwise; in I/O space, or in memory with registers 1 or 4 bytes apart
 * as ACPI's SPCR may describe).  Register numbers (8250/16550 data sheet): +0 THR/RBR, +1 IER,
 * +2 FCR, +3 LCR, +4 MCR, +5 LSR, +7 SCR (scratch).  LSR bit 0 = data
 * ready, bit 5 = transmit holding register empty.
 */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"

#define LSR_DR 0x01
#define LSR_THRE 0x20

static u64 port = COM1_PORT; /* the UART's register 0: I/O port or physical address */
static bool mmio;            /* registers in memory, STRIDE bytes apart */
static u8 stride = 1, width = 1;
static bool present;         /* a 16550 answered at PORT */

/* Read UART register REG. */
static u8 reg_in(unsigned reg)
{
	if (!mmio)
		return inb((u16)(port + reg));
	uintptr_t a = (uintptr_t)(port + (u64)reg * stride);
	if (width == 4)
		return (u8) * (volatile u32 *)a;
	return *(volatile u8 *)a;
}

/* Write V to UART register REG. */
static void reg_out(unsigned reg, u8 v)
{
	if (!mmio) {
		outb((u16)(port + reg), v);
		return;
	}
	uintptr_t a = (uintptr_t)(port + (u64)reg * stride);
	if (width == 4)
		*(volatile u32 *)a = v;
	else
		*(volatile u8 *)a = v;
}

/*
 * Whether a UART answers at the registers chosen: its scratch register
 * keeps what is written (an empty port reads all ones), and its LSR is not
 * 0xff.
 */
static bool uart_probe(void)
{
	reg_out(7, 0x5a);
	if (reg_in(7) != 0x5a)
		return false;
	reg_out(7, 0xa5);
	if (reg_in(7) != 0xa5)
		return false;
	return reg_in(5) != 0xff;
}

/*
 * Probe the UART chosen, then program BAUD (0: keep the divisor) 8N1, FIFOs
 * on, interrupts off.  Safe to call more than once.
 */
static int uart_setup(u32 baud)
{
	if (baud && SERIAL_BAUD % baud)
		return -E_INVAL;
	present = uart_probe();
	if (!present)
		return -E_NODEV;
	reg_out(1, 0x00); /* IER: no interrupts */
	if (baud) {
		u16 div = (u16)(SERIAL_BAUD / baud);
		reg_out(3, 0x80); /* LCR: DLAB on */
		reg_out(0, div & 0xff);
		reg_out(1, div >> 8);
	}
	reg_out(3, 0x03); /* 8 bits, no parity, 1 stop (DLAB off) */
	reg_out(2, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	reg_out(4, 0x03); /* DTR, RTS */
	return 0;
}

int serial_init(u16 base, u32 baud)
{
	port = base;
	mmio = false;
	stride = width = 1;
	return uart_setup(baud);
}

int serial_init_mmio(u64 base, u8 reg_stride, u8 reg_width, u32 baud)
{
	if (!base || (reg_width != 1 && reg_width != 4) || reg_stride < reg_width)
		return -E_INVAL;
	port = base;
	mmio = true;
	stride = reg_stride;
	width = reg_width;
	return uart_setup(baud);
}

bool serial_is_mmio(void) { return mmio; }

u64 serial_base(void) { return port; }

/* Write one byte, waiting (bounded) for the transmitter. */
void serial_putc(char c)
{
	if (!present)
		return;
	for (int i = 0; i < 100000 && !(reg_in(5) & LSR_THRE); i++)
		__asm__ volatile("pause");
	reg_out(0, (u8)c);
}

/* Write N bytes; "\n" goes out as "\r\n" so terminals show clean lines. */
void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

/* Return the next received byte or -1; never waits. */
int serial_getc(void)
{
	if (!present || !(reg_in(5) & LSR_DR))
		return -1;
	return reg_in(0);
}
