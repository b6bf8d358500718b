/*
 * What page-table pages cost (mm/tdp_pt.c): tables come in chunks of
 * TDP_PT_CHUNK_PAGES pages, page 0 holding the 64-byte presence maps of
 * the TDP_PT_PER_CHUNK others.  N tables allocated together cost exactly
 * TDP_PT_CHUNK_PAGES * ceil(N / TDP_PT_PER_CHUNK) host pages (they cost
 * 2 * N when every table had a page of its own for its map), chunks are
 * shared by every TDP MMU, and every page goes back to pmm with the last
 * table.
 */
#include "mm/pmm.h"
#include "mm/tdp_internal.h"
#include "mm/tdp_mmu.h"
#include "mm/tdp_pt.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

#define MAXT 200

static u64 chunks_for(u64 n) { return (n + TDP_PT_PER_CHUNK - 1) / TDP_PT_PER_CHUNK; }

/* Allocate N tables, check the cost and the layout, free them in a scrambled order. */
static void test_cost(u64 n)
{
	static u64 pt[MAXT];
	u64 free0 = pmm_free_count();
	bool zero = true, aligned = true, inside = true;
	for (u64 i = 0; i < n; i++) {
		pt[i] = tdp_pt_alloc();
		u8 *t = (u8 *)(uintptr_t)pt[i], *m = (u8 *)tdp_pt_map(pt[i]);
		for (unsigned b = 0; b < PAGE_SIZE; b++)
			zero &= t[b] == 0;
		for (unsigned b = 0; b < TDP_MAP_WORDS * 8; b++)
			zero &= m[b] == 0;
		aligned &= pt[i] && IS_ALIGNED(pt[i], PAGE_SIZE) && IS_ALIGNED((uintptr_t)m, 64);
		/* The map is in the same chunk, on a page that is no table. */
		u64 mpa = (u64)(uintptr_t)m;
		inside &= (mpa & ~((u64)PAGE_SIZE * TDP_PT_CHUNK_PAGES - 1)) ==
			  (pt[i] & ~((u64)PAGE_SIZE * TDP_PT_CHUNK_PAGES - 1));
		for (u64 j = 0; j < i; j++)
			inside &= mpa < pt[j] || mpa >= pt[j] + PAGE_SIZE;
	}
	ok(aligned, "%llu tables: page-aligned, maps 64-byte aligned", (unsigned long long)n);
	ok(zero, "%llu tables: tables and maps come zeroed", (unsigned long long)n);
	ok(inside, "%llu tables: each map in its table's chunk, on no table page",
	   (unsigned long long)n);
	is_u64(free0 - pmm_free_count(), TDP_PT_CHUNK_PAGES * chunks_for(n),
	       "%llu tables cost %u * ceil(%llu / %u) = %llu pages (were %llu)", (unsigned long long)n,
	       TDP_PT_CHUNK_PAGES, (unsigned long long)n, TDP_PT_PER_CHUNK,
	       (unsigned long long)(TDP_PT_CHUNK_PAGES * chunks_for(n)), (unsigned long long)(2 * n));
	is_u64(tdp_pt_chunks(), chunks_for(n), "%llu tables: %llu chunks", (unsigned long long)n,
	       (unsigned long long)chunks_for(n));

	/* Fill tables and maps with distinct bytes: nothing overlaps. */
	for (u64 i = 0; i < n; i++) {
		memset((void *)(uintptr_t)pt[i], (int)(i & 0x7f), PAGE_SIZE);
		memset(tdp_pt_map(pt[i]), (int)(0x80 | (i & 0x7f)), TDP_MAP_WORDS * 8);
	}
	bool intact = true;
	for (u64 i = 0; i < n; i++) {
		u8 *t = (u8 *)(uintptr_t)pt[i], *m = (u8 *)tdp_pt_map(pt[i]);
		for (unsigned b = 0; b < PAGE_SIZE; b++)
			intact &= t[b] == (u8)(i & 0x7f);
		for (unsigned b = 0; b < TDP_MAP_WORDS * 8; b++)
			intact &= m[b] == (u8)(0x80 | (i & 0x7f));
	}
	ok(intact, "%llu tables: no table or map overlaps another", (unsigned long long)n);

	/* Free every third, then the rest: chunks go back with their last table only. */
	for (u64 i = 0; i < n; i += 3)
		tdp_pt_free(pt[i]);
	for (u64 i = 0; i < n; i++)
		if (i % 3)
			tdp_pt_free(pt[i]);
	is_u64(pmm_free_count(), free0, "%llu tables freed: every page back", (unsigned long long)n);
	is_u64(tdp_pt_chunks(), 0, "%llu tables freed: no chunk held", (unsigned long long)n);
}

/* A freed table's place is reused before a new chunk is taken. */
static void test_reuse(void)
{
	u64 pt[TDP_PT_PER_CHUNK], free0 = pmm_free_count();
	for (unsigned i = 0; i < TDP_PT_PER_CHUNK; i++)
		pt[i] = tdp_pt_alloc();
	is_u64(tdp_pt_chunks(), 1, "reuse: a full chunk");
	tdp_pt_free(pt[5]);
	u64 again = tdp_pt_alloc();
	is_u64(again, pt[5], "reuse: the freed page is taken again");
	is_u64(tdp_pt_chunks(), 1, "reuse: no new chunk");
	is_u64(((u64 *)tdp_pt_map(again))[0] | ((u64 *)tdp_pt_map(again))[7], 0,
	       "reuse: its map comes zeroed again");
	pt[5] = again;
	u64 extra = tdp_pt_alloc();
	is_u64(tdp_pt_chunks(), 2, "reuse: the 16th table opens a second chunk");
	is_u64(free0 - pmm_free_count(), 2 * TDP_PT_CHUNK_PAGES, "reuse: two chunks' pages");
	tdp_pt_free(extra);
	is_u64(tdp_pt_chunks(), 1, "reuse: the emptied chunk goes back at once");
	for (unsigned i = 0; i < TDP_PT_PER_CHUNK; i++)
		tdp_pt_free(pt[i]);
	is_u64(pmm_free_count(), free0, "reuse: every page back");
}

/*
 * Through the TDP MMU: a new MMU costs its own block (TDP_MMU_ORDER: the
 * per-CPU copies of its lock and counters made it 2 pages) plus one chunk
 * (its root; was 1 + 2), a second MMU shares the chunk; a guest with T tables
 * and its cache holds chunks_for(T + cached) chunks; all goes back.
 */
static void test_mmu(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *a = tdp_mmu_create(&tdp_fmt_test_npt);
	const u64 self = 1u << TDP_MMU_ORDER;
	is_u64(free0 - pmm_free_count(), self + TDP_PT_CHUNK_PAGES, "mmu: create costs %llu + %u pages",
	       (unsigned long long)self, TDP_PT_CHUNK_PAGES);
	struct tdp_mmu *b = tdp_mmu_create(&tdp_fmt_test_ept);
	is_u64(free0 - pmm_free_count(), 2 * self + TDP_PT_CHUNK_PAGES,
	       "mmu: a second one shares the chunk");
	tdp_mmu_destroy(b, NULL);

	/* Touch one page per 2 MiB of 64 MiB: root + PDPT + PD + 32 PTs = 35 tables. */
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	tdp_memslot_add(a, 0, MiB(64), 0);
	for (u64 g = 0; g < MiB(64); g += MiB(2)) {
		tdp_mmu_cache_topup(&c);
		tdp_mmu_page_fault(a, &c, g, TDP_ACC_WRITE);
	}
	tdp_mmu_get_stats(a, &st);
	is_u64(st.tables, 35, "mmu: 35 tables for one page per 2 MiB of 64 MiB");
	/* The slot's radix (depth 2 for 64 MiB) lives in chunks too: only its
	 * root, whose entries hold each 2 MiB's one frame themselves
	 * (RADIX_SINGLE, memslot.h). */
	const u64 radix = 1, held = st.tables + (u64)c.nr + radix;
	is_u64(tdp_pt_chunks(), chunks_for(held),
	       "mmu: %llu tables + %d cached + %llu radix nodes in %llu chunks (%llu pages; were %llu)",
	       (unsigned long long)st.tables, c.nr, (unsigned long long)radix,
	       (unsigned long long)chunks_for(held),
	       (unsigned long long)(TDP_PT_CHUNK_PAGES * chunks_for(held)),
	       (unsigned long long)(2 * (st.tables + (u64)c.nr) + radix));
	tdp_mmu_cache_free(&c);
	tdp_set_teardown_mode(TDP_TEARDOWN_SUMMARY);
	struct tdp_teardown_stats ts;
	tdp_mmu_destroy(a, &ts);
	tdp_set_teardown_mode(TDP_TEARDOWN_SKIP);
	is_u64(ts.tables_freed, 35, "mmu: summary teardown frees the 35 tables");
	is_u64(ts.visited, 34 + 32, "mmu: and visits only the present entries (34 links, 32 leaves)");
	is_u64(tdp_pt_chunks(), 0, "mmu: no chunk held after destroy");
	is_u64(pmm_free_count(), free0, "mmu: free pages before create == after destroy");
}

/*
 * tdp_pt_free_batch: 100 tables (7 chunks) freed in batches across the
 * 64-table split, every other one first, so chunks empty both inside a
 * batch and on its last table; afterwards no chunk is held and pmm has
 * every page back, as after tdp_pt_free one by one.
 */
static void test_free_batch(void)
{
	u64 free0 = pmm_free_count(), pt[100], odd[50], even[50];
	for (int i = 0; i < 100; i++)
		pt[i] = tdp_pt_alloc();
	is_u64(tdp_pt_chunks(), chunks_for(100), "batch: 100 tables in %llu chunks",
	       (unsigned long long)chunks_for(100));
	for (int i = 0; i < 50; i++) {
		odd[i] = pt[2 * i + 1];
		even[i] = pt[2 * i];
	}
	tdp_pt_free_batch(odd, 50);
	is_u64(tdp_pt_chunks(), chunks_for(100), "batch: half freed, every chunk still in use");
	tdp_pt_free_batch(even, 50);
	is_u64(tdp_pt_chunks(), 0, "batch: all freed, no chunk held");
	is_u64(pmm_free_count(), free0, "batch: every page back to pmm");
	for (int i = 0; i < 100; i++)
		pt[i] = tdp_pt_alloc();
	tdp_pt_free_batch(pt, 100);
	ok(tdp_pt_chunks() == 0 && pmm_free_count() == free0,
	   "batch: 100 at once (two batches of the lock) frees them all too");
}

static bool page_zero(u64 pa, u64 bytes)
{
	const u8 *p = (const u8 *)(uintptr_t)pa;
	for (u64 i = 0; i < bytes; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * A chunk from pmm's pool of pre-zeroed blocks: its tables come zero (page
 * and map) without tdp_pt clearing them, and a table freed and taken again
 * (dirty now: it lost the zeroed mark) is cleared as before.  Every block
 * pmm has is dirtied first, so that only zeroing can make a page zero.
 */
static void test_prezeroed(void)
{
	static u64 blk[(MiB(64) >> PAGE_SHIFT) / TDP_PT_CHUNK_PAGES]; /* every block of pmm */
	u64 n = 0, free0 = pmm_free_count();
	while (n < ARRAY_SIZE(blk) && (blk[n] = pmm_alloc_pages(TDP_PT_CHUNK_ORDER)) != 0)
		memset((void *)(uintptr_t)blk[n++], 0x5a, PAGE_SIZE << TDP_PT_CHUNK_ORDER);
	pmm_free_batch(blk, n, TDP_PT_CHUNK_ORDER);
	pmm_zero_pool_set_target(0);
	pmm_zero_block_pool_set_target(1);
	is_u64(pmm_zero_pool_refill(1000), TDP_PT_CHUNK_PAGES, "prezeroed: one block pooled");
	struct pmm_zero_stats z0, z;
	pmm_zero_stats(&z0);
	u64 pt[TDP_PT_PER_CHUNK];
	bool zero = true;
	for (unsigned i = 0; i < TDP_PT_PER_CHUNK; i++) {
		pt[i] = tdp_pt_alloc();
		zero &= page_zero(pt[i], PAGE_SIZE) && page_zero((u64)(uintptr_t)tdp_pt_map(pt[i]), 64);
	}
	pmm_zero_stats(&z);
	ok(z.blocks == 0 && z.block_hits == z0.block_hits + 1 && tdp_pt_chunks() == 1,
	   "prezeroed: the chunk is the pooled block");
	ok(zero, "prezeroed: every table and map of it zero");
	memset((void *)(uintptr_t)pt[3], 0x77, PAGE_SIZE);
	memset(tdp_pt_map(pt[3]), 0x77, 64);
	tdp_pt_free(pt[3]);
	u64 again = tdp_pt_alloc();
	ok(again == pt[3] && page_zero(again, PAGE_SIZE) &&
	   page_zero((u64)(uintptr_t)tdp_pt_map(again), 64),
	   "prezeroed: a dirty freed table is cleared when taken again");
	pt[3] = again;
	for (unsigned i = 0; i < TDP_PT_PER_CHUNK; i++)
		tdp_pt_free(pt[i]);
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
	pmm_drain_caches();
	is_u64(pmm_free_count(), free0, "prezeroed: every page back");
}

int main(void)
{
	host_pmm_setup(MiB(64));
	static const u64 ns[] = { 1, 14, 15, 16, 30, 31, 100, MAXT };
	for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		test_cost(ns[i]);
	test_reuse();
	tdp_mmu_quiescent(0);
	test_mmu();
	test_free_batch();
	test_prezeroed();
	return tap_done();
}
