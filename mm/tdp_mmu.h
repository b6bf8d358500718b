/*
 * The TDP MMU: pagoda's nested page tables (NPT on AMD, EPT on Intel), one
 * per guest, modelled on the design of Linux KVM's arch/x86/kvm/mmu/tdp_mmu.c.
 *
 * This header is the whole interface vmm/ uses.  Guest-physical memory is
 * described by memslots; host frames backing a memslot are allocated from
 * pmm on the first nested page fault of each page (never up front) and stay
 * with the memslot until it is deleted or the guest destroyed: zapping
 * entries never loses guest data.  Entries are installed lazily on faults,
 * under the MMU lock held for read, with compare-and-exchange; teardown and
 * memslot deletion hold it for write.  See mm/tdp_mmu.c for the protocol.
 */
#ifndef PAGODA_TDP_MMU_H
#define PAGODA_TDP_MMU_H

#include "mm/tdp_fmt.h"
#include "mm/tdp_gp.h"
#include "mm/tdp_types.h"
#include "lib/types.h"

/* A new, empty TDP MMU (root table only) using FMT; NULL when out of pages. */
struct tdp_mmu *tdp_mmu_create(const struct tdp_fmt *fmt);
/* Physical address of the root table, for nCR3 / EPTP. */
u64 tdp_mmu_root_pa(const struct tdp_mmu *mmu);
/* Called whenever entries the hardware may cache were zapped or restricted. */
void tdp_mmu_set_flush(struct tdp_mmu *mmu, void (*flush)(void *arg), void *arg);

/*
 * Add a RAM memslot [gpa, gpa + size), page-aligned and not overlapping
 * another.  Returns the slot id (>= 0) or -E_INVAL / -E_EXIST / -E_NOMEM.
 * Bumps the memslot generation.
 */
int tdp_memslot_add(struct tdp_mmu *mmu, u64 gpa, u64 size, unsigned flags);
/*
 * Register LEN bytes at SRC to appear at GPA (inside one memslot) in the
 * guest: they are copied into each backing page when it is first allocated.
 * SRC must stay valid until the memslot is deleted.  0 or -E_INVAL/-E_NOMEM.
 */
int tdp_memslot_prefill(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len);
/* Delete a memslot: zap its range, free its backing.  0 or -E_NOENT. */
int tdp_memslot_delete(struct tdp_mmu *mmu, int slot, struct tdp_teardown_stats *st);

/* Fill CACHE up to TDP_CACHE_PAGES zeroed pages.  0 or -E_NOMEM. */
int tdp_mmu_cache_topup(struct tdp_mmu_cache *cache);
/* Give every page in CACHE back to pmm. */
void tdp_mmu_cache_free(struct tdp_mmu_cache *cache);

/*
 * Handle a nested page fault at GPA for ACCESS (TDP_ACC_*), taking page-table
 * pages from CACHE.  Takes the MMU lock for read.
 */
enum tdp_fault_result tdp_mmu_page_fault(struct tdp_mmu *mmu, struct tdp_mmu_cache *cache,
					 u64 gpa, unsigned access);

/*
 * Copy guest memory, through memslot backing (not the hardware tables):
 * pages never touched read as their prefill or zeros; writes allocate.
 * 0, or -E_FAULT when part of the range is outside every RAM memslot,
 * -E_NOMEM when a page could not be allocated.
 */
int tdp_read_guest(struct tdp_mmu *mmu, u64 gpa, void *dst, u64 len);
int tdp_write_guest(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len);

/*
 * Destroy: tear the whole table tree down under the MMU lock held for write
 * (largest levels first), free every table and every backing page, and the
 * struct itself.  Fills ST when not NULL.  No CPU may run the guest.
 */
void tdp_mmu_destroy(struct tdp_mmu *mmu, struct tdp_teardown_stats *st);

void tdp_mmu_get_stats(struct tdp_mmu *mmu, struct tdp_mmu_stats *out);

/* Run-time teardown mode for every later teardown (default: SKIP). */
void tdp_set_teardown_mode(enum tdp_teardown_mode mode);
enum tdp_teardown_mode tdp_get_teardown_mode(void);
const char *tdp_teardown_mode_name(enum tdp_teardown_mode mode);


/* ---- additions beyond the phase-0 interface ---- */

/* The entry format this MMU was created with. */
const struct tdp_fmt *tdp_mmu_fmt(const struct tdp_mmu *mmu);
/*
 * Walk the tables for GPA (read lock).  Returns the level where the walk
 * stopped and the entry there in *SPTE: an MMU-present leaf, or the first
 * entry that is not MMU-present (0, MMIO, FROZEN).
 */
int tdp_mmu_lookup(struct tdp_mmu *mmu, u64 gpa, u64 *spte);
/*
 * Zap the mappings of [gpa, gpa + size) (backing stays), holding the MMU
 * lock for read when SHARED (tables freed after a grace period), else for
 * write.  Fills ST when not NULL.  0 or -E_INVAL.
 */
int tdp_mmu_zap_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared,
			  struct tdp_teardown_stats *st);

/* ---- phase 2: huge leaves, write protection, dirty logging ---- */

/*
 * Like tdp_mmu_zap_gpa_range, but remove only the leaves mapping
 * [gpa, gpa + size): the tables stay linked (empty) for the next faults,
 * as KVM's kvm_tdp_mmu_zap_leafs.  Huge leaves straddling an edge are
 * split.  Both zaps drop and retake the lock every so often (ST->yields)
 * and resume where they were.  0 or -E_INVAL.
 */
int tdp_mmu_zap_leafs(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared,
		      struct tdp_teardown_stats *st);

/*
 * Clear the write permission of every leaf mapping [gpa, gpa + size), under
 * the MMU lock held for read; a huge leaf that straddles an edge is split
 * first, so the rest of it keeps its rights.  Writes to those pages then
 * fault with TDP_FAULT_WRITE_PROT (in a dirty-logged slot: are recorded and
 * let through) until their mapping is zapped and rebuilt.  0 or -E_INVAL.
 */
int tdp_mmu_write_protect_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size);
/*
 * Dirty logging of one memslot, for live migration or snapshots:
 * enable write-protects the slot (huge leaves split to 4 KiB) and from then
 * on every guest write (fault) and every tdp_write_guest() marks its page;
 * harvest copies the marks into BITMAP (one bit per page of the slot, from
 * its first page, ALIGN_UP(npages, 64) / 64 words, overwritten), clears
 * them, write-protects those pages again and flushes, returning the number
 * of dirty pages; disable frees the log and zaps the slot's mappings so they
 * come back writable (and huge).  Write-protection, not the hardware D bit,
 * is used with both formats.  0 / count, or -E_NOENT / -E_NOMEM / -E_INVAL.
 */
int tdp_dirty_log_enable(struct tdp_mmu *mmu, int slot);
int tdp_dirty_log_disable(struct tdp_mmu *mmu, int slot);
s64 tdp_dirty_log_harvest(struct tdp_mmu *mmu, int slot, u64 *bitmap);

#endif
