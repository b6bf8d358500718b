/*
 * Host tests of boot/'s pure parsers: \pagoda\config (boot/config.c) and
 * the ACPI walk to the SPCR table and its UART (boot/acpi.c), on tables
 * built by hand here: an RSDP (revision 2) to an XSDT, an RSDP (revision 0)
 * to an RSDT, an SPCR for an MMIO 16550 with 32-bit registers and one for
 * COM2 in I/O space, and broken ones (checksums, lengths, types).  Every
 * input is handed over in a heap buffer of exactly its length, so
 * AddressSanitizer catches a read past it.
 */
#include "boot/acpi.h"
#include "boot/config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/host/tap.h"

static char why[128];

/* Parse TEXT (copied into an exact-size heap buffer) into *CFG from the
 * defaults; returns the bad-line count. */
static unsigned cfg_parse(struct boot_config *cfg, const char *text)
{
	size_t n = strlen(text);
	char *copy = malloc(n ? n : 1);
	memcpy(copy, text, n);
	boot_config_defaults(cfg);
	unsigned bad = boot_config_parse(cfg, copy, n, why, sizeof(why));
	free(copy);
	return bad;
}

static void test_config(void)
{
	struct boot_config c;
	is_u64(cfg_parse(&c, ""), 0, "config: empty file, no bad line");
	ok(c.serial_port == 0x3f8 && c.baud == 115200 && c.console == BOOT_CONSOLE_DEFAULT &&
		   !c.serial_set && !c.baud_set,
	   "config: defaults are COM1, 115200, console by default");
	is_u64(cfg_parse(&c, "serial=0x2f8\nbaud=57600\nconsole=screen\n"), 0, "config: three good lines");
	ok(c.serial_port == 0x2f8 && c.serial_set && c.baud == 57600 && c.baud_set &&
		   c.console == BOOT_CONSOLE_SCREEN,
	   "config: serial, baud and console applied");
	is_u64(cfg_parse(&c, "# comment\r\n\r\n  serial = 760 \t\r\nconsole=both"), 0,
	       "config: comments, CRLF, blanks, decimal, no final newline");
	ok(c.serial_port == 760 && c.console == BOOT_CONSOLE_BOTH, "config: values read through blanks");
	is_u64(cfg_parse(&c, "serial=0x2f8\nbaud=1000\nconsole=tv\nfoo=1\nnoequals\nserial=0x10000\n"
			     "serial=\nserial=0x\nserial=12z\nbaud=0\nserial=0x2e8"),
	       9, "config: nine bad lines counted");
	ok(c.serial_port == 0x2e8 && c.baud == 115200 && c.console == BOOT_CONSOLE_DEFAULT,
	   "config: bad lines change nothing, good ones after them apply");
	ok(strcmp(why, "line 2: baud must divide 115200 (115200, 57600, 38400, 19200, 9600, ...)") == 0,
	   "config: the first bad line is named (%s)", why);
	is_u64(cfg_parse(&c, "console=serialx\nconsole=seria\nCONSOLE=both\nbaud=115200000000000000000000"),
	       4, "config: near-miss words and an overflowing number are refused");
	char small[8];
	struct boot_config d;
	boot_config_defaults(&d);
	boot_config_parse(&d, "x", 1, small, sizeof(small));
	ok(strlen(small) == 7 && strncmp(small, "line 1:", 7) == 0, "config: the reason is cut to fit");
}

/* --- ACPI tables -------------------------------------------------------- */

/* Set byte 9 (the SDT checksum) of the LEN-byte table T so it sums to 0. */
static void fix_sum(unsigned char *t, size_t len, size_t at)
{
	unsigned char s = 0;
	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		s += t[i];
	t[at] = (unsigned char)-s;
}

static void put(unsigned char *p, unsigned long long v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A heap SDT of LEN bytes with signature SIG and a valid checksum. */
static unsigned char *sdt(const char *sig, size_t len)
{
	unsigned char *t = calloc(1, len);
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = 2;
	memcpy(t + 10, "PAGODA", 6);
	fix_sum(t, len, 9);
	return t;
}

/* An SPCR: interface TYPE, GAS (SPACE, BITS, ACCESS, ADDR), baud code BAUD. */
static unsigned char *spcr(unsigned type, unsigned space, unsigned bits, unsigned access,
			   unsigned long long addr, unsigned baud)
{
	unsigned char *t = sdt("SPCR", 80);
	t[36] = (unsigned char)type;
	t[40] = (unsigned char)space;
	t[41] = (unsigned char)bits;
	t[43] = (unsigned char)access;
	put(t + 44, addr, 8);
	t[58] = (unsigned char)baud;
	fix_sum(t, 80, 9);
	return t;
}

/* An XSDT (or, when RSDT, an RSDT) listing the N tables of T. */
static unsigned char *root_table(bool rsdt, unsigned char **t, unsigned n)
{
	unsigned e = rsdt ? 4 : 8;
	unsigned char *r = sdt(rsdt ? "RSDT" : "XSDT", 36 + e * n);
	for (unsigned i = 0; i < n; i++)
		put(r + 36 + e * i, (unsigned long long)(uintptr_t)t[i], e);
	fix_sum(r, 36 + e * n, 9);
	return r;
}

/* An RSDP of revision REV pointing at ROOT (XSDT for 2, RSDT for 0). */
static unsigned char *rsdp(unsigned rev, unsigned char *root)
{
	unsigned char *p = calloc(1, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "PAGODA", 6);
	p[15] = (unsigned char)rev;
	if (rev >= 2) {
		put(p + 20, 36, 4);
		put(p + 24, (unsigned long long)(uintptr_t)root, 8);
	} else {
		put(p + 16, (unsigned long long)(uintptr_t)root, 4);
	}
	fix_sum(p, 20, 8);
	if (rev >= 2)
		fix_sum(p, 36, 32);
	return p;
}

static void test_acpi(void)
{
	unsigned char *tabs[3] = {sdt("APIC", 44), spcr(0x00, 0, 32, 3, 0xfe032000ULL, 7),
				  sdt("HPET", 56)};
	unsigned char *x = root_table(false, tabs, 3), *p = rsdp(2, x);
	struct spcr_uart u;

	ok(acpi_find_table(p, "SPCR") == tabs[1], "acpi: RSDP 2 -> XSDT -> SPCR found");
	ok(acpi_find_table(p, "HPET") == tabs[2], "acpi: and the table after it");
	ok(acpi_find_table(p, "MCFG") == NULL, "acpi: a missing table is NULL");
	ok(acpi_find_table(NULL, "SPCR") == NULL, "acpi: no RSDP, no table");

	memset(&u, 0xee, sizeof(u));
	ok(spcr_parse(tabs[1], 80, &u) == NULL, "spcr: MMIO 16550 with 32-bit registers accepted");
	ok(u.mmio && u.base == 0xfe032000ULL && u.stride == 4 && u.width == 4 && u.baud == 115200,
	   "spcr: memory at 0xfe032000, stride 4, dword access, 115200");

	/* A broken SPCR is skipped by the walk (bad checksum). */
	tabs[1][50] ^= 1;
	ok(acpi_find_table(p, "SPCR") == NULL, "acpi: a table with a bad checksum is not returned");
	ok(spcr_parse(tabs[1], 80, &u) != NULL, "spcr: a bad checksum is refused");
	tabs[1][50] ^= 1;

	/* The RSDP checksum guards the walk. */
	p[12] ^= 1;
	ok(acpi_find_table(p, "SPCR") == NULL, "acpi: an RSDP with a bad checksum finds nothing");
	p[12] ^= 1;

	/* Revision 0: the RSDT, 32-bit entries; it and its tables are placed
	 * below 4 GiB (MAP_32BIT), as the RSDT's addresses require. */
	unsigned char *io = spcr(0x00, 1, 8, 1, 0x2f8, 3);
	unsigned char *lowmem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (lowmem != MAP_FAILED) {
		unsigned char *low[1] = {lowmem};
		memcpy(lowmem, io, 80);
		unsigned char *r = root_table(true, low, 1), *p0;
		memcpy(lowmem + 128, r, 40);
		p0 = rsdp(0, lowmem + 128);
		ok(acpi_find_table(p0, "SPCR") == lowmem, "acpi: RSDP 0 -> RSDT -> SPCR found");
		free(r);
		free(p0);
		munmap(lowmem, 4096);
	} else {
		ok(1, "acpi: RSDT walk skipped: no memory below 4 GiB # SKIP");
	}
	ok(spcr_parse(io, 80, &u) == NULL && !u.mmio && u.base == 0x2f8 && u.stride == 1 &&
		   u.baud == 9600,
	   "spcr: I/O port 0x2f8 at 9600");

	unsigned char *bad[] = {
		spcr(0x03, 0, 32, 3, 0xfe000000ULL, 7), /* ARM PL011: not a 16550 */
		spcr(0x00, 2, 8, 1, 0x1000, 7),         /* PCI config space */
		spcr(0x00, 0, 16, 2, 0xfe000000ULL, 7), /* 16-bit registers */
		spcr(0x00, 0, 8, 3, 0xfe000000ULL, 7),  /* dword access to byte registers */
		spcr(0x00, 1, 8, 1, 0x10000, 7),        /* I/O port too high */
		spcr(0x00, 0, 32, 3, 0, 7),             /* address 0 */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *w = spcr_parse(bad[i], 80, &u);
		ok(w != NULL, "spcr: refused case %u (%s)", i, w ? w : "accepted");
		free(bad[i]);
	}
	unsigned char *m8 = spcr(0x12, 0, 8, 0, 0xfe001000ULL, 0);
	ok(spcr_parse(m8, 80, &u) == NULL && u.mmio && u.stride == 1 && u.width == 1 && u.baud == 0,
	   "spcr: type 0x12, byte registers, legacy access size, baud as is");
	ok(spcr_parse(m8, 79, &u) != NULL, "spcr: a table shorter than 80 bytes is refused");
	put(m8 + 4, 200, 4);
	fix_sum(m8, 80, 9);
	ok(spcr_parse(m8, 80, &u) != NULL, "spcr: a length beyond the bytes given is refused");
	free(m8);
	free(io);
	for (unsigned i = 0; i < 3; i++)
		free(tabs[i]);
	free(x);
	free(p);
}

int main(void)
{
	test_config();
	test_acpi();
	return tap_done();
}
