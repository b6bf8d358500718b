/*
 * Page-table pages and their presence maps (interface in tdp_pt.h).
 *
 * Why the map is not beside the table.  The hardware walks all 4 KiB of a
 * table page, so the 64-byte map must live elsewhere.  Giving every table
 * a second page for it (an order-1 block) doubled the memory of every
 * guest's tables.
 *
 * Layout.  Tables are carved from chunks: pmm blocks of TDP_PT_CHUNK_PAGES
 * pages (order TDP_PT_CHUNK_ORDER), aligned to their size.  Page 0 of a
 * chunk is its map page: 64-byte slot 0 is the chunk header, slot i
 * (1..15) the presence map of the table in page i.  So the map of the
 * table at PA is at chunk(PA) + index(PA) * 64, found with two masks: no
 * per-frame metadata, no search, no lock, nothing stored in the table page
 * (whose every bit belongs to the hardware).  Chunks with a free page sit
 * on a doubly linked list; a table is taken from the head chunk, a chunk
 * is taken from pmm only when no chunk has a free page, and it goes back
 * to pmm the moment its last table is freed, so "free pages before create
 * == after destroy" holds with nothing kept here.
 *
 * Why chunks and not a slab of maps found through per-frame metadata (as
 * Linux finds a struct page).  pmm keeps no per-frame word (its metadata
 * is one bit per frame), and adding one costs memory for every host frame;
 * allocating such words sparsely, per region holding a table, costs about
 * one page per table again, because tables are allocated one at a time
 * between thousands of backing pages and so land in different regions.
 * Chunks keep the tables together instead.  The price is the spare pages
 * of partly used chunks (at most 14 per chunk; shared by all guests, the
 * next table anywhere takes them) and one map page per 15 tables.  Order 4
 * balances the two: a tiny guest (root, 3 tables, 8 cached) fits in one
 * chunk, 16 pages where it had 24; a large one pays 1/15 on top of its
 * tables instead of 1/1.  A new chunk needs a free aligned block of 16
 * pages (the old scheme needed blocks of 2): with only scattered single
 * pages left, tables fail with NOMEM before pmm is quite empty; the buddy
 * allocator merges freed pages back, so that takes a fragmented host.
 *
 * Pre-zeroed chunks.  A new chunk comes from pmm's pool of pre-zeroed
 * blocks (order PMM_ZERO_BLOCK_ORDER, zeroed in idle time) when it has
 * one: then every page and map in it is zero, the header's zeroed mask
 * says so, and tdp_pt_alloc() hands those pages out first without
 * clearing them; a page freed again loses the mark (the table holds
 * frozen entries) and is cleared when reused.  Without a pooled block the
 * chunk comes from the buddy lists and each table is zeroed on allocation.
 *
 * Concurrency.  One spinlock covers the chunk headers and the list (a few
 * list operations, like pmm's); it may be taken under the MMU lock in
 * either mode, and pmm's lock is taken only outside it.  The table page and
 * its map are zeroed by tdp_pt_alloc() before the table is published by a
 * compare-and-exchange with release semantics; walkers reach the table
 * through an acquire load of the entry linking it (spte_read), so they see
 * zeros.  A map is reused only after tdp_pt_free() of its table, which the
 * MMU calls only when nobody can reach the table any more (after the
 * flush, or after a grace period for tables removed under the read lock:
 * a CPU that won a cmpxchg in the table just before it was frozen may still
 * set its bit late, and that write must land in a map that is still the
 * table's).  Reuse by another CPU is ordered by the chunk lock.
 */
#include "mm/tdp_pt.h"
#include "mm/mm_debug.h"
#include "mm/mm_env.h"
#include "mm/mm_lock.h"
#include "mm/mm_string.h"
#include "mm/pmm.h"

#define MAP_BYTES   (TDP_MAP_WORDS * 8)
#define CHUNK_BYTES ((u64)PAGE_SIZE << TDP_PT_CHUNK_ORDER)
/* Pages 1..15 of a fresh chunk are free for tables. */
#define CHUNK_FREE_ALL (((1ULL << TDP_PT_CHUNK_PAGES) - 1) & ~1ULL)

_Static_assert(TDP_PT_CHUNK_PAGES <= 64, "the free mask is one word");
_Static_assert(TDP_PT_CHUNK_PAGES * MAP_BYTES <= PAGE_SIZE, "header and maps fit page 0");

/* Slot 0 of a chunk's page 0. */
struct pt_chunk {
	u64 next;   /* list of chunks with a free page: next, 0 at the end */
	u64 prev;   /* previous, 0 at the head */
	u64 free;   /* bit i: page i holds no table (bit 0, the map page, never) */
	u64 used;   /* tables in this chunk */
	u64 zeroed; /* bit i: free page i and its map are known all-zero (chunk came pre-zeroed) */
	u64 pad[3];
};
_Static_assert(sizeof(struct pt_chunk) == MAP_BYTES, "the header fills slot 0");
_Static_assert(TDP_PT_CHUNK_ORDER == PMM_ZERO_BLOCK_ORDER, "chunks come from pmm's zeroed block pool");

static struct {
	struct mm_spinlock lock;
	u64 partial; /* first chunk with a free page, 0 when none */
	u64 chunks;  /* chunks held from pmm (atomic for readers without the lock) */
} ptc;

static struct pt_chunk *C(u64 pa) { return phys_to_virt(pa); }

static u64 chunk_of(u64 pt_pa) { return pt_pa & ~(CHUNK_BYTES - 1); }

static unsigned index_of(u64 pt_pa) { return (unsigned)((pt_pa & (CHUNK_BYTES - 1)) >> PAGE_SHIFT); }

/* Put chunk PA at the head of the list.  Chunk lock held. */
static void partial_push(u64 pa)
{
	C(pa)->prev = 0;
	C(pa)->next = ptc.partial;
	if (ptc.partial)
		C(ptc.partial)->prev = pa;
	ptc.partial = pa;
}

/* Take chunk PA off the list.  Chunk lock held. */
static void partial_del(u64 pa)
{
	struct pt_chunk *c = C(pa);
	if (c->prev)
		C(c->prev)->next = c->next;
	else
		ptc.partial = c->next;
	if (c->next)
		C(c->next)->prev = c->prev;
	c->next = c->prev = 0;
}

/*
 * A zeroed table page with a zeroed map (see the top); 0 when no chunk has
 * a free page and pmm has no block of TDP_PT_CHUNK_ORDER.  A new chunk is
 * taken from pmm outside the chunk lock; another CPU may use its pages
 * before we do, in which case we simply take one from the next chunk the
 * list offers (there is one: ours, or the one that beat us to it).
 */
static u64 pt_alloc(bool guest)
{
	mm_spin_lock(&ptc.lock);
	if (!ptc.partial) {
		mm_spin_unlock(&ptc.lock);
		/* Pre-zeroed when pmm's block pool has one (idle time zeroed it). */
		u64 c = pmm_take_zeroed_block(guest);
		bool zeroed = c != 0;
		if (!c)
			c = guest ? pmm_alloc_pages_guest(TDP_PT_CHUNK_ORDER) :
				    pmm_alloc_pages(TDP_PT_CHUNK_ORDER);
		if (!c)
			return 0;
		if (!zeroed)
			memset(C(c), 0, sizeof(struct pt_chunk));
		C(c)->free = CHUNK_FREE_ALL;
		C(c)->zeroed = zeroed ? CHUNK_FREE_ALL : 0;
		mm_spin_lock(&ptc.lock);
		__atomic_store_n(&ptc.chunks, ptc.chunks + 1, __ATOMIC_RELAXED);
		partial_push(c);
	}
	u64 c = ptc.partial;
	struct pt_chunk *h = C(c);
	/* A page known to be zero first: then there is nothing to clear. */
	u64 zero_free = h->free & h->zeroed;
	unsigned i = (unsigned)__builtin_ctzll(zero_free ? zero_free : h->free);
	h->free &= ~BIT(i);
	h->zeroed &= ~BIT(i);
	h->used++;
	if (!h->free)
		partial_del(c);
	mm_spin_unlock(&ptc.lock);
	u64 pt = c + ((u64)i << PAGE_SHIFT);
	if (!zero_free) {
		memset(phys_to_virt(pt), 0, PAGE_SIZE);
		memset(tdp_pt_map(pt), 0, MAP_BYTES);
	}
	return pt;
}

u64 tdp_pt_alloc(void) { return pt_alloc(false); }

u64 tdp_pt_alloc_guest(void) { return pt_alloc(true); }

/*
 * Free the table at PT_PA, and with it its map; its chunk goes back to pmm
 * when this was its last table.  Assumes no CPU and no hardware walk can
 * reach the table any more (the caller waited for the flush or the grace
 * period), so nobody writes the table or its map.
 */
void tdp_pt_free(u64 pt_pa)
{
	u64 c = chunk_of(pt_pa);
	unsigned i = index_of(pt_pa);
	struct pt_chunk *h = C(c);
	MM_ASSERT(i != 0 && IS_ALIGNED(pt_pa, PAGE_SIZE));
	mm_spin_lock(&ptc.lock);
	MM_ASSERT(!(h->free & BIT(i)) && h->used > 0); /* double free, or not a table */
	if (!h->free)
		partial_push(c); /* was full: has a free page now */
	h->free |= BIT(i);
	if (--h->used) {
		mm_spin_unlock(&ptc.lock);
		return;
	}
	partial_del(c);
	__atomic_store_n(&ptc.chunks, ptc.chunks - 1, __ATOMIC_RELAXED);
	mm_spin_unlock(&ptc.lock);
	pmm_free_pages(c, TDP_PT_CHUNK_ORDER);
}

/*
 * Free the N tables PTS[0..N) as tdp_pt_free() would, in one hold of the
 * chunk lock per 64, and the chunks that empty in one hold of pmm's
 * (teardown frees thousands at once).  The same assumptions as
 * tdp_pt_free().
 */
void tdp_pt_free_batch(const u64 *pts, u64 n)
{
	u64 empty[64];
	while (n) {
		u64 k = MIN(n, (u64)ARRAY_SIZE(empty)), nempty = 0;
		mm_spin_lock(&ptc.lock);
		for (u64 j = 0; j < k; j++) {
			u64 c = chunk_of(pts[j]);
			unsigned i = index_of(pts[j]);
			struct pt_chunk *h = C(c);
			MM_ASSERT(i != 0 && IS_ALIGNED(pts[j], PAGE_SIZE));
			MM_ASSERT(!(h->free & BIT(i)) && h->used > 0); /* double free, or not a table */
			if (!h->free)
				partial_push(c); /* was full: has a free page now */
			h->free |= BIT(i);
			if (--h->used)
				continue;
			partial_del(c);
			__atomic_store_n(&ptc.chunks, ptc.chunks - 1, __ATOMIC_RELAXED);
			empty[nempty++] = c;
		}
		mm_spin_unlock(&ptc.lock);
		pmm_free_batch(empty, nempty, TDP_PT_CHUNK_ORDER);
		pts += k;
		n -= k;
	}
}

/* Chunks held from pmm now. */
u64 tdp_pt_chunks(void) { return __atomic_load_n(&ptc.chunks, __ATOMIC_RELAXED); }
