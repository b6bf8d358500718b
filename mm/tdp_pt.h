/*
 * Page-table pages of the TDP MMU and their presence maps (also the
 * memslots' radix nodes, memslot.h, whose teardown uses the maps the same
 * way).
 *
 * A table is one host page (the 512 entries the hardware walks).  Its
 * presence map (512 bits, bit i set when entry i may be MMU-present; see
 * tdp_mmu.c) is a 64-byte slot of the first page of the aligned "chunk" of
 * TDP_PT_CHUNK_PAGES pages the table lives in, so the map is found from
 * the table's address by arithmetic alone.  Chunks are shared by every
 * guest and go back to pmm when their last table is freed.  N tables cost
 * TDP_PT_CHUNK_PAGES * ceil(N / TDP_PT_PER_CHUNK) host pages when allocated
 * together (N + N / 15 + at most 14 spare pages), not 2 * N.  See tdp_pt.c.
 */
#ifndef PAGODA_TDP_PT_H
#define PAGODA_TDP_PT_H

#include "lib/types.h"
#include "mm/mm_debug.h"
#include "mm/mm_env.h"

#define TDP_MAP_WORDS       8  /* u64 words of one presence map (512 bits) */
#define TDP_PT_CHUNK_ORDER  4  /* a chunk is a pmm block of this order */
#define TDP_PT_CHUNK_PAGES  (1u << TDP_PT_CHUNK_ORDER)
#define TDP_PT_PER_CHUNK    (TDP_PT_CHUNK_PAGES - 1) /* page 0 holds the maps */

/*
 * A zeroed table page with its zeroed presence map; 0 when pmm ran out.
 * Any context: takes only the chunk and pmm spinlocks.
 */
u64 tdp_pt_alloc(void);
/* The same for a guest's faults: a new chunk only above the guest reserve
 * (pmm_alloc_pages_guest). */
u64 tdp_pt_alloc_guest(void);
/* Give the table at PT_PA (and so its map) back.  Nobody may reach it any more. */
void tdp_pt_free(u64 pt_pa);
/* The same for N tables at once (teardown): one hold of each lock per 64. */
void tdp_pt_free_batch(const u64 *pts, u64 n);
/*
 * The presence map (TDP_MAP_WORDS words) of the table at PT_PA (allocated):
 * slot index(PT_PA) of its chunk's page 0.  Pure arithmetic, so any CPU
 * may call it without a lock; inline, as every install and removal of an
 * entry finds its map bit through it.
 */
static inline u64 *tdp_pt_map(u64 pt_pa)
{
	u64 chunk_bytes = (u64)PAGE_SIZE << TDP_PT_CHUNK_ORDER;
	u64 i = (pt_pa & (chunk_bytes - 1)) >> PAGE_SHIFT;
	MM_ASSERT(i != 0 && IS_ALIGNED(pt_pa, PAGE_SIZE));
	return phys_to_virt((pt_pa & ~(chunk_bytes - 1)) + i * TDP_MAP_WORDS * 8);
}
/* Chunks now held from pmm (each TDP_PT_CHUNK_PAGES pages; tests, console). */
u64 tdp_pt_chunks(void);

#endif
