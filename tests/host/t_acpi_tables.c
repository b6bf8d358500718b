/*
 * Host tests of the ACPI table builder (vmm/acpi_tables.c): the tables for
 * 1..4 and 255 vCPUs, each decoded by a small parser written here from the
 * ACPI Specification (not from the builder): the RSDP and its two
 * checksums, RSDT and XSDT pointing at the same tables, every table's
 * length and checksum, the FADT's blocks, FACS and DSDT, the DSDT's \_S5
 * package, every MADT entry; the refusals; and the checker catching a
 * corrupted byte (so that it can fail).
 */
#include "vmm/acpi_tables.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

#define BASE 0xe0000ULL
#define BUFLEN 0x4000

static u8 buf[BUFLEN];

static u32 r16(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8; }
static u32 r32(const u8 *p) { return r16(p) | r16(p + 2) << 16; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }

static bool sums_to_zero(const u8 *p, size_t len)
{
	u8 s = 0;
	for (size_t i = 0; i < len; i++)
		s = (u8)(s + p[i]);
	return s == 0;
}

/* The table at guest address GPA, if its header lies in the built bytes
 * (SIZE of them) and its length too; NULL otherwise. */
static const u8 *table_at(u64 gpa, u64 size)
{
	if (gpa < BASE || gpa - BASE + 36 > size)
		return NULL;
	const u8 *t = buf + (gpa - BASE);
	if (r32(t + 4) < 36 || gpa - BASE + r32(t + 4) > size)
		return NULL;
	return t;
}

/* What the decoder found. */
struct decoded {
	const char *why;   /* first problem, or NULL */
	unsigned lapics;   /* Processor Local APIC entries */
	bool lapic_ids_ok; /* IDs and UIDs 0..n-1 in order, all enabled */
	bool ioapic_ok;    /* one I/O APIC: ID, 0xfec00000, GSI base 0 */
	bool iso0_ok;      /* IRQ 0 -> GSI 2, edge high */
	bool iso9_ok;      /* IRQ 9 -> GSI 9, level high */
	bool nmi_ok;       /* LINT1 NMI, all processors */
	unsigned s5_typ;   /* SLP_TYPa of \_S5 */
	u32 pm1a_evt, pm1a_cnt, pm_tmr, sci;
	u32 fadt_flags;  /* the FADT's Flags (5.2.9, table 5.10) */
	u8 x_tmr_width;  /* X_PM_TMR_BLK's Register Bit Width */
};

/* Decode the MADT T into D. */
static void decode_madt(const u8 *t, unsigned ioapic_id, struct decoded *d)
{
	u32 len = r32(t + 4);
	if (r32(t + 36) != 0xfee00000u || !(r32(t + 40) & 1)) {
		d->why = "MADT: local APIC address or PCAT_COMPAT";
		return;
	}
	d->lapic_ids_ok = true;
	for (u32 off = 44; off < len;) {
		const u8 *e = t + off;
		if (off + 2 > len || e[1] < 2 || off + e[1] > len) {
			d->why = "MADT: entry runs past the table";
			return;
		}
		switch (e[0]) {
		case 0:
			if (e[1] != 8 || e[2] != d->lapics || e[3] != d->lapics || r32(e + 4) != 1)
				d->lapic_ids_ok = false;
			d->lapics++;
			break;
		case 1:
			d->ioapic_ok = !d->ioapic_ok && e[1] == 12 && e[2] == ioapic_id &&
				       r32(e + 4) == 0xfec00000u && r32(e + 8) == 0;
			break;
		case 2:
			if (e[1] != 10 || e[2] != 0)
				d->why = "MADT: override length or bus";
			else if (e[3] == 0)
				d->iso0_ok = r32(e + 4) == 2 && (r16(e + 8) & 3) == 1 && ((r16(e + 8) >> 2) & 3) == 1;
			else if (e[3] == 9)
				d->iso9_ok = r32(e + 4) == 9 && (r16(e + 8) & 3) == 1 && ((r16(e + 8) >> 2) & 3) == 3;
			break;
		case 4:
			d->nmi_ok = e[1] == 6 && e[2] == 0xff && e[5] == 1;
			break;
		default:
			d->why = "MADT: unexpected entry type";
			return;
		}
		off += e[1];
	}
}

/* Find Name(_S5_, Package(){...}) in the DSDT's AML and return SLP_TYPa
 * (a BytePrefix constant, Zero or One), or ~0u. */
static unsigned decode_s5(const u8 *t)
{
	u32 len = r32(t + 4);
	for (u32 i = 36; i + 9 <= len; i++) {
		const u8 *a = t + i;
		if (a[0] != 0x08 || memcmp(a + 1, "_S5_", 4) || a[5] != 0x12)
			continue;
		if (a[6] & 0xc0) /* multi-byte PkgLength: not what a tiny package has */
			return ~0u;
		if (i + 6 + a[6] > len || a[7] < 2)
			return ~0u;
		if (a[8] == 0x0a)
			return a[9];
		if (a[8] == 0x00 || a[8] == 0x01)
			return a[8];
		return ~0u;
	}
	return ~0u;
}

/* Decode everything reachable from the RSDP at RSDP_GPA. */
static struct decoded decode(u64 rsdp_gpa, u64 size, unsigned ioapic_id)
{
	struct decoded d = {0};
	d.s5_typ = ~0u;
	if (rsdp_gpa < BASE || rsdp_gpa - BASE + 36 > size || (rsdp_gpa & 15)) {
		d.why = "RSDP outside the tables or misaligned";
		return d;
	}
	const u8 *r = buf + (rsdp_gpa - BASE);
	if (memcmp(r, "RSD PTR ", 8) || !sums_to_zero(r, 20) || r[15] != 2 || r32(r + 20) != 36 ||
	    !sums_to_zero(r, 36)) {
		d.why = "RSDP signature, checksums, revision or length";
		return d;
	}
	const u8 *rsdt = table_at(r32(r + 16), size), *xsdt = table_at(r64(r + 24), size);
	if (!rsdt || !xsdt || memcmp(rsdt, "RSDT", 4) || memcmp(xsdt, "XSDT", 4) ||
	    !sums_to_zero(rsdt, r32(rsdt + 4)) || !sums_to_zero(xsdt, r32(xsdt + 4))) {
		d.why = "RSDT/XSDT";
		return d;
	}
	unsigned n32 = (r32(rsdt + 4) - 36) / 4, n64 = (r32(xsdt + 4) - 36) / 8;
	if (n32 != n64 || n32 != 2) {
		d.why = "RSDT and XSDT should list the same two tables";
		return d;
	}
	const u8 *fadt = NULL, *madt = NULL;
	for (unsigned i = 0; i < n32; i++) {
		if (r32(rsdt + 36 + 4 * i) != r64(xsdt + 36 + 8 * i)) {
			d.why = "RSDT and XSDT disagree";
			return d;
		}
		const u8 *t = table_at(r32(rsdt + 36 + 4 * i), size);
		if (!t || !sums_to_zero(t, r32(t + 4))) {
			d.why = "a listed table is out of bounds or has a bad checksum";
			return d;
		}
		if (!memcmp(t, "FACP", 4))
			fadt = t;
		else if (!memcmp(t, "APIC", 4))
			madt = t;
	}
	if (!fadt || !madt) {
		d.why = "no FADT or no MADT";
		return d;
	}
	if (r32(fadt + 4) < 244) {
		d.why = "FADT shorter than revision 3's 244 bytes";
		return d;
	}
	u64 facs_gpa = r64(fadt + 132), dsdt_gpa = r64(fadt + 140);
	if (r32(fadt + 36) != 0 || r32(fadt + 40) != dsdt_gpa || (facs_gpa & 63)) {
		d.why = "FADT: FIRMWARE_CTRL set beside X_FIRMWARE_CTRL, DSDT addresses differ or "
			"FACS misaligned";
		return d;
	}
	const u8 *facs = table_at(facs_gpa, size), *dsdt = table_at(dsdt_gpa, size);
	if (!facs || memcmp(facs, "FACS", 4) || r32(facs + 4) != 64 || !dsdt ||
	    memcmp(dsdt, "DSDT", 4) || !sums_to_zero(dsdt, r32(dsdt + 4))) {
		d.why = "FACS or DSDT";
		return d;
	}
	d.sci = r16(fadt + 46);
	d.pm1a_evt = r32(fadt + 56);
	d.pm1a_cnt = r32(fadt + 64);
	d.pm_tmr = r32(fadt + 76);
	d.fadt_flags = r32(fadt + 112);
	d.x_tmr_width = fadt[209];
	/* The extended blocks say the same, in system I/O space. */
	if (fadt[148] != 1 || r64(fadt + 152) != d.pm1a_evt || fadt[149] != 8 * fadt[88] ||
	    fadt[172] != 1 || r64(fadt + 176) != d.pm1a_cnt || fadt[173] != 8 * fadt[89] ||
	    r64(fadt + 212) != d.pm_tmr || (d.pm_tmr && fadt[91] != 4) || r32(fadt + 48) != 0) {
		d.why = "FADT: X_ blocks disagree with the legacy ones, or an SMI port";
		return d;
	}
	d.s5_typ = decode_s5(dsdt);
	decode_madt(madt, ioapic_id, &d);
	return d;
}

static void check_cpus(unsigned n, u16 tmr)
{
	struct acpi_pc_config cfg = {.nr_cpus = n, .ioapic_id = (u8)n, .pm_timer_port = tmr};
	struct acpi_tables_info info;
	memset(buf, 0xa5, sizeof(buf));
	int r = acpi_build_tables(buf, sizeof(buf), BASE, &cfg, &info);
	is_u64(r, 0, "%u vCPUs: built", n);
	ok(info.size <= ACPI_TABLES_MAX, "%u vCPUs: %lu bytes, within ACPI_TABLES_MAX", n, info.size);
	struct decoded d = decode(info.rsdp_gpa, info.size, n);
	ok(!d.why, "%u vCPUs: tables decode (%s)", n, d.why ? d.why : "fine");
	is_u64(d.lapics, n, "%u vCPUs: as many Processor Local APIC entries", n);
	ok(d.lapic_ids_ok, "%u vCPUs: APIC IDs and UIDs 0..%u, enabled", n, n - 1);
	ok(d.ioapic_ok, "%u vCPUs: one I/O APIC at 0xfec00000, GSI base 0", n);
	ok(d.iso0_ok && d.iso9_ok, "%u vCPUs: IRQ0->GSI2 edge/high, IRQ9 level/high", n);
	ok(d.nmi_ok, "%u vCPUs: LINT1 NMI", n);
	is_u64(d.s5_typ, ACPI_SLP_TYP_S5, "%u vCPUs: \\_S5 gives SLP_TYP %d", n, ACPI_SLP_TYP_S5);
	ok(d.pm1a_evt == ACPI_PM1A_EVT_PORT && d.pm1a_cnt == ACPI_PM1A_CNT_PORT && d.sci == 9,
	   "%u vCPUs: PM1a_EVT 0x%x, PM1a_CNT 0x%x, SCI %u", n, d.pm1a_evt, d.pm1a_cnt, d.sci);
	is_u64(d.pm_tmr, tmr, "%u vCPUs: PM timer port", n);
	/* TMR_VAL_EXT (flag bit 8) clear: the timer counts in 24 bits, as
	 * vmm/dev/acpi_pm.c models it (Linux's acpi_pm masks 24 bits). */
	ok(!(d.fadt_flags & BIT(8)), "%u vCPUs: TMR_VAL_EXT clear (a 24-bit PM timer)", n);
	if (tmr)
		is_u64(d.x_tmr_width, 32, "%u vCPUs: X_PM_TMR_BLK is a 32-bit I/O register", n);
}

int main(void)
{
	for (unsigned n = 1; n <= 4; n++)
		check_cpus(n, 0);
	check_cpus(2, ACPI_PM_TMR_PORT);
	check_cpus(ACPI_MAX_CPUS, 0);

	/* The checker itself: any single corrupted byte of a checksummed
	 * structure (the RSDP and the tables the RSDT lists, the DSDT) is
	 * caught; padding between them and the FACS carry no checksum. */
	struct acpi_pc_config cfg = {.nr_cpus = 2, .ioapic_id = 2};
	struct acpi_tables_info info;
	acpi_build_tables(buf, sizeof(buf), BASE, &cfg, &info);
	static bool covered[BUFLEN];
	u64 rs = info.rsdp_gpa - BASE, rsdt = r32(buf + rs + 16) - BASE, xsdt = r64(buf + rs + 24) - BASE;
	u64 tabs[5] = {rsdt, xsdt, r32(buf + rsdt + 36) - BASE, r32(buf + rsdt + 40) - BASE};
	tabs[4] = r32(buf + tabs[2] + 40) - BASE; /* the FADT's DSDT */
	memset(covered + rs, 1, 36);
	for (int i = 0; i < 5; i++)
		memset(covered + tabs[i], 1, r32(buf + tabs[i] + 4));
	unsigned caught = 0, tried = 0;
	srand(1);
	for (int i = 0; i < 400; i++) {
		u64 off = (u64)rand() % info.size;
		if (!covered[off])
			continue;
		u8 saved = buf[off];
		buf[off] ^= (u8)(1 + rand() % 255);
		struct decoded d = decode(info.rsdp_gpa, info.size, 2);
		caught += d.why != NULL || d.lapics != 2 || !d.lapic_ids_ok || !d.ioapic_ok;
		tried++;
		buf[off] = saved;
	}
	is_u64(caught, tried, "every corrupted byte of a checksummed structure is detected");

	/* Refusals. */
	cfg = (struct acpi_pc_config){.nr_cpus = 0};
	is_u64(acpi_build_tables(buf, sizeof(buf), BASE, &cfg, &info), (u64)-E_INVAL, "0 vCPUs refused");
	cfg.nr_cpus = ACPI_MAX_CPUS + 1;
	is_u64(acpi_build_tables(buf, sizeof(buf), BASE, &cfg, &info), (u64)-E_INVAL,
	       "%d vCPUs refused", ACPI_MAX_CPUS + 1);
	cfg.nr_cpus = 1;
	is_u64(acpi_build_tables(buf, sizeof(buf), BASE + 16, &cfg, &info), (u64)-E_INVAL,
	       "base not 64-byte aligned refused");
	is_u64(acpi_build_tables(buf, sizeof(buf), 0xffffff00ULL, &cfg, &info), (u64)-E_INVAL,
	       "tables crossing 4 GiB refused");
	acpi_build_tables(buf, sizeof(buf), BASE, &cfg, &info);
	u64 need = info.size;
	bool all_nomem = true;
	for (u64 len = 0; len < need; len++) {
		/* exact-size heap buffer: ASan sees any write past LEN */
		u8 *small = malloc(len ? len : 1);
		if (acpi_build_tables(small, len, BASE, &cfg, &info) != -E_NOMEM)
			all_nomem = false;
		free(small);
	}
	ok(all_nomem, "every buffer shorter than %lu bytes: -E_NOMEM, no write past it", need);
	u8 *exact = malloc(need);
	is_u64(acpi_build_tables(exact, need, BASE, &cfg, &info), 0, "an exact-size buffer suffices");
	free(exact);
	return tap_done();
}
