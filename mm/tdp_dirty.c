/*
 * Dirty logging of one memslot (interface in tdp_mmu.h, "Dirty log"), for
 * live migration or snapshots, on top of the TDP MMU's core (tdp_internal.h).
 *
 * Write protection, not the hardware dirty bit, tells us about writes, with
 * both entry formats: enable splits the slot's huge leaves to 4 KiB and
 * write-protects every leaf; from then on a write faults, and the fault path
 * (tdp_mmu.c, map_walk) marks the page in the slot's bitmap (memslot.h) and
 * gives the write right back with one compare-and-exchange; a read maps the
 * page write-protected.  tdp_write_guest() marks what it writes too
 * (guest_mem.c).  Harvest takes the marks and write-protects those pages
 * again; disable zaps the slot so faults rebuild it writable and huge.
 *
 * Locks: enable and disable hold the MMU lock for write (no fault may see
 * the slot half converted); harvest holds it for read, so vCPUs keep
 * faulting meanwhile: its write-protection goes through the atomic setter,
 * and a huge leaf it finds (none should be left, but a split may have
 * failed for want of a page and zapped instead) is split or zapped under
 * the shared rules, so harvest holds a grace period open (gp_hold) until
 * its flush is done.
 */
#include "mm/tdp_mmu.h"
#include "mm/memslot.h"
#include "mm/mm_env.h"
#include "mm/mm_lock.h"
#include "mm/tdp_gp.h"
#include "mm/tdp_internal.h"

/*
 * Turn dirty logging on for SLOT (see tdp_mmu.h): allocate the slot's dirty
 * bitmap, split every huge leaf of the slot down to 4 KiB and write-protect
 * every leaf, all under the write lock, then flush.  From now on faults map
 * the slot with 4 KiB leaves, writable only after a write, which marks the
 * page dirty.  0, -E_NOENT, -E_NOMEM (then nothing changed), or 0 when
 * already on.
 */
int tdp_dirty_log_enable(struct tdp_mmu *mmu, int slot)
{
	mm_write_lock(&mmu->lock);
	struct memslot *s = memslots_get(&mmu->slots, slot);
	int r = 0;
	if (!s) {
		r = -E_NOENT;
		goto out;
	}
	if (s->dirty_log)
		goto out;
	r = memslot_dirty_log_start(&mmu->slots, s);
	if (r)
		goto out;
	struct zap_ctx ctx = {
		.me = mm_ctx_self(), .shared = false, .mode = tdp_get_teardown_mode()
	};
	tdp_range_op(mmu, &ctx, s->base_gfn, s->base_gfn + s->npages, RANGE_WRPROT_4K);
	tdp_finish_zap(mmu, &ctx);
out:
	mm_write_unlock(&mmu->lock);
	return r;
}

/*
 * Turn dirty logging off for SLOT: zap the slot's mappings and free the
 * bitmap (write lock), so that faults rebuild the mappings writable and,
 * where the backing allows, huge.  0 or -E_NOENT.
 */
int tdp_dirty_log_disable(struct tdp_mmu *mmu, int slot)
{
	mm_write_lock(&mmu->lock);
	struct memslot *s = memslots_get(&mmu->slots, slot);
	if (!s) {
		mm_write_unlock(&mmu->lock);
		return -E_NOENT;
	}
	if (s->dirty_log) {
		struct zap_ctx ctx = {
			.me = mm_ctx_self(), .shared = false, .mode = tdp_get_teardown_mode()
		};
		tdp_range_op(mmu, &ctx, s->base_gfn, s->base_gfn + s->npages, RANGE_ZAP);
		tdp_finish_zap(mmu, &ctx);
		memslot_dirty_log_stop(&mmu->slots, s);
	}
	mm_write_unlock(&mmu->lock);
	return 0;
}

/*
 * Harvest the dirty pages of SLOT (see tdp_mmu.h), under the read lock.
 * The order is the one that loses no write (as KVM's): first each bitmap
 * word is exchanged with 0 (and copied to BITMAP), then the pages it named
 * are write-protected again, then the TLBs are flushed.  A write that slips
 * in between the exchange and the protection went through a writable entry
 * before the caller copies the page, so the copy has it; any later write
 * faults and marks the page again.  Returns the number of dirty pages, or
 * -E_NOENT (no such slot) / -E_INVAL (dirty logging off).
 */
/* Both harvests: copy the marks to BITMAP when it is not NULL, note the
 * first and last dirty GPA in *FIRST / *LAST when not NULL (0 when none). */
static s64 harvest(struct tdp_mmu *mmu, int slot, u64 *bitmap, u64 *first, u64 *last)
{
	s64 n = 0;
	bool any = false;
	if (first)
		*first = 0;
	if (last)
		*last = 0;
	gp_hold();
	mm_read_lock(&mmu->lock);
	struct memslot *s = memslots_get(&mmu->slots, slot);
	if (!s || !s->dirty_log) {
		n = s ? -E_INVAL : -E_NOENT;
		goto out;
	}
	struct zap_ctx ctx = { .me = mm_ctx_self(), .shared = true, .mode = tdp_get_teardown_mode() };
	u64 *bm = phys_to_virt(s->dirty_bitmap), words = ALIGN_UP(s->npages, 64) / 64;
	for (u64 w = 0; w < words; w++) {
		u64 bits = __atomic_exchange_n(&bm[w], 0, __ATOMIC_ACQ_REL);
		if (bitmap)
			bitmap[w] = bits;
		if (bits && first && !any)
			*first = (s->base_gfn + w * 64 + (u64)__builtin_ctzll(bits)) << PAGE_SHIFT;
		if (bits && last)
			*last = (s->base_gfn + w * 64 + 63 - (u64)__builtin_clzll(bits)) << PAGE_SHIFT;
		any |= bits != 0;
		for (u64 b = bits; b; b &= b - 1) /* no popcnt: no libgcc call */
			n++;
		while (bits) {
			/* One range per run of set bits. */
			int lo = __builtin_ctzll(bits);
			u64 run = bits >> lo;
			int len = ~run ? __builtin_ctzll(~run) : 64 - lo;
			u64 g = s->base_gfn + w * 64 + (u64)lo;
			tdp_range_op(mmu, &ctx, g, g + (u64)len, RANGE_WRPROT_4K);
			bits &= len + lo >= 64 ? 0 : ~0ULL << (lo + len);
		}
	}
	tdp_finish_zap(mmu, &ctx);
out:
	mm_read_unlock(&mmu->lock);
	gp_release();
	return n;
}

s64 tdp_dirty_log_harvest(struct tdp_mmu *mmu, int slot, u64 *bitmap)
{
	return harvest(mmu, slot, bitmap, NULL, NULL);
}

s64 tdp_dirty_log_harvest_span(struct tdp_mmu *mmu, int slot, u64 *first_gpa, u64 *last_gpa)
{
	return harvest(mmu, slot, NULL, first_gpa, last_gpa);
}
