/*
 * The device bus of one guest: rows of { ops, opaque state, port or MMIO
 * range }.  The exit path looks a port or guest-physical address up here
 * and calls the row's handler with the vCPU that made the access; a new
 * device is a new row, never a change to the exit path.
 *
 * State: a per-guest device keeps its state in OPAQUE, carved from the
 * bus's own arena (bus_alloc) and freed with the bus.  A per-vCPU device
 * (a local APIC) registers one row with OPAQUE = NULL and finds its state
 * through the vCPU its handler is given.
 */
#ifndef PAGODA_DEV_BUS_H
#define PAGODA_DEV_BUS_H

#include "lib/types.h"

struct vcpu;

struct dev_ops {
	const char *name; /* for logs */
	/* Port access of SIZE bytes at PORT (absolute): IN fills *VAL, OUT
	 * consumes it.  NULL for an MMIO-only device. */
	void (*io)(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val);
	/* MMIO access of SIZE bytes at GPA: a read fills *VAL, a write
	 * consumes it.  0, or negative to end the guest.  NULL for ports. */
	int (*mmio)(struct vcpu *v, void *opaque, u64 gpa, u8 size, bool write, u64 *val);
};

struct bus_row {
	const struct dev_ops *ops; /* the device's handlers */
	void *opaque;              /* its state (NULL: per-vCPU or stateless) */
	u64 base, size;            /* first port / GPA, and how many */
	bool mmio;                 /* an MMIO range, else a port range */
};

#define BUS_MAX_ROWS 16

struct bus {
	struct bus_row rows[BUS_MAX_ROWS]; /* in the order added; first match wins */
	unsigned nr_rows;
	u64 arena_pa;   /* one host page of device state, 0 until bus_alloc */
	size_t arena_used; /* bytes of it handed out */
};

/* Add a port / MMIO row.  0, or -E_BUSY when the bus is full, -E_EXIST
 * when the range overlaps a row of the same kind. */
int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count);
int bus_add_mmio(struct bus *b, const struct dev_ops *ops, void *opaque, u64 base, u64 size);
/* SIZE zeroed bytes of device state, 16-byte aligned, living as long as
 * the bus; NULL when the arena (one page) is used up or no page is free. */
void *bus_alloc(struct bus *b, size_t size);
/* Free the arena; the rows are forgotten. */
void bus_destroy(struct bus *b);
/* Port access by V.  Unassigned ports read as all ones and ignore writes
 * (as on a PC bus).  Returns true when a row claimed the port. */
bool bus_io(struct bus *b, struct vcpu *v, u16 port, u8 size, bool in, u32 *val);
/* Move the MMIO row of OPS to NEW_BASE (a relocated local APIC page).
 * 0, -E_NOENT when OPS has no MMIO row, -E_EXIST when the new range
 * overlaps another MMIO row. */
int bus_move_mmio(struct bus *b, const struct dev_ops *ops, u64 new_base);
/* The MMIO row covering GPA, or NULL. */
const struct bus_row *bus_find_mmio(struct bus *b, u64 gpa);

#endif
