/*
 * The NPT entry format (AMD APM Vol 2 15.25 "Nested Paging"): nested tables
 * are ordinary long-mode page tables walked with the host's paging
 * settings, so an entry is a 4-level long-mode entry.  Guest accesses are
 * user accesses in the nested walk (15.25.5), so U must be set at every
 * level.  MMIO entries use address bits above MAXPHYADDR, which are reserved
 * and make the walk fault with the RSVD bit in EXITINFO1.
 */
#include "arch/x86/svm/npt.h"
#include "arch/x86/cpu.h"

struct tdp_fmt npt_fmt;

#define NPT_P BIT(0)
#define NPT_RW BIT(1)
#define NPT_US BIT(2)
#define NPT_A BIT(5)
#define NPT_D BIT(6)
#define NPT_PS BIT(7)

/* Mask of bits HI..LO inclusive. */
static u64 bits(int hi, int lo) { return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1); }

void npt_fmt_init(void)
{
	unsigned phys_bits = cpuid(0x80000000).eax >= 0x80000008 ?
				     (cpuid(0x80000008).eax & 0xff) : 36;
	npt_fmt.name = "npt";
	npt_fmt.present_mask = NPT_P;
	npt_fmt.readable_mask = NPT_P;
	npt_fmt.writable_mask = NPT_RW;
	npt_fmt.exec_mask = 0;
	npt_fmt.nx_mask = 0; /* NX in nested entries depends on host EFER.NXE: not used */
	npt_fmt.user_mask = NPT_US;
	npt_fmt.large_mask = NPT_PS;
	npt_fmt.accessed_mask = NPT_A;
	npt_fmt.dirty_mask = NPT_D;
	npt_fmt.memtype_leaf = 0; /* PAT index 0: write-back */
	npt_fmt.nonleaf_bits = NPT_P | NPT_RW | NPT_US;
	npt_fmt.addr_mask = bits(51, 12);
	if (phys_bits < 52) {
		/* P set and every reserved high address bit set: a RSVD fault. */
		npt_fmt.mmio_mask = NPT_P | bits(51, phys_bits);
		npt_fmt.mmio_value = NPT_P | bits(51, phys_bits);
	} else {
		npt_fmt.mmio_mask = 0; /* no reserved bits: no MMIO entries */
		npt_fmt.mmio_value = 0;
	}
	npt_fmt.mmio_gen_mask = bits(58, 52); /* ignored by hardware */
	npt_fmt.mmio_gen_shift = 52;
	npt_fmt.huge_2m = true;
	npt_fmt.huge_1g = cpuid(0x80000001).edx & BIT(26);
	npt_fmt.levels = 4;
}
