/*
 * The EPT entry format (Intel SDM Vol 3C 29.3.2, Tables 29-2..29-6), as a
 * struct tdp_fmt for mm/.
 *
 *   bit 0 R, bit 1 W, bit 2 X (supervisor execute), bits 5:3 memory type of
 *   a leaf (6 = WB), bit 6 IPAT (ignore the guest PAT: the leaf's type wins),
 *   bit 7 PS (a 2 MiB / 1 GiB leaf), bit 8 A and bit 9 D (only meaningful
 *   when the EPTP enables accessed/dirty flags, ignored otherwise),
 *   bits 51:12 the address, bits 62:52 ignored, bit 63 suppress-#VE
 *   (ignored without the EPT-violation #VE control).
 *
 * An entry is "present" when any of R/W/X is set.  Non-leaf entries carry
 * R|W|X so that only leaves decide permissions.
 *
 * MMIO entries: bits 2:0 = 010 (writable but not readable) is an EPT
 * misconfiguration (29.3.3.1), which exits with reason 49 rather than 48, so
 * the VMM can tell "MMIO known here" from "not mapped yet" without a walk.
 * The memslot generation goes into ignored bits 58:52.
 */
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmcs.h"

struct tdp_fmt ept_fmt;

#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)
#define EPT_MT_WB (6ULL << 3)
#define EPT_IPAT BIT(6)
#define EPT_PS BIT(7)
#define EPT_A BIT(8)
#define EPT_D BIT(9)

/* Mask of bits HI..LO inclusive. */
static u64 bits(int hi, int lo) { return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1); }

void ept_fmt_init(u64 ept_cap, bool ad)
{
	ept_fmt.name = "ept";
	ept_fmt.present_mask = EPT_R;
	ept_fmt.readable_mask = EPT_R;
	ept_fmt.writable_mask = EPT_W;
	ept_fmt.exec_mask = EPT_X;
	ept_fmt.nx_mask = 0;
	ept_fmt.user_mask = 0;
	ept_fmt.large_mask = EPT_PS;
	/* With A/D enabled mm/ sets A (and D on writable leaves) up front, so
	 * the CPU never has to write the entry back; without, bits 8/9 are
	 * ignored and stay clear. */
	ept_fmt.accessed_mask = ad ? EPT_A : 0;
	ept_fmt.dirty_mask = ad ? EPT_D : 0;
	ept_fmt.memtype_leaf = EPT_MT_WB | EPT_IPAT;
	ept_fmt.nonleaf_bits = EPT_R | EPT_W | EPT_X;
	ept_fmt.addr_mask = bits(51, 12);
	ept_fmt.mmio_mask = EPT_R | EPT_W | EPT_X;
	ept_fmt.mmio_value = EPT_W; /* write without read: misconfiguration */
	ept_fmt.mmio_gen_mask = bits(58, 52);
	ept_fmt.mmio_gen_shift = 52;
	ept_fmt.huge_2m = ept_cap & EPT_CAP_2M;
	ept_fmt.huge_1g = ept_cap & EPT_CAP_1G;
	ept_fmt.levels = 4;
}
