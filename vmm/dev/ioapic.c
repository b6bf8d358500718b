/*
 * The I/O APIC model, after the Intel 82093AA I/O APIC datasheet (order
 * number 290566): an indirect register window (IOREGSEL at offset 0x00,
 * IOWIN at 0x10, section 3.1) onto the ID, version and arbitration
 * registers and 24 64-bit redirection entries (3.2).  Version 0x11 has
 * no EOI register: local APICs end level-triggered interrupts through
 * ioapic_eoi, called by the router on an EOI broadcast.
 */
#include "vmm/dev/ioapic.h"
#include "vmm/dev/bus.h"
#include "lib/string.h"

/* Offsets in the page (3.1). */
#define IOREGSEL 0x00
#define IOWIN 0x10

/* Register indexes behind the window (3.2). */
#define IOAPICID 0x00
#define IOAPICVER 0x01
#define IOAPICARB 0x02
#define IOREDTBL 0x10 /* entry n: low half 0x10 + 2n, high half 0x11 + 2n */

/* Version register: max redirection entry 23 in bits 23:16, version 0x11. */
#define IOAPIC_VERSION (((u32)(IOAPIC_NR_PINS - 1) << 16) | 0x11)
#define IOAPIC_ID_MASK 0x0f000000u /* ID, bits 27:24 */

/* Redirection entry bits (3.2.4). */
#define RTE_VECTOR(e) ((u8)((e) & 0xff))
#define RTE_DELIVERY(e) ((u8)(((e) >> 8) & 7))
#define RTE_LOGICAL BIT(11)
#define RTE_ACTIVE_LOW BIT(13)   /* interrupt input pin polarity */
#define RTE_REMOTE_IRR BIT(14)   /* read-only: a level interrupt awaits its EOI */
#define RTE_LEVEL BIT(15)        /* trigger mode */
#define RTE_MASKED BIT(16)
#define RTE_DEST(e) ((u32)((e) >> 56))
/* Writable: vector, delivery mode, destination mode, polarity, trigger
 * mode, mask, destination.  Delivery status (12) reads idle: a message
 * goes out at once. */
#define RTE_WRITABLE (0x1afffULL | (0xffULL << 56))

/* Whether PIN's entry sees its input asserted: the electrical level,
 * inverted for an active-low entry. */
static bool pin_asserted(const struct ioapic *io, unsigned pin)
{
	bool high = io->pin_level & (1u << pin);
	return high != !!(io->redir[pin] & RTE_ACTIVE_LOW);
}

/* Send PIN's entry as a message; a level-triggered one sets its remote
 * IRR until the EOI.  Assumes the entry is unmasked. */
static void send_entry(struct ioapic *io, unsigned pin)
{
	u64 e = io->redir[pin];
	struct apic_msg m = {
		.vector = RTE_VECTOR(e),
		.delivery = RTE_DELIVERY(e),
		.logical = e & RTE_LOGICAL,
		.level = e & RTE_LEVEL,
		.assert = true,
		.shorthand = APIC_SH_NONE,
		.dest = RTE_DEST(e),
	};
	if (e & RTE_LEVEL)
		io->redir[pin] |= RTE_REMOTE_IRR;
	if (io->ops && io->ops->send)
		io->ops->send(io->ctx, &m);
}

/* A level-triggered, unmasked pin that is asserted with no interrupt in
 * service sends (again). */
static void check_level(struct ioapic *io, unsigned pin)
{
	u64 e = io->redir[pin];
	if ((e & RTE_LEVEL) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && pin_asserted(io, pin))
		send_entry(io, pin);
}

void ioapic_init(struct ioapic *io, const struct ioapic_ops *ops, void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->ops = ops;
	io->ctx = ctx;
	io->base = IOAPIC_DEFAULT_BASE;
	for (unsigned i = 0; i < IOAPIC_NR_PINS; i++)
		io->redir[i] = RTE_MASKED;
}

/* The register behind the window at index REG; unimplemented ones read 0. */
static u32 reg_read(const struct ioapic *io, u32 reg)
{
	switch (reg) {
	case IOAPICID: return io->id;
	case IOAPICVER: return IOAPIC_VERSION;
	case IOAPICARB: return io->id; /* arbitration ID = APIC ID after reset */
	}
	if (reg >= IOREDTBL && reg < IOREDTBL + 2 * IOAPIC_NR_PINS) {
		u64 e = io->redir[(reg - IOREDTBL) / 2];
		return (reg & 1) ? (u32)(e >> 32) : (u32)e;
	}
	return 0;
}

/* Write VAL to the register at index REG.  A redirection entry takes the
 * writable bits of the half written; an edge-triggered entry has no
 * remote IRR; a level pin found asserted and unmasked sends. */
static void reg_write(struct ioapic *io, u32 reg, u32 val)
{
	unsigned pin;
	u64 e;
	if (reg == IOAPICID) {
		io->id = val & IOAPIC_ID_MASK;
		return;
	}
	if (reg < IOREDTBL || reg >= IOREDTBL + 2 * IOAPIC_NR_PINS)
		return; /* read-only or unimplemented */
	pin = (reg - IOREDTBL) / 2;
	e = io->redir[pin];
	if (reg & 1)
		e = (e & 0xffffffffULL) | ((u64)val << 32);
	else
		e = (e & ~0xffffffffULL) | val;
	e = (e & RTE_WRITABLE) | (io->redir[pin] & RTE_REMOTE_IRR);
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redir[pin] = e;
	check_level(io, pin);
}

/* IOREGSEL takes 8- or 32-bit accesses (bits 7:0 select), IOWIN 32-bit
 * ones.  Everything else (other offsets, sizes) reads all ones and
 * ignores writes. */
int ioapic_mmio(struct ioapic *io, u32 offset, u8 size, bool write, u32 *val)
{
	if (offset == IOREGSEL && (size == 4 || size == 1)) {
		if (write)
			io->ioregsel = *val & 0xff;
		else
			*val = io->ioregsel;
		return 0;
	}
	if (offset == IOWIN && size == 4) {
		if (write)
			reg_write(io, io->ioregsel, *val);
		else
			*val = reg_read(io, io->ioregsel);
		return 0;
	}
	if (!write)
		*val = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	return 0;
}

/* Drive PIN (24 and above are ignored).  A masked pin sends nothing: an
 * edge is lost, a level is sent when unmasked (82093AA 3.2.4, bit 16). */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	bool was;
	if (pin >= IOAPIC_NR_PINS)
		return;
	was = pin_asserted(io, pin);
	if (level)
		io->pin_level |= 1u << pin;
	else
		io->pin_level &= ~(1u << pin);
	if (io->redir[pin] & RTE_MASKED)
		return;
	if (io->redir[pin] & RTE_LEVEL)
		check_level(io, pin);
	else if (!was && pin_asserted(io, pin))
		send_entry(io, pin);
}

void ioapic_eoi(struct ioapic *io, u8 vector)
{
	for (unsigned pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		u64 e = io->redir[pin];
		if (!(e & RTE_LEVEL) || !(e & RTE_REMOTE_IRR) || RTE_VECTOR(e) != vector)
			continue;
		io->redir[pin] &= ~RTE_REMOTE_IRR;
		check_level(io, pin);
	}
}

/* The bus row's handler: GPA is absolute, the vCPU does not matter. */
static int ioapic_bus_mmio(struct vcpu *v, void *opaque, u64 gpa, u8 size, bool write, u64 *val)
{
	struct ioapic *io = opaque;
	u32 v32 = (u32)*val;
	int r;
	(void)v;
	r = ioapic_mmio(io, (u32)(gpa - io->base), size, write, &v32);
	if (!write)
		*val = v32;
	return r;
}

static const struct dev_ops ioapic_bus_ops = {.name = "ioapic", .mmio = ioapic_bus_mmio};

int ioapic_add(struct bus *b, struct ioapic *io, u64 base)
{
	io->base = base;
	return bus_add_mmio(b, &ioapic_bus_ops, io, base, IOAPIC_MMIO_SIZE);
}
