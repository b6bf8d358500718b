/*
 * The TDP MMU: nested page tables for one guest (interface in tdp_mmu.h).
 *
 * This file is the core: the MMU's life, memslot add/delete, the setters
 * and the handling of every entry change, range zaps and write protection,
 * faults, teardown.  tdp_dirty.c (dirty logging) and guest_mem.c
 * (guest-memory access) build on it through tdp_internal.h.
 *
 * Locking, in short (KVM's TDP MMU design, written anew):
 *
 *  - mmu->lock is a reader/writer spinlock.  Faults (and tdp_read_guest /
 *    tdp_write_guest) take it for read, so vCPUs fault in parallel.
 *    Teardown, memslot add/delete and prefill take it for write.  Every
 *    function that needs it held asserts the mode at entry, for the
 *    calling CPU (mm_lock.h: the lock knows who holds it, and how).
 *
 *  - Under the read lock several CPUs may change entries at once.  Every
 *    change is therefore a compare-and-exchange against the value the
 *    changer last read (iter.old_spte), made by the atomic setter,
 *    tdp_mmu_set_spte_atomic().  Losing means someone else changed the
 *    entry first; the loser counts a retry and walks again from the root
 *    (tdp_iter_restart), because what it read on the way down may be stale.
 *    Under the write lock the exclusive setter, tdp_mmu_set_spte(), stores.
 *
 *  - Removing a table under the read lock (shared zaps, and the zap that
 *    replaces a huge-leaf split when no page is left) must stop other CPUs
 *    from installing into the removed table, which nobody would ever see
 *    again (a leaked mapping, a leaked table).  handle_removed_pt()
 *    therefore freezes every one of its 512 entries (SPTE_FROZEN), present
 *    or not, with the atomic setter: a CPU whose cmpxchg raced with us
 *    either went first (ours fails, we read its value and freeze that, and
 *    account for it) or fails on FROZEN and restarts from the root, where it
 *    finds the new parent entry.  A shared zap that reached the table the
 *    same way may even have frozen one of its entries itself, to zap it:
 *    the remover waits until that zap has cleared the entry, and the zapper
 *    accounts for what it held.  The page itself is freed only after a
 *    grace period (tdp_gp.c), since walkers may still be reading it.
 *
 *  - Under the write lock nobody else walks the tables, so entries that are
 *    not MMU-present can be left alone (TDP_TEARDOWN_SKIP): nothing can
 *    make them present behind our back, there is no backing page to account
 *    for, and an MMIO entry is harmless because its memslot generation
 *    goes stale with the change that follows.  This is the point of the
 *    whole exercise: a guest that touched 100 pages of 6 GiB has ~100
 *    tables with one present entry each, and destroying it should cost ~100
 *    entry changes, not 100 * 512.
 *
 *  - Every change of an entry goes through handle_changed_spte(), which
 *    keeps the counters and the presence summary, and recurses into
 *    handle_removed_pt() when a link to a table disappears.
 *
 *  - Presence summary (TDP_TEARDOWN_SUMMARY).  Every table (one page, the
 *    512 entries the hardware walks) has a 512-bit map, bit i set when
 *    entry i may be MMU-present: a 64-byte slot in page 0 of the 16-page
 *    chunk the table was carved from, found from the table's address by
 *    arithmetic (tdp_pt.c), allocated and freed with the table (so a late
 *    setter under the read lock still hits it until the grace period is
 *    over).  handle_changed_spte() sets the bit after
 *    an entry became MMU-present and clears it after it stopped being so,
 *    with atomic OR / AND, so it runs under the read lock too.  Why the map
 *    is exact once every changer is done (as under the write lock): an
 *    entry leaves MMU-present either under the write lock, or under the
 *    read lock through FROZEN (zap: present -> FROZEN, clear, -> 0).  So no
 *    new value can be installed until the remover has cleared the bit, and
 *    the only reordering left is "install, remove + clear, late set of the
 *    first installer": a bit set over a non-present entry, which teardown
 *    reads, finds not present and counts as skipped.  "Present but bit
 *    clear" cannot happen.  Teardown in SUMMARY mode then visits only the
 *    entries whose bit is set: a table with one present entry costs 8 word
 *    reads and one entry, not 512.
 *
 * Host frames backing guest RAM belong to the memslots (memslot.c), not to
 * the tables: zapping an entry never frees guest data.
 */
#include "mm/tdp_mmu.h"
#include "mm/memslot.h"
#include "mm/mm_debug.h"
#include "mm/mm_env.h"
#include "mm/mm_lock.h"
#include "mm/mm_string.h"
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_gp.h"
#include "mm/tdp_internal.h"
#include "mm/tdp_iter.h"
#include "mm/tdp_pt.h"

_Static_assert(sizeof(struct tdp_mmu) <= (PAGE_SIZE << TDP_MMU_ORDER), "struct tdp_mmu must fit its block");

static enum tdp_teardown_mode teardown_mode = TDP_TEARDOWN_SKIP;

/* Entries a yielding range walk handles between two drops of the lock. */
#define TDP_YIELD_EVERY 1024


/* Add D to counter W of MMU, in the slot of context ME (the caller's own record). */
static inline void stat_add(struct tdp_mmu *mmu, struct mm_ctx *me, enum tdp_stat w, s64 d)
{
	__atomic_fetch_add(&mmu->stats[mm_ctx_slot(me)].v[w], (u64)d, __ATOMIC_RELAXED);
}

/* Counter W of MMU: the sum over the slots (not a snapshot of one instant). */
static u64 stat_sum(struct tdp_mmu *mmu, enum tdp_stat w)
{
	u64 sum = 0;
	for (unsigned i = 0; i < MM_NSLOTS; i++)
		sum += __atomic_load_n(&mmu->stats[i].v[w], __ATOMIC_RELAXED);
	return sum;
}

static enum tdp_stat leaf_counter(int level)
{
	MM_ASSERT(level >= 1 && level <= 3);
	return (enum tdp_stat)(TS_LEAVES_4K + level - 1);
}

static u64 *pt_of(u64 pa) { return phys_to_virt(pa); }

/*
 * The presence summary of the table holding SPTEP (TDP_MAP_WORDS words, see
 * the top).  The table must be allocated: it is reached through its entries.
 */
static u64 *pt_summary_of(u64 *sptep)
{
	return tdp_pt_map(virt_to_phys(sptep) & ~(u64)(PAGE_SIZE - 1));
}

static unsigned pt_index_of(u64 *sptep)
{
	return (unsigned)(((uintptr_t)sptep & (PAGE_SIZE - 1)) / sizeof(u64));
}

/* A zeroed table with its zeroed summary (tdp_pt.c); 0 when out of pages. */
static u64 alloc_pt(void) { return tdp_pt_alloc(); }

static void handle_removed_pt(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 pt_pa, int level,
			      u64 base_gfn);
static void memslots_changed(struct tdp_mmu *mmu);

/*
 * The single place that learns about an entry change: the level-LEVEL entry
 * at SPTEP for GFN went from OLD to NEW (already written by one of the
 * setters below, its only callers).  Keeps the leaf/table/MMIO counters and
 * the presence summary of the table holding SPTEP, notes that a flush is
 * due when something MMU-present went away or lost rights, and tears down
 * the table OLD linked when that link is gone.  Caller holds the MMU lock
 * in the mode ctx->shared says.
 *
 * Always inlined into the setters: where NEW is a constant (FROZEN or 0 in
 * every removal and zap loop) most of the tests below fold away, and the
 * loops that change every entry of a table pay no call per entry.  That
 * buys back far more than the lock-mode checks cost (see the commit that
 * added the setters for the figures).
 */
static inline __attribute__((always_inline)) void
handle_changed_spte(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 *sptep, u64 gfn, int level,
		    u64 old, u64 new)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	ASSERT_CTX_HOLDS(mmu, ctx);
	MM_ASSERT(level >= 1 && level <= mmu->root_level);
	if (ctx->ts)
		ctx->ts->changed++;
	if (old == new)
		return;
	bool was_p = spte_is_mmu_present(old), is_p = spte_is_mmu_present(new);
	bool was_leaf = was_p && spte_is_leaf(fmt, old, level);
	bool is_leaf = is_p && spte_is_leaf(fmt, new, level);
	bool same_table = was_p && is_p && !was_leaf && !is_leaf &&
			  spte_addr(fmt, old) == spte_addr(fmt, new);

	if (was_p != is_p) {
		unsigned i = pt_index_of(sptep);
		u64 *sum = pt_summary_of(sptep);
		if (is_p)
			__atomic_fetch_or(&sum[i / 64], BIT(i % 64), __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&sum[i / 64], ~BIT(i % 64), __ATOMIC_RELAXED);
	}
	if (was_leaf)
		stat_add(mmu, ctx->me, leaf_counter(level), -1);
	if (is_leaf)
		stat_add(mmu, ctx->me, leaf_counter(level), 1);
	if (is_p && !is_leaf && !same_table)
		stat_add(mmu, ctx->me, TS_TABLES, 1);
	if (spte_is_mmio(fmt, new))
		stat_add(mmu, ctx->me, TS_MMIO_ENTRIES, 1);
	if (was_p && (!is_p || !same_table))
		ctx->need_flush = true;
	if (was_p && !was_leaf && !same_table) {
		MM_ASSERT(level > 1);
		/*
		 * Before the table can be queued for freeing: a leaf-table hint
		 * taken before this (map_walk) is never used after it.  Under
		 * the write lock the lock orders it for the next reader; under
		 * the read lock it must precede, in the one order of
		 * sequentially consistent operations, the close of the grace
		 * period list the table goes on (see map_walk).  Destroy (a
		 * free queue: nobody faults any more) skips it.
		 */
		if (ctx->shared)
			__atomic_fetch_add(&mmu->tables_unlinked, 1, __ATOMIC_SEQ_CST);
		else if (!ctx->freeq)
			__atomic_store_n(&mmu->tables_unlinked, mmu->tables_unlinked + 1,
					 __ATOMIC_RELAXED);
		handle_removed_pt(mmu, ctx, spte_addr(fmt, old), level - 1, gfn);
	}
}

/* ---------------------------------------------------------------- setters */

/*
 * The setters.  Every change of an entry in the tables is made by one of
 * the two below, which write it and hand the change to
 * handle_changed_spte(); nothing else in mm/ writes an entry of a table
 * that is linked or was linked (KVM's tdp_mmu_set_spte_atomic() and
 * tdp_mmu_set_spte() play the same parts).  Which one is the lock mode's
 * business, and each asserts its mode at entry:
 *
 *  - Under the read lock, tdp_mmu_set_spte_atomic(): other CPUs may be
 *    changing the same entry, so the change is one compare-and-exchange
 *    against what the walk read there (see the top of the file).  The
 *    loser counts a retry and walks again from the root; the caller goes
 *    round its loop and looks at the entry afresh.
 *
 *  - Under the write lock, tdp_mmu_set_spte(): no other CPU writes entries,
 *    so a plain store.  Not even the hardware writes the entries such a
 *    store replaces, in a way that matters: mm/ installs every leaf with
 *    the accessed bit set, and the dirty bit too when it is writable (a leaf
 *    without write permission never gets D), so the hardware never writes
 *    a leaf back; it only sets A in non-leaf entries it walks through, with
 *    a locked update, and the exclusive setter only ever replaces a
 *    non-leaf entry with 0 or FROZEN, which a late A bit cannot reach (the
 *    hardware sets A only in an entry it finds present).
 *
 * iter_set_spte() picks the setter from ctx->shared for walks that run in
 * either mode.  Other atomic stores in mm/tdp_*.c are not entry changes:
 * the chain link dispose_table() keeps in entry 0 of a table already
 * removed (under the write lock, read back by tdp_finish_zap()), the
 * teardown mode, tdp_pt.c's chunk count and tdp_gp.c's spare page and
 * quiescent sequences.  A table that split_huge_leaf() fills before
 * linking it is written with plain stores: nobody can reach it yet, and
 * linking it is the change the setter makes.
 *
 * Outside this file the setters are declared in tdp_internal.h (the host
 * tests call them to prove their lock checks fire); here they are always
 * inlined, as is handle_changed_spte() into them.
 */

/*
 * The atomic setter, under the MMU lock held for read: change the entry the
 * iterator stands on from it->old_spte (what the walk read there) to NEW
 * with one compare-and-exchange, so that of several CPUs changing it at
 * once exactly one wins and every other one finds out.  Returns true when
 * NEW is in place: the change went through handle_changed_spte() and
 * it->old_spte is NEW, so that the walk steers by it (into a table just
 * linked, not into one just removed).  Returns false when another CPU
 * changed the entry since the walk read it: stats.retries counts the lost
 * race and the iterator has walked again from the root (what it read on
 * the way down may be stale too), so the caller just goes round its loop.
 *
 * Removing an MMU-present entry (NEW is 0) takes two steps, like KVM's zap
 * under the read lock: the entry is frozen by the compare-and-exchange and
 * the change handled while it is FROZEN (which removes and freezes the
 * table below it, if it linked one), so no other CPU can install anything
 * there meanwhile (their compare-and-exchange fails on FROZEN and they
 * restart); then the entry is cleared, which only the CPU that froze it
 * may do.  The iterator's entry must not be FROZEN: a frozen entry belongs
 * to the CPU that froze it, and walkers that meet one back off.
 */
inline __attribute__((always_inline)) bool
tdp_mmu_set_spte_atomic(struct tdp_mmu *mmu, struct zap_ctx *ctx, struct tdp_iter *it, u64 new)
{
	u64 old = it->old_spte;
	bool zap = new == 0 && spte_is_mmu_present(old);
	MM_ASSERT(mm_ctx_holds(ctx->me, &mmu->lock, MM_HELD_READ));
	MM_ASSERT(ctx->shared && !spte_is_frozen(old));
	if (!__atomic_compare_exchange_n(it->sptep, &it->old_spte, zap ? SPTE_FROZEN : new, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		stat_add(mmu, ctx->me, TS_RETRIES, 1);
		tdp_iter_restart(it);
		return false;
	}
	if (zap) {
		handle_changed_spte(mmu, ctx, it->sptep, it->gfn, it->level, old, SPTE_FROZEN);
		__atomic_store_n(it->sptep, 0, __ATOMIC_RELEASE);
		old = SPTE_FROZEN;
	}
	handle_changed_spte(mmu, ctx, it->sptep, it->gfn, it->level, old, new);
	it->old_spte = new;
	return true;
}

/*
 * The exclusive setter, under the MMU lock held for write: the level-LEVEL
 * entry at SPTEP for GFN, which holds OLD, becomes NEW, and the change goes
 * through handle_changed_spte().  Cannot fail (see above for why a plain
 * store is enough).  OLD must not be FROZEN: under the write lock an entry
 * is FROZEN only between being frozen here and its table being freed.
 */
inline __attribute__((always_inline)) void
tdp_mmu_set_spte(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 *sptep, u64 gfn, int level, u64 old,
		 u64 new)
{
	MM_ASSERT(mm_ctx_holds(ctx->me, &mmu->lock, MM_HELD_WRITE));
	MM_ASSERT(!ctx->shared && !spte_is_frozen(old));
	__atomic_store_n(sptep, new, __ATOMIC_RELAXED);
	handle_changed_spte(mmu, ctx, sptep, gfn, level, old, new);
}

/*
 * Change the entry the iterator stands on to NEW with the setter the lock
 * mode calls for (ctx->shared): the atomic one, which may lose a race
 * (false: the iterator walks again from the root, the caller goes round),
 * or the exclusive one, which cannot.  On success it->old_spte is NEW.
 */
static inline __attribute__((always_inline)) bool
iter_set_spte(struct tdp_mmu *mmu, struct zap_ctx *ctx, struct tdp_iter *it, u64 new)
{
	if (ctx->shared)
		return tdp_mmu_set_spte_atomic(mmu, ctx, it, new);
	tdp_mmu_set_spte(mmu, ctx, it->sptep, it->gfn, it->level, it->old_spte, new);
	it->old_spte = new;
	return true;
}

/* ---------------------------------------------------------------- removal */

/*
 * Put a table page out of use: after a grace period (shared); in destroy,
 * at once, in batches (freeq); otherwise chained for freeing after the
 * flush (tdp_finish_zap frees the chain in batches, free_chain).
 */
static void dispose_table(struct zap_ctx *ctx, u64 pt_pa)
{
	if (ctx->shared) {
		gp_defer_free(pt_pa);
	} else if (ctx->freeq) {
		/* Destroy: nothing can reach the table, no flush to wait for. */
		ctx->freeq[ctx->nfreeq++] = pt_pa;
		if (ctx->nfreeq == TDP_FREEQ) {
			tdp_pt_free_batch(ctx->freeq, ctx->nfreeq);
			ctx->nfreeq = 0;
		}
	} else {
		/*
		 * Exclusive, but the guest may run: the hardware may still
		 * walk this page until the flush.  Entry 0 gets the chain
		 * link, a page-aligned address: bits 11:0 are clear, so NPT
		 * (P=0) and EPT (R=W=X=0) both read it as not present.  Not
		 * an entry change (the table is out of the tree, its entries
		 * all handled): no setter, no handle_changed_spte().
		 */
		__atomic_store_n(&pt_of(pt_pa)[0], ctx->chain, __ATOMIC_RELAXED);
		ctx->chain = pt_pa;
	}
}

/*
 * Free the tables CTX chained (nobody can reach them any more: the caller
 * flushed, or no guest runs), up to 64 per hold of tdp_pt.c's lock.
 */
static void free_chain(struct zap_ctx *ctx)
{
	u64 batch[64];
	unsigned n = 0;
	while (ctx->chain) {
		u64 pa = ctx->chain;
		ctx->chain = __atomic_load_n(&pt_of(pa)[0], __ATOMIC_RELAXED);
		batch[n++] = pa;
		if (n == ARRAY_SIZE(batch)) {
			tdp_pt_free_batch(batch, n);
			n = 0;
		}
	}
	tdp_pt_free_batch(batch, n);
}

/*
 * Destroy's part of handle_removed_pt() for a level-1 table PT, in SUMMARY
 * and SKIP mode: the entries it reads are counted exactly as the setter
 * would count them (visited, skipped, changed = the present leaves), but
 * none is written and none goes through handle_changed_spte() one by one:
 * the table is freed when destroy ends, nothing can reach it (its parent
 * entry is frozen, no guest runs, the MMU lock is held for write), a leaf
 * links no table, and no flush is waited for.  What remains of the
 * per-entry bookkeeping is one subtraction from the 4 KiB leaf count.  The
 * map is not cleared either: tdp_pt_alloc() clears the map of a reused
 * table.  NOSKIP keeps writing every entry (it measures that cost).
 */
static void destroy_leaf_table(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 *pt,
			       struct tdp_teardown_stats *ts)
{
	u64 present = 0, read = 0;
	ASSERT_CTX_HOLDS(mmu, ctx);
	MM_ASSERT(!ctx->shared && ctx->freeq);
	if (ctx->mode == TDP_TEARDOWN_SUMMARY) {
		u64 *sum = pt_summary_of(pt);
		for (int w = 0; w < SPTE_ENTRIES / 64; w++) {
			for (u64 bits = sum[w]; bits; bits &= bits - 1) {
				u64 old = spte_read(&pt[w * 64 + __builtin_ctzll(bits)]);
				MM_ASSERT(!spte_is_frozen(old));
				present += spte_is_mmu_present(old);
				read++;
			}
		}
	} else {
		for (int i = 0; i < SPTE_ENTRIES; i += 8) {
			u64 *g = &pt[i];
			if (!((spte_read(&g[0]) | spte_read(&g[1])) | (spte_read(&g[2]) | spte_read(&g[3])) |
			      (spte_read(&g[4]) | spte_read(&g[5])) | (spte_read(&g[6]) | spte_read(&g[7]))))
				continue;
			for (int j = 0; j < 8; j++) {
				u64 old = spte_read(&g[j]);
				MM_ASSERT(!spte_is_frozen(old));
				present += spte_is_mmu_present(old);
			}
		}
		read = SPTE_ENTRIES;
	}
	ts->visited += read;
	ts->skipped += read - present;
	ts->changed += present;
	if (present)
		stat_add(mmu, ctx->me, TS_LEAVES_4K, -(s64)present);
}

/*
 * The table at PT_PA, whose entries are at LEVEL and start at BASE_GFN, has
 * just been unlinked from its parent.  Visit its 512 entries, freezing each
 * through a setter (whose handle_changed_spte() recurses into child
 * tables), then dispose of the page.
 *
 * Shared lock: every entry is frozen with the atomic setter, present or
 * not, because another CPU may be about to cmpxchg something into it (see
 * the comment at the top); a lost race only means freezing what that CPU
 * put there.
 *
 * Exclusive lock: nobody else writes entries (the exclusive setter).  In
 * SKIP mode an entry that is not MMU-present is only read and counted as
 * skipped; in NOSKIP mode it is frozen and handled like the others, which
 * is what KVM did before March 2021; in SUMMARY mode only the entries whose
 * summary bit is set are read at all (a set bit over a non-present entry,
 * left by a raced installer, counts as skipped).
 */
static void handle_removed_pt(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 pt_pa, int level,
			      u64 base_gfn)
{
	u64 *pt = pt_of(pt_pa);
	struct tdp_teardown_stats dummy, *ts = ctx->ts ? ctx->ts : &dummy;
	/* The exclusive modes skip entries: only sound when nobody else writes. */
	ASSERT_CTX_HOLDS(mmu, ctx);
	if (ctx->shared) {
		/*
		 * The iterator walks this one table (its root, and its only
		 * level), so that a lost race puts it back on the same entry.
		 * Another CPU may have frozen an entry here itself: a shared
		 * zap that read the parent link before we froze it walks this
		 * table through the stale path and may zap one of its entries
		 * (freeze, handle, clear).  That entry is its until it clears
		 * it, and what it held is its to account for; we wait, then
		 * freeze the 0 (or whatever a faulter installed since).
		 */
		struct tdp_iter it;
		tdp_iter_start(&it, mmu->fmt, pt, level, level, base_gfn,
			       base_gfn + SPTE_ENTRIES * spte_level_pages(level));
		while (it.valid) {
			if (spte_is_frozen(it.old_spte)) {
				cpu_relax();
				tdp_iter_refresh(&it);
				continue;
			}
			if (!tdp_mmu_set_spte_atomic(mmu, ctx, &it, SPTE_FROZEN))
				continue;
			ts->visited++;
			tdp_iter_next(&it);
		}
		goto done;
	}
	if (ctx->freeq && level == 1 && ctx->mode != TDP_TEARDOWN_NOSKIP) {
		destroy_leaf_table(mmu, ctx, pt, ts);
		goto done;
	}
	if (ctx->mode == TDP_TEARDOWN_SUMMARY) {
		u64 *sum = pt_summary_of(pt);
		for (int w = 0; w < SPTE_ENTRIES / 64; w++) {
			u64 bits = __atomic_load_n(&sum[w], __ATOMIC_RELAXED);
			while (bits) {
				int i = w * 64 + __builtin_ctzll(bits);
				bits &= bits - 1;
				u64 old = spte_read(&pt[i]);
				ts->visited++;
				MM_ASSERT(!spte_is_frozen(old));
				if (!spte_is_mmu_present(old)) {
					ts->skipped++;
					continue;
				}
				tdp_mmu_set_spte(mmu, ctx, &pt[i],
						 base_gfn + (u64)i * spte_level_pages(level), level,
						 old, SPTE_FROZEN);
			}
		}
		goto done;
	}
	/*
	 * SKIP and NOSKIP read every entry.  The counts are kept in locals and
	 * added once: through ts, which the compiler must assume the table's
	 * entries may alias, each entry would cost two read-modify-writes of
	 * memory, which made the skip loop several times slower than the reads
	 * it exists for.  (Subtables add their own counts to ts directly.)
	 */
	const bool skip = ctx->mode != TDP_TEARDOWN_NOSKIP;
	u64 skipped = 0;
	for (int i = 0; i < SPTE_ENTRIES; i++) {
		/*
		 * SKIP: a run of eight empty entries (0: neither present,
		 * nor MMIO, nor FROZEN) costs one test of their OR, not eight
		 * of each; a sparse guest's leaf tables are mostly such runs.
		 */
		if (skip && !(i & 7)) {
			u64 *g = &pt[i];
			u64 any = (spte_read(&g[0]) | spte_read(&g[1])) |
				  (spte_read(&g[2]) | spte_read(&g[3])) |
				  (spte_read(&g[4]) | spte_read(&g[5])) |
				  (spte_read(&g[6]) | spte_read(&g[7]));
			if (!any) {
				skipped += 8;
				i += 7;
				continue;
			}
		}
		u64 old = spte_read(&pt[i]);
		MM_ASSERT(!spte_is_frozen(old));
		if (skip && !spte_is_mmu_present(old)) {
			skipped++;
			continue;
		}
		tdp_mmu_set_spte(mmu, ctx, &pt[i], base_gfn + (u64)i * spte_level_pages(level), level,
				 old, SPTE_FROZEN);
	}
	ts->visited += SPTE_ENTRIES;
	ts->skipped += skipped;
done:
	stat_add(mmu, ctx->me, TS_TABLES, -1);
	ts->tables_freed++;
	dispose_table(ctx, pt_pa);
}

/* Flush if needed, then free the tables chained by an exclusive removal. */
void tdp_finish_zap(struct tdp_mmu *mmu, struct zap_ctx *ctx)
{
	ASSERT_CTX_HOLDS(mmu, ctx);
	if (ctx->need_flush && mmu->flush)
		mmu->flush(mmu->flush_arg);
	ctx->need_flush = false;
	/*
	 * The flush callback returns once every CPU has dropped cached
	 * translations for this guest; with the write lock held no software
	 * walker exists, so the chained pages are unreachable now.
	 */
	free_chain(ctx);
}

/* ---------------------------------------------------------------- create */

/*
 * A new TDP MMU for FMT with an empty root table and no memslots.  The struct
 * lives in a pmm block of its own (TDP_MMU_ORDER).  Returns NULL when out of pages or when FMT
 * is unusable (tdp_fmt_check).
 */
struct tdp_mmu *tdp_mmu_create(const struct tdp_fmt *fmt)
{
	if (tdp_fmt_check(fmt))
		return NULL;
	u64 self = pmm_alloc_pages_filled(TDP_MMU_ORDER, 0);
	if (!self)
		return NULL;
	u64 root = alloc_pt();
	if (!root) {
		pmm_free_pages(self, TDP_MMU_ORDER);
		return NULL;
	}
	static u64 last_id;
	struct tdp_mmu *mmu = phys_to_virt(self);
	mmu->id = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
	mmu->fmt = fmt;
	mmu->root_pa = root;
	mmu->root_level = fmt->levels;
	mmu->max_gpa = 1ULL << (PAGE_SHIFT + SPTE_LEVEL_BITS * fmt->levels);
	memslots_init(&mmu->slots, &mmu->lock);
	mmu->stats[0].v[TS_TABLES] = 1;
	return mmu;
}

/* The root table's physical address (fixed for the MMU's life: no lock). */
u64 tdp_mmu_root_pa(const struct tdp_mmu *mmu) { return mmu->root_pa; }

/* The entry format MMU was created with (fixed: no lock). */
const struct tdp_fmt *tdp_mmu_fmt(const struct tdp_mmu *mmu) { return mmu->fmt; }

/*
 * Set the TLB flush callback (see tdp_mmu.h), under the write lock so no
 * zap in progress sees half of it.
 */
void tdp_mmu_set_flush(struct tdp_mmu *mmu, void (*flush)(void *arg), void *arg)
{
	mm_write_lock(&mmu->lock);
	mmu->flush = flush;
	mmu->flush_arg = arg;
	mm_write_unlock(&mmu->lock);
}

/* ---------------------------------------------------------------- memslot add */

/*
 * Add a RAM memslot (see tdp_mmu.h).  Under the write lock, so no fault sees
 * a half-made slot; the generation bump makes every MMIO entry stale, among
 * them any that sit in the new slot's range.
 */
int tdp_memslot_add(struct tdp_mmu *mmu, u64 gpa, u64 size, unsigned flags)
{
	mm_write_lock(&mmu->lock);
	int r = memslots_add(&mmu->slots, gpa, size, flags, mmu->max_gpa);
	if (r >= 0)
		memslots_changed(mmu);
	mm_write_unlock(&mmu->lock);
	return r;
}

/* ---------------------------------------------------------------- range walks */

/*
 * Split the huge leaf the iterator stands on, in place: build a table of 512
 * leaves one level down mapping the same frames with the same rights
 * (complete before anyone can see it), then replace the leaf by a link to
 * it through the setter of the lock mode.  The walk then steps into the new
 * table.  Returns 0, -E_AGAIN when the entry changed under us (the atomic
 * setter has restarted the walk), or -E_NOMEM (no page: the caller zaps the
 * whole leaf instead, which is always correct since the backing stays with
 * the memslot).  MMU lock held in the mode ctx->shared says.
 */
static int split_huge_leaf(struct tdp_mmu *mmu, struct zap_ctx *ctx, struct tdp_iter *it)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	u64 old = it->old_spte;
	int cl = it->level - 1;
	ASSERT_CTX_HOLDS(mmu, ctx);
	MM_ASSERT(cl >= 1 && spte_is_mmu_present(old) && spte_is_leaf(fmt, old, it->level));
	u64 pa = alloc_pt();
	if (!pa)
		return -E_NOMEM;
	u64 *child = pt_of(pa), base = spte_addr(fmt, old);
	u64 bits = old & ~fmt->addr_mask;
	if (cl == 1)
		bits &= ~fmt->large_mask; /* bit 7 of a 4 KiB NPT entry is PAT */
	for (int i = 0; i < SPTE_ENTRIES; i++)
		child[i] = (base + (((u64)i * spte_level_pages(cl)) << PAGE_SHIFT)) | bits;
	memset(tdp_pt_map(pa), 0xff, SPTE_ENTRIES / 8);
	if (!iter_set_spte(mmu, ctx, it, spte_make_nonleaf(fmt, pa))) {
		tdp_pt_free(pa); /* never published */
		return -E_AGAIN;
	}
	stat_add(mmu, ctx->me, leaf_counter(cl), SPTE_ENTRIES);
	stat_add(mmu, ctx->me, TS_SPLITS, 1);
	return 0; /* it->old_spte links the new table: the walk steps into it */
}

/*
 * Drop and retake the MMU lock in the middle of a range walk, so that a long
 * zap does not hold up faults (exclusive) or grace periods forever.  Done
 * only when the walk has moved since its last restart (forward progress):
 * the walk resumes at it->next_last_level_gfn, everything before it is done.
 * Exclusive: flush and free what was removed first, since faults may run
 * while we are out.  MMU lock held in the mode ctx->shared says.
 */
static bool range_maybe_yield(struct tdp_mmu *mmu, struct zap_ctx *ctx, struct tdp_iter *it,
			      u64 *since)
{
	ASSERT_CTX_HOLDS(mmu, ctx);
	if (!ctx->can_yield || ++*since < TDP_YIELD_EVERY ||
	    it->next_last_level_gfn == it->yielded_gfn)
		return false;
	*since = 0;
	if (ctx->shared) {
		if (ctx->need_flush && mmu->flush)
			mmu->flush(mmu->flush_arg);
		ctx->need_flush = false;
		mm_read_unlock(&mmu->lock);
		cpu_relax();
		mm_read_lock(&mmu->lock);
	} else {
		tdp_finish_zap(mmu, ctx);
		mm_write_unlock(&mmu->lock);
		cpu_relax();
		mm_write_lock(&mmu->lock);
	}
	if (ctx->ts)
		ctx->ts->yields++;
	tdp_iter_restart(it);
	return true;
}

/*
 * Apply OP to every MMU-present entry mapping [start, end) (gfns).  Tables
 * entirely inside the range are removed whole by RANGE_ZAP (RANGE_ZAP_LEAFS
 * walks into them and leaves them linked, empty); tables that
 * straddle an edge are walked into; a huge leaf that straddles an edge (or
 * any huge leaf, for RANGE_WRPROT_4K) is split first (split_huge_leaf), so
 * the rest of it stays mapped.  Lock held in the mode ctx->shared says.
 * Counts visited entries in ctx->ts.  Every change goes through
 * iter_set_spte(); under the shared lock a zap is the atomic setter's two
 * steps (frozen while its subtree is handled, then cleared).
 */
void tdp_range_op(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 start, u64 end,
		  enum range_op op)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	struct tdp_iter it;
	u64 since = 0;
	ASSERT_CTX_HOLDS(mmu, ctx);
	tdp_iter_start(&it, fmt, pt_of(mmu->root_pa), mmu->root_level, 1, start, end);
	while (it.valid) {
		u64 old = it.old_spte;
		if (ctx->ts)
			ctx->ts->visited++;
		if (spte_is_frozen(old)) {
			/* Another CPU is zapping here (shared mode only): wait it out. */
			MM_ASSERT(ctx->shared);
			cpu_relax();
			tdp_iter_restart(&it);
			continue;
		}
		if (range_maybe_yield(mmu, ctx, &it, &since))
			continue; /* walked again from the root: look afresh */
		if (!spte_is_mmu_present(old)) {
			tdp_iter_next(&it);
			continue;
		}
		bool leaf = spte_is_leaf(fmt, old, it.level);
		bool inside = it.gfn >= start && it.gfn + spte_level_pages(it.level) <= end;
		if (!leaf) {
			if (op != RANGE_ZAP || !inside) {
				MM_ASSERT(it.level > 1);
				tdp_iter_next(&it); /* steps into the table */
				continue;
			}
		} else if (it.level > 1 && (!inside || op == RANGE_WRPROT_4K)) {
			int r = split_huge_leaf(mmu, ctx, &it);
			if (r == -E_AGAIN)
				continue; /* walked again from the root */
			if (r == 0) {
				tdp_iter_next(&it); /* into the new table */
				continue;
			}
			/* No page to split with: zap the whole leaf. */
			goto zap;
		}
		if (op == RANGE_WRPROT || op == RANGE_WRPROT_4K) {
			u64 new = old & ~fmt->writable_mask & ~fmt->dirty_mask;
			if (new != old && !iter_set_spte(mmu, ctx, &it, new))
				continue; /* walked again from the root */
			tdp_iter_next(&it);
			continue;
		}
zap:
		if (!iter_set_spte(mmu, ctx, &it, 0))
			continue; /* walked again from the root */
		tdp_iter_next(&it); /* old_spte is 0: not into the removed table */
	}
}

/* ---------------------------------------------------------------- memslot changes */

/*
 * Remove every MMIO entry of the tree (they are not MMU-present, so only a
 * full walk finds them).  Called under the write lock when the memslot
 * generation wraps in the bits an MMIO entry can hold: an entry installed
 * 2^n generations ago would otherwise look current again.  Rare (every
 * 2048 memslot changes with 11 generation bits), so its cost does not
 * matter.
 */
static void zap_all_mmio(struct tdp_mmu *mmu)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	struct zap_ctx ctx = { .me = mm_ctx_self(), .shared = false, .mode = tdp_get_teardown_mode() };
	struct tdp_iter it;
	MM_ASSERT_HELD_WRITE(&mmu->lock);
	for_each_tdp_pte(it, fmt, pt_of(mmu->root_pa), mmu->root_level, 1, 0,
			 mmu->max_gpa >> PAGE_SHIFT) {
		if (spte_is_mmio(fmt, it.old_spte)) {
			tdp_mmu_set_spte(mmu, &ctx, it.sptep, it.gfn, it.level, it.old_spte, 0);
			stat_add(mmu, ctx.me, TS_MMIO_ZAPPED, 1);
		}
	}
	MM_ASSERT(!ctx.need_flush && !ctx.chain); /* nothing MMU-present was touched */
}

/* After a memslot change (write lock held): handle a wrap of the MMIO generation. */
static void memslots_changed(struct tdp_mmu *mmu)
{
	MM_ASSERT_HELD_WRITE(&mmu->lock);
	u64 gen = memslots_generation(&mmu->slots);
	if (spte_mmio_gen_bits(mmu->fmt, gen) == 0)
		zap_all_mmio(mmu);
}

/*
 * Delete memslot SLOT: under the write lock, zap every entry mapping it,
 * flush, free the removed tables, then the backing.  Fills ST (when not
 * NULL) with the figures of this teardown.  0 or -E_NOENT.
 */
int tdp_memslot_delete(struct tdp_mmu *mmu, int slot, struct tdp_teardown_stats *st)
{
	struct tdp_teardown_stats ts = { 0 };
	u64 t0 = time_us();
	mm_write_lock(&mmu->lock);
	struct memslot *s = memslots_get(&mmu->slots, slot);
	if (!s) {
		mm_write_unlock(&mmu->lock);
		return -E_NOENT;
	}
	ts.tables = stat_sum(mmu, TS_TABLES);
	struct zap_ctx ctx = {
		.me = mm_ctx_self(), .shared = false, .mode = tdp_get_teardown_mode(), .ts = &ts
	};
	tdp_range_op(mmu, &ctx, s->base_gfn, s->base_gfn + s->npages, RANGE_ZAP);
	tdp_finish_zap(mmu, &ctx);
	ts.pages_freed = memslots_remove(&mmu->slots, slot);
	memslots_changed(mmu);
	mm_write_unlock(&mmu->lock);
	ts.time_us = time_us() - t0;
	if (st)
		*st = ts;
	return 0;
}

/* ---------------------------------------------------------------- range zap, write-protect */

/*
 * The body of both range zaps: [gpa, gpa + size) under the MMU lock held
 * for read when SHARED (inside a grace-period hold, so tables removed on the
 * way age only after the flush) or for write; LEAFS_ONLY keeps the tables.
 * Fills ST when not NULL.  0 or -E_INVAL.
 */
static int zap_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared, bool leafs_only,
			 struct tdp_teardown_stats *st)
{
	if (!size || gpa + size < gpa || gpa + size > mmu->max_gpa)
		return -E_INVAL;
	struct tdp_teardown_stats ts = { 0 };
	u64 t0 = time_us();
	struct zap_ctx ctx = {
		.me = mm_ctx_self(), .shared = shared, .mode = tdp_get_teardown_mode(), .ts = &ts,
		.can_yield = true
	};
	u64 start = gpa >> PAGE_SHIFT, end = ALIGN_UP(gpa + size, PAGE_SIZE) >> PAGE_SHIFT;
	if (shared) {
		gp_hold();
		mm_read_lock(&mmu->lock);
	} else {
		mm_write_lock(&mmu->lock);
	}
	ts.tables = stat_sum(mmu, TS_TABLES);
	if (leafs_only)
		tdp_range_op(mmu, &ctx, start, end, RANGE_ZAP_LEAFS);
	else
		tdp_range_op(mmu, &ctx, start, end, RANGE_ZAP);
	tdp_finish_zap(mmu, &ctx);
	if (shared) {
		mm_read_unlock(&mmu->lock);
		gp_release(); /* after the flush: the removed tables may now age */
	} else {
		mm_write_unlock(&mmu->lock);
	}
	ts.time_us = time_us() - t0;
	if (st)
		*st = ts;
	return 0;
}

/*
 * Zap the mappings of [gpa, gpa + size) (backing stays with the memslots),
 * holding the MMU lock for read when SHARED, else for write.  Tables removed
 * under the read lock are freed after a grace period.  Fills ST when not
 * NULL.  0 or -E_INVAL.
 */
int tdp_mmu_zap_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared,
			  struct tdp_teardown_stats *st)
{
	return zap_gpa_range(mmu, gpa, size, shared, false, st);
}

/*
 * Zap only the leaves mapping [gpa, gpa + size) (see tdp_mmu.h): the tables
 * stay, so under the read lock nothing is frozen but the leaves themselves
 * and no table waits for a grace period (unless a split finds no page).
 * Yields the lock now and then.  0 or -E_INVAL.
 */
int tdp_mmu_zap_leafs(struct tdp_mmu *mmu, u64 gpa, u64 size, bool shared,
		      struct tdp_teardown_stats *st)
{
	return zap_gpa_range(mmu, gpa, size, shared, true, st);
}

/*
 * Write-protect the leaves mapping [gpa, gpa + size) (see tdp_mmu.h): under
 * the read lock, with cmpxchg, splitting huge leaves that straddle an edge.
 * Flushes before returning.  0 or -E_INVAL.
 */
int tdp_mmu_write_protect_gpa_range(struct tdp_mmu *mmu, u64 gpa, u64 size)
{
	if (!size || gpa + size < gpa || gpa + size > mmu->max_gpa)
		return -E_INVAL;
	struct zap_ctx ctx = {
		.me = mm_ctx_self(), .shared = true, .mode = tdp_get_teardown_mode(), .can_yield = true
	};
	gp_hold(); /* a split that finds no page zaps, which may remove a table */
	mm_read_lock(&mmu->lock);
	tdp_range_op(mmu, &ctx, gpa >> PAGE_SHIFT, ALIGN_UP(gpa + size, PAGE_SIZE) >> PAGE_SHIFT,
		 RANGE_WRPROT);
	tdp_finish_zap(mmu, &ctx);
	mm_read_unlock(&mmu->lock);
	gp_release();
	return 0;
}

/* ---------------------------------------------------------------- cache */

/*
 * Fill CACHE with zeroed tables, each with its zeroed summary already bound
 * (tdp_pt_alloc), up to TDP_CACHE_PAGES, and the grace-period spare.
 * Called before the MMU lock is taken, so a fault takes table and summary
 * together from the cache and allocates nothing under the lock.  0, or
 * -E_NOMEM when pmm ran out (the cache keeps what it got).
 */
int tdp_mmu_cache_topup(struct tdp_mmu_cache *cache)
{
	MM_ASSERT_NONE_HELD();
	gp_reserve();
	while (cache->nr < TDP_CACHE_PAGES) {
		u64 p = tdp_pt_alloc_guest(); /* a guest's faults stay above the reserve */
		if (!p)
			return -E_NOMEM;
		cache->pages[cache->nr++] = p;
	}
	return 0;
}

/*
 * Give every table in CACHE back, each with its summary (they were never
 * published, so nobody can reach them).  Leaves CACHE empty.
 */
void tdp_mmu_cache_free(struct tdp_mmu_cache *cache)
{
	while (cache->nr > 0)
		tdp_pt_free(cache->pages[--cache->nr]);
	cache->hint_mmu = 0;
}

/* ---------------------------------------------------------------- faults */

/* What a RAM fault installs (built by tdp_mmu_page_fault, used by map_walk). */
struct fault_plan {
	bool mmio;          /* no slot: an MMIO entry at level 1 */
	u64 gen;            /* memslot generation (for MMIO entries) */
	unsigned access;    /* TDP_ACC_* of the fault */
	int max_level;      /* largest leaf the backing, alignment and format allow */
	u64 block_hpa;      /* backing block holding the page */
	u64 block_gfn;      /* first gfn of that block */
	bool writable;      /* install leaves writable */
	struct memslot *slot; /* the slot (NULL for MMIO) */
};

/* The leaf a plan puts at LEVEL for GFN: the frame(s) of the aligned level-LEVEL guest frame. */
static u64 plan_leaf(const struct tdp_fmt *fmt, const struct fault_plan *p, u64 gfn, int level)
{
	u64 g = gfn & ~(spte_level_pages(level) - 1);
	u64 hpa = p->block_hpa + ((g - p->block_gfn) << PAGE_SHIFT);
	return spte_make_leaf(fmt, hpa, level, p->writable, true);
}

/*
 * Walk from the root towards GFN under the read lock and install what PLAN
 * says: the largest leaf (up to plan->max_level) that fits where the walk
 * first meets an empty (or stale MMIO) entry, linking tables from CACHE on
 * the way down; for MMIO an MMIO entry at level 1.  Returns MAPPED / MMIO
 * when we installed it; SPURIOUS when a leaf allowing the access was
 * already there (or the cache ran dry after racing with a zap: the guest
 * will fault again); WRITE_PROT when the leaf there forbids the access.  A
 * write to a 4 KiB leaf that dirty logging write-protected is the fast path:
 * the write right comes back with one cmpxchg and the page is marked dirty.
 * Every change goes through the atomic setter: a lost race counts a retry
 * and restarts the walk from the root.  MMU lock held for read, by the
 * context CTX (shared) was built in.
 */
static enum tdp_fault_result map_walk(struct tdp_mmu *mmu, struct zap_ctx *ctx,
				      struct tdp_mmu_cache *cache, u64 gfn, const struct fault_plan *p)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	struct tdp_iter it;
	MM_ASSERT(ctx->shared);
	ASSERT_CTX_HOLDS(mmu, ctx);
	/*
	 * The leaf-table hint (struct tdp_mmu_cache): a 4 KiB fault in the 2 MiB
	 * of this vCPU's last one starts in the level-1 table that one ended
	 * in, skipping the levels above (under an emulator, a page each).  The
	 * table is still linked where it was if no table link was removed
	 * since the hint's walk began, which tables_unlinked tells: every
	 * removal bumps it before the table can be queued for freeing.  It
	 * cannot have been freed meanwhile either: after a removal under the
	 * write lock, our read lock sees the bump; after one under the read
	 * lock the table is freed only once every CPU has passed a quiescent
	 * point that read the sequence of the grace period list it went on
	 * (tdp_gp.c), and the bump, that sequence's increment, our quiescent
	 * point's read of it and our load below are all sequentially
	 * consistent, so a quiescent point of ours that lets it be freed comes
	 * before a load that sees the bump.  A removal that begins after the
	 * load is the race every walk has: the table's entries get frozen
	 * (then the walk starts again from the root) or, if we win, the
	 * remover freezes and accounts what we installed.
	 */
	u64 unlinks = __atomic_load_n(&mmu->tables_unlinked, __ATOMIC_SEQ_CST);
	bool hinted = !p->mmio && p->max_level == 1 && cache->hint_mmu == mmu->id &&
		      cache->hint_gfn2m == gfn >> 9 && cache->hint_unlinks == unlinks;
	if (hinted) {
		stat_add(mmu, ctx->me, TS_HINTED, 1);
		tdp_iter_start(&it, fmt, pt_of(cache->hint_pt), 1, 1, gfn, gfn + 1);
	} else
		tdp_iter_start(&it, fmt, pt_of(mmu->root_pa), mmu->root_level, 1, gfn, gfn + 1);
	while (it.valid) {
		u64 old = it.old_spte, new;
		if (spte_is_frozen(old)) {
			/* The table holding this entry is being torn down (the
			 * hinted one, perhaps: its removal bumped tables_unlinked,
			 * so the hint is stale from now on): go round, from the
			 * root. */
			cpu_relax();
			tdp_iter_start(&it, fmt, pt_of(mmu->root_pa), mmu->root_level, 1, gfn, gfn + 1);
			continue;
		}
		if (spte_is_mmu_present(old)) {
			if (!spte_is_leaf(fmt, old, it.level)) {
				tdp_iter_step_down(&it); /* into the table */
				continue;
			}
			if (p->mmio)
				return TDP_FAULT_MMIO; /* cannot happen: no slot, no leaf */
			if (spte_leaf_allows(fmt, old, p->access))
				return TDP_FAULT_SPURIOUS;
			if (!(p->access & TDP_ACC_WRITE) || !p->slot->dirty_log ||
			    (p->slot->flags & MEMSLOT_READONLY) || it.level != 1)
				return TDP_FAULT_WRITE_PROT;
			/* Dirty logging: mark the page, give the write right back. */
			new = old | fmt->writable_mask | fmt->dirty_mask;
			memslot_mark_dirty(&mmu->slots, p->slot, gfn);
			if (!tdp_mmu_set_spte_atomic(mmu, ctx, &it, new))
				continue;
			stat_add(mmu, ctx->me, TS_DIRTY_FAULTS, 1);
			return TDP_FAULT_MAPPED;
		}
		/* Not MMU-present: empty, MMIO (current or stale). */
		if (p->mmio && it.level == 1) {
			if (spte_is_mmio(fmt, old) && !spte_mmio_is_stale(fmt, old, p->gen))
				return TDP_FAULT_MMIO;
			new = spte_make_mmio(fmt, p->gen);
		} else if (!p->mmio && it.level <= p->max_level) {
			new = plan_leaf(fmt, p, gfn, it.level);
			if (p->slot->dirty_log && p->writable)
				memslot_mark_dirty(&mmu->slots, p->slot, gfn);
		} else {
			/* Link a table from the cache and go down into it. */
			if (cache->nr == 0)
				return TDP_FAULT_SPURIOUS;
			u64 pt = cache->pages[--cache->nr];
			if (!tdp_mmu_set_spte_atomic(mmu, ctx, &it, spte_make_nonleaf(fmt, pt))) {
				/* Never published: still zeroed, back to the cache. */
				cache->pages[cache->nr++] = pt;
				continue;
			}
			tdp_iter_step_down(&it); /* old_spte links the table: into it */
			continue;
		}
		if (!tdp_mmu_set_spte_atomic(mmu, ctx, &it, new))
			continue;
		if (!p->mmio && it.level == 1) {
			cache->hint_mmu = mmu->id;
			cache->hint_pt = ALIGN_DOWN(virt_to_phys(it.sptep), PAGE_SIZE);
			cache->hint_gfn2m = gfn >> 9;
			cache->hint_unlinks = unlinks;
		}
		return p->mmio ? TDP_FAULT_MMIO : TDP_FAULT_MAPPED;
	}
	MM_BUG("fault walk ended without reaching its level");
}

/* Largest leaf level the format allows for a backing block of ORDER. */
static int max_leaf_level(const struct tdp_fmt *fmt, unsigned order)
{
	if (order >= 18 && fmt->huge_1g && fmt->huge_2m)
		return 3;
	if (order >= 9 && fmt->huge_2m)
		return 2;
	return 1;
}

/*
 * Handle a nested page fault at GPA for ACCESS (see tdp_mmu.h).  Holds the
 * MMU lock for read throughout.  Order matters for "nothing half-built":
 * first the slot lookup and permission check, then the check that CACHE
 * holds enough pages for every missing table, then the backing (which may
 * fail with NOMEM), and only then are tables linked, always ending in the
 * leaf.  The leaf is as large as the backing block (2 MiB / 1 GiB, only in
 * MEMSLOT_HUGE slots, and only where the whole aligned frame lies inside the
 * slot), the format and dirty logging (4 KiB only) allow.  In a dirty-logged
 * slot a read installs the page write-protected and a write marks it dirty.
 * A GPA outside every memslot gets an MMIO entry of the current generation
 * (when the cache allows building the path; MMIO either way).
 */
enum tdp_fault_result tdp_mmu_page_fault(struct tdp_mmu *mmu, struct tdp_mmu_cache *cache,
					 u64 gpa, unsigned access)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	enum tdp_fault_result res;
	int need = mmu->root_level - 1;
	struct fault_plan p = { .access = access };

	struct zap_ctx ctx = { .me = mm_ctx_self(), .shared = true };
	stat_add(mmu, ctx.me, TS_FAULTS, 1);
	if (gpa >= mmu->max_gpa)
		return TDP_FAULT_MMIO;
	mm_read_lock(&mmu->lock);
	p.gen = memslots_generation(&mmu->slots);
	struct memslot *s = memslots_find(&mmu->slots, gfn);
	if (!s) {
		res = TDP_FAULT_MMIO;
		p.mmio = true;
		if (cache->nr >= need)
			res = map_walk(mmu, &ctx, cache, gfn, &p);
		goto out;
	}
	if ((access & TDP_ACC_WRITE) && (s->flags & MEMSLOT_READONLY)) {
		res = TDP_FAULT_WRITE_PROT;
		goto out;
	}
	if (cache->nr < need) {
		res = TDP_FAULT_NOMEM;
		goto out;
	}
	struct memslot_backing b;
	if (memslot_backing(&mmu->slots, s, gfn, true, &b)) {
		res = TDP_FAULT_NOMEM;
		goto out;
	}
	p.slot = s;
	p.block_hpa = b.block_hpa;
	p.block_gfn = gfn & ~((1ULL << b.order) - 1);
	p.max_level = s->dirty_log ? 1 : max_leaf_level(mmu->fmt, b.order);
	p.writable = !(s->flags & MEMSLOT_READONLY) && (!s->dirty_log || (access & TDP_ACC_WRITE));
	res = map_walk(mmu, &ctx, cache, gfn, &p);
out:
	mm_read_unlock(&mmu->lock);
	return res;
}

/*
 * Look up the translation of GPA in the tables (not the memslots).  Returns
 * the level of the entry the walk stopped at and stores it in *SPTE: a leaf
 * when MMU-present, else the first not-present entry.  For the console and
 * tests.  Takes the read lock.
 */
int tdp_mmu_lookup(struct tdp_mmu *mmu, u64 gpa, u64 *spte)
{
	int level = mmu->root_level;
	u64 *pt = pt_of(mmu->root_pa), e = 0;
	mm_read_lock(&mmu->lock);
	for (;; level--) {
		e = spte_read(&pt[spte_index(gpa >> PAGE_SHIFT, level)]);
		if (!spte_is_mmu_present(e) || spte_is_leaf(mmu->fmt, e, level))
			break;
		pt = pt_of(spte_addr(mmu->fmt, e));
	}
	mm_read_unlock(&mmu->lock);
	*spte = e;
	return level;
}

/* ---------------------------------------------------------------- destroy */

/*
 * Tear everything down (see tdp_mmu.h).  The root is handled like any
 * removed table, under the write lock: its entries (the largest level, 512
 * GiB each) are visited first and each present one recurses into its
 * subtree.  No CPU runs the guest, so no flush is needed and every table is
 * freed at once.  Then the memslots' backing, then the struct.
 */
void tdp_mmu_destroy(struct tdp_mmu *mmu, struct tdp_teardown_stats *st)
{
	struct tdp_teardown_stats ts = { 0 };
	enum tdp_teardown_mode mode = tdp_get_teardown_mode();
	u64 t0 = time_us();

	mm_write_lock(&mmu->lock);
	ts.tables = stat_sum(mmu, TS_TABLES);
	u64 freeq[TDP_FREEQ];
	struct zap_ctx ctx = {
		.me = mm_ctx_self(), .shared = false, .mode = tdp_get_teardown_mode(), .ts = &ts,
		.freeq = freeq
	};
	handle_removed_pt(mmu, &ctx, mmu->root_pa, mmu->root_level, 0);
	tdp_pt_free_batch(freeq, ctx.nfreeq); /* no guest runs: no flush to wait for */
	ts.tables_time_us = time_us() - t0;
	MM_ASSERT(stat_sum(mmu, TS_TABLES) == 0);
	MM_ASSERT(!stat_sum(mmu, TS_LEAVES_4K) && !stat_sum(mmu, TS_LEAVES_2M) &&
		  !stat_sum(mmu, TS_LEAVES_1G));
	for (int i = 0; i < TDP_MAX_MEMSLOTS; i++)
		if (memslots_get(&mmu->slots, i))
			ts.pages_freed += memslots_remove(&mmu->slots, i);
	mm_write_unlock(&mmu->lock);
	ts.time_us = time_us() - t0;

	pr_debug("tdp", "destroy (%s): tables=%lu visited=%lu skipped=%lu changed=%lu "
		"tables_freed=%lu pages_freed=%lu time=%luus",
		tdp_teardown_mode_name(mode), (unsigned long)ts.tables,
		(unsigned long)ts.visited, (unsigned long)ts.skipped,
		(unsigned long)ts.changed, (unsigned long)ts.tables_freed,
		(unsigned long)ts.pages_freed, (unsigned long)ts.time_us);
	pmm_free_pages(virt_to_phys(mmu), TDP_MMU_ORDER);
	tdp_mmu_gp_drain();
	if (st)
		*st = ts;
}

/* ---------------------------------------------------------------- stats, teardown modes */

/*
 * Copy MMU's counters to OUT (see tdp_mmu.h).  No lock: each counter is
 * read atomically, but they are not a snapshot of one instant.
 */
void tdp_mmu_get_stats(struct tdp_mmu *mmu, struct tdp_mmu_stats *out)
{
	out->tables = stat_sum(mmu, TS_TABLES);
	out->leaves_4k = stat_sum(mmu, TS_LEAVES_4K);
	out->leaves_2m = stat_sum(mmu, TS_LEAVES_2M);
	out->leaves_1g = stat_sum(mmu, TS_LEAVES_1G);
	out->faults = stat_sum(mmu, TS_FAULTS);
	out->retries = stat_sum(mmu, TS_RETRIES);
	out->mmio_entries = stat_sum(mmu, TS_MMIO_ENTRIES);
	out->backing_pages = memslots_backing_pages(&mmu->slots, NULL);
	out->splits = stat_sum(mmu, TS_SPLITS);
	out->mmio_zapped = stat_sum(mmu, TS_MMIO_ZAPPED);
	out->dirty_faults = stat_sum(mmu, TS_DIRTY_FAULTS);
	out->hinted = stat_sum(mmu, TS_HINTED);
}

/* Set the mode of every teardown that starts from now on (any context). */
void tdp_set_teardown_mode(enum tdp_teardown_mode mode)
{
	__atomic_store_n(&teardown_mode, mode, __ATOMIC_RELAXED);
}

/* The current teardown mode; a series takes it once, when it starts. */
enum tdp_teardown_mode tdp_get_teardown_mode(void)
{
	return __atomic_load_n(&teardown_mode, __ATOMIC_RELAXED);
}

/* The console's name for MODE, or "?" for a value that is no mode. */
const char *tdp_teardown_mode_name(enum tdp_teardown_mode mode)
{
	switch (mode) {
	case TDP_TEARDOWN_NOSKIP: return "noskip";
	case TDP_TEARDOWN_SKIP: return "skip";
	case TDP_TEARDOWN_SUMMARY: return "summary";
	}
	return "?";
}
