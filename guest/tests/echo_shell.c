/*
 * A tiny shell on COM1 for the console's attach mode and pagoda-ctl's
 * send/expect (tests/qemu/21-console.t): it prints the prompt "sh> " with
 * no newline, takes a line from COM1's receiver by its interrupt (IRQ 4
 * through the 8259, vector 0x24), echoing what is typed as a terminal
 * would (backspace erases, CR or LF ends the line), answers "echo:LINE",
 * and leaves on "quit".  Output lines end in "\r\n", as a tty's do.
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "echo_shell";

#define COM1 0x3f8
#define VEC_COM1 0x24
#define LSR_DR 0x01

/* Bytes received and not yet taken by the shell (a ring the interrupt
 * handler fills). */
static volatile char rx[256];
static volatile unsigned rx_head, rx_tail;
static volatile unsigned irqs;

/* Take every byte the receiver holds into rx[]. */
static void on_com1(struct exc_frame *f)
{
	(void)f;
	(void)inb(COM1 + 2); /* IIR: acknowledges a THRE source, if any */
	irqs++;
	while (inb(COM1 + 5) & LSR_DR) {
		char c = (char)inb(COM1);
		if (rx_head - rx_tail < sizeof(rx))
			rx[rx_head++ % sizeof(rx)] = c;
	}
	pic_eoi(4);
}

/* The next received byte: sleeps in HLT until one comes. */
static char get_byte(void)
{
	for (;;) {
		cli();
		if (rx_head != rx_tail) {
			char c = rx[rx_tail++ % sizeof(rx)];
			sti();
			return c;
		}
		sti_hlt();
	}
}

/* Read a line into BUF (LEN bytes with its NUL), echoing it; the length. */
static unsigned read_line(char *buf, unsigned len)
{
	unsigned n = 0;
	for (;;) {
		char c = get_byte();
		if (c == '\r' || c == '\n') {
			puts("\r\n");
			break;
		}
		if (c == 0x7f || c == 0x08) {
			if (n) {
				n--;
				puts("\b \b");
			}
			continue;
		}
		if ((u8)c < 0x20 || n == len - 1)
			continue;
		buf[n++] = c;
		putc(c);
	}
	buf[n] = 0;
	return n;
}

void main(const char *cmdline)
{
	(void)cmdline;
	exc_set_handler(VEC_COM1, on_com1);
	pic_init(0x20);
	pic_mask(4, false);
	outb(COM1 + 4, 0x0b); /* MCR: DTR, RTS, OUT2 (the IRQ gate) */
	outb(COM1 + 1, 0x01); /* IER: received data available */
	sti();
	unsigned lines = 0;
	char line[128];
	for (;;) {
		puts("sh> ");
		unsigned n = read_line(line, sizeof(line));
		if (n == 0)
			continue;
		if (strcmp(line, "quit") == 0)
			break;
		lines++;
		printf("echo:%s\r\n", line);
	}
	cli();
	outb(COM1 + 1, 0);
	puts("bye\r\n");
	expect(lines > 0, "answered %u lines", lines);
	expect(irqs > 0, "input came by receive interrupts (%u)", irqs);
}
