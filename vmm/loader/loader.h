/*
 * The loader table: one row per image format (vmm/loader/image.h).  A new
 * format (PVH, bzImage) is a new row.
 */
#ifndef PAGODA_LOADER_H
#define PAGODA_LOADER_H

#include "vmm/loader/image.h"

struct guest;

/*
 * Find the row whose detect() takes IMG (SIZE bytes), let it plan the load
 * for G (its RAM size and command line) with the NR_MODS modules MODS, and
 * carry the plan out: image segments, boot structures and modules are
 * placed in G's memory (copied in at first touch; MODS' bytes must live as
 * long as G), the boot vCPU's start state goes to *BSP and its entry to
 * *ENTRY.  0, or negative with a reason naming the problem in ERR
 * ("no known image format ...", or the row's own).
 * Linux kernels (PVH vmlinux, bzImage) are tried after the Multiboot row:
 * they get INITRD (INITRD_SIZE bytes, NULL for none; it must live as long
 * as G) instead of modules, and the ACPI tables (vmm/acpi_tables.h) for
 * G's vCPUs at ACPI_TABLES_GPA.
 */
int loader_load(struct guest *g, const void *img, u64 size, const struct load_module *mods,
		unsigned nr_mods, const void *initrd, u64 initrd_size, struct vcpu_state *bsp,
		u64 *entry, const char **format, char *err, size_t errlen);

#endif
