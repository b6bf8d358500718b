/*
 * Memslots: which guest-physical ranges are RAM, and the host frames that
 * back them.
 *
 * Backing is allocated lazily, the first time a page is touched (a nested
 * page fault or tdp_write_guest), and stays with the slot until the slot is
 * deleted: zapping table entries never loses guest data.  The gfn -> frame
 * map of a slot is a sparse 512-ary radix tree whose nodes are pmm pages:
 *
 *   - the tree is indexed by gfn - radix_base, with radix_base the slot's
 *     first gfn rounded down to 1 GiB, so the entries of a level-2 node
 *     correspond to naturally aligned guest 2 MiB frames and those of a
 *     level-3 node to guest 1 GiB frames, whatever the slot's alignment;
 *   - nodes are pages of tdp_pt.c, like page tables, so each has a 512-bit
 *     presence map, bit i set once entry i was published: deleting a slot
 *     visits only the entries in use;
 *   - a level-1 entry holds the physical address of one 4 KiB frame;
 *   - a level-2 entry holds a level-1 node; or, while its guest 2 MiB frame
 *     has only one backed page, that page's frame itself, tagged with
 *     RADIX_SINGLE and the page's level-1 index (the second page of that
 *     2 MiB replaces it with a node holding both): a guest that touches one
 *     page per 2 MiB then costs no node page per touch, neither to fault
 *     nor to tear down; or (MEMSLOT_HUGE) a 2 MiB block
 *     (pmm order 9) tagged with RADIX_BLOCK, used when the whole aligned
 *     guest 2 MiB frame lies inside the slot; a level-3 entry likewise holds
 *     a 1 GiB block (order 18) when the whole aligned guest 1 GiB frame lies
 *     inside a MEMSLOT_HUGE slot (such slots get a radix of depth >= 3).
 *
 * Several vCPUs may fault on the same page at once, all holding the MMU lock
 * for read: each allocates a candidate, fills it, and publishes it with a
 * compare-and-exchange from 0; the losers free their candidate and use the
 * winner's.  Prefill blobs are copied into a candidate before it is
 * published, so nobody sees a half-filled page.
 *
 * Adding and deleting slots and registering prefill happen under the MMU
 * lock held for write; lookups and backing under it in either mode.  The
 * functions here never take the lock, but assert that the calling context
 * holds it in the mode they need (struct memslots knows which lock).
 * Adding or deleting a slot bumps the generation, which MMIO entries carry
 * (see spte.h); prefill does not, since it changes no GPA from MMIO to RAM
 * or back.
 */
#ifndef PAGODA_MEMSLOT_H
#define PAGODA_MEMSLOT_H

#include "mm/mm_env.h"
#include "mm/mm_lock.h"
#include "mm/tdp_types.h"
#include "lib/types.h"

#define RADIX_BLOCK 0x1ULL  /* level >= 2 radix entry: a block, not a node */
#define RADIX_SINGLE 0x2ULL /* level-2 radix entry: the only frame of its 2 MiB, not a node */
#define RADIX_SINGLE_SHIFT 3 /* ... whose level-1 index sits in bits 3..11 */

struct memslot {
	bool used;          /* slot in use */
	unsigned flags;     /* MEMSLOT_* */
	u64 base_gfn;       /* first guest frame */
	u64 npages;         /* guest frames */
	u64 radix_root;     /* physical address of the radix root node (a tdp_pt.c page) */
	int radix_depth;    /* levels of the radix tree (>= 2) */
	u64 radix_base;     /* gfn of radix index 0 (base_gfn rounded down to 1 GiB) */
	u64 prefill;        /* physical address of the first prefill record page, or 0 */
	u64 prefill_lo;     /* [prefill_lo, prefill_hi): GPAs holding every prefill blob, so */
	u64 prefill_hi;     /* that a page outside them is backed without reading the records */
	u64 radix_nodes;    /* radix node pages (atomic) */
	bool dirty_log;     /* dirty logging on: 4 KiB leaves only, writes recorded */
	u64 dirty_bitmap;   /* physical address of npages bits (pmm block), or 0 */
	unsigned dirty_order; /* pmm order of that block */
};

struct memslots {
	struct memslot slot[TDP_MAX_MEMSLOTS]; /* by id; those with used set are slots */
	struct mm_rwlock *lock; /* the MMU lock that guards them (asserted, never taken here) */
	u64 generation;     /* bumped on every slot add / delete (atomic) */
	struct memslots_pcpu {
		u64 backing[TDP_MAX_MEMSLOTS]; /* 4 KiB frames this CPU slot added to the backing
						  of each memslot (atomic adds; the sum over CPU
						  slots is the slot's backing) */
	} __attribute__((aligned(MM_CACHELINE))) pcpu[MM_NSLOTS]; /* per CPU slot (mm_env.h),
						  so faults on two CPUs share no line */
};

/* Where the backing of one gfn lives. */
struct memslot_backing {
	u64 hpa;        /* host frame backing the gfn */
	u64 block_hpa;  /* first frame of the block it belongs to */
	unsigned order; /* pmm order of that block (0, 9 or 18) */
};

void memslots_init(struct memslots *ms, struct mm_rwlock *lock);
int memslots_add(struct memslots *ms, u64 gpa, u64 size, unsigned flags, u64 max_gpa);
u64 memslots_remove(struct memslots *ms, int id);
/* 4 KiB frames backing slot S of MS now, or every slot's when S is NULL.  Any
 * context, no lock (the per-CPU parts are read one by one). */
u64 memslots_backing_pages(struct memslots *ms, const struct memslot *s);

int memslot_backing_locked(struct memslots *ms, struct memslot *s, u64 gfn, bool alloc,
			   struct memslot_backing *out);
int memslot_add_prefill(struct memslots *ms, struct memslot *s, u64 gpa, const void *src,
			u64 len);
void memslot_read_unbacked(struct memslots *ms, struct memslot *s, u64 gpa, void *dst, u64 len);

/*
 * Dirty logging's bitmap (one bit per page of the slot): start allocates it
 * zeroed and sets dirty_log (0 or -E_NOMEM, then nothing changed); stop
 * frees it and clears dirty_log.  MMU lock held for write.
 */
int memslot_dirty_log_start(struct memslots *ms, struct memslot *s);
void memslot_dirty_log_stop(struct memslots *ms, struct memslot *s);

static inline bool memslot_contains(const struct memslot *s, u64 gfn)
{
	return s->used && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages;
}

/* The generation (see above): one atomic read, any context. */
static inline u64 memslots_generation(struct memslots *ms)
{
	return __atomic_load_n(&ms->generation, __ATOMIC_ACQUIRE);
}

/*
 * Find (and with ALLOC, create) the backing of GFN in slot S of MS (see
 * memslot_backing_locked() in memslot.c for the results).  MMU lock held,
 * either mode.  The lock check is made here, inline, where the caller has
 * its context record at hand already (every fault and guest-memory copy
 * comes through here): in the out-of-line body it would cost a call.
 */
static inline int memslot_backing(struct memslots *ms, struct memslot *s, u64 gfn, bool alloc,
				  struct memslot_backing *out)
{
	MM_ASSERT_HELD(ms->lock);
	return memslot_backing_locked(ms, s, gfn, alloc, out);
}

/*
 * The slot of MS containing GFN, or NULL.  MMU lock held (either mode).
 * Inline: the fault path calls it once per fault, and here its lock check
 * shares the caller's mm_ctx_self().
 */
static inline struct memslot *memslots_find(struct memslots *ms, u64 gfn)
{
	MM_ASSERT_HELD(ms->lock);
	for (int i = 0; i < TDP_MAX_MEMSLOTS; i++)
		if (memslot_contains(&ms->slot[i], gfn))
			return &ms->slot[i];
	return NULL;
}

/* Slot ID of MS if in use, else NULL.  MMU lock held (either mode). */
static inline struct memslot *memslots_get(struct memslots *ms, int id)
{
	MM_ASSERT_HELD(ms->lock);
	if (id < 0 || id >= TDP_MAX_MEMSLOTS || !ms->slot[id].used)
		return NULL;
	return &ms->slot[id];
}

/*
 * Record a write to GFN of slot S (of MS) in its dirty bitmap, if it has
 * one (a fault or a guest-memory write; MMU lock held, either mode: the bit
 * is set atomically, and harvest takes whole words with an exchange).
 */
static inline void memslot_mark_dirty(struct memslots *ms, struct memslot *s, u64 gfn)
{
	MM_ASSERT_HELD(ms->lock);
	if (!s->dirty_bitmap)
		return;
	u64 i = gfn - s->base_gfn, *bm = phys_to_virt(s->dirty_bitmap);
	__atomic_fetch_or(&bm[i / 64], BIT(i % 64), __ATOMIC_RELAXED);
}

#endif
