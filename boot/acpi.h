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

#endif
