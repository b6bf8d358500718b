/*
 * The ACPI tables boot/ reads: the RSDP (from the UEFI configuration
 * table) to the XSDT (or RSDT) to one table by signature, and the SPCR
 * (Serial Port Console Redirection) table's UART.  Pure parsers over
 * memory: physical addresses are used as pointers (UEFI identity-maps
 * memory), so the host tests build them on hand-made tables.
 */
#ifndef PAGODA_BOOT_ACPI_H
#define PAGODA_BOOT_ACPI_H

#include "lib/types.h"

/* The table with signature SIG (4 characters) that the RSDP at RSDP lists,
 * with a valid checksum, or NULL (no such table, or a malformed RSDP,
 * XSDT or RSDT). */
const void *acpi_find_table(const void *rsdp, const char *sig);

/* The console UART an SPCR table describes. */
struct spcr_uart {
	bool mmio;       /* registers in memory (else in I/O space) */
	u64 base;        /* address of register 0 */
	u8 stride;       /* bytes from one register to the next (1 for I/O) */
	u8 width;        /* bytes per MMIO access: 1 or 4 */
	u32 baud;        /* configured speed, or 0: keep what the firmware set */
};

/*
 * Read the SPCR table at TABLE (LEN bytes available there) into *OUT.
 * Returns NULL, or why it cannot be used: too short or a bad checksum, an
 * interface type that is not a 16550 (types 0, 1 and 0x12), or an address
 * space that is neither memory nor I/O.
 */
const char *spcr_parse(const void *table, u64 len, struct spcr_uart *out);

/* One processor the MADT lists (a Processor Local APIC or Processor Local
 * x2APIC structure, ACPI 6.5 5.2.12.2 and 5.2.12.12). */
struct madt_cpu {
	u32 apic_id;         /* local APIC ID (8 bits in a type 0 entry) */
	u32 uid;             /* ACPI processor UID */
	bool enabled;        /* flags bit 0: present and usable now */
	bool online_capable; /* flags bit 1: absent now, may be brought up later */
};

/*
 * Read the processors of the MADT at TABLE (LEN bytes available there) into
 * OUT (room for MAX), in table order, skipping entries that list neither
 * enabled nor online-capable (flags 0: no processor there) and repeats of
 * an APIC ID already taken.  *NR gets the entries kept (at most MAX),
 * *TOTAL every processor entry seen.  Returns NULL, or why the table cannot
 * be used: too short, a bad checksum, an entry whose length runs past the
 * table or is too short for its type.
 */
const char *madt_parse(const void *table, u64 len, struct madt_cpu *out, unsigned max,
		       unsigned *nr, unsigned *total);

#endif
