/*
 * spte: building and reading one nested-paging entry through struct tdp_fmt.
 *
 * Besides the hardware bits described by the format, mm/ uses:
 *
 *  - SPTE_MMU_PRESENT (bit 11): set in every entry that maps something
 *    (a leaf or a link to a table).  Bit 11 is ignored by the hardware in
 *    every NPT entry (AMD APM vol. 2, 15.25.5 with the long-mode entry
 *    layouts of 5.3.3: bits 11:9 are AVL) and in every EPT entry (Intel SDM
 *    vol. 3C, 29.3.2, tables 29-2..29-6: bit 11 ignored).  "MMU-present" is
 *    what software walkers test: hardware presence alone would also match
 *    the NPT MMIO pattern (P=1) and says nothing useful about EPT
 *    misconfigurations.
 *
 *  - SPTE_FROZEN: a value written into an entry while the table holding it
 *    is being torn down under the shared MMU lock.  It has no hardware
 *    permission bits (bits 2:0 clear: not present to NPT nor EPT), no
 *    address bits and no MMU-present bit, and tdp_fmt_check() makes sure it
 *    matches no format's MMIO pattern.  A walker that reads it backs off
 *    and restarts: the entry is about to change again.
 *
 *  - MMIO entries: fmt->mmio_value in the fmt->mmio_mask bits (a pattern
 *    that faults as reserved-bit / misconfiguration), plus the memslot
 *    generation in fmt->mmio_gen_mask.  An MMIO entry whose generation is
 *    not the current one is stale: a memslot may now cover its GPA, so the
 *    fault path treats it as not present.
 *
 * A zero entry is "never used".  Entries are read and written with atomic
 * operations only (other CPUs and the hardware walk them concurrently).
 */
#ifndef PAGODA_SPTE_H
#define PAGODA_SPTE_H

#include "mm/tdp_fmt.h"
#include "lib/types.h"

#define SPTE_MMU_PRESENT BIT(11)
#define SPTE_FROZEN      0x630ULL /* bits 4, 5, 9, 10 */

#define TDP_MAX_LEVELS 5
#define SPTE_ENTRIES 512
#define SPTE_LEVEL_BITS 9

/* Guest frames mapped by one entry at LEVEL (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB...). */
static inline u64 spte_level_pages(int level)
{
	return 1ULL << (SPTE_LEVEL_BITS * (level - 1));
}

/* Index of GFN's entry in a table of LEVEL. */
static inline unsigned spte_index(u64 gfn, int level)
{
	return (gfn >> (SPTE_LEVEL_BITS * (level - 1))) & (SPTE_ENTRIES - 1);
}

static inline bool spte_is_mmu_present(u64 spte) { return (spte & SPTE_MMU_PRESENT) != 0; }

static inline bool spte_is_frozen(u64 spte) { return spte == SPTE_FROZEN; }

/* True for a leaf: any MMU-present entry at level 1, or one with PS above it. */
static inline bool spte_is_leaf(const struct tdp_fmt *fmt, u64 spte, int level)
{
	return level == 1 || (spte & fmt->large_mask);
}

/* Physical address an MMU-present entry points to (a table or a frame). */
static inline u64 spte_addr(const struct tdp_fmt *fmt, u64 spte)
{
	u64 a = spte & fmt->addr_mask;
	return a;
}

/*
 * A leaf mapping host frame(s) at HPA for a level-LEVEL entry.  WRITABLE and
 * EXEC choose the permissions; reads are always allowed.  The accessed bit is
 * set up front (and dirty for writable mappings) so the hardware need not
 * write the entry back, as KVM does when it installs on a fault.
 */
static inline u64 spte_make_leaf(const struct tdp_fmt *fmt, u64 hpa, int level, bool writable,
				 bool exec)
{
	u64 s = (hpa & fmt->addr_mask) | fmt->present_mask | fmt->readable_mask | fmt->user_mask |
		fmt->memtype_leaf | fmt->accessed_mask | SPTE_MMU_PRESENT;
	if (writable)
		s |= fmt->writable_mask | fmt->dirty_mask;
	if (exec)
		s |= fmt->exec_mask;
	else
		s |= fmt->nx_mask;
	if (level > 1)
		s |= fmt->large_mask;
	return s;
}

/* A non-leaf entry linking the table at TABLE_PA. */
static inline u64 spte_make_nonleaf(const struct tdp_fmt *fmt, u64 table_pa)
{
	return (table_pa & fmt->addr_mask) | fmt->nonleaf_bits | SPTE_MMU_PRESENT;
}

/* Generation bits as an MMIO entry of FMT stores them. */
static inline u64 spte_mmio_gen_bits(const struct tdp_fmt *fmt, u64 gen)
{
	return (gen << fmt->mmio_gen_shift) & fmt->mmio_gen_mask;
}

static inline u64 spte_make_mmio(const struct tdp_fmt *fmt, u64 gen)
{
	return fmt->mmio_value | spte_mmio_gen_bits(fmt, gen);
}

static inline bool spte_is_mmio(const struct tdp_fmt *fmt, u64 spte)
{
	return (spte & fmt->mmio_mask) == fmt->mmio_value && !spte_is_mmu_present(spte);
}

/* The (truncated) generation an MMIO entry carries. */
static inline u64 spte_mmio_gen(const struct tdp_fmt *fmt, u64 spte)
{
	return (spte & fmt->mmio_gen_mask) >> fmt->mmio_gen_shift;
}

/* An MMIO entry installed under another memslot generation than GEN. */
static inline bool spte_mmio_is_stale(const struct tdp_fmt *fmt, u64 spte, u64 gen)
{
	return (spte & fmt->mmio_gen_mask) != spte_mmio_gen_bits(fmt, gen);
}

/* Hardware would let an access of kind ACC (TDP_ACC_* bits) through this leaf. */
static inline bool spte_leaf_allows(const struct tdp_fmt *fmt, u64 spte, unsigned acc)
{
	if (!(spte & fmt->present_mask))
		return false;
	if ((acc & 0x2) && !(spte & fmt->writable_mask))
		return false;
	if ((acc & 0x4) && ((fmt->exec_mask && !(spte & fmt->exec_mask)) ||
			    (fmt->nx_mask && (spte & fmt->nx_mask))))
		return false;
	return true;
}

/*
 * 0 when FMT can be used by mm/, else a negative code: the software bits
 * (MMU-present, FROZEN) must not collide with the format, the MMIO pattern
 * must be recognisable and must not be MMU-present nor match FROZEN or a
 * zero entry, and the generation bits must lie outside the MMIO pattern.
 */
int tdp_fmt_check(const struct tdp_fmt *fmt);

#endif
