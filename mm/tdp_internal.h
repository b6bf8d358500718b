/*
 * What the files of the TDP MMU share beyond its interface (tdp_mmu.h):
 * the MMU itself, the context of a series of entry changes, the range walk,
 * and the two setters through which every entry changes.
 *
 * tdp_mmu.c is the core and defines all that is declared here; tdp_dirty.c
 * (dirty logging) and guest_mem.c (guest-memory access) build on it.  Only
 * mm/ (and white-box host tests) include this header.  It includes
 * tdp_types.h rather than tdp_mmu.h: tdp_mmu.c includes it, and the two
 * must not include each other (tests/layering.t).
 */
#ifndef PAGODA_TDP_INTERNAL_H
#define PAGODA_TDP_INTERNAL_H

#include "mm/memslot.h"
#include "mm/mm_debug.h"
#include "mm/mm_lock.h"
#include "mm/tdp_fmt.h"
#include "mm/tdp_types.h"
#include "lib/types.h"

struct tdp_iter;

/* ---- The MMU ---- */

/*
 * The MMU's counters (struct tdp_mmu_stats, tdp_types.h), kept per CPU
 * slot (mm_env.h) so that CPUs faulting at once do not bounce one line:
 * each slot's copy moves by the changes its contexts made (a gauge such as
 * TS_TABLES may go negative in one slot and positive in another), and the
 * sum over the slots is the figure.
 */
enum tdp_stat {
	TS_TABLES,       /* page-table pages linked, root included */
	TS_LEAVES_4K,    /* present 4 KiB leaves (TS_LEAVES_4K + level - 1 for larger) */
	TS_LEAVES_2M,    /* present 2 MiB leaves */
	TS_LEAVES_1G,    /* present 1 GiB leaves */
	TS_FAULTS,       /* faults handled */
	TS_RETRIES,      /* lost cmpxchg races */
	TS_MMIO_ENTRIES, /* MMIO entries installed */
	TS_SPLITS,       /* huge leaves split */
	TS_MMIO_ZAPPED,  /* MMIO entries removed on generation wrap */
	TS_DIRTY_FAULTS, /* dirty-logging write faults */
	TS_HINTED,       /* faults whose walk began at the vCPU's leaf-table hint */
	TS_NR
};

/* One CPU slot's copy of the counters, alone on its cache lines. */
struct tdp_stat_slot {
	u64 v[TS_NR]; /* by enum tdp_stat; changed with relaxed atomic adds */
} __attribute__((aligned(MM_CACHELINE)));

/* Tables a destroy frees per batch (struct zap_ctx's freeq). */
#define TDP_FREEQ 64

/* Pages of the pmm block holding a struct tdp_mmu (order TDP_MMU_ORDER). */
#define TDP_MMU_ORDER 1

struct tdp_mmu {
	const struct tdp_fmt *fmt;  /* entry format (NPT or EPT) */
	u64 root_pa;                /* root table */
	int root_level;             /* fmt->levels */
	u64 max_gpa;                /* first GPA the tables cannot map */
	u64 id;                     /* unique among the MMUs ever created, never 0 (what a
				       vCPU's leaf-table hint names: an address may come back) */
	u64 tables_unlinked;        /* table links ever removed (atomic, sequentially
				       consistent: a fault's leaf-table hint is good only
				       while this has not moved, see map_walk) */
	struct mm_rwlock lock;      /* the MMU lock: read for faults, guest-memory access,
				       shared zaps and harvests; write for teardown, memslot
				       and dirty-log changes (see tdp_mmu.c) */
	struct memslots slots;      /* RAM and its backing (guarded by lock) */
	struct tdp_stat_slot stats[MM_NSLOTS]; /* counters, per CPU slot (tdp_mmu_get_stats
					       adds the slots up) */
	void (*flush)(void *arg);   /* TLB flush for this guest, or NULL */
	void *flush_arg;            /* what flush is called with (the VMM's guest) */
};

/* ---- A series of entry changes ---- */

/*
 * What one series of entry changes is doing.  Built by the caller that took
 * the lock, passed down through the range walk, the setters,
 * handle_changed_spte() and handle_removed_pt().
 */
struct zap_ctx {
	struct mm_ctx *me;            /* the execution context doing the series, which holds
					 the MMU lock (mm_ctx_self() of whoever built this) */
	bool shared;                  /* MMU lock held for read (else write) */
	enum tdp_teardown_mode mode;  /* skip policy for exclusive removal */
	struct tdp_teardown_stats *ts; /* figures being gathered, or NULL */
	u64 *freeq;                   /* destroy (no guest runs): removed tables go here,
					 freed TDP_FREEQ at a time; NULL elsewhere */
	unsigned nfreeq;              /* tables in freeq */
	u64 chain;                    /* exclusive: removed tables, linked through
					 entry 0, freed after the flush */
	bool need_flush;              /* something the hardware may cache was removed */
	bool can_yield;               /* the range walk may drop and retake the lock */
};

/*
 * The context running CTX holds MMU's lock in the mode CTX says: the lock
 * check of every function that takes a zap_ctx.  ctx->me is the record of
 * the context that built CTX on its stack, so of the caller: this is
 * MM_ASSERT_HELD_MODE() without a call to mm_ctx_self() per entry changed
 * (see mm_ctx_holds()).
 */
#define ASSERT_CTX_HOLDS(mmu, ctx)                                                          \
	MM_ASSERT(mm_ctx_holds((ctx)->me, &(mmu)->lock,                                     \
			       (ctx)->shared ? MM_HELD_READ : MM_HELD_WRITE))

/* ---- Range walks ---- */

enum range_op {
	RANGE_ZAP,     /* remove every mapping of the range, tables inside it too */
	RANGE_ZAP_LEAFS, /* remove the leaves only: tables stay linked (KVM's zap_leafs) */
	RANGE_WRPROT,  /* clear the write permission of every leaf in the range */
	RANGE_WRPROT_4K, /* the same, splitting every huge leaf down to 4 KiB first */
};

/*
 * Apply OP to every MMU-present entry mapping gfns [START, END), with the
 * MMU lock held in the mode ctx->shared says (see tdp_mmu.c).
 */
void tdp_range_op(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 start, u64 end,
		  enum range_op op);
/* Flush if the series removed or restricted something, then free the tables it chained. */
void tdp_finish_zap(struct tdp_mmu *mmu, struct zap_ctx *ctx);

/* ---- The setters (tdp_mmu.c explains them) ---- */

/*
 * Read lock: compare-and-exchange the iterator's entry from it->old_spte to
 * NEW.  True when done (it->old_spte is NEW); false when another CPU
 * changed it first (a retry is counted, the walk restarted from the root).
 */
bool tdp_mmu_set_spte_atomic(struct tdp_mmu *mmu, struct zap_ctx *ctx, struct tdp_iter *it,
			     u64 new);
/* Write lock: the level-LEVEL entry at SPTEP for GFN goes from OLD to NEW. */
void tdp_mmu_set_spte(struct tdp_mmu *mmu, struct zap_ctx *ctx, u64 *sptep, u64 gfn, int level,
		      u64 old, u64 new);

#endif
