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
 *
 * Where each part lives: the core (create/destroy, memslots, faults, range
 * zap and write-protect, teardown modes) in tdp_mmu.c; guest-memory access
 * in guest_mem.c; dirty logging in tdp_dirty.c; grace periods in tdp_gp.c.
 * Every function below takes the MMU lock itself when it needs it: callers
 * hold none.
 */
#ifndef PAGODA_TDP_MMU_H
#define PAGODA_TDP_MMU_H

#include "mm/tdp_fmt.h"
#include "mm/tdp_gp.h"
#include "mm/tdp_types.h"
#include "lib/types.h"

/*
 * ---- Types and stats ----
 *
 * In mm/tdp_types.h (included above), where memslot.h and the MMU's own
 * files can reach them without this header: struct tdp_mmu (opaque), the
 * the memslot flags MEMSLOT_* and TDP_MAX_MEMSLOTS,
 * struct tdp_mmu_cache, enum tdp_fault_result, enum tdp_teardown_mode,
 * struct tdp_mmu_stats and struct tdp_teardown_stats.
 */

/* Copy the MMU's counters (each read atomically, not all at one instant) to OUT. */
void tdp_mmu_get_stats(struct tdp_mmu *mmu, struct tdp_mmu_stats *out);

/* ---- Create and destroy ---- */

/* A new, empty TDP MMU (root table only) using FMT; NULL when out of pages. */
struct tdp_mmu *tdp_mmu_create(const struct tdp_fmt *fmt);
/* Physical address of the root table, for nCR3 / EPTP. */
u64 tdp_mmu_root_pa(const struct tdp_mmu *mmu);
/* The entry format this MMU was created with. */
const struct tdp_fmt *tdp_mmu_fmt(const struct tdp_mmu *mmu);
/* Called whenever entries the hardware may cache were zapped or restricted. */
void tdp_mmu_set_flush(struct tdp_mmu *mmu, void (*flush)(void *arg), void *arg);
/*
 * Destroy: tear the whole table tree down under the MMU lock held for write
 * (largest levels first), free every table and every backing page, and the
 * struct itself.  Fills ST when not NULL.  No CPU may run the guest.
 */
void tdp_mmu_destroy(struct tdp_mmu *mmu, struct tdp_teardown_stats *st);

/* ---- Memslots ---- */

/*
 * Add a RAM memslot [gpa, gpa + size), page-aligned and not overlapping
 * another.  Returns the slot id (>= 0) or -E_INVAL / -E_EXIST / -E_NOMEM.
 * Bumps the memslot generation.
 */
int tdp_memslot_add(struct tdp_mmu *mmu, u64 gpa, u64 size, unsigned flags);
/* Delete a memslot: zap its range, free its backing.  0 or -E_NOENT. */
int tdp_memslot_delete(struct tdp_mmu *mmu, int slot, struct tdp_teardown_stats *st);

/* ---- Guest memory (guest_mem.c) ---- */

/*
 * Register LEN bytes at SRC to appear at GPA (inside one memslot) in the
 * guest: they are copied into each backing page when it is first allocated.
 * SRC must stay valid until the memslot is deleted.  0 or -E_INVAL/-E_NOMEM.
 */
int tdp_memslot_prefill(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len);
/*
 * Copy guest memory, through memslot backing (not the hardware tables):
 * pages never touched read as their prefill or zeros; writes allocate (and
 * mark the page in a dirty-logged slot).  0, or -E_FAULT when part of the
 * range is outside every RAM memslot, -E_NOMEM when a page could not be
 * allocated.
 */
int tdp_read_guest(struct tdp_mmu *mmu, u64 gpa, void *dst, u64 len);
int tdp_write_guest(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len);
/*
 * The host address of guest frame GFN's backing page, to read with plain
 * loads, or NULL (no backing yet, or not RAM: use tdp_read_guest).  Valid
 * until the memslot holding GFN is deleted: a caller that keeps it must
 * know the slot outlives its use (vmm/ deletes slots only with the guest).
 */
const void *tdp_guest_page(struct tdp_mmu *mmu, u64 gfn);

/* ---- Faults ---- */

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
 * Walk the tables for GPA (read lock).  Returns the level where the walk
 * stopped and the entry there in *SPTE: an MMU-present leaf, or the first
 * entry that is not MMU-present (0, MMIO, FROZEN).
 */
int tdp_mmu_lookup(struct tdp_mmu *mmu, u64 gpa, u64 *spte);

/* ---- Range zap and write-protect ---- */

/*
 * Zap the mappings of [gpa, gpa + size) (backing stays), holding the MMU
 * lock for read when SHARED (tables freed after a grace period), else for
 * write.  Fills ST when not NULL.  0 or -E_INVAL.
 */
int tdp_mmu_zap_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared,
			  struct tdp_teardown_stats *st);
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

/* ---- Dirty log (tdp_dirty.c) ---- */

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
/* Harvest as above without a bitmap of the caller's: only the count and
 * the first and last dirty GPA (both 0 when none). */
s64 tdp_dirty_log_harvest_span(struct tdp_mmu *mmu, int slot, u64 *first_gpa, u64 *last_gpa);

/* ---- Teardown modes ---- */

/* Run-time teardown mode for every later teardown (default: SKIP). */
void tdp_set_teardown_mode(enum tdp_teardown_mode mode);
enum tdp_teardown_mode tdp_get_teardown_mode(void);
/* "noskip", "skip" or "summary" (for the console and logs). */
const char *tdp_teardown_mode_name(enum tdp_teardown_mode mode);

/*
 * ---- Grace periods ----
 *
 * In mm/tdp_gp.h (included above), the header of the module that runs
 * them: tdp_mmu_quiescent(cpu) at every VM exit, tdp_mmu_cpu_offline(cpu)
 * when a CPU stops running guests (idle CPUs must not hold grace periods
 * up), tdp_mmu_gp_drain() and tdp_mmu_gp_leaked().  Table pages removed
 * under the read lock are freed once every CPU that was taking part has
 * passed a quiescent point after their removal and the TLB flush.
 */

#endif
