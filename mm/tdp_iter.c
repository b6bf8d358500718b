/*
 * tdp_iter: pre-order walk of a TDP table tree (see tdp_iter.h).
 */
#include "mm/tdp_iter.h"
#include "mm/mm_env.h"

static u64 round_gfn(u64 gfn, int level) { return gfn & ~(spte_level_pages(level) - 1); }

/* Point the iterator at the entry for gfn in the current level's table. */
static void load_entry(struct tdp_iter *it)
{
	it->gfn = round_gfn(it->next_last_level_gfn, it->level);
	it->sptep = it->pt_path[it->level] + spte_index(it->gfn, it->level);
	it->old_spte = spte_read(it->sptep);
}

/*
 * Go back to the root entry covering next_last_level_gfn, re-reading the
 * entry.  The walk then descends again along whatever the tables hold now.
 * Entries between the root and the current position are yielded again;
 * callers' loop bodies are written so that seeing an entry twice is harmless.
 */
void tdp_iter_restart(struct tdp_iter *it)
{
	it->yielded_gfn = it->next_last_level_gfn;
	it->level = it->root_level;
	load_entry(it);
	it->valid = it->gfn < it->end;
}

/*
 * Start a walk of [START, END) in the tree whose root table is ROOT (entries
 * at ROOT_LEVEL), descending no lower than MIN_LEVEL.  The first entry is the
 * root entry covering START.  Assumes START < END within the address space
 * the levels cover (an empty range yields nothing).
 */
void tdp_iter_start(struct tdp_iter *it, const struct tdp_fmt *fmt, u64 *root, int root_level,
		    int min_level, u64 start, u64 end)
{
	it->fmt = fmt;
	/* pt_path below the root is written on every step down before it is
	 * read (step up only climbs back along it): no clearing per walk. */
	it->pt_path[root_level] = root;
	it->root_level = root_level;
	it->min_level = min_level;
	it->start = start;
	it->end = end;
	it->next_last_level_gfn = start;
	tdp_iter_restart(it);
	if (start >= end)
		it->valid = false;
}

u64 tdp_iter_refresh(struct tdp_iter *it)
{
	it->old_spte = spte_read(it->sptep);
	return it->old_spte;
}

/* Into the table old_spte links, if it links one and we may go lower. */
static bool try_step_down(struct tdp_iter *it)
{
	if (it->level <= it->min_level || !spte_is_mmu_present(it->old_spte) ||
	    spte_is_leaf(it->fmt, it->old_spte, it->level))
		return false;
	u64 *child = phys_to_virt(spte_addr(it->fmt, it->old_spte));
	it->level--;
	it->pt_path[it->level] = child;
	load_entry(it);
	return true;
}

/* To the next entry of the same table, unless this was its last one. */
static bool try_step_side(struct tdp_iter *it)
{
	if (spte_index(it->gfn, it->level) == SPTE_ENTRIES - 1)
		return false;
	it->gfn += spte_level_pages(it->level);
	it->next_last_level_gfn = it->gfn;
	it->sptep++;
	it->old_spte = spte_read(it->sptep);
	return true;
}

/* To the entry in the parent table that links the current table. */
static bool try_step_up(struct tdp_iter *it)
{
	if (it->level == it->root_level)
		return false;
	it->level++;
	it->gfn = round_gfn(it->gfn, it->level);
	it->sptep = it->pt_path[it->level] + spte_index(it->gfn, it->level);
	return true;
}

/*
 * Advance in pre-order: down if possible, else sideways, climbing as long as
 * the current table is exhausted.  The walk ends (valid = false) past the
 * last root entry or once the entry starts at or after end: entries come in
 * increasing gfn order, so nothing later can overlap the range.
 */
void tdp_iter_next(struct tdp_iter *it)
{
	if (!it->valid)
		return;
	if (try_step_down(it))
		goto check;
	do {
		if (try_step_side(it))
			goto check;
	} while (try_step_up(it));
	it->valid = false;
	return;
check:
	if (it->gfn >= it->end)
		it->valid = false;
}
