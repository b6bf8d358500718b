/*
 * pmm: the host physical page allocator.
 *
 * It owns every 4 KiB frame that boot/ found usable in the UEFI memory map
 * (EfiConventionalMemory, minus the VMM image and anything boot/ kept), and
 * hands them out in power-of-two blocks (order 0 = one page, order 9 = 2 MiB,
 * order 18 = 1 GiB), so that guest RAM can be backed by huge pages when a
 * memslot asks for it.  It is safe to call from several CPUs (one spinlock).
 * Pages come back NOT zeroed unless the _zeroed variant is used.
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
void pmm_set_guest_reserve(u64 pages);
u64 pmm_guest_reserve(void);
void pmm_free_page(u64 pa);
void pmm_free_pages(u64 pa, unsigned order);
/* Pages free now / pages ever added. */
u64 pmm_free_count(void);
u64 pmm_total_count(void);
/* Free blocks of exactly ORDER now (tests, console). */
u64 pmm_free_blocks(unsigned order);

#endif
