/*
 * Polled 16550 driver for the host console (COM1 unless boot/ is told
 * otherwise).  Register offsets (8250/16550 data sheet): +0 THR/RBR, +1 IER,
 * +2 FCR, +3 LCR, +4 MCR, +5 LSR, +7 SCR (scratch).  LSR bit 0 = data
 * ready, bit 5 = transmit holding register empty.
 */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"

#define LSR_DR 0x01
#define LSR_THRE 0x20

static u16 port = COM1_PORT; /* the UART's base port */
static bool present;         /* a 16550 answered at PORT */

/*
 * Whether a UART answers at BASE: its scratch register keeps what is
 * written (an empty port reads all ones), and its LSR is not 0xff.
 */
static bool uart_probe(u16 base)
{
	outb(base + 7, 0x5a);
	if (inb(base + 7) != 0x5a)
		return false;
	outb(base + 7, 0xa5);
	if (inb(base + 7) != 0xa5)
		return false;
	return inb(base + 5) != 0xff;
}

/*
 * Probe BASE and program BAUD 8N1, FIFOs on, interrupts off.  Safe to call
 * more than once (the firmware has usually set COM1 up already).
 */
int serial_init(u16 base, u32 baud)
{
	if (!baud || SERIAL_BAUD % baud)
		return -E_INVAL;
	port = base;
	present = uart_probe(base);
	if (!present)
		return -E_NODEV;
	u16 div = (u16)(SERIAL_BAUD / baud);
	outb(port + 1, 0x00); /* IER: no interrupts */
	outb(port + 3, 0x80); /* LCR: DLAB on */
	outb(port + 0, div & 0xff);
	outb(port + 1, div >> 8);
	outb(port + 3, 0x03); /* 8 bits, no parity, 1 stop */
	outb(port + 2, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(port + 4, 0x03); /* DTR, RTS */
	return 0;
}

bool serial_present(void) { return present; }

u16 serial_base(void) { return port; }

/* Write one byte, waiting (bounded) for the transmitter. */
void serial_putc(char c)
{
	if (!present)
		return;
	for (int i = 0; i < 100000 && !(inb(port + 5) & LSR_THRE); i++)
		__asm__ volatile("pause");
	outb(port, (u8)c);
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
	if (!present || !(inb(port + 5) & LSR_DR))
		return -1;
	return inb(port);
}
