/*
 * The device model: per guest, a table of port-I/O and MMIO handlers.  The
 * exit path looks a port or address up here and calls the handler; new
 * devices (PIT, PIC, local APIC...) are rows in the table, not changes to
 * the exit path.
 */
#ifndef PAGODA_DEVICES_H
#define PAGODA_DEVICES_H

#include "lib/types.h"

struct guest;

struct io_device {
	const char *name;
	u16 base;  /* first port */
	u16 count; /* number of ports */
	/* IN: fill *VAL; OUT: consume *VAL.  PORT is absolute. */
	void (*io)(struct guest *g, u16 port, u8 size, bool in, u32 *val);
};

struct mmio_device {
	const char *name;
	u64 base, size;
	/* Read or write SIZE bytes at GPA.  0 or negative (ends the guest). */
	int (*mmio)(struct guest *g, u64 gpa, u8 size, bool write, u64 *val);
};

#define GUEST_MAX_IO_DEVICES 8
#define GUEST_MAX_MMIO_DEVICES 4

struct device_table {
	const struct io_device *io[GUEST_MAX_IO_DEVICES];
	unsigned nr_io;
	const struct mmio_device *mmio[GUEST_MAX_MMIO_DEVICES];
	unsigned nr_mmio;
};

/* Add the standard platform (UART at 0x3f8, debug exit at 0xf4) to G. */
void devices_init(struct guest *g);
/*
 * Port access by G.  Unassigned ports read as all ones and ignore writes
 * (as on a PC bus).  Returns true when a device claimed the port.
 */
bool devices_io(struct guest *g, u16 port, u8 size, bool in, u32 *val);
/* The MMIO device at GPA, or NULL. */
const struct mmio_device *devices_find_mmio(struct guest *g, u64 gpa);

/* The virtual UART's output path, shared with the console hypercall. */
void vuart_write_bytes(struct guest *g, const char *s, size_t n);
/* Emit a partial line left in the UART buffer (at guest end). */
void vuart_flush(struct guest *g);

#endif
