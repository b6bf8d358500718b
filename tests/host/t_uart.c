/*
 * Host test of vmm/dev/uart16550.c: power-on values, the divisor latch,
 * transmission, the THRE interrupt life cycle (and a Linux-8250-style
 * interrupt handler loop that must end), the receive FIFO and its trigger
 * levels, IIR priorities, loopback and the modem status deltas, OUT2
 * gating of the IRQ, and the bus wrapper (console of the writing vCPU,
 * owner callbacks).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/dev/bus.h"
#include "vmm/dev/uart16550.h"

/* Stand-ins for the bus and the console. */
static const struct dev_ops *row_ops;
static void *row_opaque;
static u16 row_base, row_count;
static char arena[4096] __attribute__((aligned(16)));

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	(void)b;
	row_ops = ops;
	row_opaque = opaque;
	row_base = base;
	row_count = count;
	return 0;
}

void *bus_alloc(struct bus *b, size_t size)
{
	(void)b;
	memset(arena, 0, sizeof(arena));
	return size <= sizeof(arena) ? arena : NULL;
}

struct vcpu;
static struct vcpu *console_vcpu;
static char console[64];
static size_t console_len;

void vcpu_console_write(struct vcpu *v, const char *s, size_t n)
{
	console_vcpu = v;
	memcpy(console + console_len, s, n);
	console_len += n;
}

/* What the UART sent and its IRQ line. */
static u8 sent[256];
static size_t nr_sent;
static bool irq_level;
static int irq_changes;

static void on_irq(void *ctx, bool level)
{
	(void)ctx;
	irq_level = level;
	irq_changes++;
}

static void on_tx(void *ctx, u8 b)
{
	(void)ctx;
	sent[nr_sent++ % sizeof(sent)] = b;
}

static const struct uart_ops ops = {.irq = on_irq, .tx = on_tx};

static void wr(struct uart16550 *u, u16 reg, u8 v)
{
	u32 val = v;
	uart16550_io(u, reg, false, &val);
}

static u8 rd(struct uart16550 *u, u16 reg)
{
	u32 val = 0xdead;
	uart16550_io(u, reg, true, &val);
	return (u8)val;
}

static void setup(struct uart16550 *u)
{
	nr_sent = 0;
	irq_level = false;
	irq_changes = 0;
	uart16550_init(u, &ops, NULL);
}

static void test_basics(void)
{
	struct uart16550 u;
	setup(&u);
	ok(rd(&u, 2) == 0x01 && rd(&u, 5) == 0x60 && rd(&u, 6) == 0xb0 && rd(&u, 1) == 0,
	   "power-on: IIR 1, LSR THRE|TEMT, MSR DCD|DSR|CTS, IER 0");
	wr(&u, 3, 0x83);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x02);
	ok(rd(&u, 0) == 0x01 && rd(&u, 1) == 0x02 && nr_sent == 0, "DLAB: DLL/DLM read back, nothing sent");
	wr(&u, 3, 0x03);
	ok(rd(&u, 1) == 0 && rd(&u, 3) == 0x03, "DLAB off: IER again (still 0), LCR 8N1");
	wr(&u, 0, 'h');
	wr(&u, 0, 'i');
	ok(nr_sent == 2 && sent[0] == 'h' && sent[1] == 'i', "THR writes go to tx");
	is_u64(rd(&u, 5), 0x60, "transmitter always empty");
	wr(&u, 7, 0xa5);
	is_u64(rd(&u, 7), 0xa5, "scratch register");
	is_u64(irq_changes, 0, "no IRQ change with IER 0");
}

static void test_thre(void)
{
	struct uart16550 u;
	setup(&u);
	wr(&u, 4, 0x08); /* OUT2 */
	wr(&u, 1, 0x02); /* ETBEI */
	ok(irq_level && irq_changes == 1, "enabling ETBEI with THR empty raises the IRQ");
	is_u64(rd(&u, 2), 0x02, "IIR: THRE");
	ok(!irq_level, "reading IIR (THRE the source) clears it, IRQ falls");
	is_u64(rd(&u, 2), 0x01, "IIR: nothing pending now");
	wr(&u, 0, 'x');
	ok(irq_level, "a THR write empties at once: THRE pending again");
	wr(&u, 1, 0x00);
	ok(!irq_level, "IER 0 drops the IRQ");
	wr(&u, 1, 0x02);
	is_u64(rd(&u, 2), 0x02, "re-enabling ETBEI gives a new THRE interrupt (Linux's THRE test)");
	/* OUT2 gates the line. */
	wr(&u, 0, 'y');
	wr(&u, 4, 0x00);
	ok(!irq_level, "OUT2 clear: IRQ low although THRE is pending");
	is_u64(rd(&u, 2), 0x02, "the interrupt is still pending in IIR");
	wr(&u, 0, 'z');
	wr(&u, 4, 0x08);
	ok(irq_level, "OUT2 set again: IRQ high");

	/* The interrupt handler loop of Linux's 8250 driver, sending 40 bytes:
	 * read IIR until it says nothing is pending; on THRE, write up to 16
	 * bytes and clear ETBEI when the queue is empty. */
	const char *msg = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	size_t at = 0, len = strlen(msg);
	unsigned rounds = 0;
	nr_sent = 0;
	wr(&u, 2, 0x07);
	wr(&u, 1, 0x00);
	wr(&u, 1, 0x02);
	while (irq_level && rounds < 100) {
		rounds++;
		for (;;) {
			u8 iir = rd(&u, 2);
			if (iir & 1)
				break;
			if (rd(&u, 5) & 0x20) {
				for (int i = 0; i < 16 && at < len; i++)
					wr(&u, 0, (u8)msg[at++]);
				if (at == len)
					wr(&u, 1, rd(&u, 1) & ~0x02);
			}
		}
	}
	ok(rounds < 100 && !irq_level, "the handler loop ends with the IRQ low (%u rounds)", rounds);
	ok(nr_sent == len && memcmp(sent, msg, len) == 0, "all %zu bytes sent in order", len);
}

static void test_rx(void)
{
	struct uart16550 u;
	setup(&u);
	wr(&u, 4, 0x08);
	const u8 data[20] = "ABCDEFGHIJKLMNOPQRS";
	is_u64(uart16550_input(&u, data, 3), 1, "FIFO off: the holding register takes one byte");
	ok(!irq_level, "IER 0: no IRQ");
	is_u64(rd(&u, 5), 0x61, "LSR DR");
	wr(&u, 1, 0x01);
	ok(irq_level, "ERBFI with data: IRQ");
	is_u64(rd(&u, 2), 0x04, "IIR: received data");
	is_u64(rd(&u, 0), 'A', "RBR");
	ok(!irq_level && rd(&u, 5) == 0x60 && rd(&u, 2) == 0x01, "drained: IRQ low, DR clear");

	wr(&u, 2, 0xc7); /* FIFO on, clear, trigger 14 */
	is_u64(rd(&u, 2), 0xc1, "FIFO mode: IIR bits 7:6 set");
	is_u64(uart16550_input(&u, data, 20), 16, "FIFO takes 16 bytes, the rest stays with the caller");
	is_u64(uart16550_rx_room(&u), 0, "no room left");
	is_u64(uart16550_input(&u, data, 1), 0, "a full FIFO accepts nothing (no overrun from the line)");
	is_u64(rd(&u, 5) & 0x02, 0, "and no OE");
	is_u64(rd(&u, 2), 0xc4, "16 >= trigger 14: received data available");
	char got[17] = {0};
	got[0] = (char)rd(&u, 0);
	got[1] = (char)rd(&u, 0);
	got[2] = (char)rd(&u, 0);
	is_u64(rd(&u, 2), 0xcc, "13 < 14: character timeout");
	for (int i = 3; i < 16; i++)
		got[i] = (char)rd(&u, 0);
	ok(memcmp(got, data, 16) == 0, "bytes come out in order");
	ok(rd(&u, 2) == 0xc1 && !irq_level, "empty: nothing pending");
	wr(&u, 2, 0x41); /* trigger 4 */
	uart16550_input(&u, data, 4);
	is_u64(rd(&u, 2), 0xc4, "trigger 4 reached with 4 bytes");
	wr(&u, 2, 0x43); /* clear RX */
	ok(rd(&u, 5) == 0x60 && rd(&u, 2) == 0xc1, "FCR RX clear empties the FIFO");
	uart16550_input(&u, data, 5);
	wr(&u, 2, 0x00);
	ok(rd(&u, 5) == 0x60 && rd(&u, 2) == 0x01, "turning the FIFO off empties it, IIR bits 7:6 clear");
}

static void test_loopback_priority(void)
{
	struct uart16550 u;
	setup(&u);
	wr(&u, 2, 0x01); /* FIFO on, trigger 1 */
	wr(&u, 4, 0x18); /* loopback + OUT2 */
	is_u64(rd(&u, 6), 0x80 | 0x03, "loopback: DCD = OUT2 (unchanged); deltas for CTS, DSR");
	is_u64(rd(&u, 6), 0x80, "deltas cleared by the read");
	const u8 one = '!';
	is_u64(uart16550_input(&u, &one, 1), 0, "loopback: the line input is cut");
	for (int i = 0; i < 17; i++)
		wr(&u, 0, (u8)('a' + i));
	is_u64(nr_sent, 0, "loopback: nothing leaves");
	wr(&u, 1, 0x0f);
	wr(&u, 4, 0x1f); /* DTR, RTS, OUT1, OUT2, loop */
	ok(irq_level, "IRQ with all sources");
	is_u64(rd(&u, 2), 0xc6, "IIR: line status (the 17th byte overran) comes first");
	is_u64(rd(&u, 5), 0x63, "LSR: DR and OE");
	is_u64(rd(&u, 2), 0xc4, "then received data");
	u8 first = rd(&u, 0);
	for (int i = 1; i < 16; i++)
		rd(&u, 0);
	is_u64(first, 'a', "looped bytes arrive in order");
	is_u64(rd(&u, 2), 0xc2, "then THRE");
	is_u64(rd(&u, 2), 0xc0, "then modem status (THRE cleared by the IIR read)");
	is_u64(rd(&u, 6), 0xf3, "MSR: CTS DSR RI DCD, deltas CTS DSR");
	is_u64(rd(&u, 2), 0xc1, "all sources served");
	wr(&u, 4, 0x1b); /* OUT1 off: RI trailing edge */
	is_u64(rd(&u, 6) & 0x0f, 0x04, "RI falling: TERI");
	wr(&u, 4, 0x08);
	wr(&u, 4, 0x18);
	wr(&u, 4, 0x08);
	ok(rd(&u, 6) == 0xb3, "loopback off: the outside modem lines, CTS and DSR deltas");
}

static void test_add(void)
{
	struct uart16550 *u = uart16550_add(NULL, 0x2f8, NULL, NULL);
	ok(u && row_base == 0x2f8 && row_count == 8 && row_ops && row_ops->io, "uart16550_add: row 0x2f8/8");
	struct vcpu *fake = (struct vcpu *)&console;
	u32 v = 'Q';
	console_len = 0;
	row_ops->io(fake, row_opaque, 0x2f8, 1, false, &v);
	ok(console_len == 1 && console[0] == 'Q' && console_vcpu == fake,
	   "without owner tx: the writing vCPU's console");
	v = 0;
	row_ops->io(fake, row_opaque, 0x2fd, 1, true, &v);
	is_u64(v, 0x60, "LSR through the row");
	setup(&(struct uart16550){0});
	u = uart16550_add(NULL, 0x3f8, &ops, NULL);
	console_len = 0;
	v = 'R';
	row_ops->io(fake, row_opaque, 0x3f8, 1, false, &v);
	ok(nr_sent == 1 && sent[0] == 'R' && console_len == 0, "with owner tx: the owner gets it");
	v = 0x08;
	row_ops->io(fake, row_opaque, 0x3fc, 1, false, &v);
	v = 0x02;
	row_ops->io(fake, row_opaque, 0x3f9, 1, false, &v);
	ok(irq_level, "IRQ forwarded to the owner");
	const u8 in[2] = {'o', 'k'};
	is_u64(uart16550_input(u, in, 2), 1, "input through the returned state");
}

int main(void)
{
	test_basics();
	test_thre();
	test_rx();
	test_loopback_priority();
	test_add();
	return tap_done();
}
