/*
 * Host test of the I/O APIC model (vmm/dev/ioapic.c): the register window,
 * redirection entries, edge and level pins with remote IRR and EOI,
 * masking, polarity, and its bus row.
 */
#include "vmm/dev/ioapic.h"
#include "vmm/dev/bus.h"
#include "tests/host/tap.h"

static struct apic_msg sent[16];
static unsigned nr_sent;

static void fake_send(void *ctx, const struct apic_msg *m)
{
	(void)ctx;
	if (nr_sent < 16)
		sent[nr_sent] = *m;
	nr_sent++;
}

static const struct ioapic_ops fake_ops = {.send = fake_send};

/* The bus row ioapic_add registers, caught by this stand-in. */
static const struct dev_ops *row_ops;
static void *row_opaque;
static u64 row_base, row_size;

int bus_add_mmio(struct bus *b, const struct dev_ops *ops, void *opaque, u64 base, u64 size)
{
	(void)b;
	row_ops = ops;
	row_opaque = opaque;
	row_base = base;
	row_size = size;
	return 0;
}

static u32 rd(struct ioapic *io, u32 reg)
{
	u32 v = reg;
	ioapic_mmio(io, 0x00, 4, true, &v);
	v = 0xdeadbeef;
	ioapic_mmio(io, 0x10, 4, false, &v);
	return v;
}

static void wr(struct ioapic *io, u32 reg, u32 val)
{
	u32 v = reg;
	ioapic_mmio(io, 0x00, 4, true, &v);
	ioapic_mmio(io, 0x10, 4, true, &val);
}

static void setup(struct ioapic *io)
{
	nr_sent = 0;
	ioapic_init(io, &fake_ops, NULL);
}

static void test_registers(void)
{
	struct ioapic io;
	setup(&io);
	is_u64(rd(&io, 1), 0x170011, "version: 24 entries, version 0x11");
	is_u64(rd(&io, 0), 0, "ID 0 after reset");
	wr(&io, 0, 0xffffffff);
	is_u64(rd(&io, 0), 0x0f000000, "ID bits 27:24 writable");
	is_u64(rd(&io, 2), 0x0f000000, "arbitration ID follows");
	wr(&io, 1, 0);
	is_u64(rd(&io, 1), 0x170011, "version read-only");
	u32 v = 0x1234;
	ioapic_mmio(&io, 0x00, 4, true, &v);
	ioapic_mmio(&io, 0x00, 4, false, &v);
	is_u64(v, 0x34, "IOREGSEL keeps bits 7:0");
	v = 0x12;
	ioapic_mmio(&io, 0x00, 1, true, &v);
	ioapic_mmio(&io, 0x00, 4, false, &v);
	is_u64(v, 0x12, "IOREGSEL takes a byte write");
	ioapic_mmio(&io, 0x20, 4, false, &v);
	is_u64(v, 0xffffffff, "other offsets read all ones");
	ioapic_mmio(&io, 0x10, 2, false, &v);
	is_u64(v, 0xffff, "a 16-bit IOWIN read is ignored (all ones)");
	bool masked = true;
	for (u32 i = 0; i < 24; i++)
		masked &= rd(&io, 0x10 + 2 * i) == 0x10000 && rd(&io, 0x11 + 2 * i) == 0;
	ok(masked, "all 24 entries masked at reset");
	wr(&io, 0x10 + 2 * 5, 0xffffffff);
	wr(&io, 0x11 + 2 * 5, 0xffffffff);
	is_u64(rd(&io, 0x10 + 2 * 5), 0x1afff, "entry low: no delivery status, no remote IRR");
	is_u64(rd(&io, 0x11 + 2 * 5), 0xff000000, "entry high: destination 63:56");
	is_u64(rd(&io, 0x40), 0, "past the table reads 0");
}

static void test_edge(void)
{
	struct ioapic io;
	setup(&io);
	wr(&io, 0x11 + 2 * 4, 0x03000000);
	wr(&io, 0x10 + 2 * 4, 0x00000931); /* lowest priority, logical, edge, vector 0x31 */
	ioapic_set_irq(&io, 4, true);
	ok(nr_sent == 1, "rising edge sends");
	ok(sent[0].vector == 0x31 && sent[0].delivery == APIC_DM_LOWEST && sent[0].logical &&
		   !sent[0].level && sent[0].dest == 3 && sent[0].shorthand == APIC_SH_NONE &&
		   sent[0].assert,
	   "message fields from the entry");
	ioapic_set_irq(&io, 4, true);
	is_u64(nr_sent, 1, "staying high sends nothing more");
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	is_u64(nr_sent, 2, "next rising edge sends again");
	is_u64(rd(&io, 0x10 + 2 * 4) & (1u << 14), 0, "edge: no remote IRR");
	ioapic_set_irq(&io, 4, false);
	wr(&io, 0x10 + 2 * 4, 0x10931);
	ioapic_set_irq(&io, 4, true);
	ioapic_set_irq(&io, 4, false);
	wr(&io, 0x10 + 2 * 4, 0x00931);
	is_u64(nr_sent, 2, "an edge while masked is lost");
	wr(&io, 0x10 + 2 * 6, 0x2040); /* active low, edge */
	ioapic_set_irq(&io, 6, true);
	is_u64(nr_sent, 2, "active-low edge: going high is no edge");
	ioapic_set_irq(&io, 6, false);
	ok(nr_sent == 3 && sent[2].vector == 0x40, "active-low edge: falling level sends");
	ioapic_set_irq(&io, 30, true);
	is_u64(nr_sent, 3, "pin 30 does not exist");
}

static void test_level(void)
{
	struct ioapic io;
	setup(&io);
	wr(&io, 0x10 + 2 * 9, 0x8052); /* level, vector 0x52 */
	ioapic_set_irq(&io, 9, true);
	ok(nr_sent == 1 && sent[0].level && sent[0].vector == 0x52, "level: sends, level message");
	ok(rd(&io, 0x10 + 2 * 9) & (1u << 14), "remote IRR set");
	ioapic_set_irq(&io, 9, true);
	is_u64(nr_sent, 1, "still asserted: nothing until EOI");
	ioapic_eoi(&io, 0x53);
	is_u64(nr_sent, 1, "EOI of another vector: nothing");
	ioapic_eoi(&io, 0x52);
	is_u64(nr_sent, 2, "EOI with the pin still asserted: sent again");
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x52);
	is_u64(nr_sent, 2, "EOI after de-assert: nothing");
	is_u64(rd(&io, 0x10 + 2 * 9) & (1u << 14), 0, "remote IRR clear");
	wr(&io, 0x10 + 2 * 9, 0x18052);
	ioapic_set_irq(&io, 9, true);
	is_u64(nr_sent, 2, "masked level: nothing");
	wr(&io, 0x10 + 2 * 9, 0x8052);
	is_u64(nr_sent, 3, "unmasking an asserted level pin sends");
	wr(&io, 0x10 + 2 * 9, 0xc052);
	ok(rd(&io, 0x10 + 2 * 9) & (1u << 14), "a write cannot clear remote IRR");
	wr(&io, 0x10 + 2 * 9, 0x0052);
	is_u64(rd(&io, 0x10 + 2 * 9) & (1u << 14), 0, "switching to edge clears it");
	ioapic_set_irq(&io, 9, false);
	wr(&io, 0x10 + 2 * 10, 0xa060); /* level, active low */
	is_u64(nr_sent, 4, "active-low level pin idle low counts as asserted");
	ioapic_set_irq(&io, 10, true);
	ioapic_eoi(&io, 0x60);
	is_u64(nr_sent, 4, "driven high: de-asserted, no resend at EOI");
}

static void test_bus_row(void)
{
	struct ioapic io;
	setup(&io);
	ok(ioapic_add(NULL, &io, 0xfec00000) == 0, "ioapic_add");
	ok(row_base == 0xfec00000 && row_size == 0x1000 && row_opaque == &io && row_ops->mmio,
	   "one MMIO row over the page");
	u64 v = 1;
	row_ops->mmio(NULL, row_opaque, 0xfec00000, 4, true, &v);
	row_ops->mmio(NULL, row_opaque, 0xfec00010, 4, false, &v);
	is_u64(v, 0x170011, "the row reaches the registers (version)");
}

int main(void)
{
	test_registers();
	test_edge();
	test_level();
	test_bus_row();
	return tap_done();
}
