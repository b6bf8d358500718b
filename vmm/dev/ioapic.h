/*
 * A guest's I/O APIC (vmm/dev/ioapic.c), after the Intel 82093AA
 * datasheet: 24 input pins, each with a redirection entry that turns the
 * pin's signal into a message on the APIC bus (struct apic_msg), sent
 * through struct ioapic_ops.  A pure model, per guest.
 */
#ifndef PAGODA_DEV_IOAPIC_H
#define PAGODA_DEV_IOAPIC_H

#include "lib/types.h"
#include "vmm/dev/apic_msg.h"

struct bus;

#define IOAPIC_DEFAULT_BASE 0xfec00000ULL
#define IOAPIC_MMIO_SIZE 0x1000 /* the row covers the whole page */
#define IOAPIC_NR_PINS 24

struct ioapic_ops {
	/* A message for the local APICs: the router delivers it. */
	void (*send)(void *ctx, const struct apic_msg *m);
};

struct ioapic {
	const struct ioapic_ops *ops; /* callbacks, may be NULL or have a NULL member */
	void *ctx;                    /* their first argument */
	u64 base;                     /* guest-physical base, set by ioapic_add */
	u32 ioregsel;                 /* register index selected at offset 0x00, bits 7:0 */
	u32 id;                       /* ID register: ID in bits 27:24 */
	u64 redir[IOAPIC_NR_PINS];    /* redirection entries (82093AA 3.2.4) */
	u32 pin_level;                /* bit n: the level last driven on pin n (electrical) */
};

/* Reset: ID 0, every redirection entry masked, every pin low. */
void ioapic_init(struct ioapic *io, const struct ioapic_ops *ops, void *ctx);
/* A guest access at OFFSET within the page, SIZE bytes.  Always 0 (an
 * access the chip ignores reads all ones). */
int ioapic_mmio(struct ioapic *io, u32 offset, u8 size, bool write, u32 *val);
/* Drive input PIN to LEVEL (true = high).  An active-low entry sees the
 * inverse: its pin is asserted while low, so a router that leaves an
 * active-low pin idle must drive it high. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
/* A local APIC ended level-triggered VECTOR: clear the remote IRR of the
 * level entries with that vector, and send again for pins still asserted. */
void ioapic_eoi(struct ioapic *io, u8 vector);
/* Put IO on bus B as an MMIO row of IOAPIC_MMIO_SIZE bytes at BASE.
 * 0 or negative (bus_add_mmio's errors). */
int ioapic_add(struct bus *b, struct ioapic *io, u64 base);

#endif
