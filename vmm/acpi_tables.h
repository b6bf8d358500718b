/*
 * The ACPI tables of a PC guest (what Linux needs to find its CPUs and
 * interrupt controllers and to power off): RSDP, RSDT, XSDT, FADT with its
 * FACS and DSDT, MADT.  Built as bytes in a caller's buffer for a given
 * guest-physical base; pure, no VMM state (host-tested).  Layouts and field
 * offsets are from the ACPI Specification 6.5, chapter 5 (5.2.5 RSDP,
 * 5.2.6 table header, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.9 FADT, 5.2.10 FACS,
 * 5.2.11.1 DSDT, 5.2.12 MADT) and chapter 20 (AML encoding).
 *
 * The fixed hardware the tables describe, which the VMM emulates:
 *   ACPI_PM1A_EVT_PORT (4 bytes): PM1a_STS (16 bits, write 1 to clear) and
 *     PM1a_EN (16 bits at +2).  Reads as 0 are fine: no event ever fires.
 *   ACPI_PM1A_CNT_PORT (2 bytes): PM1a_CNT.  Bit 0 SCI_EN reads as 1 (the
 *     machine is always in ACPI mode: the FADT has no SMI_CMD).  A write
 *     with SLP_EN (bit 13) set and SLP_TYP (bits 12:10) equal to
 *     ACPI_SLP_TYP_S5 means "power off" (the guest's S5 soft-off).
 *   The PM timer, only when the config names a port (the loader names
 *     ACPI_PM_TMR_PORT, where vmm/dev/acpi_pm.c emulates it): 4 bytes,
 *     read as a 32-bit dword whose low 24 bits count at 3.579545 MHz
 *     (ACPI 4.8.3.3) and wrap (the FADT leaves TMR_VAL_EXT clear); writes
 *     ignored.
 *   SCI: ISA IRQ 9 (level, active high through the MADT override).  The
 *     VMM never needs to raise it.
 */
#ifndef PAGODA_ACPI_TABLES_H
#define PAGODA_ACPI_TABLES_H

#include "lib/types.h"

/* The I/O ports of the fixed hardware (PIIX4-like, as QEMU's PC uses). */
#define ACPI_PM1A_EVT_PORT 0x600
#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_PM_TMR_PORT 0x608 /* the PM timer (vmm/dev/acpi_pm.c) */
#define ACPI_SCI_IRQ 9
/* PM1_CNT fields (ACPI 4.8.3.2.1). */
#define ACPI_PM1_CNT_SCI_EN BIT(0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN BIT(13)
/* The SLP_TYP value the DSDT's \_S5 package gives: 0, as on the PIIX4 and
 * ICH9 that QEMU emulates at the same ports (so the tables work unchanged
 * on QEMU's q35, whose ACPI PM base is 0x600 too). */
#define ACPI_SLP_TYP_S5 0

/* Where the tables usually go: the BIOS area, which a Linux guest's
 * memory map reserves and where Linux also scans for the RSDP. */
#define ACPI_TABLES_GPA 0xe0000
#define ACPI_TABLES_MAX 0x2000 /* bytes acpi_build_tables() may need (up to ACPI_MAX_CPUS) */
#define ACPI_MAX_CPUS 255      /* xAPIC IDs 0..254: one Processor Local APIC entry each */

#define ACPI_LAPIC_GPA 0xfee00000ULL
#define ACPI_IOAPIC_GPA 0xfec00000ULL

/* What the tables describe. */
struct acpi_pc_config {
	unsigned nr_cpus;  /* vCPUs: APIC IDs and processor UIDs 0..nr_cpus-1, all enabled */
	u8 ioapic_id;      /* the I/O APIC's ID (its GSI base is 0) */
	u16 pm_timer_port; /* the PM timer's port, or 0 for none */
};

/* Where the tables landed. */
struct acpi_tables_info {
	u64 rsdp_gpa; /* the RSDP (for boot_params.acpi_rsdp_addr or PVH rsdp_paddr) */
	u64 size;     /* bytes used from the base */
};

/*
 * Build every table for CFG into BUF (LEN bytes, to be placed at guest
 * address BASE, which must be 64-byte aligned for the FACS and below 4 GiB
 * for the 32-bit pointers), zeroing what it does not write.  Returns 0 and
 * INFO, or -E_INVAL when CFG or BASE is unusable (no CPU, too many, base
 * misaligned or too high), -E_NOMEM when LEN is too small.
 */
int acpi_build_tables(void *buf, size_t len, u64 base, const struct acpi_pc_config *cfg,
		      struct acpi_tables_info *info);

#endif
