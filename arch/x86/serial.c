/*
 * Polled 16550 driver for COM1.  Register offsets (8250/16550 data sheet):
 * +0 THR/RBR, +1 IER, +2 FCR, +3 LCR, +4 MCR, +5 LSR.  LSR bit 0 = data
 * ready, bit 5 = transmit holding register empty.
 */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"

#define LSR_DR 0x01
#define LSR_THRE 0x20

/*
 * Program 115200 8N1, FIFOs on, interrupts off.  Safe to call more than
 * once (the firmware has usually set the port up already).
 */
void serial_init(void)
{
	outb(COM1_PORT + 1, 0x00); /* IER: no interrupts */
	outb(COM1_PORT + 3, 0x80); /* LCR: DLAB on */
	outb(COM1_PORT + 0, 0x01); /* divisor 1 = 115200 baud */
	outb(COM1_PORT + 1, 0x00);
	outb(COM1_PORT + 3, 0x03); /* 8 bits, no parity, 1 stop */
	outb(COM1_PORT + 2, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1_PORT + 4, 0x03); /* DTR, RTS */
}

/* Write one byte, waiting (bounded) for the transmitter. */
void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1_PORT + 5) & LSR_THRE); i++)
		__asm__ volatile("pause");
	outb(COM1_PORT, (u8)c);
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
	if (!(inb(COM1_PORT + 5) & LSR_DR))
		return -1;
	return inb(COM1_PORT);
}
