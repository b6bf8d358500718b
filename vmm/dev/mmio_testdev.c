/*
 * The MMIO test device: a page of scratch registers for the test guests of
 * the instruction emulator (guest/tests/mmio.c).  256 bytes of storage
 * repeat over the 4 KiB page; an access of 1, 2, 4 or 8 bytes reads back,
 * little endian, what the last writes left in those bytes (wrapping at
 * the end of the 256).  Nothing else: no side effects, no interrupts, so
 * every instruction class can be checked by value.  The storage is zero
 * when the guest starts.
 */
#include "vmm/dev/mmio_testdev.h"
#include "vmm/dev/bus.h"

/* The device's state, from the bus arena. */
struct mmio_testdev {
	u64 base;                    /* GPA of the page */
	u8 regs[MMIO_TESTDEV_REGS];  /* the scratch registers */
};

/* An access of SIZE bytes at GPA: a read fills *VAL, a write stores it. */
static int mmio_testdev_mmio(struct vcpu *v, void *opaque, u64 gpa, u8 size, bool write,
			     u64 *val)
{
	struct mmio_testdev *d = opaque;
	unsigned off = (unsigned)(gpa - d->base);
	(void)v;
	if (write) {
		for (unsigned i = 0; i < size; i++)
			d->regs[(off + i) % MMIO_TESTDEV_REGS] = (u8)(*val >> (8 * i));
		return 0;
	}
	u64 x = 0;
	for (unsigned i = 0; i < size; i++)
		x |= (u64)d->regs[(off + i) % MMIO_TESTDEV_REGS] << (8 * i);
	*val = x;
	return 0;
}

static const struct dev_ops mmio_testdev_ops = {.name = "mmio-testdev",
						.mmio = mmio_testdev_mmio};

int mmio_testdev_add(struct bus *b, u64 base)
{
	struct mmio_testdev *d = bus_alloc(b, sizeof(*d));
	if (!d)
		return -E_NOMEM;
	d->base = base;
	return bus_add_mmio(b, &mmio_testdev_ops, d, base, MMIO_TESTDEV_SIZE);
}
