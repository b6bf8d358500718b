/*
 * Host test of vmm/emulate/gva.c: page tables built by hand in a buffer
 * standing for guest-physical memory, walked in every paging mode, with
 * the #PF error codes of the faults (Intel SDM Vol 3A 4.7) checked bit by
 * bit.
 */
#include <stdio.h>
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/emulate/gva.h"

#define GMEM 0x200000 /* 2 MiB of guest-physical memory for the tables */
static u8 gmem[GMEM];
static unsigned reads;

static int read_gpa(void *opaque, u64 gpa, unsigned size, u64 *val)
{
	(void)opaque;
	reads++;
	if (gpa + size > GMEM)
		return -E_NOENT;
	*val = 0;
	memcpy(val, gmem + gpa, size);
	return 0;
}

static void put32(u64 gpa, u32 v) { memcpy(gmem + gpa, &v, 4); }
static void put64(u64 gpa, u64 v) { memcpy(gmem + gpa, &v, 8); }

#define P BIT(0)
#define RW BIT(1)
#define US BIT(2)
#define PS BIT(7)
#define XD BIT(63)
#define CR0_PG BIT(31)
#define CR0_WP BIT(16)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_LA57 BIT(12)
#define CR4_SMEP BIT(20)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

static struct gva_cpu cpu;

/* Translate and check: want_r 0 with WANT_GPA, or -E_FAULT with WANT_PFEC. */
static void check(const char *what, u64 gva, unsigned access, int want_r, u64 want)
{
	u64 gpa = ~0ULL;
	u32 pfec = ~0u;
	int r = gva_translate(&cpu, gva, access, read_gpa, NULL, &gpa, &pfec);
	if (want_r == 0) {
		ok(r == 0 && gpa == want, "%s: gva %#llx -> gpa %#llx", what, (unsigned long long)gva,
		   (unsigned long long)want);
		if (r || gpa != want)
			diag("r=%d gpa=%#llx pfec=%#x", r, (unsigned long long)gpa, pfec);
	} else if (want_r == -E_FAULT) {
		ok(r == -E_FAULT && pfec == want, "%s: #PF error %#llx", what, (unsigned long long)want);
		if (r != -E_FAULT || pfec != want)
			diag("r=%d gpa=%#llx pfec=%#x", r, (unsigned long long)gpa, pfec);
	} else {
		is_u64((u64)r, (u64)want_r, "%s: error %d", what, want_r);
	}
}

static void paging_off(void)
{
	cpu = (struct gva_cpu){.cr0 = 1};
	check("paging off", 0x1234567890ULL, GVA_WRITE, 0, 0x34567890);
}

static void paging32(void)
{
	memset(gmem, 0, GMEM);
	/* PD at 0x1000, PT at 0x2000: gva 0x00400000-0x007fffff through the PT */
	cpu = (struct gva_cpu){.cr0 = CR0_PG | 1, .cr3 = 0x1000, .maxphyaddr = 36};
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US);
	put32(0x2000 + 5 * 4, 0x55000 | P | US);          /* read-only user page */
	put32(0x2000 + 6 * 4, 0x66000 | P | RW);          /* supervisor page */
	check("32-bit 4K", 0x405123, 0, 0, 0x55123);
	check("32-bit user read of a user page", 0x405123, GVA_USER, 0, 0x55123);
	check("32-bit supervisor write to read-only, WP=0", 0x405000, GVA_WRITE, 0, 0x55000);
	cpu.cr0 |= CR0_WP;
	check("32-bit supervisor write to read-only, WP=1", 0x405000, GVA_WRITE, -E_FAULT,
	      PFEC_P | PFEC_W);
	check("32-bit user write to read-only", 0x405000, GVA_WRITE | GVA_USER, -E_FAULT,
	      PFEC_P | PFEC_W | PFEC_U);
	check("32-bit user read of a supervisor page", 0x406000, GVA_USER, -E_FAULT,
	      PFEC_P | PFEC_U);
	check("32-bit PTE not present", 0x407000, 0, -E_FAULT, 0);
	check("32-bit PDE not present, user write", 0x800000, GVA_WRITE | GVA_USER, -E_FAULT,
	      PFEC_W | PFEC_U);
	check("32-bit fetch: no I bit without PAE", 0x407000, GVA_FETCH, -E_FAULT, 0);
	/* 4-MiB pages */
	put32(0x1000 + 3 * 4, 0x00c00000 | PS | P | RW | (0x5u << 13)); /* PSE-36: bits 34,32 */
	/* without PSE the PDE points at a "table" at 0xc00000, outside GMEM */
	check("32-bit PS without CR4.PSE is a table pointer", 0xc01000, 0, -E_NOENT, 0);
	cpu.cr4 = CR4_PSE;
	check("32-bit 4M page with PSE-36", 0xc12345, 0, 0, 0x500c12345ULL);
	put32(0x1000 + 3 * 4, 0x00c00000 | PS | P | RW | BIT(21));
	check("32-bit 4M page with bit 21 set: reserved", 0xc12345, GVA_WRITE, -E_FAULT,
	      PFEC_P | PFEC_RSVD | PFEC_W);
	put32(0x1000 + 3 * 4, 0x00c00000 | PS | P | RW | (0x10u << 13)); /* bit 36 > MAXPHY */
	check("32-bit 4M page above MAXPHYADDR: reserved", 0xc12345, 0, -E_FAULT,
	      PFEC_P | PFEC_RSVD);
	check("high gva bits ignored outside long mode", 0xffffffff00405123ULL, 0, 0, 0x55123);
}

static void paging_pae(void)
{
	memset(gmem, 0, GMEM);
	/* PDPT at 0x1020 (32-byte aligned), PD at 0x3000, PT at 0x4000 */
	cpu = (struct gva_cpu){.cr0 = CR0_PG | CR0_WP | 1, .cr3 = 0x1020, .cr4 = CR4_PAE,
			       .efer = EFER_NXE, .maxphyaddr = 40};
	put64(0x1020 + 1 * 8, 0x3000 | P);                        /* 1-2 GiB */
	put64(0x3000 + 0 * 8, 0x4000 | P | RW | US);              /* 1 GiB + 0..2M */
	put64(0x4000 + 3 * 8, 0xabc000 | P | RW | US | XD);       /* no-execute */
	put64(0x3000 + 1 * 8, 0x600000 | PS | P | RW);            /* 2 MiB page */
	check("PAE 4K", 0x40003456, 0, 0, 0xabc456);
	check("PAE fetch from XD page with NXE", 0x40003000, GVA_FETCH, -E_FAULT, PFEC_P | PFEC_I);
	check("PAE 2M page", 0x40212345, GVA_WRITE, 0, 0x612345);
	check("PAE PDPTE not present", 0x00001000, 0, -E_FAULT, 0);
	check("PAE fetch not present: I bit with NXE", 0x00001000, GVA_FETCH, -E_FAULT, PFEC_I);
	cpu.efer = 0;
	check("PAE XD set without NXE: reserved", 0x40003000, 0, -E_FAULT, PFEC_P | PFEC_RSVD);
	cpu.efer = EFER_NXE;
	put64(0x1020 + 2 * 8, 0x3000 | P | RW); /* R/W is reserved in a PAE PDPTE */
	check("PAE PDPTE with bit 1: reserved", 0x80000000, 0, -E_FAULT, PFEC_P | PFEC_RSVD);
	put64(0x3000 + 2 * 8, 0x800000 | PS | P | BIT(13)); /* bit 13 of a 2M PDE */
	check("PAE 2M PDE with bit 13: reserved", 0x40400000, 0, -E_FAULT, PFEC_P | PFEC_RSVD);
}

static void paging_long(void)
{
	memset(gmem, 0, GMEM);
	/* PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 */
	cpu = (struct gva_cpu){.cr0 = CR0_PG | CR0_WP | 1, .cr3 = 0x1000, .cr4 = CR4_PAE,
			       .efer = EFER_LMA | EFER_NXE, .maxphyaddr = 46};
	u64 hi = 0xffff800000000000ULL; /* PML4 index 256 */
	put64(0x1000 + 256 * 8, 0x2000 | P | RW);
	put64(0x2000 + 0 * 8, 0x3000 | P | RW);
	put64(0x3000 + 0 * 8, 0x4000 | P | RW);
	put64(0x4000 + 1 * 8, 0x7000 | P | RW);
	put64(0x3000 + 1 * 8, 0x1200000 | PS | P | RW);       /* 2 MiB */
	put64(0x2000 + 1 * 8, 0x40000000 | PS | P);           /* 1 GiB, read-only */
	check("4-level 4K", hi + 0x1abc, 0, 0, 0x7abc);
	check("4-level 2M", hi + 0x2fffff, GVA_WRITE, 0, 0x12fffff);
	check("4-level 1G", hi + 0x40000000 + 0x12345678, 0, 0, 0x52345678);
	check("4-level 1G read-only, supervisor write, WP", hi + 0x40000000, GVA_WRITE, -E_FAULT,
	      PFEC_P | PFEC_W);
	check("4-level user access to supervisor pages", hi + 0x1000, GVA_USER, -E_FAULT,
	      PFEC_P | PFEC_U);
	check("non-canonical gva", 0x0000800000000000ULL, 0, -E_RANGE, 0);
	check("4-level PML4E not present", 0x1000, GVA_FETCH, -E_FAULT, PFEC_I);
	put64(0x1000 + 1 * 8, 0x2000 | P | RW | PS);
	check("PS in a PML4E: reserved", 0x8000000000ULL, 0, -E_FAULT, PFEC_P | PFEC_RSVD);
	put64(0x1000 + 2 * 8, 0x2000 | P | RW | BIT(47));
	check("address bit above MAXPHYADDR: reserved", 0x10000000000ULL, 0, -E_FAULT,
	      PFEC_P | PFEC_RSVD);
	put64(0x2000 + 2 * 8, 0x80000000 | PS | P | BIT(20));
	check("1G PDPTE with bit 20: reserved", hi + 0x80000000, 0, -E_FAULT, PFEC_P | PFEC_RSVD);
	/* SMEP: supervisor fetch from a user page */
	put64(0x1000 + 3 * 8, 0x5000 | P | RW | US);
	put64(0x5000, 0x6000 | P | RW | US);
	put64(0x6000 + 4 * 8, 0xa00000 | PS | P | RW | US);
	check("user 2M page, supervisor fetch, no SMEP", 0x18000800000ULL, GVA_FETCH, 0, 0xa00000);
	cpu.cr4 |= CR4_SMEP;
	check("user 2M page, supervisor fetch, SMEP", 0x18000800000ULL, GVA_FETCH, -E_FAULT,
	      PFEC_P | PFEC_I);
	check("user 2M page, supervisor read, SMEP", 0x18000800000ULL, 0, 0, 0xa00000);
	/* 5-level: a PML5 at 0x8000 whose entry 0 points at the PML4 */
	cpu.cr4 = CR4_PAE | CR4_LA57;
	cpu.cr3 = 0x8000;
	put64(0x8000 + 511 * 8, 0x1000 | P | RW);
	check("5-level 4K", 0xffff800000001abcULL, 0, 0, 0x7abc);
	check("5-level: bit 56 decides canonical", 0x0100000000000000ULL, 0, -E_RANGE, 0);
	reads = 0;
	cpu.cr3 = 0x400000;
	check("a table outside memory: the read's error", 0, 0, -E_NOENT, 0);
	ok(reads == 1, "a failed read stops the walk");
	(void)US;
}

int main(void)
{
	paging_off();
	paging32();
	paging_pae();
	paging_long();
	return tap_done();
}
