/*
 * tdp_iter: a pre-order walk of one TDP table tree over a gfn range.
 *
 * The walk visits every entry whose guest range overlaps [start, end), from
 * the root level down to min_level: an entry is yielded, then (if it is an
 * MMU-present non-leaf above min_level) the table it links, then its right
 * neighbour.  The caller may change the current entry between steps; what
 * the iterator follows when stepping down is old_spte, so a caller that
 * installs a table must store the new value in old_spte, and one that zaps
 * a table must store the zapped value there, to steer the walk.
 *
 * The iterator holds no lock and no reference.  Under the shared MMU lock a
 * table on the path may be unlinked (and frozen) by another CPU at any time;
 * its page stays allocated until a grace period ends (see tdp_mmu.c), so
 * reading through a stale path is safe, and the first compare-and-exchange
 * on a frozen or changed entry fails.  tdp_iter_restart() then walks again
 * from the root to the current gfn.
 */
#ifndef PAGODA_TDP_ITER_H
#define PAGODA_TDP_ITER_H

#include "mm/mm_env.h"
#include "mm/spte.h"
#include "mm/tdp_fmt.h"
#include "lib/types.h"

struct tdp_iter {
	const struct tdp_fmt *fmt;     /* entry format, to tell leaves and addresses */
	u64 *pt_path[TDP_MAX_LEVELS + 1]; /* pt_path[l]: table holding the level-l entries
					     on the current path (pt_path[root_level] = root) */
	u64 *sptep;                    /* the current entry, inside pt_path[level] */
	u64 old_spte;                  /* snapshot of *sptep taken when we arrived (or the
					  value the caller last installed there) */
	u64 gfn;                       /* first gfn mapped by the current entry (aligned
					  to the level) */
	u64 next_last_level_gfn;       /* gfn the walk is heading for: where a restart
					  resumes (never below gfn) */
	u64 yielded_gfn;               /* next_last_level_gfn at the last restart, so a
					  caller can tell whether it made progress */
	u64 start;                     /* first gfn of the range */
	u64 end;                       /* first gfn after the range */
	int root_level;                /* level of the root table's entries (4 or 5) */
	int min_level;                 /* do not step below this level */
	int level;                     /* level of the current entry */
	bool valid;                    /* false once the walk is over */
};

/* Begin a walk of the tree at ROOT over [START, END). */
void tdp_iter_start(struct tdp_iter *it, const struct tdp_fmt *fmt, u64 *root, int root_level,
		    int min_level, u64 start, u64 end);
/* Advance to the next entry in pre-order; clears valid at the end. */
void tdp_iter_next(struct tdp_iter *it);
/* Walk again from the root towards next_last_level_gfn (after a lost race or a yield). */
void tdp_iter_restart(struct tdp_iter *it);
/* Re-read the current entry into old_spte; returns it. */
u64 tdp_iter_refresh(struct tdp_iter *it);

/* Atomic access to one entry. */
static inline u64 spte_read(u64 *sptep) { return __atomic_load_n(sptep, __ATOMIC_ACQUIRE); }

/*
 * Into the table the current entry links: what tdp_iter_next() does there,
 * without its other cases, for the walk of a single gfn (the fault path,
 * which steps down at every level).  Assumes old_spte is an MMU-present
 * non-leaf and the level is above min_level; entering a table never moves
 * gfn past next_last_level_gfn, so the walk stays valid.
 */
static inline void tdp_iter_step_down(struct tdp_iter *it)
{
	u64 *child = phys_to_virt(spte_addr(it->fmt, it->old_spte));
	int level = --it->level;
	it->pt_path[level] = child;
	it->gfn = it->next_last_level_gfn & ~(spte_level_pages(level) - 1);
	it->sptep = child + spte_index(it->gfn, level);
	it->old_spte = spte_read(it->sptep);
}

#define for_each_tdp_pte(it, fmt, root, root_level, min_level, start, end)                 \
	for (tdp_iter_start(&(it), fmt, root, root_level, min_level, start, end); (it).valid; \
	     tdp_iter_next(&(it)))

#endif
