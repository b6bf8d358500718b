/*
 * Console input through the UART's receive interrupt, as an OS's serial
 * driver takes it: COM1's "received data available" interrupt enabled
 * (IER bit 0, MCR OUT2 for the PC's IRQ gate), ISA IRQ 4 through the 8259
 * (vector 0x24) or, with "ioapic", through I/O APIC pin 4 to the local
 * APIC.  The guest sleeps in HLT and collects what arrives until a carriage
 * return, then prints the line and how many interrupts brought it.  The
 * operator types with `input NAME text="..."`.
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "uart_rx";

#define COM1 0x3f8
#define VEC_COM1 0x24
#define LSR_DR 0x01

static char line[128];
static volatile unsigned len, irqs, spurious;
static volatile bool done;
static bool via_ioapic;

/* Drain the receiver while LSR says data ready; IIR first (it names the
 * source: 0x4 data, 0xc timeout; bit 0 set means none pending). */
static void on_com1(struct exc_frame *f)
{
	(void)f;
	u8 iir = inb(COM1 + 2);
	if (iir & 1)
		spurious++;
	irqs++;
	while (inb(COM1 + 5) & LSR_DR) {
		char c = (char)inb(COM1);
		if (c == '\r')
			done = true;
		else if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	if (via_ioapic)
		lapic_eoi();
	else
		pic_eoi(4);
}

void main(const char *cmdline)
{
	via_ioapic = cmdline_has(cmdline, "ioapic");
	exc_set_handler(VEC_COM1, on_com1);
	pic_init(0x20);
	if (via_ioapic) {
		lapic_enable(false);
		ioapic_route(4, VEC_COM1, (u8)lapic_id(), false);
	} else {
		pic_mask(4, false);
	}
	outb(COM1 + 4, 0x0b); /* MCR: DTR, RTS, OUT2 (the IRQ gate) */
	outb(COM1 + 1, 0x01); /* IER: received data available */
	diag("waiting for a line on COM1 (IRQ 4 via %s)", via_ioapic ? "I/O APIC" : "8259");
	u64 rounds = 0;
	while (!done && rounds < 1000000) {
		sti_hlt();
		cli();
		rounds++;
	}
	outb(COM1 + 1, 0);
	line[len] = 0;
	expect(done, "a carriage return arrived");
	diag("line: \"%s\"", line);
	expect(irqs > 0 && irqs <= len + 1, "the bytes came by receive interrupts (%u for %u bytes)",
	       irqs, len + 1);
	expect_eq(spurious, 0, "no interrupt without a pending source in IIR");
}
