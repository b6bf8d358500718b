/*
 * Memslots and their lazily allocated backing (see memslot.h).
 */
#include "mm/memslot.h"
#include "mm/mm_debug.h"
#include "mm/mm_env.h"
#include "mm/mm_string.h"
#include "mm/pmm.h"
#include "mm/tdp_pt.h"

#define RADIX_BITS 9
#define RADIX_ENTRIES 512
#define BLOCK_2M_PAGES 512
#define BLOCK_2M_ORDER 9
#define BLOCK_1G_PAGES (1ULL << 18)
#define BLOCK_1G_ORDER 18

/* One registered prefill blob. */
struct prefill_rec {
	u64 gpa;         /* where it appears in the guest */
	u64 len;         /* bytes */
	const void *src; /* the bytes; valid until the slot is deleted */
};

#define PREFILL_PER_PAGE ((PAGE_SIZE - 16) / sizeof(struct prefill_rec))

/* A pmm page holding prefill records; pages are chained. */
struct prefill_page {
	u64 next;                          /* physical address of the next page, or 0 */
	u64 n;                             /* records used */
	struct prefill_rec rec[PREFILL_PER_PAGE];
};

_Static_assert(sizeof(struct prefill_page) <= PAGE_SIZE, "prefill page");

static u64 radix_load(u64 *e) { return __atomic_load_n(e, __ATOMIC_ACQUIRE); }

/*
 * Replace the radix entry E, which held OLD, with V.  True when we won;
 * otherwise *CUR gets what E holds now.  Release ordering makes the
 * contents of the page/node we publish (zeroes, prefill, a first frame)
 * visible before its address.
 */
static bool radix_replace(u64 *e, u64 old, u64 v, u64 *cur)
{
	u64 expected = old;
	if (__atomic_compare_exchange_n(e, &expected, v, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return true;
	*cur = expected;
	return false;
}

/* Publish V in the empty radix entry E (radix_replace from 0). */
static bool radix_publish(u64 *e, u64 v, u64 *cur) { return radix_replace(e, 0, v, cur); }

/* A level-2 entry holding the one frame PA of its 2 MiB, at level-1 index I (memslot.h). */
static u64 radix_single(u64 pa, u64 i) { return pa | RADIX_SINGLE | (i << RADIX_SINGLE_SHIFT); }

/* The level-1 index of the frame a RADIX_SINGLE entry V holds. */
static u64 radix_single_index(u64 v) { return (v & ~PAGE_MASK) >> RADIX_SINGLE_SHIFT; }

/*
 * Entry E of the radix node NODE was just published: set its bit in the
 * node's presence map (radix nodes are tdp_pt.c pages, which have one), so
 * that teardown visits the entries in use and not all 512.  Atomic OR:
 * CPUs publishing into one node at once under the read lock.  The bit is
 * set after the entry, and only read under the write lock (no publisher
 * left), so the map is exact when teardown reads it.
 */
static void radix_mark(u64 *node, u64 *e)
{
	unsigned i = (unsigned)(e - node);
	__atomic_fetch_or(&tdp_pt_map(virt_to_phys(node))[i / 64], BIT(i % 64), __ATOMIC_RELAXED);
}

/* Empty slots of an MMU whose lock is LOCK. */
void memslots_init(struct memslots *ms, struct mm_rwlock *lock)
{
	memset(ms, 0, sizeof(*ms));
	ms->lock = lock;
}

static void bump_generation(struct memslots *ms)
{
	__atomic_fetch_add(&ms->generation, 1, __ATOMIC_RELEASE);
}

/*
 * Add a slot for [gpa, gpa + size) with FLAGS; the range must be page-aligned,
 * non-empty, end at or below MAX_GPA and overlap no slot.  Allocates the radix
 * root.  Returns the slot id, or -E_INVAL / -E_EXIST / -E_NOMEM (no slot
 * free, or no page for the root).  Caller holds the MMU lock for write.
 */
int memslots_add(struct memslots *ms, u64 gpa, u64 size, unsigned flags, u64 max_gpa)
{
	MM_ASSERT_HELD_WRITE(ms->lock);
	if (!size || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    gpa + size < gpa || gpa + size > max_gpa ||
	    (flags & ~(unsigned)(MEMSLOT_READONLY | MEMSLOT_HUGE)))
		return -E_INVAL;
	u64 base = gpa >> PAGE_SHIFT, n = size >> PAGE_SHIFT;
	int id = -1;
	for (int i = 0; i < TDP_MAX_MEMSLOTS; i++) {
		struct memslot *s = &ms->slot[i];
		if (!s->used) {
			if (id < 0)
				id = i;
			continue;
		}
		if (base < s->base_gfn + s->npages && s->base_gfn < base + n)
			return -E_EXIST;
	}
	if (id < 0)
		return -E_NOMEM;
	u64 root = tdp_pt_alloc();
	if (!root)
		return -E_NOMEM;
	struct memslot *s = &ms->slot[id];
	memset(s, 0, sizeof(*s));
	s->flags = flags;
	s->base_gfn = base;
	s->npages = n;
	s->radix_root = root;
	s->radix_nodes = 1;
	s->radix_base = ALIGN_DOWN(base, 1ULL << (2 * RADIX_BITS));
	u64 span = base + n - s->radix_base;
	s->radix_depth = 2;
	/* A 1 GiB block lives in a level-3 entry: give a huge slot that level. */
	if ((flags & MEMSLOT_HUGE) && n >= BLOCK_1G_PAGES)
		s->radix_depth = 3;
	while (s->radix_depth < 6 && span > (1ULL << (RADIX_BITS * s->radix_depth)))
		s->radix_depth++;
	s->used = true;
	bump_generation(ms);
	return id;
}

/* Pages on their way back, handed over a batch at a time. */
struct free_batch {
	u64 n;          /* backing frames in pa[] */
	u64 pa[64];     /* backing frames, for pmm */
	u64 nnodes;     /* radix nodes in nodes[] */
	u64 nodes[64];  /* radix nodes, for tdp_pt.c */
};

static void batch_flush(struct free_batch *b)
{
	pmm_free_batch(b->pa, b->n, 0);
	b->n = 0;
	tdp_pt_free_batch(b->nodes, b->nnodes);
	b->nnodes = 0;
}

/*
 * Give back all of a full batch but the run of adjacent frames (ascending
 * or descending) it ends with, which moves to the front: the frames that
 * follow may continue that run, and pmm_free_batch returns a run that is
 * an aligned block as that block (a block cut in two at a batch boundary
 * went back as up to eight pieces, to be merged one list operation each).
 */
static void batch_flush_full(struct free_batch *b)
{
	u64 n = b->n, t = 1;
	if (n >= 2) {
		u64 step = b->pa[n - 1] - b->pa[n - 2];
		if (step == PAGE_SIZE || step == -PAGE_SIZE)
			while (t < n && b->pa[n - t] - b->pa[n - t - 1] == step)
				t++;
	}
	if (t == n) /* one run all through: nothing to wait for */
		t = 0;
	pmm_free_batch(b->pa, n - t, 0);
	for (u64 i = 0; i < t; i++)
		b->pa[i] = b->pa[n - t + i];
	b->n = t;
}

static void batch_add(struct free_batch *b, u64 pa)
{
	if (b->n == ARRAY_SIZE(b->pa))
		batch_flush_full(b);
	b->pa[b->n++] = pa;
}

static void batch_add_node(struct free_batch *b, u64 pa)
{
	if (b->nnodes == ARRAY_SIZE(b->nodes))
		batch_flush(b);
	b->nodes[b->nnodes++] = pa;
}

/*
 * Free a radix subtree at NODE of LEVEL; returns the 4 KiB frames of backing
 * freed.  Only the entries the node's presence map names are visited (a
 * node holding one page costs 8 word reads, not 512 entries).  Single
 * backing frames go through BATCH, to pmm's buddy lists a batch per hold of
 * its lock; blocks (RADIX_BLOCK) at once; nodes to tdp_pt.c, batched too.
 */
static u64 radix_free(struct memslot *s, u64 node_pa, int level, struct free_batch *batch)
{
	u64 *node = phys_to_virt(node_pa), freed = 0, *map = tdp_pt_map(node_pa);
	for (unsigned w = 0; w < TDP_MAP_WORDS; w++) {
		for (u64 bits = map[w]; bits; bits &= bits - 1) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);
			u64 v = node[i];
			MM_ASSERT(v); /* a bit is set only over a published entry */
			if (level == 1 || (v & RADIX_SINGLE)) {
				MM_ASSERT(level == 1 || level == 2);
				batch_add(batch, v & PAGE_MASK);
				freed++;
			} else if (v & RADIX_BLOCK) {
				MM_ASSERT(level == 2 || level == 3);
				unsigned order = level == 2 ? BLOCK_2M_ORDER : BLOCK_1G_ORDER;
				pmm_free_pages(v & PAGE_MASK, order);
				freed += 1ULL << order;
			} else {
				freed += radix_free(s, v, level - 1, batch);
			}
		}
	}
	batch_add_node(batch, node_pa);
	return freed;
}

/*
 * Delete slot ID: free its backing, radix and prefill records, bump the
 * generation.  Returns the 4 KiB frames of backing freed.  Caller holds the
 * MMU lock for write and has already zapped every table entry mapping the
 * slot and flushed the hardware TLBs (nothing may still reach the frames).
 */
u64 memslots_remove(struct memslots *ms, int id)
{
	struct memslot *s = &ms->slot[id];
	MM_ASSERT_HELD_WRITE(ms->lock);
	MM_ASSERT(s->used);
	struct free_batch batch = { 0 };
	u64 freed = radix_free(s, s->radix_root, s->radix_depth, &batch);
	batch_flush(&batch);
	MM_ASSERT(freed == memslots_backing_pages(ms, s));
	for (u64 p = s->prefill; p;) {
		u64 next = ((struct prefill_page *)phys_to_virt(p))->next;
		pmm_free_page(p);
		p = next;
	}
	for (unsigned c = 0; c < MM_NSLOTS; c++)
		__atomic_store_n(&ms->pcpu[c].backing[id], 0, __ATOMIC_RELAXED);
	memslot_dirty_log_stop(ms, s);
	memset(s, 0, sizeof(*s));
	bump_generation(ms);
	return freed;
}

/*
 * Give slot S a zeroed dirty bitmap (see memslot.h).  0, or -E_NOMEM when
 * pmm has no block large enough (the slot is left as it was).
 */
int memslot_dirty_log_start(struct memslots *ms, struct memslot *s)
{
	MM_ASSERT_HELD_WRITE(ms->lock);
	u64 bytes = ALIGN_UP(s->npages, 64) / 8;
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	u64 bm = order <= PMM_MAX_ORDER ? pmm_alloc_pages(order) : 0;
	if (!bm)
		return -E_NOMEM;
	memset(phys_to_virt(bm), 0, PAGE_SIZE << order);
	s->dirty_bitmap = bm;
	s->dirty_order = order;
	s->dirty_log = true;
	return 0;
}

/* Free slot S's dirty bitmap, if it has one, and turn its dirty logging off. */
void memslot_dirty_log_stop(struct memslots *ms, struct memslot *s)
{
	MM_ASSERT_HELD_WRITE(ms->lock);
	if (s->dirty_bitmap)
		pmm_free_pages(s->dirty_bitmap, s->dirty_order);
	s->dirty_bitmap = 0;
	s->dirty_order = 0;
	s->dirty_log = false;
}

/* Whether [gpa, gpa + len) holds part of a prefill blob of S (maybe: the blobs' span). */
static bool prefill_overlaps(const struct memslot *s, u64 gpa, u64 len)
{
	return s->prefill && gpa < s->prefill_hi && gpa + len > s->prefill_lo;
}

/* Copy the parts of every prefill blob that fall in [gpa, gpa + len) to DST. */
static void apply_prefill(struct memslot *s, u64 gpa, void *dst, u64 len)
{
	for (u64 p = s->prefill; p;) {
		struct prefill_page *pp = phys_to_virt(p);
		for (u64 i = 0; i < pp->n; i++) {
			struct prefill_rec *r = &pp->rec[i];
			u64 lo = MAX(r->gpa, gpa), hi = MIN(r->gpa + r->len, gpa + len);
			if (lo < hi)
				memcpy((u8 *)dst + (lo - gpa), (const u8 *)r->src + (lo - r->gpa),
				       hi - lo);
		}
		p = pp->next;
	}
}

/*
 * Contents of not-yet-backed guest memory of slot S (of MS): zeros plus
 * prefill.  MMU lock held (either mode: prefill changes under write).
 */
void memslot_read_unbacked(struct memslots *ms, struct memslot *s, u64 gpa, void *dst, u64 len)
{
	MM_ASSERT_HELD(ms->lock);
	memset(dst, 0, len);
	if (prefill_overlaps(s, gpa, len))
		apply_prefill(s, gpa, dst, len);
}

/* Fresh backing for [gpa, gpa + 4K << order): zeroed and prefilled.  0 if none. */
static u64 new_backing(struct memslot *s, u64 gpa, unsigned order)
{
	u64 pa;
	if (order == 0) {
		pa = pmm_alloc_page_zeroed_guest(); /* pre-zeroed when the pool has one */
		if (!pa)
			return 0;
	} else {
		pa = pmm_alloc_pages_guest(order);
		if (!pa)
			return 0;
		memset(phys_to_virt(pa), 0, PAGE_SIZE << order);
	}
	/* Most pages are outside every blob (a guest image is loaded low): no
	 * call, and the record pages stay untouched. */
	if (prefill_overlaps(s, gpa, PAGE_SIZE << order))
		apply_prefill(s, gpa, phys_to_virt(pa), PAGE_SIZE << order);
	return pa;
}

/* PAGES more frames back slot S of MS: counted in the calling context's CPU slot. */
static void account(struct memslots *ms, struct memslot *s, u64 pages)
{
	__atomic_fetch_add(&ms->pcpu[mm_slot_self()].backing[s - ms->slot], pages,
			   __ATOMIC_RELAXED);
}

u64 memslots_backing_pages(struct memslots *ms, const struct memslot *s)
{
	u64 sum = 0;
	for (unsigned c = 0; c < MM_NSLOTS; c++)
		for (int i = 0; i < TDP_MAX_MEMSLOTS; i++)
			if (!s || s == &ms->slot[i])
				sum += __atomic_load_n(&ms->pcpu[c].backing[i], __ATOMIC_RELAXED);
	return sum;
}

/*
 * Find (and with ALLOC, create) the backing of GFN in slot S.  Returns 0 and
 * fills OUT; -E_NOENT when the page has no backing yet and ALLOC is false;
 * -E_NOMEM when a page or node could not be allocated (nothing published is
 * left half-filled: a node that was published stays, empty, and is freed
 * with the slot).  Caller holds the MMU lock (either mode; under the shared
 * lock several CPUs may race here, see memslot.h), which memslot_backing(),
 * the inline front every caller uses, has asserted.
 */
int memslot_backing_locked(struct memslots *ms, struct memslot *s, u64 gfn, bool alloc,
			   struct memslot_backing *out)
{
	MM_ASSERT(memslot_contains(s, gfn));
	u64 idx = gfn - s->radix_base;
	u64 *node = phys_to_virt(s->radix_root);
	for (int level = s->radix_depth; level >= 1; level--) {
		u64 *e = &node[(idx >> (RADIX_BITS * (level - 1))) & (RADIX_ENTRIES - 1)];
		u64 v = radix_load(e);
	again:
		if (level == 1) {
			if (!v) {
				if (!alloc)
					return -E_NOENT;
				u64 pa = new_backing(s, gfn << PAGE_SHIFT, 0);
				if (!pa)
					return -E_NOMEM;
				if (radix_publish(e, pa, &v)) {
					radix_mark(node, e);
					account(ms, s, 1);
					v = pa;
				} else {
					pmm_free_page(pa);
				}
			}
			out->hpa = out->block_hpa = v;
			out->order = 0;
			return 0;
		}
		if (v & RADIX_SINGLE) {
			MM_ASSERT(level == 2);
			u64 i1 = idx & (RADIX_ENTRIES - 1), held = radix_single_index(v);
			if (held == i1) {
				out->hpa = out->block_hpa = v & PAGE_MASK;
				out->order = 0;
				return 0;
			}
			if (!alloc)
				return -E_NOENT;
			/*
			 * A second frame of this 2 MiB: the entry becomes a
			 * level-1 node holding the first one, filled before it is
			 * published, then the walk goes on into it.  A loser
			 * frees its node and looks again at the winner's.
			 */
			u64 n = tdp_pt_alloc_guest(); /* zeroed, with a zeroed presence map */
			if (!n)
				return -E_NOMEM;
			u64 *nn = phys_to_virt(n);
			nn[held] = v & PAGE_MASK;
			radix_mark(nn, &nn[held]);
			if (!radix_replace(e, v, n, &v)) {
				tdp_pt_free(n); /* never published */
				goto again;
			}
			__atomic_fetch_add(&s->radix_nodes, 1, __ATOMIC_RELAXED);
			v = n;
		} else if (v & RADIX_BLOCK) {
			MM_ASSERT(level == 2 || level == 3);
			out->order = level == 2 ? BLOCK_2M_ORDER : BLOCK_1G_ORDER;
			out->block_hpa = v & PAGE_MASK;
			out->hpa = out->block_hpa + ((gfn & ((1ULL << out->order) - 1)) << PAGE_SHIFT);
			return 0;
		}
		if (!v) {
			if (!alloc)
				return -E_NOENT;
			/*
			 * A block when the slot wants huge backing and the whole
			 * naturally aligned guest frame of this level lies inside
			 * the slot; when pmm has no such block, smaller pieces.
			 */
			unsigned order = level == 2 ? BLOCK_2M_ORDER : BLOCK_1G_ORDER;
			u64 frame = ALIGN_DOWN(gfn, 1ULL << order);
			if ((level == 2 || level == 3) && (s->flags & MEMSLOT_HUGE) &&
			    frame >= s->base_gfn && frame + (1ULL << order) <= s->base_gfn + s->npages) {
				u64 blk = new_backing(s, frame << PAGE_SHIFT, order);
				if (blk) {
					if (radix_publish(e, blk | RADIX_BLOCK, &v)) {
						radix_mark(node, e);
						account(ms, s, 1ULL << order);
						v = blk | RADIX_BLOCK;
					} else {
						pmm_free_pages(blk, order);
					}
					goto again;
				}
				/* No block of that size left: fall back to smaller frames. */
			}
			if (level == 2) {
				/* The first frame of this 2 MiB: held in the entry itself. */
				u64 pa = new_backing(s, gfn << PAGE_SHIFT, 0);
				if (!pa)
					return -E_NOMEM;
				u64 single = radix_single(pa, idx & (RADIX_ENTRIES - 1));
				if (radix_publish(e, single, &v)) {
					radix_mark(node, e);
					account(ms, s, 1);
					out->hpa = out->block_hpa = pa;
					out->order = 0;
					return 0;
				}
				pmm_free_page(pa);
				goto again;
			}
			u64 n = tdp_pt_alloc_guest(); /* zeroed, with a zeroed presence map */
			if (!n)
				return -E_NOMEM;
			if (radix_publish(e, n, &v)) {
				radix_mark(node, e);
				__atomic_fetch_add(&s->radix_nodes, 1, __ATOMIC_RELAXED);
				v = n;
			} else {
				tdp_pt_free(n); /* never published */
				goto again;
			}
		}
		node = phys_to_virt(v);
	}
	MM_BUG("radix walk fell through");
}

/*
 * Register LEN bytes at SRC to appear at GPA in slot S: recorded for pages
 * allocated later, and copied now into pages that already have backing.
 * 0 or -E_NOMEM (no page for the record).  MMU lock held for write (no
 * fault may allocate backing meanwhile).
 */
int memslot_add_prefill(struct memslots *ms, struct memslot *s, u64 gpa, const void *src,
			u64 len)
{
	struct prefill_page *pp = NULL;
	MM_ASSERT_HELD_WRITE(ms->lock);
	for (u64 p = s->prefill; p; p = pp->next) {
		pp = phys_to_virt(p);
		if (pp->n < PREFILL_PER_PAGE)
			break;
	}
	if (!pp || pp->n == PREFILL_PER_PAGE) {
		u64 np = pmm_alloc_page_zeroed();
		if (!np)
			return -E_NOMEM;
		struct prefill_page *fresh = phys_to_virt(np);
		if (pp)
			pp->next = np;
		else
			s->prefill = np;
		pp = fresh;
	}
	pp->rec[pp->n++] = (struct prefill_rec){ .gpa = gpa, .len = len, .src = src };
	if (s->prefill_lo == s->prefill_hi) { /* the first blob */
		s->prefill_lo = gpa;
		s->prefill_hi = gpa + len;
	} else {
		s->prefill_lo = MIN(s->prefill_lo, gpa);
		s->prefill_hi = MAX(s->prefill_hi, gpa + len);
	}

	/* Pages already backed get the bytes now. */
	for (u64 a = ALIGN_DOWN(gpa, PAGE_SIZE); a < gpa + len; a += PAGE_SIZE) {
		struct memslot_backing b;
		if (memslot_backing(ms, s, a >> PAGE_SHIFT, false, &b) != 0)
			continue;
		u64 lo = MAX(a, gpa), hi = MIN(a + PAGE_SIZE, gpa + len);
		memcpy((u8 *)phys_to_virt(b.hpa) + (lo - a), (const u8 *)src + (lo - gpa), hi - lo);
	}
	return 0;
}
