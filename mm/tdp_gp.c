/*
 * Grace periods (see tdp_gp.h): a small, global, epoch-based scheme.
 *
 * State.  gp.seq counts closed lists.  Each CPU that runs guests records in
 * qs_seq[cpu] the value of gp.seq it saw at its last quiescent point, and
 * has its bit in gp.running.  Deferred pages are appended to the "open"
 * list; a list is closed by giving it seq = ++gp.seq and moving it to the
 * FIFO of closed lists.  A closed list with sequence S may be freed once
 * every CPU in gp.running has qs_seq >= S.
 *
 * Why that is enough.  A page P on a list closed with S was unlinked from
 * its table tree before it was queued, and queued before the close.  A CPU
 * whose qs_seq >= S read gp.seq after the close (the increment and the read
 * are sequentially consistent, and the queue/close are ordered by gp.lock),
 * so its quiescent point came after the unlink: any walk it was doing then
 * had ended (quiescent points are outside the MMU lock), and any walk it
 * starts afterwards finds the tree without P.  A CPU not in gp.running does
 * not walk at all; it must call tdp_mmu_quiescent() (which sets its bit
 * BEFORE reading gp.seq) before it next takes the MMU lock or enters a
 * guest, and tdp_mmu_cpu_offline() when it stops doing so.
 *
 * The hardware.  A CPU in guest mode may hold a removed table in its
 * paging-structure caches until the TLB flush that follows the zap.  The
 * remover calls the flush callback before it releases its gp_hold(), and
 * the open list is never closed while a hold is in place; so the flush
 * precedes the close, and the VM exit that gives the quiescent point comes
 * after the flush.
 *
 * Storage.  The lists are made of pmm pages holding addresses (a removed
 * table cannot link itself: other CPUs may still read its entries, all
 * FROZEN, and must go on seeing FROZEN).  One spare page is kept, refilled
 * outside any lock by gp_reserve() (from tdp_mmu_cache_topup()); if both
 * the spare and pmm are exhausted the page is leaked and counted: the host
 * is out of memory and the guest that caused it will not go on.
 */
#include "mm/tdp_gp.h"
#include "mm/mm_debug.h"
#include "mm/mm_lock.h"
#include "mm/pmm.h"
#include "mm/tdp_pt.h"

#define GP_BATCH_MAX ((PAGE_SIZE - 24) / 8)

/* One page of a deferred list. */
struct gp_batch {
	u64 next;              /* physical address of the next page of the list / FIFO */
	u64 seq;               /* sequence the list closed with (valid once closed) */
	u64 n;                 /* addresses in pa[] */
	u64 pa[GP_BATCH_MAX];  /* table pages to free */
};
_Static_assert(sizeof(struct gp_batch) == PAGE_SIZE, "gp batch");

static struct {
	struct mm_spinlock lock;   /* protects everything below but seq/qs_seq/running */
	u64 open_head, open_tail;  /* the open list (pages), 0 when empty */
	u64 closed_head, closed_tail; /* FIFO of closed list pages */
	u64 spare;                 /* an empty batch page, or 0 (written under the lock,
				      atomically, as gp_reserve peeks without it) */
	u64 holds;                 /* removers at work (gp_hold) */
	u64 pending;               /* table pages waiting (atomic stores: quiescent
				      points peek at it without the lock) */
	u64 leaked;                /* table pages leaked for want of a list page */
	u64 seq;                   /* atomic: lists closed so far */
	u64 running;               /* atomic: CPUs taking part (read at every
				      quiescent point: beside seq, not after the
				      per-CPU lines, so that a CPU's points read
				      the page of its own line only) */
	struct {
		u64 seq;           /* atomic: gp.seq seen at the CPU's last quiescent point */
	} __attribute__((aligned(64))) qs_seq[GP_MAX_CPUS]; /* per CPU, each on its own cache
				      line: CPUs record their quiescent points without
				      bouncing a line between them */
} gp;

static struct gp_batch *B(u64 pa) { return phys_to_virt(pa); }

void gp_reserve(void)
{
	if (__atomic_load_n(&gp.spare, __ATOMIC_RELAXED))
		return;
	u64 p = pmm_alloc_page();
	if (!p)
		return;
	mm_spin_lock(&gp.lock);
	if (!gp.spare) {
		__atomic_store_n(&gp.spare, p, __ATOMIC_RELAXED);
		p = 0;
	}
	mm_spin_unlock(&gp.lock);
	if (p)
		pmm_free_page(p);
}

/* A fresh list page (gp.lock held): the spare, or one from pmm, or 0. */
static u64 new_batch(void)
{
	u64 p = gp.spare;
	if (p)
		__atomic_store_n(&gp.spare, 0, __ATOMIC_RELAXED);
	else
		p = pmm_alloc_page();
	if (p) {
		B(p)->next = 0;
		B(p)->n = 0;
		B(p)->seq = 0;
	}
	return p;
}

/*
 * Queue table page PA, already unlinked from its tree, to be freed after a
 * grace period.  Any context (may be called with the MMU lock held).
 */
void gp_defer_free(u64 pa)
{
	mm_spin_lock(&gp.lock);
	if (!gp.open_tail || B(gp.open_tail)->n == GP_BATCH_MAX) {
		u64 p = new_batch();
		if (!p) {
			gp.leaked++;
			mm_spin_unlock(&gp.lock);
			pr_err("tdp", "no page for the deferred-free list: table page 0x%lx leaked",
			       (unsigned long)pa);
			return;
		}
		if (gp.open_tail)
			B(gp.open_tail)->next = p;
		else
			gp.open_head = p;
		gp.open_tail = p;
	}
	struct gp_batch *b = B(gp.open_tail);
	b->pa[b->n++] = pa;
	__atomic_store_n(&gp.pending, gp.pending + 1, __ATOMIC_RELAXED);
	mm_spin_unlock(&gp.lock);
}

void gp_hold(void)
{
	mm_spin_lock(&gp.lock);
	gp.holds++;
	mm_spin_unlock(&gp.lock);
}

void gp_release(void)
{
	mm_spin_lock(&gp.lock);
	MM_ASSERT(gp.holds > 0);
	gp.holds--;
	mm_spin_unlock(&gp.lock);
}

/* Every CPU taking part has passed a quiescent point since SEQ was closed. */
static bool gp_done(u64 seq)
{
	u64 running = __atomic_load_n(&gp.running, __ATOMIC_SEQ_CST);
	for (unsigned c = 0; c < GP_MAX_CPUS; c++)
		if ((running & BIT(c)) && __atomic_load_n(&gp.qs_seq[c].seq, __ATOMIC_SEQ_CST) < seq)
			return false;
	return true;
}

/*
 * Close the open list (unless a remover holds it) and free every closed list
 * whose grace period is over.  gp.lock held.  Returns pages still pending.
 */
static u64 gp_reclaim_locked(void)
{
	if (gp.open_head && !gp.holds) {
		u64 seq = __atomic_add_fetch(&gp.seq, 1, __ATOMIC_SEQ_CST);
		for (u64 p = gp.open_head; p; p = B(p)->next)
			B(p)->seq = seq;
		if (gp.closed_tail)
			B(gp.closed_tail)->next = gp.open_head;
		else
			gp.closed_head = gp.open_head;
		gp.closed_tail = gp.open_tail;
		gp.open_head = gp.open_tail = 0;
	}
	while (gp.closed_head && gp_done(B(gp.closed_head)->seq)) {
		u64 p = gp.closed_head;
		struct gp_batch *b = B(p);
		gp.closed_head = b->next;
		if (!gp.closed_head)
			gp.closed_tail = 0;
		for (u64 i = 0; i < b->n; i++)
			tdp_pt_free(b->pa[i]); /* the table and its map */
		__atomic_store_n(&gp.pending, gp.pending - b->n, __ATOMIC_RELAXED);
		if (!gp.spare)
			__atomic_store_n(&gp.spare, p, __ATOMIC_RELAXED);
		else
			pmm_free_page(p);
	}
	return gp.pending;
}

/*
 * CPU passes a quiescent point: it holds no MMU lock and is not in guest
 * mode, so it references no table page it read before.  Registers CPU as
 * taking part (see above), then, when pages are pending, frees what is due
 * if the list lock is free (a busy lock means someone else is doing it; we
 * never spin on a VM exit).
 */
void tdp_mmu_quiescent(unsigned cpu)
{
	MM_ASSERT_NONE_HELD(); /* else this is no quiescent point */
	MM_ASSERT(cpu < GP_MAX_CPUS);
	/* The common case writes no shared line: our bit is set already (only
	 * we clear it, and we set it with a sequentially consistent RMW before
	 * any earlier read of gp.seq), the sequence has not moved since our
	 * last point, and nothing is pending. */
	if (!(__atomic_load_n(&gp.running, __ATOMIC_SEQ_CST) & BIT(cpu)))
		__atomic_fetch_or(&gp.running, BIT(cpu), __ATOMIC_SEQ_CST);
	u64 seq = __atomic_load_n(&gp.seq, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&gp.qs_seq[cpu].seq, __ATOMIC_RELAXED) != seq)
		__atomic_store_n(&gp.qs_seq[cpu].seq, seq, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&gp.pending, __ATOMIC_RELAXED) && mm_spin_trylock(&gp.lock)) {
		gp_reclaim_locked();
		mm_spin_unlock(&gp.lock);
	}
}

/*
 * CPU stops taking part (it will not take the MMU lock nor enter a guest
 * until its next tdp_mmu_quiescent()).  Outside any MMU lock.
 */
void tdp_mmu_cpu_offline(unsigned cpu)
{
	MM_ASSERT_NONE_HELD();
	MM_ASSERT(cpu < GP_MAX_CPUS);
	__atomic_fetch_and(&gp.running, ~BIT(cpu), __ATOMIC_SEQ_CST);
}

/*
 * Free whatever is due now, without waiting; with nothing left pending, give
 * the spare list page back to pmm too (so page counts balance in tests and
 * after a guest is destroyed).  Returns the table pages still pending.
 */
u64 tdp_mmu_gp_drain(void)
{
	mm_spin_lock(&gp.lock);
	u64 left = gp_reclaim_locked();
	u64 spare = 0;
	if (!left && !gp.open_head && !gp.closed_head) {
		spare = gp.spare;
		__atomic_store_n(&gp.spare, 0, __ATOMIC_RELAXED);
	}
	mm_spin_unlock(&gp.lock);
	if (spare)
		pmm_free_page(spare);
	return left;
}

/* Table pages leaked because no list page could be had (should stay 0). */
u64 tdp_mmu_gp_leaked(void)
{
	mm_spin_lock(&gp.lock);
	u64 n = gp.leaked;
	mm_spin_unlock(&gp.lock);
	return n;
}
