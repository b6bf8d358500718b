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
 * One spinlock covers the buddy lists.  The page contents of free blocks
 * (the headers) are only touched under it.
 *
 * Per-CPU caches.  Single pages, what every fault allocates (its backing
 * page, a radix node now and then), do not go to the buddy lists one by
 * one: each per-CPU slot (mm_env.h) keeps a small stack of free frames
 * under a lock of its own, on its own cache lines, refilled from and
 * spilled to the buddy lists PCP_BATCH frames at a time, so two CPUs
 * faulting at once meet on pmm's lock once per PCP_BATCH pages instead of
 * on every page.  Frames in a cache are free: pmm_free_count() counts
 * them.  When the buddy lists cannot serve a request, every cache is
 * drained back and the request tried once more, so a cache never makes an
 * allocation fail that would have succeeded without it.
 *
 * Pre-zeroed pages.  A guest's first touch of a page costs a 4 KiB zeroing
 * on the fault path.  pmm_zero_pool_refill(), which the VMM's idle loop
 * calls, zeroes free frames ahead of need into a pool, up to a target;
 * the per-CPU caches take from it a magazine at a time into a second
 * stack of theirs.  A magazine is up to PCP_ZBATCH zeroed frames whose
 * first holds the list: word 0 links the next magazine, word 1 counts the
 * other frames, words 2.. name them; the words are cleared again when the
 * magazine is taken.  So taking 16 pages touches one of them, in one
 * short hold of the pool's lock (a list through every page made each
 * taker walk 16 cold pages under it).  A refill takes its frames as
 * aligned blocks of 16 while the lists have them, so a magazine is
 * usually one block, and a cache hands it out highest frame first: a
 * guest's teardown then finds the block again as a run of frames and
 * frees it in one piece (pmm_free_batch).  pmm_alloc_page_zeroed() and its
 * guest variant take a pre-zeroed page when there is one (a hit) and zero
 * one on demand otherwise (a miss); struct pmm_zero_stats counts both and
 * the pages the pool was refilled with.  Pool pages are free pages too.
 * A second pool holds pre-zeroed blocks of PMM_ZERO_BLOCK_ORDER, the
 * chunks tdp_pt.c carves tables and radix nodes from, refilled by the same
 * call once the page pool is full: a sparse first touch takes a table and
 * a radix node, and without it zeroed both on the fault path.
 *
 * Lock order: a per-CPU cache's lock, then pmm's.  The pool's lock is never
 * held with either.
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

static void caches_reset(void);

/*
 * Forget every range: afterwards nothing is free.  Called once at boot (and
 * by host tests between scenarios, after they have reclaimed the memory):
 * the per-CPU caches and the pre-zeroed pool are emptied as well (their
 * frames belonged to the ranges forgotten); the pool's target stays.
 */
void pmm_init(void)
{
	memset(&pmm, 0, sizeof(pmm));
	caches_reset();
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
 * Take a block of ORDER from the buddy lists: the first block of the
 * smallest non-empty order >= ORDER, split down.  0 when none.  pmm's lock
 * held.
 */
static u64 buddy_alloc_locked(unsigned order)
{
	unsigned o = order;
	while (o <= PMM_MAX_ORDER && pmm.nfree[o] == 0)
		o++;
	if (o > PMM_MAX_ORDER)
		return 0;
	u64 pa = virt_to_phys(pmm.heads[o].next);
	struct pmm_range *r = range_of(pa, PAGE_SIZE << o);
	MM_ASSERT(r);
	block_remove(r, pa, o);
	/* Split: keep the lower half, give the upper halves back. */
	while (o > order) {
		o--;
		block_insert(r, pa + (PAGE_SIZE << o), o);
	}
	__atomic_store_n(&pmm.free_pages, pmm.free_pages - (1ULL << order), __ATOMIC_RELAXED);
	return pa;
}

/*
 * Give the block PA of ORDER back to the buddy lists, merging it with its
 * buddy as long as the buddy is free and of the same order.  pmm's lock
 * held.  PA must have come from an allocation of ORDER (or be a correctly
 * aligned part of one); freeing a frame pmm does not own, or a block
 * already free, is a bug.
 */
static void buddy_free_locked(u64 pa, unsigned order)
{
	MM_ASSERT(order <= PMM_MAX_ORDER && IS_ALIGNED(pa, PAGE_SIZE << order));
	struct pmm_range *r = range_of(pa, PAGE_SIZE << order);
	MM_ASSERT(r);             /* not ours */
	MM_ASSERT(!bit_test(r, pa)); /* double free */
	__atomic_store_n(&pmm.free_pages, pmm.free_pages + (1ULL << order), __ATOMIC_RELAXED);
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
}

/* ---------------------------------------------------------------- per-CPU caches */

#define PCP_MAX   64 /* frames a per-CPU cache holds at most */
#define PCP_BATCH_ORDER 5 /* PCP_BATCH as a block order */
#define PCP_BATCH (1u << PCP_BATCH_ORDER) /* frames moved between a cache and the buddy
					     lists at once */
#define PCP_ZMAX  32 /* pre-zeroed frames a per-CPU cache holds at most */
#define PCP_ZBATCH_ORDER 4 /* a magazine's size, as a block order */
#define PCP_ZBATCH (1u << PCP_ZBATCH_ORDER) /* pre-zeroed frames taken from the pool at once: one magazine */
_Static_assert(PCP_ZBATCH <= PCP_ZMAX && PCP_ZBATCH + 2 <= 4096 / 8, "a magazine fits a cache and its page");

/* The cache of one per-CPU slot, alone on its cache lines. */
struct pmm_pcp {
	struct mm_spinlock lock; /* guards everything below but the counters' readers */
	u32 n;                   /* frames in pages[] (atomic stores: pmm_free_count reads) */
	u32 nzero;               /* frames in zero[] (likewise) */
	u64 pages[PCP_MAX];      /* free frames, contents undefined */
	u64 zero[PCP_ZMAX];      /* free frames, every byte zero */
	u64 zero_hits;           /* zeroed allocations served pre-zeroed (atomic stores) */
	u64 zero_misses;         /* zeroed allocations zeroed on demand (atomic stores) */
} __attribute__((aligned(MM_CACHELINE)));

static struct pmm_pcp pcps[MM_NSLOTS];

/* The pool of pre-zeroed frames (see the top). */
static struct {
	struct mm_spinlock lock; /* guards head and n */
	u64 head;                /* first magazine (see the top), 0 when empty */
	u64 n;                   /* frames in the pool, magazines' own included (atomic stores) */
	u64 target;              /* refill up to this many (atomic) */
	u64 refilled;            /* frames ever zeroed into the pool (atomic) */
} zpool = { .target = PMM_ZERO_POOL_DEFAULT };

/* The pool of pre-zeroed blocks of PMM_ZERO_BLOCK_ORDER (see the top). */
static struct {
	struct mm_spinlock lock; /* guards head and n */
	u64 head;                /* first block; word 0 of each links the next, 0 ends */
	u64 n;                   /* blocks in the pool (atomic stores) */
	u64 target;              /* refill up to this many blocks (atomic) */
	u64 hits;                /* blocks taken (atomic) */
} zbpool = { .target = PMM_ZERO_BLOCKS_DEFAULT };

static void set_u32(u32 *p, u32 v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static void bump(u64 *p) { __atomic_store_n(p, *p + 1, __ATOMIC_RELAXED); }

/* Give every frame of cache C back to the buddy lists.  C's lock held. */
static void pcp_drain_locked(struct pmm_pcp *c)
{
	if (!c->n && !c->nzero)
		return;
	mm_spin_lock(&pmm.lock);
	for (u32 i = 0; i < c->n; i++)
		buddy_free_locked(c->pages[i], 0);
	for (u32 i = 0; i < c->nzero; i++)
		buddy_free_locked(c->zero[i], 0);
	mm_spin_unlock(&pmm.lock);
	set_u32(&c->n, 0);
	set_u32(&c->nzero, 0);
}

/* Give every frame of every per-CPU cache (not the pool) back to the buddy lists. */
static void pcp_drain_all(void)
{
	for (unsigned i = 0; i < MM_NSLOTS; i++) {
		mm_spin_lock(&pcps[i].lock);
		pcp_drain_locked(&pcps[i]);
		mm_spin_unlock(&pcps[i].lock);
	}
}

/* Take the whole pool off its list; returns its first frame (the chain). */
static u64 zpool_take_all(void)
{
	mm_spin_lock(&zpool.lock);
	u64 head = zpool.head;
	zpool.head = 0;
	__atomic_store_n(&zpool.n, 0, __ATOMIC_RELAXED);
	mm_spin_unlock(&zpool.lock);
	return head;
}

/*
 * Give everything the caches and the pool hold back to the buddy lists
 * (when a request failed, and for tests and the console: blocks merge
 * again).  Any context.
 */
void pmm_drain_caches(void)
{
	pcp_drain_all();
	u64 m = zpool_take_all();
	while (m) {
		const u64 *w = phys_to_virt(m);
		u64 next = w[0], k = w[1];
		mm_spin_lock(&pmm.lock);
		for (u64 i = 0; i < k; i++)
			buddy_free_locked(w[2 + i], 0);
		buddy_free_locked(m, 0); /* last: it holds the list */
		mm_spin_unlock(&pmm.lock);
		m = next;
	}
	mm_spin_lock(&zbpool.lock);
	u64 p = zbpool.head;
	zbpool.head = 0;
	__atomic_store_n(&zbpool.n, 0, __ATOMIC_RELAXED);
	mm_spin_unlock(&zbpool.lock);
	while (p) {
		u64 next = *(u64 *)phys_to_virt(p);
		mm_spin_lock(&pmm.lock);
		buddy_free_locked(p, PMM_ZERO_BLOCK_ORDER);
		mm_spin_unlock(&pmm.lock);
		p = next;
	}
}

/*
 * 2^order contiguous frames aligned to their size, not zeroed, from the
 * buddy lists, draining the caches once when they cannot serve it; 0 when
 * no block of that order can be found or made.
 */
static u64 buddy_alloc(unsigned order)
{
	for (int round = 0; round < 2; round++) {
		mm_spin_lock(&pmm.lock);
		u64 pa = buddy_alloc_locked(order);
		mm_spin_unlock(&pmm.lock);
		if (pa || round)
			return pa;
		pmm_drain_caches();
	}
	return 0;
}

/* Append the frames of block BLK of ORDER (none when BLK is 0) to C's
 * stack of N frames, lowest first; returns the new count. */
static u32 pcp_put_block(struct pmm_pcp *c, u32 n, u64 blk, unsigned order)
{
	for (u32 k = 0; blk && k < 1u << order; k++)
		c->pages[n++] = blk + ((u64)k << PAGE_SHIFT);
	return n;
}

/*
 * One frame from the calling context's cache, refilled with up to
 * PCP_BATCH frames from the buddy lists (one hold of pmm's lock) when
 * empty; 0 when no frame is left anywhere.  The refill takes whole blocks
 * off the lists: the free blocks smaller than PCP_BATCH first, largest
 * first, as many as fit (the small blocks go before any big one is split,
 * as a frame-by-frame best fit would have it, which keeps big blocks whole
 * for 2 MiB backing), and only when there is none, one block of PCP_BATCH
 * split from a bigger one.  Each block is one list operation, and each
 * list operation writes the headers of free frames (cache misses, with the
 * lock held); taking PCP_BATCH frames one by one made the lock's hold time
 * what a second faulting CPU waited for.
 */
static u64 pcp_alloc(void)
{
	struct pmm_pcp *c = &pcps[mm_slot_self()];
	u64 pa = 0;
	mm_spin_lock(&c->lock);
	if (!c->n) {
		u32 n = 0;
		mm_spin_lock(&pmm.lock);
		for (int o = PCP_BATCH_ORDER - 1; o >= 0; o--)
			while (pmm.nfree[o] && n + (1u << o) <= PCP_BATCH)
				n = pcp_put_block(c, n, buddy_alloc_locked((unsigned)o), (unsigned)o);
		if (!n)
			n = pcp_put_block(c, 0, buddy_alloc_locked(PCP_BATCH_ORDER), PCP_BATCH_ORDER);
		mm_spin_unlock(&pmm.lock);
		/* Stacked so that the lowest frame of each block goes first. */
		for (u32 i = 0; i < n / 2; i++) {
			u64 t = c->pages[i];
			c->pages[i] = c->pages[n - 1 - i];
			c->pages[n - 1 - i] = t;
		}
		set_u32(&c->n, n);
	}
	if (c->n) {
		pa = c->pages[c->n - 1];
		set_u32(&c->n, c->n - 1);
	}
	mm_spin_unlock(&c->lock);
	return pa ? pa : buddy_alloc(0);
}

/*
 * Put the frame PA in the calling context's cache; a full cache first
 * spills PCP_BATCH frames to the buddy lists in one hold of pmm's lock.
 */
static void pcp_free(u64 pa)
{
	struct pmm_pcp *c = &pcps[mm_slot_self()];
	mm_spin_lock(&c->lock);
	if (c->n == PCP_MAX) {
		mm_spin_lock(&pmm.lock);
		for (u32 i = 0; i < PCP_BATCH; i++)
			buddy_free_locked(c->pages[i], 0);
		mm_spin_unlock(&pmm.lock);
		/* The oldest frames went; the newest (warm in cache) move down. */
		for (u32 i = 0; i < PCP_MAX - PCP_BATCH; i++)
			c->pages[i] = c->pages[i + PCP_BATCH];
		set_u32(&c->n, PCP_MAX - PCP_BATCH);
	}
	c->pages[c->n] = pa;
	set_u32(&c->n, c->n + 1);
	mm_spin_unlock(&c->lock);
}

/*
 * A pre-zeroed frame for the calling context: from its cache, else a batch
 * from the pool into its cache.  0 when neither has one.  Counts nothing.
 */
static u64 pcp_alloc_prezeroed(void)
{
	struct pmm_pcp *c = &pcps[mm_slot_self()];
	u64 pa = 0;
	mm_spin_lock(&c->lock);
	if (!c->nzero && __atomic_load_n(&zpool.n, __ATOMIC_RELAXED)) {
		/* One magazine: unlinked under the pool's lock, unpacked after. */
		mm_spin_lock(&zpool.lock);
		u64 m = zpool.head, k = 0;
		if (m) {
			const u64 *w = phys_to_virt(m);
			zpool.head = w[0];
			k = w[1];
			__atomic_store_n(&zpool.n, zpool.n - (k + 1), __ATOMIC_RELAXED);
		}
		mm_spin_unlock(&zpool.lock);
		if (m) {
			/*
			 * Stacked so that the magazine's own page goes last and
			 * the others from the highest down: a magazine made of
			 * one aligned block (the refill's usual case) is handed
			 * out as a descending run of frames, which a guest
			 * touching ascending addresses stores in that order in
			 * its radix, and which teardown's pmm_free_batch gives
			 * back as the one block again, not as the pieces of a
			 * broken run to be merged one list operation at a time.
			 */
			u64 *w = phys_to_virt(m);
			MM_ASSERT(k < PCP_ZBATCH);
			c->zero[0] = m; /* its words cleared here: */
			for (u64 i = 0; i < k; i++)
				c->zero[1 + i] = w[2 + i];
			memset(w, 0, (k + 2) * sizeof(u64));
			set_u32(&c->nzero, (u32)(k + 1));
		}
	}
	if (c->nzero) {
		pa = c->zero[c->nzero - 1];
		set_u32(&c->nzero, c->nzero - 1);
		bump(&c->zero_hits);
	}
	mm_spin_unlock(&c->lock);
	return pa;
}

/* Count a zeroed allocation that had to zero on demand, in the caller's slot. */
static void count_zero_miss(void)
{
	struct pmm_pcp *c = &pcps[mm_slot_self()];
	mm_spin_lock(&c->lock);
	bump(&c->zero_misses);
	mm_spin_unlock(&c->lock);
}

static bool guest_may_take(unsigned order);

/*
 * Zero whole blocks of PMM_ZERO_BLOCK_ORDER into their pool while it holds
 * fewer than its target and MAX frames allow another block; returns the
 * frames zeroed.  The guest reserve stays in the buddy lists, as for pages.
 */
static u64 zero_blocks_refill(u64 max)
{
	const u64 frames = 1ULL << PMM_ZERO_BLOCK_ORDER;
	u64 done = 0;
	while (done + frames <= max &&
	       __atomic_load_n(&zbpool.n, __ATOMIC_RELAXED) <
		       __atomic_load_n(&zbpool.target, __ATOMIC_RELAXED)) {
		u64 b = 0;
		mm_spin_lock(&pmm.lock);
		if (pmm.free_pages >= pmm_guest_reserve() + frames)
			b = buddy_alloc_locked(PMM_ZERO_BLOCK_ORDER);
		mm_spin_unlock(&pmm.lock);
		if (!b)
			break;
		memset(phys_to_virt(b), 0, PAGE_SIZE << PMM_ZERO_BLOCK_ORDER);
		mm_spin_lock(&zbpool.lock);
		*(u64 *)phys_to_virt(b) = zbpool.head;
		zbpool.head = b;
		__atomic_store_n(&zbpool.n, zbpool.n + 1, __ATOMIC_RELAXED);
		mm_spin_unlock(&zbpool.lock);
		__atomic_fetch_add(&zpool.refilled, frames, __ATOMIC_RELAXED);
		done += frames;
	}
	return done;
}

/*
 * A pre-zeroed block of PMM_ZERO_BLOCK_ORDER from its pool, every byte
 * zero (the link word cleared again); 0 when the pool is empty or, for
 * GUEST demand, the block would go below the guest reserve.
 */
u64 pmm_take_zeroed_block(bool guest)
{
	if (!__atomic_load_n(&zbpool.n, __ATOMIC_RELAXED))
		return 0;
	if (guest && !guest_may_take(PMM_ZERO_BLOCK_ORDER))
		return 0;
	mm_spin_lock(&zbpool.lock);
	u64 b = zbpool.head;
	if (b) {
		zbpool.head = *(u64 *)phys_to_virt(b);
		__atomic_store_n(&zbpool.n, zbpool.n - 1, __ATOMIC_RELAXED);
	}
	mm_spin_unlock(&zbpool.lock);
	if (b) {
		*(u64 *)phys_to_virt(b) = 0; /* the link: zero again */
		__atomic_fetch_add(&zbpool.hits, 1, __ATOMIC_RELAXED);
	}
	return b;
}

void pmm_zero_block_pool_set_target(u64 blocks)
{
	__atomic_store_n(&zbpool.target, blocks, __ATOMIC_RELAXED);
}

/*
 * Zero up to MAX free frames into the pool, while it holds fewer than its
 * target (pmm_zero_pool_set_target).  For the idle loop: returns the frames
 * zeroed, 0 when there was nothing to do (then the caller may pause).
 * Frames are taken from the buddy lists PCP_BATCH at a time, zeroed with
 * no lock held, and pushed onto the pool together.
 */
u64 pmm_zero_pool_refill(u64 max)
{
	u64 done = 0;
	while (done < max) {
		u64 have = __atomic_load_n(&zpool.n, __ATOMIC_RELAXED);
		u64 target = __atomic_load_n(&zpool.target, __ATOMIC_RELAXED);
		if (have >= target)
			break;
		u64 want = MIN(MIN(target - have, max - done), (u64)PCP_BATCH), batch[PCP_BATCH];
		u32 n = 0;
		mm_spin_lock(&pmm.lock);
		/* Whole aligned blocks of a magazine's size where the lists have
		 * them, so that a magazine is one block (see pcp_alloc_prezeroed
		 * for why), then single frames.  Keep the guest reserve's worth
		 * in the buddy lists: it is what the VMM allocates from, and
		 * zeroing it would be wasted. */
		while (want - n >= PCP_ZBATCH && pmm.free_pages >= pmm_guest_reserve() + PCP_ZBATCH) {
			u64 p = buddy_alloc_locked(PCP_ZBATCH_ORDER);
			if (!p)
				break;
			for (u32 i = 0; i < PCP_ZBATCH; i++)
				batch[n++] = p + ((u64)i << PAGE_SHIFT);
		}
		while (n < want && pmm.free_pages > pmm_guest_reserve()) {
			u64 p = buddy_alloc_locked(0);
			if (!p)
				break;
			batch[n++] = p;
		}
		mm_spin_unlock(&pmm.lock);
		if (!n)
			break;
		for (u32 i = 0; i < n; i++)
			memset(phys_to_virt(batch[i]), 0, PAGE_SIZE);
		/* Pack the batch into magazines of PCP_ZBATCH, linked in order;
		 * the last one links to the pool's head once under its lock. */
		u64 *last = NULL;
		for (u32 i = 0; i < n; i += PCP_ZBATCH) {
			u32 k = MIN(n - i, (u32)PCP_ZBATCH) - 1;
			u64 *w = phys_to_virt(batch[i]);
			w[1] = k;
			for (u32 j = 0; j < k; j++)
				w[2 + j] = batch[i + 1 + j];
			w[0] = i + PCP_ZBATCH < n ? batch[i + PCP_ZBATCH] : 0;
			last = w;
		}
		mm_spin_lock(&zpool.lock);
		last[0] = zpool.head;
		zpool.head = batch[0];
		__atomic_store_n(&zpool.n, zpool.n + n, __ATOMIC_RELAXED);
		mm_spin_unlock(&zpool.lock);
		__atomic_fetch_add(&zpool.refilled, n, __ATOMIC_RELAXED);
		done += n;
	}
	if (__atomic_load_n(&zpool.n, __ATOMIC_RELAXED) >= __atomic_load_n(&zpool.target, __ATOMIC_RELAXED))
		done += zero_blocks_refill(max - MIN(done, max));
	return done;
}

void pmm_zero_pool_set_target(u64 pages) { __atomic_store_n(&zpool.target, pages, __ATOMIC_RELAXED); }

/* The pre-zeroed pool's figures (see pmm.h).  Any context, no lock. */
void pmm_zero_stats(struct pmm_zero_stats *out)
{
	out->pool = __atomic_load_n(&zpool.n, __ATOMIC_RELAXED);
	out->target = __atomic_load_n(&zpool.target, __ATOMIC_RELAXED);
	out->refilled = __atomic_load_n(&zpool.refilled, __ATOMIC_RELAXED);
	out->hits = out->misses = out->cached = 0;
	for (unsigned i = 0; i < MM_NSLOTS; i++) {
		out->hits += __atomic_load_n(&pcps[i].zero_hits, __ATOMIC_RELAXED);
		out->misses += __atomic_load_n(&pcps[i].zero_misses, __ATOMIC_RELAXED);
		out->pool += __atomic_load_n(&pcps[i].nzero, __ATOMIC_RELAXED);
		out->cached += __atomic_load_n(&pcps[i].n, __ATOMIC_RELAXED);
	}
	out->blocks = __atomic_load_n(&zbpool.n, __ATOMIC_RELAXED);
	out->block_target = __atomic_load_n(&zbpool.target, __ATOMIC_RELAXED);
	out->block_hits = __atomic_load_n(&zbpool.hits, __ATOMIC_RELAXED);
}

/* Empty every cache and the pool without freeing anything (pmm_init); the target stays. */
static void caches_reset(void)
{
	memset(pcps, 0, sizeof(pcps));
	u64 target = zpool.target;
	memset(&zpool, 0, sizeof(zpool));
	zpool.target = target;
	target = zbpool.target;
	memset(&zbpool, 0, sizeof(zbpool));
	zbpool.target = target;
}

/* ---------------------------------------------------------------- the interface */

/*
 * 2^order contiguous frames aligned to their size, not zeroed; 0 when no
 * block of that order can be found or made.  Single frames come through
 * the calling context's cache.
 */
u64 pmm_alloc_pages(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	return order ? buddy_alloc(order) : pcp_alloc();
}

/* One frame, not zeroed, or 0. */
u64 pmm_alloc_page(void) { return pmm_alloc_pages(0); }

static u64 guest_reserve; /* pages guest demand may not take (pmm.h) */

void pmm_set_guest_reserve(u64 pages) { __atomic_store_n(&guest_reserve, pages, __ATOMIC_RELAXED); }

u64 pmm_guest_reserve(void) { return __atomic_load_n(&guest_reserve, __ATOMIC_RELAXED); }

/*
 * Whether guest demand may take 2^ORDER more frames.  The buddy lists'
 * count alone (a line written only once per batch) settles the common
 * case; near the reserve the exact count, caches and pool included.
 */
static bool guest_may_take(unsigned order)
{
	u64 need = pmm_guest_reserve() + (1ULL << order);
	return __atomic_load_n(&pmm.free_pages, __ATOMIC_RELAXED) >= need ||
	       pmm_free_count() >= need;
}

u64 pmm_alloc_pages_guest(unsigned order)
{
	if (order > PMM_MAX_ORDER || !guest_may_take(order))
		return 0;
	return pmm_alloc_pages(order);
}

/* 2^ORDER frames with every byte FILL, or 0.  A zeroed single frame comes pre-zeroed when it can. */
u64 pmm_alloc_pages_filled(unsigned order, u8 fill)
{
	if (order == 0 && fill == 0)
		return pmm_alloc_page_zeroed();
	u64 pa = pmm_alloc_pages(order);
	if (pa)
		memset(phys_to_virt(pa), fill, PAGE_SIZE << order);
	return pa;
}

/* One zero-filled frame: pre-zeroed (a hit) or zeroed now (a miss); 0 when none is left. */
u64 pmm_alloc_page_zeroed(void)
{
	u64 pa = pcp_alloc_prezeroed();
	if (pa)
		return pa;
	pa = pmm_alloc_pages(0);
	if (pa) {
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		count_zero_miss();
	}
	return pa;
}

/* The same for guest demand: 0 at the guest reserve (pmm_alloc_pages_guest). */
u64 pmm_alloc_page_zeroed_guest(void)
{
	if (!guest_may_take(0))
		return 0;
	return pmm_alloc_page_zeroed();
}

/*
 * Give back the block PA of ORDER (see buddy_free_locked for what PA must
 * be).  A single frame goes to the calling context's cache.
 */
void pmm_free_pages(u64 pa, unsigned order)
{
	MM_ASSERT(order <= PMM_MAX_ORDER && IS_ALIGNED(pa, PAGE_SIZE << order));
	if (order == 0) {
		pcp_free(pa);
		return;
	}
	mm_spin_lock(&pmm.lock);
	buddy_free_locked(pa, order);
	mm_spin_unlock(&pmm.lock);
}

void pmm_free_page(u64 pa) { pmm_free_pages(pa, 0); }

/* The largest order (up to PMM_MAX_ORDER) whose blocks may start at frame number FRAME. */
static unsigned frame_align(u64 frame)
{
	return frame ? MIN((unsigned)__builtin_ctzll(frame), (unsigned)PMM_MAX_ORDER) : PMM_MAX_ORDER;
}

/*
 * Free the single frames PAS[0..N) to the buddy lists, as whole blocks
 * where they allow: 2^k frames that are the aligned block of order k and
 * come in PAS one after the other, ascending or descending, go back as
 * that block, so the merging a frame at a time would do (a list removal
 * and insertion per level) is done once.  Teardown frees backing in the
 * order the radix holds it, which is the order the caches handed it out:
 * runs of ascending frames (the plain cache) or descending ones (the
 * pre-zeroed stack).  Any other order still frees every frame, one at a
 * time.  pmm's lock held.
 */
static void free_frames_locked(const u64 *pas, u64 n)
{
	const u64 most = 1ULL << PMM_MAX_ORDER;
	for (u64 i = 0; i < n;) {
		u64 pa = pas[i], r = 1, base;
		unsigned k;
		if (i + 1 < n && pas[i + 1] == pa - PAGE_SIZE) {
			/* Descending (the pre-zeroed stacks hand frames out so): the
			 * block is the top 2^k frames of the run, ending at PA. */
			while (r < most && i + r < n && pas[i + r] == pa - (r << PAGE_SHIFT))
				r++;
			k = MIN(63 - (unsigned)__builtin_clzll(r), frame_align((pa >> PAGE_SHIFT) + 1));
			base = pa + PAGE_SIZE - (PAGE_SIZE << k);
		} else {
			while (r < most && i + r < n && pas[i + r] == pa + (r << PAGE_SHIFT))
				r++;
			k = MIN(63 - (unsigned)__builtin_clzll(r), frame_align(pa >> PAGE_SHIFT));
			base = pa;
		}
		while (k && !range_of(base, PAGE_SIZE << k)) { /* a block never spans two ranges */
			k--;
			base = base < pa ? pa + PAGE_SIZE - (PAGE_SIZE << k) : pa;
		}
		buddy_free_locked(base, k);
		i += 1ULL << k;
	}
}

/*
 * Give back N blocks of ORDER, PAS[0..N), straight to the buddy lists, in
 * one hold of pmm's lock: for teardown, which frees thousands at once and
 * would only overflow the per-CPU caches.  Single frames that are runs of
 * a larger aligned block go back as that block (free_frames_locked).
 */
void pmm_free_batch(const u64 *pas, u64 n, unsigned order)
{
	if (!n)
		return;
	mm_spin_lock(&pmm.lock);
	if (order == 0)
		free_frames_locked(pas, n);
	else
		for (u64 i = 0; i < n; i++)
			buddy_free_locked(pas[i], order);
	mm_spin_unlock(&pmm.lock);
}

/* Frames free now: the buddy lists', the caches' and the pool's. */
u64 pmm_free_count(void)
{
	u64 n = __atomic_load_n(&pmm.free_pages, __ATOMIC_RELAXED);
	n += __atomic_load_n(&zpool.n, __ATOMIC_RELAXED);
	n += __atomic_load_n(&zbpool.n, __ATOMIC_RELAXED) << PMM_ZERO_BLOCK_ORDER;
	for (unsigned i = 0; i < MM_NSLOTS; i++)
		n += __atomic_load_n(&pcps[i].n, __ATOMIC_RELAXED) +
		     __atomic_load_n(&pcps[i].nzero, __ATOMIC_RELAXED);
	return n;
}

/* Frames ever handed to the allocator (metadata pages not counted). */
u64 pmm_total_count(void) { return __atomic_load_n(&pmm.total_pages, __ATOMIC_RELAXED); }

/*
 * Free blocks of ORDER now on the buddy lists (for tests and the console),
 * after the per-CPU caches were drained into them, so that freed frames
 * have merged; the pre-zeroed pool stays.
 */
u64 pmm_free_blocks(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	pcp_drain_all();
	mm_spin_lock(&pmm.lock);
	u64 n = pmm.nfree[order];
	mm_spin_unlock(&pmm.lock);
	return n;
}
