/*
 * The TDP MMU: nested page tables for one guest (interface in tdp_mmu.h).
 *
 * Locking, in short (KVM's TDP MMU design, written anew):
 *
 *  - mmu->lock is a reader/writer spinlock.  Faults (and tdp_read_guest /
 *    tdp_write_guest) take it for read, so vCPUs fault in parallel.
 *    Teardown, memslot add/delete and prefill take it for write.
 *
 *  - Under the read lock several CPUs may change entries at once.  Every
 *    change is therefore a compare-and-exchange against the value the
 *    changer last read (iter.old_spte).  Losing means someone else changed
 *    the entry first; the loser counts a retry and walks again from the root
 *    (tdp_iter_restart), because what it read on the way down may be stale.
 *
 *  - Removing a table under the read lock (phase 2: huge-page collapse,
 *    shared zaps) must stop other CPUs from installing into the removed
 *    table, which nobody would ever see again (a leaked mapping, a leaked
 *    table).  handle_removed_pt() therefore exchanges every one of its 512
 *    entries with SPTE_FROZEN: a CPU whose cmpxchg raced with us either went
 *    first (we get its value back from the exchange and account for it) or
 *    fails on FROZEN and restarts from the root, where it finds the new
 *    parent entry.  The page itself is freed only after a grace period
 *    (tdp_gp.c), since walkers may still be reading it.
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
 *    keeps the counters and recurses into handle_removed_pt() when a link
 *    to a table disappears.
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
#include "mm/tdp_iter.h"

struct tdp_mmu {
	const struct tdp_fmt *fmt;  /* entry format (NPT or EPT) */
	u64 root_pa;                /* root table */
	int root_level;             /* fmt->levels */
	u64 max_gpa;                /* first GPA the tables cannot map */
	struct mm_rwlock lock;      /* the MMU lock */
	struct memslots slots;      /* RAM and its backing */
	struct tdp_mmu_stats stats; /* counters, updated atomically */
	void (*flush)(void *arg);   /* TLB flush for this guest, or NULL */
	void *flush_arg;
};
_Static_assert(sizeof(struct tdp_mmu) <= PAGE_SIZE, "struct tdp_mmu must fit in one page");

/*
 * What one series of entry changes is doing.  Built by the caller that took
 * the lock, passed down through handle_changed_spte / handle_removed_pt.
 */
struct zap_ctx {
	bool shared;                  /* MMU lock held for read (else write) */
	bool free_now;                /* no CPU can reach the tables (destroy): free at once */
	enum tdp_teardown_mode mode;  /* skip policy for exclusive removal */
	struct tdp_teardown_stats *ts; /* figures being gathered, or NULL */
	u64 chain;                    /* exclusive, !free_now: removed tables, linked through
					 entry 0, freed after the flush */
	bool need_flush;              /* something the hardware may cache was removed */
};

static enum tdp_teardown_mode teardown_mode = TDP_TEARDOWN_SKIP;

#define LOCKDEP_READ_OR_WRITE(m) MM_ASSERT(mm_rwlock_is_held(&(m)->lock))
#define LOCKDEP_WRITE(m) MM_ASSERT(mm_rwlock_is_write_held(&(m)->lock))

static void stat_add(u64 *c, s64 d) { __atomic_fetch_add(c, (u64)d, __ATOMIC_RELAXED); }

static u64 *leaf_counter(struct tdp_mmu *mmu, int level)
{
	switch (level) {
	case 1: return &mmu->stats.leaves_4k;
	case 2: return &mmu->stats.leaves_2m;
	case 3: return &mmu->stats.leaves_1g;
	}
	MM_BUG("leaf above 1 GiB");
}

static u64 *pt_of(u64 pa) { return phys_to_virt(pa); }

static void handle_removed_pt(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 pt_pa, int level,
			      u64 base_gfn);

/*
 * The single place that learns about an entry change: the level-LEVEL entry
 * for GFN went from OLD to NEW (already written by the caller, atomically).
 * Keeps the leaf/table/MMIO counters, notes that a flush is due when
 * something MMU-present went away, and tears down the table OLD linked when
 * that link is gone.  Caller holds the MMU lock (mode in ctx->shared).
 */
static void handle_changed_spte(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 gfn, int level,
				u64 old, u64 new)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	LOCKDEP_READ_OR_WRITE(mmu);
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

	if (was_leaf)
		stat_add(leaf_counter(mmu, level), -1);
	if (is_leaf)
		stat_add(leaf_counter(mmu, level), 1);
	if (is_p && !is_leaf && !same_table)
		stat_add(&mmu->stats.tables, 1);
	if (spte_is_mmio(fmt, new))
		stat_add(&mmu->stats.mmio_entries, 1);
	if (was_p && (!is_p || !same_table))
		ctx->need_flush = true;
	if (was_p && !was_leaf && !same_table) {
		MM_ASSERT(level > 1);
		handle_removed_pt(mmu, ctx, spte_addr(fmt, old), level - 1, gfn);
	}
}

/* Put a table page out of use: freed now, after the flush, or after a grace period. */
static void dispose_table(struct zap_ctx *ctx, u64 pt_pa)
{
	if (ctx->shared) {
		gp_defer_free(pt_pa);
	} else if (ctx->free_now) {
		pmm_free_page(pt_pa);
	} else {
		/*
		 * Exclusive, but the guest may run: the hardware may still
		 * walk this page until the flush.  Entry 0 gets the chain
		 * link, a page-aligned address: bits 11:0 are clear, so NPT
		 * (P=0) and EPT (R=W=X=0) both read it as not present.
		 */
		__atomic_store_n(&pt_of(pt_pa)[0], ctx->chain, __ATOMIC_RELAXED);
		ctx->chain = pt_pa;
	}
}

/*
 * The table at PT_PA, whose entries are at LEVEL and start at BASE_GFN, has
 * just been unlinked from its parent.  Visit its 512 entries, handing every
 * change to handle_changed_spte() (which recurses into child tables), then
 * dispose of the page.
 *
 * Shared lock: every entry is exchanged with FROZEN, present or not,
 * because another CPU may be about to cmpxchg something into it (see the
 * comment at the top).  The exchange returns what was really there.
 *
 * Exclusive lock: nobody else writes entries.  In SKIP mode (and, until the
 * summary exists, SUMMARY mode) an entry that is not MMU-present is only
 * read and counted as skipped; in NOSKIP mode it is frozen and handled like
 * the others, which is what KVM did before March 2021.
 */
static void handle_removed_pt(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 pt_pa, int level,
			      u64 base_gfn)
{
	u64 *pt = pt_of(pt_pa);
	struct tdp_teardown_stats dummy, *ts = ctx->ts ? ctx->ts : &dummy;
	LOCKDEP_READ_OR_WRITE(mmu);
	if (!ctx->shared)
		LOCKDEP_WRITE(mmu); /* skipping is only sound when nobody else writes */
	for (int i = 0; i < SPTE_ENTRIES; i++) {
		u64 gfn = base_gfn + (u64)i * spte_level_pages(level), old;
		ts->visited++;
		if (ctx->shared) {
			old = __atomic_exchange_n(&pt[i], SPTE_FROZEN, __ATOMIC_ACQ_REL);
			/* Only the CPU that unlinked the table gets here. */
			MM_ASSERT(!spte_is_frozen(old));
		} else {
			old = spte_read(&pt[i]);
			MM_ASSERT(!spte_is_frozen(old));
			if (ctx->mode != TDP_TEARDOWN_NOSKIP && !spte_is_mmu_present(old)) {
				ts->skipped++;
				continue;
			}
			__atomic_store_n(&pt[i], SPTE_FROZEN, __ATOMIC_RELAXED);
		}
		handle_changed_spte(mmu, ctx, gfn, level, old, SPTE_FROZEN);
	}
	stat_add(&mmu->stats.tables, -1);
	ts->tables_freed++;
	dispose_table(ctx, pt_pa);
}

/* Flush if needed, then free the tables chained by an exclusive removal. */
static void finish_zap(struct tdp_mmu *mmu, struct zap_ctx *ctx)
{
	if (ctx->need_flush && mmu->flush)
		mmu->flush(mmu->flush_arg);
	ctx->need_flush = false;
	/*
	 * The flush callback returns once every CPU has dropped cached
	 * translations for this guest; with the write lock held no software
	 * walker exists, so the chained pages are unreachable now.
	 */
	while (ctx->chain) {
		u64 pa = ctx->chain;
		ctx->chain = __atomic_load_n(&pt_of(pa)[0], __ATOMIC_RELAXED);
		pmm_free_page(pa);
	}
}

/* Try to replace the iterator's entry (expected: it->old_spte) with NEW. */
static bool iter_try_set(struct tdp_iter *it, u64 new)
{
	return __atomic_compare_exchange_n(it->sptep, &it->old_spte, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* ---------------------------------------------------------------- create */

static enum tdp_teardown_mode effective_mode(void)
{
	enum tdp_teardown_mode m = tdp_get_teardown_mode();
	/* TODO(phase 2): per-table presence summaries; until then SUMMARY == SKIP. */
	return m == TDP_TEARDOWN_SUMMARY ? TDP_TEARDOWN_SKIP : m;
}

/*
 * A new TDP MMU for FMT with an empty root table and no memslots.  The struct
 * lives in a pmm page of its own.  Returns NULL when out of pages or when FMT
 * is unusable (tdp_fmt_check).
 */
struct tdp_mmu *tdp_mmu_create(const struct tdp_fmt *fmt)
{
	if (tdp_fmt_check(fmt))
		return NULL;
	u64 self = pmm_alloc_page_zeroed();
	if (!self)
		return NULL;
	u64 root = pmm_alloc_page_zeroed();
	if (!root) {
		pmm_free_page(self);
		return NULL;
	}
	struct tdp_mmu *mmu = phys_to_virt(self);
	mmu->fmt = fmt;
	mmu->root_pa = root;
	mmu->root_level = fmt->levels;
	mmu->max_gpa = 1ULL << (PAGE_SHIFT + SPTE_LEVEL_BITS * fmt->levels);
	memslots_init(&mmu->slots);
	mmu->stats.tables = 1;
	return mmu;
}

u64 tdp_mmu_root_pa(const struct tdp_mmu *mmu) { return mmu->root_pa; }

const struct tdp_fmt *tdp_mmu_fmt(const struct tdp_mmu *mmu) { return mmu->fmt; }

void tdp_mmu_set_flush(struct tdp_mmu *mmu, void (*flush)(void *arg), void *arg)
{
	mm_write_lock(&mmu->lock);
	mmu->flush = flush;
	mmu->flush_arg = arg;
	mm_write_unlock(&mmu->lock);
}

/* ---------------------------------------------------------------- memslots */

/*
 * Add a RAM memslot (see tdp_mmu.h).  Under the write lock, so no fault sees
 * a half-made slot; the generation bump makes every MMIO entry stale, among
 * them any that sit in the new slot's range.
 */
int tdp_memslot_add(struct tdp_mmu *mmu, u64 gpa, u64 size, unsigned flags)
{
	mm_write_lock(&mmu->lock);
	int r = memslots_add(&mmu->slots, gpa, size, flags, mmu->max_gpa);
	mm_write_unlock(&mmu->lock);
	return r;
}

/*
 * Register prefill bytes for [gpa, gpa + len), which must lie inside one
 * memslot.  0, -E_INVAL (not inside one slot, or empty), -E_NOMEM.
 */
int tdp_memslot_prefill(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len)
{
	if (!len || gpa + len < gpa)
		return -E_INVAL;
	mm_write_lock(&mmu->lock);
	struct memslot *s = memslots_find(&mmu->slots, gpa >> PAGE_SHIFT);
	int r;
	if (!s || !memslot_contains(s, (gpa + len - 1) >> PAGE_SHIFT))
		r = -E_INVAL;
	else
		r = memslot_add_prefill(s, gpa, src, len);
	mm_write_unlock(&mmu->lock);
	return r;
}

/*
 * Zap every MMU-present entry mapping [start, end) (gfns), descending into
 * tables that straddle the range's edges, removing whole the tables inside
 * it.  Lock held in the mode ctx->shared says.  Counts visited entries in
 * ctx->ts.  Under the shared lock a zap is done in two steps, like KVM: the
 * entry is frozen with cmpxchg (so no one installs below it while its
 * subtree is handled), then cleared.
 */
static void zap_range(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 start, u64 end)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	struct tdp_iter it;
	LOCKDEP_READ_OR_WRITE(mmu);
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
		if (!spte_is_mmu_present(old)) {
			tdp_iter_next(&it);
			continue;
		}
		bool inside = it.gfn >= start && it.gfn + spte_level_pages(it.level) <= end;
		if (!inside && !spte_is_leaf(fmt, old, it.level)) {
			tdp_iter_next(&it); /* steps into the table */
			continue;
		}
		if (ctx->shared) {
			if (!iter_try_set(&it, SPTE_FROZEN)) {
				stat_add(&mmu->stats.retries, 1);
				tdp_iter_restart(&it);
				continue;
			}
			handle_changed_spte(mmu, ctx, it.gfn, it.level, old, SPTE_FROZEN);
			__atomic_store_n(it.sptep, 0, __ATOMIC_RELEASE);
			handle_changed_spte(mmu, ctx, it.gfn, it.level, SPTE_FROZEN, 0);
		} else {
			__atomic_store_n(it.sptep, 0, __ATOMIC_RELAXED);
			handle_changed_spte(mmu, ctx, it.gfn, it.level, old, 0);
		}
		it.old_spte = 0; /* do not step into the removed table */
		tdp_iter_next(&it);
	}
}

/*
 * Delete memslot SLOT: under the write lock, zap every entry mapping it,
 * flush, free the removed tables, then the backing.  Fills ST (when not
 * NULL) with the figures of this teardown.  0 or -E_NOENT.
 */
int tdp_memslot_delete(struct tdp_mmu *mmu, int slot, struct tdp_teardown_stats *st)
{
	struct tdp_teardown_stats ts = { 0 };
	u64 t0 = mm_time_us();
	mm_write_lock(&mmu->lock);
	struct memslot *s = memslots_get(&mmu->slots, slot);
	if (!s) {
		mm_write_unlock(&mmu->lock);
		return -E_NOENT;
	}
	ts.tables = mmu->stats.tables;
	struct zap_ctx ctx = { .shared = false, .mode = effective_mode(), .ts = &ts };
	zap_range(mmu, &ctx, s->base_gfn, s->base_gfn + s->npages);
	finish_zap(mmu, &ctx);
	ts.pages_freed = memslots_remove(&mmu->slots, slot);
	mm_write_unlock(&mmu->lock);
	ts.time_us = mm_time_us() - t0;
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
	if (!size || gpa + size < gpa || gpa + size > mmu->max_gpa)
		return -E_INVAL;
	struct tdp_teardown_stats ts = { 0 };
	u64 t0 = mm_time_us();
	struct zap_ctx ctx = { .shared = shared, .mode = effective_mode(), .ts = &ts };
	u64 start = gpa >> PAGE_SHIFT, end = ALIGN_UP(gpa + size, PAGE_SIZE) >> PAGE_SHIFT;
	if (shared) {
		gp_hold();
		mm_read_lock(&mmu->lock);
	} else {
		mm_write_lock(&mmu->lock);
	}
	ts.tables = __atomic_load_n(&mmu->stats.tables, __ATOMIC_RELAXED);
	zap_range(mmu, &ctx, start, end);
	finish_zap(mmu, &ctx);
	if (shared) {
		mm_read_unlock(&mmu->lock);
		gp_release(); /* after the flush: the removed tables may now age */
	} else {
		mm_write_unlock(&mmu->lock);
	}
	ts.time_us = mm_time_us() - t0;
	if (st)
		*st = ts;
	return 0;
}

/* ---------------------------------------------------------------- cache */

/*
 * Fill CACHE with zeroed pages up to TDP_CACHE_PAGES, and the grace-period
 * spare.  Called before the MMU lock is taken.  0, or -E_NOMEM when pmm ran
 * out (the cache keeps what it got).
 */
int tdp_mmu_cache_topup(struct tdp_mmu_cache *cache)
{
	gp_reserve();
	while (cache->nr < TDP_CACHE_PAGES) {
		u64 p = pmm_alloc_page_zeroed();
		if (!p)
			return -E_NOMEM;
		cache->pages[cache->nr++] = p;
	}
	return 0;
}

void tdp_mmu_cache_free(struct tdp_mmu_cache *cache)
{
	while (cache->nr > 0)
		pmm_free_page(cache->pages[--cache->nr]);
}

/* ---------------------------------------------------------------- faults */

/*
 * Walk from the root to the level-TARGET entry for GFN under the read lock,
 * linking missing tables from CACHE, and install LEAF there (or, when MMIO,
 * an MMIO entry of generation GEN).  Returns MAPPED / MMIO when we installed
 * it, SPURIOUS when an MMU-present leaf was already there (or the cache ran
 * dry after racing with a zap: the guest will fault again), WRITE_PROT when
 * the leaf there forbids ACCESS.  Every lost cmpxchg counts a retry and
 * restarts the walk from the root.
 */
static enum tdp_fault_result map_walk(struct tdp_mmu *mmu, struct tdp_mmu_cache *cache, u64 gfn,
				      int target, u64 leaf, bool mmio, u64 gen, unsigned access)
{
	const struct tdp_fmt *fmt = mmu->fmt;
	struct zap_ctx ctx = { .shared = true };
	struct tdp_iter it;
	LOCKDEP_READ_OR_WRITE(mmu);
	tdp_iter_start(&it, fmt, pt_of(mmu->root_pa), mmu->root_level, target, gfn, gfn + 1);
	while (it.valid) {
		u64 old = it.old_spte;
		if (spte_is_frozen(old)) {
			/* The table holding this entry is being torn down: go round. */
			cpu_relax();
			tdp_iter_restart(&it);
			continue;
		}
		if (it.level == target) {
			u64 new = leaf;
			if (mmio) {
				if (spte_is_mmio(fmt, old) && !spte_mmio_is_stale(fmt, old, gen))
					return TDP_FAULT_MMIO;
				if (spte_is_mmu_present(old))
					return TDP_FAULT_MMIO; /* cannot happen: no slot, no leaf */
				new = spte_make_mmio(fmt, gen);
			} else if (spte_is_mmu_present(old)) {
				return spte_leaf_allows(fmt, old, access) ? TDP_FAULT_SPURIOUS
									  : TDP_FAULT_WRITE_PROT;
			}
			if (!iter_try_set(&it, new)) {
				stat_add(&mmu->stats.retries, 1);
				tdp_iter_restart(&it);
				continue;
			}
			handle_changed_spte(mmu, &ctx, it.gfn, it.level, old, new);
			return mmio ? TDP_FAULT_MMIO : TDP_FAULT_MAPPED;
		}
		if (spte_is_mmu_present(old) && spte_is_leaf(fmt, old, it.level))
			return TDP_FAULT_SPURIOUS; /* a huge leaf covers gfn */
		if (!spte_is_mmu_present(old)) {
			if (cache->nr == 0)
				return TDP_FAULT_SPURIOUS;
			u64 pt = cache->pages[--cache->nr];
			u64 new = spte_make_nonleaf(fmt, pt);
			if (!iter_try_set(&it, new)) {
				/* Never published: still zeroed, back to the cache. */
				cache->pages[cache->nr++] = pt;
				stat_add(&mmu->stats.retries, 1);
				tdp_iter_restart(&it);
				continue;
			}
			handle_changed_spte(mmu, &ctx, it.gfn, it.level, old, new);
			it.old_spte = new; /* so that the step goes down into it */
		}
		tdp_iter_next(&it);
	}
	MM_BUG("fault walk ended without reaching its level");
}

/*
 * Handle a nested page fault at GPA for ACCESS (see tdp_mmu.h).  Holds the
 * MMU lock for read throughout.  Order matters for "nothing half-built":
 * first the slot lookup and permission check, then the check that CACHE
 * holds enough pages for every missing table, then the backing (which may
 * fail with NOMEM), and only then are tables linked, always ending in the
 * leaf.  A GPA outside every memslot gets an MMIO entry of the current
 * generation (when the cache allows building the path; MMIO either way).
 */
enum tdp_fault_result tdp_mmu_page_fault(struct tdp_mmu *mmu, struct tdp_mmu_cache *cache,
					 u64 gpa, unsigned access)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	int target = 1; /* TODO(phase 2): 2 MiB / 1 GiB leaves where the backing allows */
	enum tdp_fault_result res;
	int need = mmu->root_level - target;

	stat_add(&mmu->stats.faults, 1);
	if (gpa >= mmu->max_gpa)
		return TDP_FAULT_MMIO;
	mm_read_lock(&mmu->lock);
	u64 gen = memslots_generation(&mmu->slots);
	struct memslot *s = memslots_find(&mmu->slots, gfn);
	if (!s) {
		res = TDP_FAULT_MMIO;
		if (cache->nr >= need)
			res = map_walk(mmu, cache, gfn, target, 0, true, gen, access);
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
	u64 leaf = spte_make_leaf(mmu->fmt, b.hpa, target, !(s->flags & MEMSLOT_READONLY), true);
	res = map_walk(mmu, cache, gfn, target, leaf, false, gen, access);
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

/* ---------------------------------------------------------------- guest memory */

/*
 * Copy between guest memory and DST/SRC through the memslot backing, page by
 * page, under the read lock (see tdp_mmu.h for the results).  Reads of pages
 * never backed give zeros/prefill without allocating; writes allocate.
 */
static int access_guest(struct tdp_mmu *mmu, u64 gpa, void *buf, u64 len, bool write)
{
	int r = 0;
	if (gpa + len < gpa)
		return -E_FAULT;
	mm_read_lock(&mmu->lock);
	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		struct memslot *s = memslots_find(&mmu->slots, gpa >> PAGE_SHIFT);
		if (!s) {
			r = -E_FAULT;
			break;
		}
		struct memslot_backing b;
		int e = memslot_backing(&mmu->slots, s, gpa >> PAGE_SHIFT, write, &b);
		if (e == -E_NOENT && !write) {
			memslot_read_unbacked(s, gpa, buf, chunk);
		} else if (e) {
			r = e;
			break;
		} else {
			u8 *host = (u8 *)phys_to_virt(b.hpa) + (gpa & (PAGE_SIZE - 1));
			if (write)
				memcpy(host, buf, chunk);
			else
				memcpy(buf, host, chunk);
		}
		gpa += chunk;
		buf = (u8 *)buf + chunk;
		len -= chunk;
	}
	mm_read_unlock(&mmu->lock);
	return r;
}

int tdp_read_guest(struct tdp_mmu *mmu, u64 gpa, void *dst, u64 len)
{
	return access_guest(mmu, gpa, dst, len, false);
}

int tdp_write_guest(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len)
{
	return access_guest(mmu, gpa, (void *)src, len, true);
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
	u64 t0 = mm_time_us();

	mm_write_lock(&mmu->lock);
	ts.tables = mmu->stats.tables;
	struct zap_ctx ctx = {
		.shared = false, .free_now = true, .mode = effective_mode(), .ts = &ts
	};
	handle_removed_pt(mmu, &ctx, mmu->root_pa, mmu->root_level, 0);
	MM_ASSERT(mmu->stats.tables == 0);
	MM_ASSERT(!mmu->stats.leaves_4k && !mmu->stats.leaves_2m && !mmu->stats.leaves_1g);
	for (int i = 0; i < TDP_MAX_MEMSLOTS; i++)
		if (memslots_get(&mmu->slots, i))
			ts.pages_freed += memslots_remove(&mmu->slots, i);
	mm_write_unlock(&mmu->lock);
	ts.time_us = mm_time_us() - t0;

	pr_info("tdp", "destroy (%s): tables=%llu visited=%llu skipped=%llu changed=%llu "
		"tables_freed=%llu pages_freed=%llu time=%lluus",
		tdp_teardown_mode_name(mode), (unsigned long long)ts.tables,
		(unsigned long long)ts.visited, (unsigned long long)ts.skipped,
		(unsigned long long)ts.changed, (unsigned long long)ts.tables_freed,
		(unsigned long long)ts.pages_freed, (unsigned long long)ts.time_us);
	pmm_free_page(virt_to_phys(mmu));
	tdp_mmu_gp_drain();
	if (st)
		*st = ts;
}

void tdp_mmu_get_stats(struct tdp_mmu *mmu, struct tdp_mmu_stats *out)
{
	struct tdp_mmu_stats *s = &mmu->stats;
	out->tables = __atomic_load_n(&s->tables, __ATOMIC_RELAXED);
	out->leaves_4k = __atomic_load_n(&s->leaves_4k, __ATOMIC_RELAXED);
	out->leaves_2m = __atomic_load_n(&s->leaves_2m, __ATOMIC_RELAXED);
	out->leaves_1g = __atomic_load_n(&s->leaves_1g, __ATOMIC_RELAXED);
	out->faults = __atomic_load_n(&s->faults, __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&s->retries, __ATOMIC_RELAXED);
	out->mmio_entries = __atomic_load_n(&s->mmio_entries, __ATOMIC_RELAXED);
	out->backing_pages = __atomic_load_n(&mmu->slots.backing_pages, __ATOMIC_RELAXED);
}

void tdp_set_teardown_mode(enum tdp_teardown_mode mode)
{
	__atomic_store_n(&teardown_mode, mode, __ATOMIC_RELAXED);
}

enum tdp_teardown_mode tdp_get_teardown_mode(void)
{
	return __atomic_load_n(&teardown_mode, __ATOMIC_RELAXED);
}

const char *tdp_teardown_mode_name(enum tdp_teardown_mode mode)
{
	switch (mode) {
	case TDP_TEARDOWN_NOSKIP: return "noskip";
	case TDP_TEARDOWN_SKIP: return "skip";
	case TDP_TEARDOWN_SUMMARY: return "summary";
	}
	return "?";
}
