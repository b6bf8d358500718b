/*
 * The 16550A's interrupts on COM1 (IRQ4, vector 0x24 through the master
 * PIC in virtual-wire mode), the way a driver uses them:
 *  - enabling ETBEI with the transmitter empty gives a THRE interrupt;
 *    reading IIR with THRE the source clears it; a THR write raises it
 *    again once the byte has left;
 *  - loopback (MCR bit 4): bytes written come back as received data with
 *    RX interrupts; with the FIFO trigger at 4, two bytes give the
 *    character-timeout source (IIR 0xcc) and four the data-available
 *    source (IIR 0xc4); the modem status register mirrors MCR.
 * COM1 is also the report's console, so nothing is printed while in
 * loopback or between the reads a check depends on.  MCR OUT2 stays set:
 * its gating of the IRQ (on a PC) is not checked here, as QEMU's UART
 * does not model it.  Passes on plain QEMU (-kernel).
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "uart_irq";

#define COM1 0x3f8
#define PIC_BASE 0x20
#define IRQ_COM1 4
#define SPIN 5000000ULL

static volatile unsigned irqs, thre_irqs, rx_irqs;
static volatile u8 rx[32];
static volatile unsigned rx_n;
static volatile u8 first_rx_iir; /* IIR of the first RX source seen */

/* IRQ4: serve every pending source, as an 8250 driver's handler does. */
static void on_com1(struct exc_frame *f)
{
	(void)f;
	for (unsigned n = 0; n < 64; n++) {
		u8 iir = inb(COM1 + 2);
		if (iir & 1)
			break;
		switch (iir & 0x0e) {
		case 0x06:
			inb(COM1 + 5);
			break;
		case 0x04:
		case 0x0c:
			if (!rx_irqs++)
				first_rx_iir = iir;
			while ((inb(COM1 + 5) & 1) && rx_n < sizeof(rx))
				rx[rx_n++] = inb(COM1);
			break;
		case 0x02:
			thre_irqs++;
			break;
		default:
			inb(COM1 + 6);
			break;
		}
	}
	irqs++;
	pic_eoi(IRQ_COM1);
}

/* Let interrupts in until *P reaches WANT (or SPIN rounds pass). */
static void wait_irq(volatile unsigned *p, unsigned want)
{
	sti();
	for (u64 i = 0; i < SPIN && *p < want; i++)
		__asm__ volatile("pause");
	cli();
}

static void test_thre(void)
{
	outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 */
	outb(COM1 + 1, 0x02); /* ETBEI */
	wait_irq(&thre_irqs, 1);
	unsigned got = thre_irqs;
	u8 iir = inb(COM1 + 2);
	expect(got >= 1, "THRE interrupt once ETBEI is set (%u)", got);
	expect_eq(iir, 0xc1, "IIR: nothing pending after the handler (FIFO bits set)");

	/* The THRE source is cleared by the handler's IIR read: reading IIR
	 * here finds nothing; a line on the console (THR writes) raises it
	 * again. */
	while ((inb(COM1 + 2) & 0x0f) != 0x01)
		;
	puts("# a line through THR\n");
	while (!(inb(COM1 + 5) & 0x40))
		;
	iir = inb(COM1 + 2);
	u8 again = inb(COM1 + 2);
	expect_eq(iir & 0x0f, 0x02, "after THR writes: THRE pending again");
	expect_eq(again, 0xc1, "the IIR read that reported THRE cleared it");
	unsigned before = thre_irqs;
	puts("# another line\n");
	wait_irq(&thre_irqs, before + 1);
	expect(thre_irqs > before, "THRE interrupt after a THR write");
	outb(COM1 + 1, 0x00);
	expect_eq(inb(COM1 + 2), 0xc1, "IER 0: nothing pending");
}

/* Loop back LEN bytes of S with the RX trigger at TRIGGER_BITS (FCR 7:6);
 * returns the count received by interrupt and the MSR seen in loopback. */
static unsigned loop_bytes(const char *s, unsigned len, u8 fcr, u8 *msr)
{
	rx_n = 0;
	rx_irqs = 0;
	first_rx_iir = 0;
	outb(COM1 + 2, fcr | 0x07); /* FIFO on, both cleared */
	outb(COM1 + 4, 0x1b);       /* loopback, OUT2, RTS, DTR */
	*msr = inb(COM1 + 6);
	for (unsigned i = 0; i < len; i++) {
		while (!(inb(COM1 + 5) & 0x20))
			;
		outb(COM1, (u8)s[i]);
	}
	outb(COM1 + 1, 0x01); /* ERBFI */
	wait_irq(&rx_n, len);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 4, 0x0b); /* loopback off */
	outb(COM1 + 2, 0x07); /* trigger 1 again, as serial_init had it */
	return rx_n;
}

static void test_loopback(void)
{
	u8 msr;
	unsigned n = loop_bytes("PING", 4, 0x00, &msr);
	expect_eq(n, 4, "loopback: 4 bytes received by interrupt");
	expect(rx[0] == 'P' && rx[1] == 'I' && rx[2] == 'N' && rx[3] == 'G', "in order: \"PING\"");
	expect(rx_irqs >= 1, "RX interrupts: %u", rx_irqs);
	expect_eq(msr & 0xf0, 0xb0, "loopback MSR: CTS = RTS, DSR = DTR, DCD = OUT2, RI = OUT1 (0)");

	n = loop_bytes("ab", 2, 0x40, &msr);
	expect_eq(n, 2, "trigger 4, 2 bytes: received");
	expect_eq(first_rx_iir, 0xcc, "below the trigger: character timeout (IIR 0xcc)");
	n = loop_bytes("wxyz", 4, 0x40, &msr);
	expect_eq(n, 4, "trigger 4, 4 bytes: received");
	expect_eq(first_rx_iir, 0xc4, "at the trigger: data available (IIR 0xc4)");
	expect_eq(inb(COM1 + 5) & 0x01, 0, "nothing left in the receiver");
}

void main(const char *cmdline)
{
	(void)cmdline;
	exc_set_handler(PIC_BASE + IRQ_COM1, on_com1);
	pic_init(PIC_BASE);
	lapic_enable(false);
	lapic_write(APIC_LVT0, 0x700); /* ExtINT: virtual-wire mode */
	lapic_write(APIC_LVT1, 0x400); /* NMI */
	pic_mask(IRQ_COM1, false);
	test_thre();
	test_loopback();
	pic_mask(IRQ_COM1, true);
	outb(COM1 + 4, 0x03);
}
