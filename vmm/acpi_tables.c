/*
 * The ACPI tables of a PC guest (see vmm/acpi_tables.h).  Section numbers
 * are those of the ACPI Specification 6.5.  Layout from the base:
 *   FACS (64 bytes, 64-byte aligned: 5.2.10), RSDP, RSDT, XSDT, FADT,
 *   DSDT, MADT, each start 16-byte aligned.
 */
#include "lib/le.h"
#include "vmm/acpi_tables.h"
#include "lib/string.h"

#define HDR_LEN 36       /* the common table header (5.2.6) */
#define RSDP_LEN 36      /* revision 2 RSDP with the XSDT address (5.2.5.3) */
#define FACS_LEN 64
#define FADT_LEN 244     /* FADT revision 4: through X_GPE1_BLK (5.2.9) */
#define FADT_REVISION 4
#define MADT_REVISION 3

/* The byte that makes LEN bytes at P sum to zero, P's own checksum byte
 * counted as 0 (it must be 0 when this is called). */
static u8 checksum(const u8 *p, size_t len)
{
	u8 sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	return (u8)-sum;
}

/* Fill the common header (5.2.6) of the table at T: signature SIG, LEN
 * bytes, revision REV, pagoda's OEM fields; the checksum (offset 9) is
 * left for finish(). */
static void header(u8 *t, const char *sig, u32 len, u8 rev)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "PAGODA", 6);   /* OEMID */
	memcpy(t + 16, "PAGODA  ", 8); /* OEM Table ID */
	put_le32(t + 24, 1);               /* OEM Revision */
	memcpy(t + 28, "PGDA", 4);     /* Creator ID */
	put_le32(t + 32, 1);               /* Creator Revision */
}

/* Set the checksum of the table at T, whose length its header holds. */
static void finish(u8 *t)
{
	u32 len = (u32)t[4] | (u32)t[5] << 8 | (u32)t[6] << 16 | (u32)t[7] << 24;
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure (5.2.3.2) at P: system I/O space (1), WIDTH
 * bits at PORT, accessed ACCESS (1 byte, 2 word, 3 dword); PORT 0 leaves
 * it all zero (not present). */
static void gas_io(u8 *p, u16 port, u8 width, u8 access)
{
	if (!port)
		return;
	p[0] = 1;      /* Address Space ID: System I/O */
	p[1] = width;  /* Register Bit Width */
	p[2] = 0;      /* Register Bit Offset */
	p[3] = access; /* Access Size */
	put_le64(p + 4, port);
}

/*
 * The FADT (5.2.9, revision 4) at T for tables based at FACS_GPA and
 * DSDT_GPA: the PM1a event and control blocks (and the PM timer if
 * PM_TMR), SCI on ISA IRQ 9, no SMI command port (always in ACPI mode),
 * no C2/C3, no 8042, no VGA, legacy ISA devices present.
 */
static void build_fadt(u8 *t, u64 facs_gpa, u64 dsdt_gpa, u16 pm_tmr)
{
	header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* FIRMWARE_CTRL stays 0: X_FIRMWARE_CTRL names the FACS, and the
	 * spec wants the 32-bit field zero then (5.2.9, table 5.9). */
	put_le32(t + 40, (u32)dsdt_gpa);        /* DSDT */
	t[45] = 0;                          /* Preferred_PM_Profile: unspecified */
	put_le16(t + 46, ACPI_SCI_IRQ);         /* SCI_INT */
	put_le32(t + 48, 0);                    /* SMI_CMD: none, so no ACPI_ENABLE dance */
	put_le32(t + 56, ACPI_PM1A_EVT_PORT);   /* PM1a_EVT_BLK */
	put_le32(t + 64, ACPI_PM1A_CNT_PORT);   /* PM1a_CNT_BLK */
	put_le32(t + 76, pm_tmr);               /* PM_TMR_BLK */
	t[88] = 4;                          /* PM1_EVT_LEN: STS + EN, 2 bytes each */
	t[89] = 2;                          /* PM1_CNT_LEN */
	t[91] = pm_tmr ? 4 : 0;             /* PM_TMR_LEN */
	put_le16(t + 96, 101);                  /* P_LVL2_LAT > 100: no C2 */
	put_le16(t + 98, 1001);                 /* P_LVL3_LAT > 1000: no C3 */
	/* IAPC_BOOT_ARCH (5.2.9.3): LEGACY_DEVICES (bit 0: the UART, PIT, RTC
	 * are ISA devices), VGA Not Present (bit 2); bit 1 (8042) clear, so
	 * Linux does not probe a keyboard controller. */
	put_le16(t + 109, BIT(0) | BIT(2));
	/* Flags (5.2.9, table 5.10): WBINVD (0), PROC_C1 (2: HLT works),
	 * PWR_BUTTON (4) and SLP_BUTTON (5) set: no fixed-feature buttons. */
	put_le32(t + 112, BIT(0) | BIT(2) | BIT(4) | BIT(5));
	put_le64(t + 132, facs_gpa);            /* X_FIRMWARE_CTRL (FACS) */
	put_le64(t + 140, dsdt_gpa);            /* X_DSDT: the same DSDT */
	gas_io(t + 148, ACPI_PM1A_EVT_PORT, 32, 2); /* X_PM1a_EVT_BLK */
	gas_io(t + 172, ACPI_PM1A_CNT_PORT, 16, 2); /* X_PM1a_CNT_BLK */
	gas_io(t + 208, pm_tmr, 32, 3);             /* X_PM_TMR_BLK */
	finish(t);
}

/* The FACS (5.2.10) at T: signature, length, version 2, the rest zero (no
 * waking vector, no global lock owner). */
static void build_facs(u8 *t)
{
	memcpy(t, "FACS", 4);
	put_le32(t + 4, FACS_LEN);
	t[32] = 2; /* Version */
}

/*
 * The DSDT at T: the header and one AML statement (20.2), in the root
 * scope,
 *   Name (_S5, Package (4) { ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, 0, 0 })
 * which tells the OS what to write into SLP_TYPa/SLP_TYPb for soft-off.
 * Returns its length.
 */
static u32 build_dsdt(u8 *t)
{
	static const u8 aml[] = {
		0x08,                   /* NameOp (20.2.5.1 DefName) */
		'_', 'S', '5', '_',     /* NameSeg "_S5_" */
		0x12,                   /* PackageOp (20.2.5.4 DefPackage) */
		0x08,                   /* PkgLength: one-byte encoding (bits 7:6 = 0),
					   counting itself and the 7 bytes after it */
		0x04,                   /* NumElements */
		0x0a, ACPI_SLP_TYP_S5,  /* BytePrefix + SLP_TYPa */
		0x0a, ACPI_SLP_TYP_S5,  /* BytePrefix + SLP_TYPb */
		0x00,                   /* ZeroOp (reserved) */
		0x00,                   /* ZeroOp (reserved) */
	};
	u32 len = HDR_LEN + sizeof(aml);
	header(t, "DSDT", len, 2); /* revision 2: 64-bit integers */
	memcpy(t + HDR_LEN, aml, sizeof(aml));
	finish(t);
	return len;
}

/*
 * The MADT (5.2.12) at T for CFG: the local APIC address, PCAT_COMPAT (the
 * guest has 8259s), one Processor Local APIC per vCPU, the I/O APIC at
 * ACPI_IOAPIC_GPA with GSI base 0, the overrides ISA IRQ 0 -> GSI 2 (edge,
 * high: the PIT on the I/O APIC's pin 2, as on every PC) and IRQ 9 -> GSI 9
 * (level, high: the SCI), and LINT1 as NMI on every processor.  Returns its
 * length.
 */
static u32 build_madt(u8 *t, const struct acpi_pc_config *cfg)
{
	u8 *e = t + 44;
	put_le32(t + 36, (u32)ACPI_LAPIC_GPA); /* Local Interrupt Controller Address */
	put_le32(t + 40, BIT(0));              /* Flags: PCAT_COMPAT */
	for (unsigned i = 0; i < cfg->nr_cpus; i++, e += 8) {
		e[0] = 0;           /* Processor Local APIC (5.2.12.2) */
		e[1] = 8;
		e[2] = (u8)i;       /* ACPI Processor UID */
		e[3] = (u8)i;       /* APIC ID */
		put_le32(e + 4, BIT(0)); /* Enabled */
	}
	e[0] = 1; /* I/O APIC (5.2.12.3) */
	e[1] = 12;
	e[2] = cfg->ioapic_id;
	e[3] = 0;
	put_le32(e + 4, (u32)ACPI_IOAPIC_GPA);
	put_le32(e + 8, 0); /* Global System Interrupt Base */
	e += 12;
	/* Interrupt Source Overrides (5.2.12.5); flags are MPS INTI flags
	 * (table 5.26): polarity bits 1:0 (01 high, 11 low), trigger mode
	 * bits 3:2 (01 edge, 11 level). */
	static const struct {
		u8 irq;    /* ISA IRQ */
		u32 gsi;   /* where it arrives */
		u16 flags; /* MPS INTI flags */
	} iso[] = {
		{0, 2, 0x1 | 0x1 << 2},           /* PIT: edge, active high */
		{ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x1 | 0x3 << 2}, /* SCI: level, active high */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(iso); i++, e += 10) {
		e[0] = 2;
		e[1] = 10;
		e[2] = 0; /* Bus: ISA */
		e[3] = iso[i].irq;
		put_le32(e + 4, iso[i].gsi);
		put_le16(e + 8, iso[i].flags);
	}
	e[0] = 4;      /* Local APIC NMI (5.2.12.7) */
	e[1] = 6;
	e[2] = 0xff;   /* every processor */
	put_le16(e + 3, 0); /* flags: conforming to the bus */
	e[5] = 1;      /* LINT1 */
	e += 6;
	u32 len = (u32)(e - t);
	header(t, "APIC", len, MADT_REVISION);
	finish(t);
	return len;
}

/* The length of the MADT for NR_CPUS processors: header and fixed fields,
 * the local APICs, the I/O APIC, two overrides, one local APIC NMI. */
static u32 madt_len(unsigned nr_cpus) { return 44 + 8 * nr_cpus + 12 + 2 * 10 + 6; }

int acpi_build_tables(void *buf, size_t len, u64 base, const struct acpi_pc_config *cfg,
		      struct acpi_tables_info *info)
{
	u8 *p = buf;
	if (!cfg->nr_cpus || cfg->nr_cpus > ACPI_MAX_CPUS || !IS_ALIGNED(base, 64))
		return -E_INVAL;
	u64 facs = 0, rsdp = ALIGN_UP(facs + FACS_LEN, 16);
	u64 rsdt = ALIGN_UP(rsdp + RSDP_LEN, 16), xsdt = ALIGN_UP(rsdt + HDR_LEN + 2 * 4, 16);
	u64 fadt = ALIGN_UP(xsdt + HDR_LEN + 2 * 8, 16), dsdt = ALIGN_UP(fadt + FADT_LEN, 16);
	u64 madt = ALIGN_UP(dsdt + HDR_LEN + 14, 16), end = madt + madt_len(cfg->nr_cpus);
	if (base + end > GiB(4))
		return -E_INVAL;
	if (end > len)
		return -E_NOMEM;
	memset(p, 0, end);

	build_facs(p + facs);
	build_fadt(p + fadt, base + facs, base + dsdt, cfg->pm_timer_port);
	build_dsdt(p + dsdt);
	build_madt(p + madt, cfg);

	/* RSDT (5.2.7): 32-bit pointers; XSDT (5.2.8): 64-bit ones. */
	header(p + rsdt, "RSDT", HDR_LEN + 2 * 4, 1);
	put_le32(p + rsdt + HDR_LEN, (u32)(base + fadt));
	put_le32(p + rsdt + HDR_LEN + 4, (u32)(base + madt));
	finish(p + rsdt);
	header(p + xsdt, "XSDT", HDR_LEN + 2 * 8, 1);
	put_le64(p + xsdt + HDR_LEN, base + fadt);
	put_le64(p + xsdt + HDR_LEN + 8, base + madt);
	finish(p + xsdt);

	/* RSDP (5.2.5.3): the first 20 bytes have their own checksum (ACPI
	 * 1.0's structure), the whole 36 the extended one. */
	u8 *r = p + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "PAGODA", 6);
	r[15] = 2;                          /* Revision: 2 (ACPI 2.0 and later) */
	put_le32(r + 16, (u32)(base + rsdt));   /* RsdtAddress */
	put_le32(r + 20, RSDP_LEN);             /* Length */
	put_le64(r + 24, base + xsdt);          /* XsdtAddress */
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_LEN);

	info->rsdp_gpa = base + rsdp;
	info->size = end;
	return 0;
}
