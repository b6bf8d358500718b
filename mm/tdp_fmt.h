/*
 * struct tdp_fmt: the second seam between generic and vendor code.
 *
 * It is data, not code: the bit masks of one nested-paging entry format.
 * arch/x86/svm/npt.c fills one for AMD NPT, arch/x86/vmx/ept.c one for
 * Intel EPT; mm/ builds and reads every entry through it, so one TDP MMU
 * serves both vendors.  All masks are 64-bit entry masks.
 */
#ifndef PAGODA_TDP_FMT_H
#define PAGODA_TDP_FMT_H

#include "lib/types.h"

/* Access kinds of a nested page fault, as the vendor code decodes them
 * (struct vm_exit, vmm/hv.h) and the TDP MMU takes them. */
#define TDP_ACC_READ  0x1
#define TDP_ACC_WRITE 0x2
#define TDP_ACC_EXEC  0x4

struct tdp_fmt {
	const char *name;      /* "npt" or "ept", for logs */
	u64 present_mask;      /* bit(s) whose absence makes the entry not present to hardware
	                          (NPT: P; EPT: R, and R|W|X for "any access") */
	u64 readable_mask;     /* read permission (NPT: P, EPT: R) */
	u64 writable_mask;     /* write permission (NPT: RW bit 1, EPT: W bit 1) */
	u64 exec_mask;         /* set to allow execution (EPT: X bit 2; NPT: 0) */
	u64 nx_mask;           /* set to forbid execution (NPT: NX bit 63; EPT: 0) */
	u64 user_mask;         /* NPT requires U=1 on every level (guest accesses are user
	                          accesses in the nested walk); EPT: 0 */
	u64 large_mask;        /* page-size bit in a level-2/3 entry (bit 7 in both) */
	u64 accessed_mask;     /* hardware A bit, 0 when not supported */
	u64 dirty_mask;        /* hardware D bit, 0 when not supported */
	u64 memtype_leaf;      /* bits every leaf carries for memory type
	                          (EPT: WB << 3 | IPAT; NPT: 0, PAT index 0 = WB) */
	u64 nonleaf_bits;      /* the full bit set of a non-leaf entry besides the address
	                          (NPT: P|RW|U; EPT: R|W|X) */
	u64 addr_mask;         /* physical address bits of an entry */
	u64 mmio_mask;         /* bits examined to recognise an MMIO entry */
	u64 mmio_value;        /* value of those bits in an MMIO entry: a reserved-bit
	                          pattern that faults as such (NPT: RSVD #NPF; EPT:
	                          misconfiguration).  It never has the MMU-present bit. */
	u64 mmio_gen_mask;     /* bits of an MMIO entry free to carry the memslot generation */
	int mmio_gen_shift;    /* shift of the generation into those bits */
	bool huge_2m;          /* 2 MiB leaves supported */
	bool huge_1g;          /* 1 GiB leaves supported */
	int levels;            /* paging levels (4) */
};

#endif
