/*
 * guest/lib/intr.c -- the interrupt-controller drivers of intr.h.
 */
#include "guest/lib/intr.h"
#include "guest/lib/cpu.h"

static bool in_x2apic; /* lapic_enable(true) was called */

/* x2APIC: the register at xAPIC offset REG is MSR 0x800 + REG/16 (SDM
 * 11.12.1.2); the ICR is one 64-bit MSR, 0x830. */
u32 lapic_read(u32 reg)
{
	if (in_x2apic)
		return (u32)rdmsr(0x800 + reg / 16);
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(u32 reg, u32 v)
{
	if (in_x2apic)
		wrmsr(0x800 + reg / 16, v);
	else
		mmio_write32(LAPIC_BASE + reg, v);
}

/* xAPIC -> x2APIC goes through EN=1, EXTD=1 (SDM 11.12.5); both bits at
 * once from the enabled xAPIC state is a valid transition. */
void lapic_enable(bool x2apic)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	base |= APIC_BASE_ENABLE;
	if (x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	in_x2apic = x2apic;
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	lapic_write(APIC_TPR, 0);
}

void lapic_eoi(void) { lapic_write(APIC_EOI, 0); }

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);
	return in_x2apic ? id : id >> 24;
}

/* xAPIC: destination in ICR2[31:24], written before the low half (which
 * sends).  x2APIC: one write of the 64-bit ICR, destination in [63:32]. */
void lapic_send_ipi(u32 dest, u32 low)
{
	if (in_x2apic) {
		wrmsr(0x830, (u64)dest << 32 | low);
		return;
	}
	mmio_write32(LAPIC_BASE + APIC_ICR2, dest << 24);
	mmio_write32(LAPIC_BASE + APIC_ICR, low);
}

/* ICW1 = 0x11 (edge, cascade, ICW4 follows), ICW2 = vector base, ICW3 =
 * slave on IR2 (master: bit mask 0x04; slave: its ID 2), ICW4 = 8086 mode
 * (8259A datasheet, "Initialization Command Words"). */
void pic_init(u8 base)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, base);
	outb(0xa1, base + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void pic_mask(unsigned irq, bool masked)
{
	u16 port = irq < 8 ? 0x21 : 0xa1;
	u8 bit = 1u << (irq & 7);
	u8 m = inb(port);
	outb(port, masked ? (m | bit) : (m & ~bit));
	if (irq >= 8 && !masked)
		pic_mask(2, false);
}

/* OCW2 0x20: non-specific EOI. */
void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* IOREGSEL at +0, IOWIN at +0x10 (82093AA 3.1). */
u32 ioapic_read(u32 reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

void ioapic_write(u32 reg, u32 v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

/* Redirection entry N: registers 0x10 + 2N (low: vector, delivery mode
 * fixed, physical, polarity high, trigger bit 15, mask bit 16) and
 * 0x11 + 2N (destination in bits 31:24). */
void ioapic_route(unsigned pin, u8 vector, u8 dest, bool level)
{
	ioapic_write(0x11 + 2 * pin, (u32)dest << 24);
	ioapic_write(0x10 + 2 * pin, vector | (level ? 1u << 15 : 0));
}

void ioapic_mask(unsigned pin, bool masked)
{
	u32 lo = ioapic_read(0x10 + 2 * pin);
	ioapic_write(0x10 + 2 * pin, masked ? (lo | (1u << 16)) : (lo & ~(1u << 16)));
}
