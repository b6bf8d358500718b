/*
 * Guest-memory access for the VMM (interface in tdp_mmu.h, "Guest
 * memory"): copies to and from guest-physical memory, and the bytes a
 * memslot shows before the guest ever touched a page (prefill: the loaded
 * image, the boot information).
 *
 * All of it goes through the memslots' backing (memslot.c), never through
 * the nested tables: what the guest sees at a GPA is the backing page the
 * memslot holds for it, whether or not an entry maps it now.  A read of a
 * page that has no backing yet allocates nothing (zeros plus prefill); a
 * write allocates it, exactly as the guest's first fault would, and marks it
 * in a dirty-logged slot.  Copies hold the MMU lock for read (they race
 * with faults only through memslot_backing()'s compare-and-exchange);
 * prefill registration holds it for write.
 */
#include "mm/tdp_mmu.h"
#include "mm/memslot.h"
#include "mm/mm_env.h"
#include "mm/mm_lock.h"
#include "mm/mm_string.h"
#include "mm/tdp_internal.h"

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
		r = memslot_add_prefill(&mmu->slots, s, gpa, src, len);
	mm_write_unlock(&mmu->lock);
	return r;
}

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
			memslot_read_unbacked(&mmu->slots, s, gpa, buf, chunk);
		} else if (e) {
			r = e;
			break;
		} else {
			u8 *host = (u8 *)phys_to_virt(b.hpa) + (gpa & (PAGE_SIZE - 1));
			if (write && s->dirty_log)
				memslot_mark_dirty(&mmu->slots, s, gpa >> PAGE_SHIFT);
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

/* Copy LEN bytes of guest memory at GPA to DST (see tdp_mmu.h). */
int tdp_read_guest(struct tdp_mmu *mmu, u64 gpa, void *dst, u64 len)
{
	return access_guest(mmu, gpa, dst, len, false);
}

/* Copy LEN bytes from SRC to guest memory at GPA (see tdp_mmu.h). */
int tdp_write_guest(struct tdp_mmu *mmu, u64 gpa, const void *src, u64 len)
{
	return access_guest(mmu, gpa, (void *)src, len, true);
}

/*
 * Host address of the backing of guest frame GFN, for plain loads, or NULL
 * when the frame has none yet or is not guest RAM (those bytes come from
 * tdp_read_guest: prefill, zeros or -E_FAULT).  The read lock is held for
 * the lookup only: memslot.c publishes a frame's backing once and frees it
 * only with its slot, so the address stays good until that memslot is
 * deleted (see tdp_mmu.h).  Nothing is allocated or marked dirty.
 */
const void *tdp_guest_page(struct tdp_mmu *mmu, u64 gfn)
{
	const void *page = NULL;
	mm_read_lock(&mmu->lock);
	struct memslot *s = memslots_find(&mmu->slots, gfn);
	struct memslot_backing b;
	if (s && !memslot_backing(&mmu->slots, s, gfn, false, &b))
		page = phys_to_virt(b.hpa);
	mm_read_unlock(&mmu->lock);
	return page;
}
