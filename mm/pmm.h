/*
 * pmm: the host physical page allocator.
 *
 * It owns every 4 KiB frame that boot/ found usable in the UEFI memory map
 * (EfiConventionalMemory, minus the VMM image and anything boot/ kept), and
 * hands them out in power-of-two blocks (order 0 = one page, order 9 = 2 MiB,
 * order 18 = 1 GiB), so that guest RAM can be backed by huge pages when a
 * memslot asks for it.  It is safe to call from several CPUs: one spinlock
 * for the buddy lists, and in front of it a small cache of single pages
 * per CPU slot (mm_env.h), so that CPUs allocating pages at once do not
 * meet on that lock for every page.  Pages come back NOT zeroed unless a
 * _zeroed variant is used; those take pages zeroed ahead of need, in idle
 * time (pmm_zero_pool_refill), when there are some.
 *
 * In the host tests the "physical" ranges handed to pmm_add_range() are heap
 * memory; addresses are identity-mapped in both worlds (mm/mm_env.h).
 */
#ifndef PAGODA_PMM_H
#define PAGODA_PMM_H

#include "lib/types.h"

#define PMM_MAX_ORDER 18 /* 1 GiB blocks */

/* Forget everything: no free pages.  Call once before pmm_add_range(). */
void pmm_init(void);
/* Give the frames [pa, pa + npages * 4K) to the allocator.  pa is page-aligned. */
void pmm_add_range(u64 pa, u64 npages);
/* One page, or 0 when none is left. */
u64 pmm_alloc_page(void);
/* One zero-filled page, or 0 when none is left. */
u64 pmm_alloc_page_zeroed(void);
/* 2^order contiguous pages aligned to their size, or 0. */
u64 pmm_alloc_pages(unsigned order);
/* The same with every byte set to FILL (0 for zeroed, 0xff for the
 * all-ones permission maps and bitmaps of SVM and VMX), or 0. */
u64 pmm_alloc_pages_filled(unsigned order, u8 fill);
/*
 * For memory a guest asks for by touching it (backing pages, the radix and
 * page tables of its faults): as pmm_alloc_pages, but 0 when taking the
 * block would leave fewer than the guest reserve free.  The reserve is what
 * the VMM keeps for itself (creating and destroying guests, vCPU state), so
 * a guest that drains the host ends alone instead of taking the VMM with
 * it.  Soft: CPUs allocating at once may go a few pages below it.
 */
u64 pmm_alloc_pages_guest(unsigned order);
/* A zero-filled page for guest demand (backing, radix nodes): 0 at the reserve. */
u64 pmm_alloc_page_zeroed_guest(void);
void pmm_set_guest_reserve(u64 pages);
u64 pmm_guest_reserve(void);
void pmm_free_page(u64 pa);
void pmm_free_pages(u64 pa, unsigned order);
/* Give back N blocks of ORDER at once, in one hold of the lock (teardown). */
void pmm_free_batch(const u64 *pas, u64 n, unsigned order);
/* Pages free now / pages ever added. */
u64 pmm_free_count(void);
u64 pmm_total_count(void);
/* Free blocks of exactly ORDER now, per-CPU caches drained first (tests, console). */
u64 pmm_free_blocks(unsigned order);
/* Give every page the per-CPU caches and the pre-zeroed pool hold back to the
 * buddy lists (pmm does this itself before failing a request). */
void pmm_drain_caches(void);

/*
 * The pool of pre-zeroed pages.  pmm_zero_pool_refill() zeroes up to MAX
 * free pages into it while it holds fewer than its target, and returns how
 * many it zeroed (0: nothing to do): the VMM's idle loop calls it when no
 * guest ran, PMM_ZERO_IDLE_PAGES at a time (~128 KiB of stores: the
 * console stays responsive).  It leaves the guest reserve's worth of pages
 * unzeroed.  The target starts at PMM_ZERO_POOL_DEFAULT pages.
 */
#define PMM_ZERO_IDLE_PAGES   32
#define PMM_ZERO_POOL_DEFAULT 8192 /* 32 MiB: the first touches of a booting guest */
u64 pmm_zero_pool_refill(u64 max);
void pmm_zero_pool_set_target(u64 pages);

/*
 * The pool of pre-zeroed blocks of PMM_ZERO_BLOCK_ORDER (tdp_pt.c's table
 * chunks: every table and radix node of a guest comes from one).  Refilled
 * by the same pmm_zero_pool_refill(), once the page pool is at its target,
 * whole blocks only (each counts 2^PMM_ZERO_BLOCK_ORDER frames in what it
 * returns), up to PMM_ZERO_BLOCKS_DEFAULT blocks unless set otherwise.
 * pmm_take_zeroed_block() hands one out (GUEST: not below the guest
 * reserve), or 0 when the pool is empty: it never zeroes on demand, the
 * caller does that itself when it must.  Pool blocks are free pages too.
 */
#define PMM_ZERO_BLOCK_ORDER    4
#define PMM_ZERO_BLOCKS_DEFAULT 512 /* 32 MiB: ~7680 tables or radix nodes (a sparse first touch takes two) */
u64 pmm_take_zeroed_block(bool guest);
void pmm_zero_block_pool_set_target(u64 blocks);

/* Figures of the pre-zeroed pool, for `make bench` and the console's mem. */
struct pmm_zero_stats {
	u64 pool;     /* pre-zeroed pages now (pool and per-CPU caches) */
	u64 target;   /* what refills aim at */
	u64 hits;     /* zeroed allocations served with a pre-zeroed page */
	u64 misses;   /* zeroed allocations that zeroed a page on demand */
	u64 refilled; /* pages ever zeroed into the pool */
	u64 cached;   /* pages (not zeroed) now in the per-CPU caches */
	u64 blocks;   /* pre-zeroed blocks of PMM_ZERO_BLOCK_ORDER now in their pool */
	u64 block_target; /* what refills aim at, in blocks */
	u64 block_hits;   /* blocks taken from that pool */
};
void pmm_zero_stats(struct pmm_zero_stats *out);

#endif
