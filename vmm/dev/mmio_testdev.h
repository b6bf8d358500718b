/* The MMIO test device of every guest (vmm/dev/mmio_testdev.c). */
#ifndef PAGODA_DEV_MMIO_TESTDEV_H
#define PAGODA_DEV_MMIO_TESTDEV_H

#include "lib/types.h"

struct bus;

/* Where vmm/pc.c puts it: a page in the PC hole below 4 GiB, clear of the
 * I/O APIC (0xfec00000), HPET (0xfed00000) and local APIC (0xfee00000). */
#define MMIO_TESTDEV_BASE 0xfebf0000ULL
#define MMIO_TESTDEV_SIZE 0x1000ULL
#define MMIO_TESTDEV_REGS 256 /* bytes of scratch registers, repeated over the page */

/* Add the test device at BASE..BASE+4K-1 to bus B.  0 or negative. */
int mmio_testdev_add(struct bus *b, u64 base);

#endif
