/*
 * ACPI table walking and the SPCR parser (boot/acpi.h).  Self-contained:
 * no lib/ calls, so the host test links it alone.  Offsets are those of
 * the ACPI specification (RSDP, SDT header) and Microsoft's SPCR table
 * specification; every multi-byte field is read byte by byte (little
 * endian), as tables need not be aligned.
 */
#include "boot/acpi.h"

#define SDT_HEADER_LEN 36
#define SPCR_MIN_LEN 80
#define MADT_ENTRIES 44 /* SDT header, local APIC address (4), flags (4) */
#define MADT_LAPIC 0    /* Processor Local APIC: 8 bytes */
#define MADT_X2APIC 9   /* Processor Local x2APIC: 16 bytes */
#define MADT_ENABLED 0x1
#define MADT_ONLINE_CAPABLE 0x2

/* The little-endian N-byte (N <= 8) number at P. */
static u64 le(const u8 *p, unsigned n)
{
	u64 v = 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/* Whether the N bytes at P sum to 0 (mod 256). */
static bool sum_ok(const u8 *p, u64 n)
{
	u8 s = 0;
	for (u64 i = 0; i < n; i++)
		s += p[i];
	return s == 0;
}

/* Whether the 4 bytes at P are SIG. */
static bool sig_is(const u8 *p, const char *sig)
{
	return p[0] == (u8)sig[0] && p[1] == (u8)sig[1] && p[2] == (u8)sig[2] && p[3] == (u8)sig[3];
}

/* The system description table at ADDR if its length and checksum are sane
 * (at least a header, at most 1 MiB), else NULL. */
static const u8 *sdt_at(u64 addr)
{
	const u8 *t = (const u8 *)(uintptr_t)addr;
	if (!t)
		return NULL;
	u64 len = le(t + 4, 4);
	if (len < SDT_HEADER_LEN || len > MiB(1) || !sum_ok(t, len))
		return NULL;
	return t;
}

const void *acpi_find_table(const void *rsdp_ptr, const char *sig)
{
	const u8 *rsdp = rsdp_ptr;
	static const char magic[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
	if (!rsdp)
		return NULL;
	for (int i = 0; i < 8; i++)
		if (rsdp[i] != (u8)magic[i])
			return NULL;
	if (!sum_ok(rsdp, 20))
		return NULL;
	const u8 *root;
	unsigned entry;
	if (rsdp[15] >= 2 && le(rsdp + 20, 4) >= 36 && sum_ok(rsdp, le(rsdp + 20, 4)) &&
	    le(rsdp + 24, 8)) {
		root = sdt_at(le(rsdp + 24, 8));
		entry = 8;
		if (!root || !sig_is(root, "XSDT"))
			return NULL;
	} else {
		root = sdt_at(le(rsdp + 16, 4));
		entry = 4;
		if (!root || !sig_is(root, "RSDT"))
			return NULL;
	}
	u64 n = (le(root + 4, 4) - SDT_HEADER_LEN) / entry;
	for (u64 i = 0; i < n; i++) {
		const u8 *t = sdt_at(le(root + SDT_HEADER_LEN + i * entry, entry));
		if (t && sig_is(t, sig))
			return t;
	}
	return NULL;
}

const char *spcr_parse(const void *table, u64 len, struct spcr_uart *out)
{
	const u8 *t = table;
	if (len < SPCR_MIN_LEN || !sig_is(t, "SPCR"))
		return "not an SPCR table";
	u64 tlen = le(t + 4, 4);
	if (tlen < SPCR_MIN_LEN || tlen > len || !sum_ok(t, tlen))
		return "SPCR length or checksum wrong";
	u8 type = t[36];
	if (type != 0x00 && type != 0x01 && type != 0x12)
		return "SPCR interface is not a 16550 or 16450";
	/* The Generic Address Structure of register 0: address space, register
	 * width in bits, bit offset, access size (1 byte .. 4 qword), address. */
	u8 space = t[40], bits = t[41], access = t[43];
	u64 addr = le(t + 44, 8);
	if (!addr)
		return "SPCR UART address is 0";
	if (space == 1) {
		out->mmio = false;
		if (addr > 0xfff8)
			return "SPCR I/O port above 0xfff8";
		out->stride = 1;
		out->width = 1;
	} else if (space == 0) {
		out->mmio = true;
		/* Register spacing follows the register width (8 or 32 bits). */
		if (bits != 8 && bits != 32)
			return "SPCR MMIO register width is not 8 or 32 bits";
		out->stride = bits / 8;
		if (access == 0)
			out->width = out->stride;
		else if (access == 1 || access == 3)
			out->width = access == 1 ? 1 : 4;
		else
			return "SPCR MMIO access size is not byte or dword";
		if (out->width > out->stride)
			return "SPCR MMIO access wider than the register spacing";
	} else {
		return "SPCR UART is neither in memory nor in I/O space";
	}
	out->base = addr;
	static const u32 rates[8] = {0, 0, 0, 9600, 19200, 0, 57600, 115200};
	out->baud = t[58] < 8 ? rates[t[58]] : 0;
	return NULL;
}

const char *madt_parse(const void *table, u64 len, struct madt_cpu *out, unsigned max,
		       unsigned *nr, unsigned *total)
{
	const u8 *t = table;
	*nr = 0;
	*total = 0;
	if (len < MADT_ENTRIES || !sig_is(t, "APIC"))
		return "not a MADT";
	u64 tlen = le(t + 4, 4);
	if (tlen < MADT_ENTRIES || tlen > len || !sum_ok(t, tlen))
		return "MADT length or checksum wrong";
	for (u64 off = MADT_ENTRIES; off < tlen;) {
		if (tlen - off < 2)
			return "MADT entry header cut off at the end of the table";
		u8 type = t[off], elen = t[off + 1];
		if (elen < 2 || elen > tlen - off)
			return "MADT entry length runs past the table (or is below 2)";
		struct madt_cpu c;
		if (type == MADT_LAPIC || type == MADT_X2APIC) {
			u32 flags;
			if (type == MADT_LAPIC) {
				if (elen < 8)
					return "MADT local APIC entry shorter than 8 bytes";
				c.uid = t[off + 2];
				c.apic_id = t[off + 3];
				flags = (u32)le(t + off + 4, 4);
			} else {
				if (elen < 16)
					return "MADT local x2APIC entry shorter than 16 bytes";
				c.apic_id = (u32)le(t + off + 4, 4);
				flags = (u32)le(t + off + 8, 4);
				c.uid = (u32)le(t + off + 12, 4);
			}
			c.enabled = flags & MADT_ENABLED;
			c.online_capable = !c.enabled && (flags & MADT_ONLINE_CAPABLE);
			(*total)++;
			bool seen = false;
			for (unsigned i = 0; i < *nr; i++)
				seen |= out[i].apic_id == c.apic_id;
			if ((c.enabled || c.online_capable) && !seen && *nr < max)
				out[(*nr)++] = c;
		}
		off += elen;
	}
	return NULL;
}
