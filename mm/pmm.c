/*
 * pmm: a buddy allocator for host frames.
 *
 * Layout.  Every range given to pmm_add_range() keeps its own metadata in
 * its last pages: a struct pmm_range header followed by a bitmap with one
 * bit per managed frame.  A bit is set exactly when that frame is the first
 * frame of a FREE block.  The order of a free block is kept in the block
 * itself (struct pmm_free, written into its first bytes), together with the
 * links of the per-order doubly linked free list.  So no memory is needed
 * beyond what pmm manages, and nothing is sized by the amount of RAM.
 *
 * Why a bitmap and not just a magic number in the block: an allocated page
 * holds arbitrary data and may contain a bit pattern that looks like a free
 * header.  The bit says "this frame starts a free block, its header is
 * ours"; only then is the header trusted for the order check.
 *
 * Blocks never span two ranges (each range is carved on its own, buddies are
 * looked up only inside the range), so ranges may be added in any order,
 * adjacent or not, with any alignment.  Alloc takes the first block of the
 * smallest non-empty order >= the request and splits it; free merges with
 * the buddy while the buddy is a free block of the same order.  Both are
 * O(PMM_MAX_ORDER) plus a walk of the (short) list of ranges on free.
 *
 * One spinlock covers everything.  The page contents of free blocks (the
 * headers) are only touched under it.
 */
#include "mm/pmm.h"
#include "mm/mm_debug.h"
#include "mm/mm_lock.h"
#include "mm/mm_string.h"

#define PMM_FREE_MAGIC 0x70616d6dfee1b10cULL

/* Header at the start of every free block. */
struct pmm_free {
	struct pmm_free *next; /* circular free list of this order */
	struct pmm_free *prev;
	u64 magic;             /* PMM_FREE_MAGIC while on a list (a cross-check) */
	u32 order;             /* order of this block */
};

/* Metadata of one range, in the range's last page(s). */
struct pmm_range {
	struct pmm_range *next; /* list of all ranges */
	u64 base;               /* first managed frame (physical address) */
	u64 npages;             /* managed frames (metadata pages excluded) */
	u64 nmeta;              /* metadata pages at the end of the range */
	u64 bitmap[];           /* bit i: frame base + i * 4K heads a free block */
};

static struct {
	struct mm_spinlock lock;
	struct pmm_free heads[PMM_MAX_ORDER + 1]; /* list sentinels */
	u64 nfree[PMM_MAX_ORDER + 1];             /* blocks on each list */
	struct pmm_range *ranges;
	u64 free_pages;
	u64 total_pages;
} pmm;

static void list_init(struct pmm_free *h) { h->next = h->prev = h; }

static void list_add(struct pmm_free *h, struct pmm_free *b)
{
	b->next = h->next;
	b->prev = h;
	h->next->prev = b;
	h->next = b;
}

static void list_del(struct pmm_free *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->next = b->prev = NULL;
	b->magic = 0;
}

static bool bit_test(struct pmm_range *r, u64 pa)
{
	u64 i = (pa - r->base) >> PAGE_SHIFT;
	return (r->bitmap[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct pmm_range *r, u64 pa)
{
	u64 i = (pa - r->base) >> PAGE_SHIFT;
	r->bitmap[i / 64] |= 1ULL << (i % 64);
}

static void bit_clear(struct pmm_range *r, u64 pa)
{
	u64 i = (pa - r->base) >> PAGE_SHIFT;
	r->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

/* The range whose managed frames include [pa, pa + size), or NULL. */
static struct pmm_range *range_of(u64 pa, u64 size)
{
	for (struct pmm_range *r = pmm.ranges; r; r = r->next)
		if (pa >= r->base && pa + size <= r->base + (r->npages << PAGE_SHIFT) &&
		    pa + size > pa)
			return r;
	return NULL;
}

/* Put the free block PA of ORDER on its list.  Lock held. */
static void block_insert(struct pmm_range *r, u64 pa, unsigned order)
{
	struct pmm_free *b = phys_to_virt(pa);
	b->order = order;
	b->magic = PMM_FREE_MAGIC;
	list_add(&pmm.heads[order], b);
	pmm.nfree[order]++;
	bit_set(r, pa);
}

/* Take the free block PA of ORDER off its list.  Lock held. */
static void block_remove(struct pmm_range *r, u64 pa, unsigned order)
{
	struct pmm_free *b = phys_to_virt(pa);
	MM_ASSERT(b->magic == PMM_FREE_MAGIC && b->order == order);
	list_del(b);
	pmm.nfree[order]--;
	bit_clear(r, pa);
}

/*
 * Forget every range: afterwards nothing is free.  Called once at boot (and
 * by host tests between scenarios, after they have reclaimed the memory).
 */
void pmm_init(void)
{
	memset(&pmm, 0, sizeof(pmm));
	for (int o = 0; o <= PMM_MAX_ORDER; o++)
		list_init(&pmm.heads[o]);
}

/*
 * Hand [pa, pa + npages * 4K) to the allocator.  The last pages of the range
 * hold its metadata (about one page per 128 MiB); the rest is carved into
 * the largest naturally aligned blocks that fit.  A range too small to hold
 * its own metadata plus one frame is ignored (logged).  Assumes pa is
 * page-aligned and the range overlaps no range added before.
 */
void pmm_add_range(u64 pa, u64 npages)
{
	MM_ASSERT(IS_ALIGNED(pa, PAGE_SIZE));
	u64 bitmap_bytes = ALIGN_UP(npages, 64) / 8;
	u64 nmeta = ALIGN_UP(sizeof(struct pmm_range) + bitmap_bytes, PAGE_SIZE) >> PAGE_SHIFT;
	if (npages <= nmeta) {
		pr_warn("pmm", "range 0x%lx+%lu pages too small, ignored", (unsigned long)pa,
			(unsigned long)npages);
		return;
	}
	u64 managed = npages - nmeta;
	struct pmm_range *r = phys_to_virt(pa + (managed << PAGE_SHIFT));
	memset(r, 0, nmeta << PAGE_SHIFT);
	r->base = pa;
	r->npages = managed;
	r->nmeta = nmeta;

	mm_spin_lock(&pmm.lock);
	MM_ASSERT(!range_of(pa, PAGE_SIZE) && !range_of(pa + ((managed - 1) << PAGE_SHIFT), PAGE_SIZE));
	r->next = pmm.ranges;
	pmm.ranges = r;
	u64 cur = pa, end = pa + (managed << PAGE_SHIFT);
	while (cur < end) {
		unsigned order = PMM_MAX_ORDER;
		while (order > 0 && (!IS_ALIGNED(cur, PAGE_SIZE << order) ||
				     cur + (PAGE_SIZE << order) > end))
			order--;
		block_insert(r, cur, order);
		cur += PAGE_SIZE << order;
	}
	__atomic_fetch_add(&pmm.free_pages, managed, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pmm.total_pages, managed, __ATOMIC_RELAXED);
	mm_spin_unlock(&pmm.lock);
}

/*
 * 2^order contiguous frames aligned to their size, not zeroed; 0 when no
 * block of that order can be found or made.
 */
u64 pmm_alloc_pages(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	mm_spin_lock(&pmm.lock);
	unsigned o = order;
	while (o <= PMM_MAX_ORDER && pmm.nfree[o] == 0)
		o++;
	if (o > PMM_MAX_ORDER) {
		mm_spin_unlock(&pmm.lock);
		return 0;
	}
	u64 pa = virt_to_phys(pmm.heads[o].next);
	struct pmm_range *r = range_of(pa, PAGE_SIZE << o);
	MM_ASSERT(r);
	block_remove(r, pa, o);
	/* Split: keep the lower half, give the upper halves back. */
	while (o > order) {
		o--;
		block_insert(r, pa + (PAGE_SIZE << o), o);
	}
	__atomic_fetch_sub(&pmm.free_pages, 1ULL << order, __ATOMIC_RELAXED);
	mm_spin_unlock(&pmm.lock);
	return pa;
}

/* One frame, not zeroed, or 0. */
u64 pmm_alloc_page(void) { return pmm_alloc_pages(0); }

static u64 guest_reserve; /* pages guest demand may not take (pmm.h) */

void pmm_set_guest_reserve(u64 pages) { __atomic_store_n(&guest_reserve, pages, __ATOMIC_RELAXED); }

u64 pmm_guest_reserve(void) { return __atomic_load_n(&guest_reserve, __ATOMIC_RELAXED); }

u64 pmm_alloc_pages_guest(unsigned order)
{
	if (order > PMM_MAX_ORDER ||
	    __atomic_load_n(&pmm.free_pages, __ATOMIC_RELAXED) < pmm_guest_reserve() + (1ULL << order))
		return 0;
	return pmm_alloc_pages(order);
}

/* One zero-filled frame, or 0. */
u64 pmm_alloc_pages_filled(unsigned order, u8 fill)
{
	u64 pa = pmm_alloc_pages(order);
	if (pa)
		memset(phys_to_virt(pa), fill, PAGE_SIZE << order);
	return pa;
}

u64 pmm_alloc_page_zeroed(void) { return pmm_alloc_pages_filled(0, 0); }

/*
 * Give back the block PA of ORDER, merging it with its buddy as long as the
 * buddy is free and of the same order.  PA must have come from
 * pmm_alloc_pages(ORDER) (or be a correctly aligned part of such a block);
 * freeing a frame pmm does not own, or a block already free, is a bug.
 */
void pmm_free_pages(u64 pa, unsigned order)
{
	MM_ASSERT(order <= PMM_MAX_ORDER && IS_ALIGNED(pa, PAGE_SIZE << order));
	mm_spin_lock(&pmm.lock);
	struct pmm_range *r = range_of(pa, PAGE_SIZE << order);
	MM_ASSERT(r);             /* not ours */
	MM_ASSERT(!bit_test(r, pa)); /* double free */
	__atomic_fetch_add(&pmm.free_pages, 1ULL << order, __ATOMIC_RELAXED);
	u64 range_end = r->base + (r->npages << PAGE_SHIFT);
	while (order < PMM_MAX_ORDER) {
		u64 buddy = pa ^ (PAGE_SIZE << order);
		if (buddy < r->base || buddy + (PAGE_SIZE << order) > range_end)
			break;
		if (!bit_test(r, buddy) || ((struct pmm_free *)phys_to_virt(buddy))->order != order)
			break;
		block_remove(r, buddy, order);
		pa = MIN(pa, buddy);
		order++;
	}
	block_insert(r, pa, order);
	mm_spin_unlock(&pmm.lock);
}

void pmm_free_page(u64 pa) { pmm_free_pages(pa, 0); }

/* Frames free now. */
u64 pmm_free_count(void) { return __atomic_load_n(&pmm.free_pages, __ATOMIC_RELAXED); }

/* Frames ever handed to the allocator (metadata pages not counted). */
u64 pmm_total_count(void) { return __atomic_load_n(&pmm.total_pages, __ATOMIC_RELAXED); }

/* Free blocks of ORDER now (for tests and the console). */
u64 pmm_free_blocks(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	mm_spin_lock(&pmm.lock);
	u64 n = pmm.nfree[order];
	mm_spin_unlock(&pmm.lock);
	return n;
}
