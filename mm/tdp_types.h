/*
 * The types of the TDP MMU's interface (mm/tdp_mmu.h): access kinds,
 * memslot flags, the per-vCPU page cache, fault results, teardown modes and
 * the counters.
 *
 * They have a header of their own, below tdp_mmu.h, because mm/'s own
 * modules under the interface need them too: memslot.h (the flags and the
 * slot count) and tdp_internal.h (struct tdp_mmu holds the counters).
 * Including tdp_mmu.h from those would close an include cycle with
 * tdp_mmu.c, which includes them.  vmm/ gets these through tdp_mmu.h.
 */
#ifndef PAGODA_TDP_TYPES_H
#define PAGODA_TDP_TYPES_H

#include "lib/types.h"
#include "mm/tdp_fmt.h"

/* One guest's TDP MMU (defined in mm/tdp_internal.h; opaque outside mm/). */
struct tdp_mmu;

/* Access kinds of a fault, TDP_ACC_*: mm/tdp_fmt.h (the vendor seam uses them too). */

/* Memslot flags. */
#define MEMSLOT_READONLY 0x1 /* writes fault with TDP_FAULT_WRITE_PROT */
#define MEMSLOT_HUGE     0x2 /* back with 2 MiB / 1 GiB blocks where aligned */

#define TDP_MAX_MEMSLOTS 16

/*
 * Per-vCPU cache of page-table pages, filled by tdp_mmu_cache_topup() before
 * the MMU lock is taken so a fault never allocates under the lock.
 */
#define TDP_CACHE_PAGES 8
struct tdp_mmu_cache {
	u64 pages[TDP_CACHE_PAGES]; /* physical addresses of zeroed tables, each with its
				       zeroed presence summary bound (mm/tdp_pt.h) */
	int nr;                     /* how many of pages[] are valid */
	/* Where this vCPU's last 4 KiB fault ended (tdp_mmu.c, map_walk): a
	 * fault in the same 2 MiB starts in that leaf table, not at the root,
	 * while no table has been unlinked from that MMU since. */
	u64 hint_mmu;               /* id of the MMU the hint is about (tdp_mmu.c), 0: none */
	u64 hint_pt;                /* physical address of the level-1 table */
	u64 hint_gfn2m;             /* gfn >> 9 of the 2 MiB it maps */
	u64 hint_unlinks;           /* the MMU's tables_unlinked when the walk began */
};

enum tdp_fault_result {
	TDP_FAULT_MAPPED,     /* an entry now maps the GPA: re-enter the guest */
	TDP_FAULT_SPURIOUS,   /* already mapped (lost a race or stale TLB): re-enter */
	TDP_FAULT_MMIO,       /* no RAM memslot covers the GPA: device model's turn */
	TDP_FAULT_NOMEM,      /* host out of pages: the guest cannot go on */
	TDP_FAULT_WRITE_PROT, /* write to a read-only or write-protected page */
};

enum tdp_teardown_mode {
	TDP_TEARDOWN_NOSKIP,  /* freeze and handle every entry (KVM before March 2021) */
	TDP_TEARDOWN_SKIP,    /* skip entries that are not MMU-present (KVM today) */
	TDP_TEARDOWN_SUMMARY, /* visit only present entries via per-table summaries
				 (a 512-bit presence map kept for every table) */
};

/* Counters kept for the life of one TDP MMU. */
struct tdp_mmu_stats {
	u64 tables;        /* page-table pages now linked, root included */
	u64 leaves_4k;     /* present 4 KiB leaves now */
	u64 leaves_2m;     /* present 2 MiB leaves now */
	u64 leaves_1g;     /* present 1 GiB leaves now */
	u64 faults;        /* faults handled */
	u64 retries;       /* entry changes under the read lock that lost a race and were
			      retried (installs, zaps, write-protects, freezes) */
	u64 mmio_entries;  /* MMIO entries installed */
	u64 backing_pages; /* host pages now backing guest RAM */
	u64 splits;        /* huge leaves split into a table of smaller leaves */
	u64 mmio_zapped;   /* MMIO entries removed when the generation wrapped */
	u64 dirty_faults;  /* write faults that re-opened a page in a dirty-logged slot */
	u64 hinted;        /* faults whose walk began in the vCPU's last leaf table, not at
			      the root (struct tdp_mmu_cache) */
};

/* Figures of one teardown (tdp_mmu_destroy or memslot deletion). */
struct tdp_teardown_stats {
	u64 tables;          /* page-table pages the MMU had when teardown started */
	u64 visited;         /* entries read */
	u64 skipped;         /* entries skipped as not MMU-present */
	u64 changed;         /* entries frozen or changed (handle_changed_spte calls) */
	u64 tables_freed;    /* page-table pages freed */
	u64 pages_freed;     /* guest backing pages freed */
	u64 time_us;         /* duration */
	u64 yields;          /* times a range zap dropped and retook the MMU lock */
	u64 tables_time_us;  /* destroy: part of time_us spent on the tables alone */
};

#endif
