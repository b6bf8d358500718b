/* pmm: alloc/free/coalesce, orders, exhaustion, unaligned ranges. */
#include "mm/pmm.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

static void snapshot(u64 *blocks)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		blocks[o] = pmm_free_blocks(o);
}

static bool same_blocks(const u64 *a, const u64 *b)
{
	return memcmp(a, b, sizeof(u64) * (PMM_MAX_ORDER + 1)) == 0;
}

static void test_basic(void)
{
	u64 base = host_pmm_setup(MiB(64));
	u64 total = pmm_total_count();
	/* 16384 frames, the bitmap (2 KiB) + header take the last one. */
	is_u64(total, 16383, "64 MiB range: all but one metadata page managed");
	is_u64(pmm_free_count(), total, "everything free after add");
	u64 start[PMM_MAX_ORDER + 1], now[PMM_MAX_ORDER + 1];
	snapshot(start);

	u64 a = pmm_alloc_page(), b = pmm_alloc_page();
	ok(a && b && a != b, "two distinct pages");
	ok(IS_ALIGNED(a, PAGE_SIZE) && a >= base && a < base + MiB(64), "page inside the range");
	is_u64(pmm_free_count(), total - 2, "free count down by 2");
	pmm_free_page(a);
	pmm_free_page(b);
	snapshot(now);
	ok(same_blocks(start, now), "free lists coalesce back to the initial blocks");

	bool aligned = true, counted = true;
	u64 got[10];
	for (unsigned o = 0; o < 10; o++) {
		u64 before = pmm_free_count();
		got[o] = pmm_alloc_pages(o);
		aligned &= got[o] && IS_ALIGNED(got[o], PAGE_SIZE << o);
		counted &= pmm_free_count() == before - (1ULL << o);
	}
	ok(aligned, "orders 0..9 come aligned to their size");
	ok(counted, "free count drops by 2^order");
	for (unsigned o = 0; o < 10; o++)
		pmm_free_pages(got[o], o);
	snapshot(now);
	ok(same_blocks(start, now), "orders 0..9 freed: back to the initial blocks");
	is_u64(pmm_alloc_pages(PMM_MAX_ORDER), 0, "order 18 from 64 MiB fails");
	is_u64(pmm_alloc_pages(PMM_MAX_ORDER + 1), 0, "order 19 rejected");

	/* Zeroing. */
	u64 z = pmm_alloc_page();
	memset((void *)z, 0xa5, PAGE_SIZE);
	pmm_free_page(z);
	u64 z2 = pmm_alloc_page_zeroed();
	u8 *zp = (u8 *)z2;
	bool zero = true;
	for (int i = 0; i < (int)PAGE_SIZE; i++)
		zero &= zp[i] == 0;
	ok(z2 == z && zero, "pmm_alloc_page_zeroed zeroes a dirty page");
	pmm_free_page(z2);

	/* Exhaustion. */
	u64 *all = malloc(total * sizeof(u64));
	u64 n = 0, p;
	while ((p = pmm_alloc_page()) != 0)
		all[n++] = p;
	is_u64(n, total, "every frame can be allocated");
	is_u64(pmm_free_count(), 0, "then none is free");
	is_u64(pmm_alloc_page(), 0, "exhausted: alloc returns 0");
	is_u64(pmm_alloc_pages(3), 0, "exhausted: order 3 returns 0");
	/* Distinct pages. */
	u8 *seen = calloc(16384, 1);
	bool distinct = true;
	for (u64 i = 0; i < n; i++) {
		u64 idx = (all[i] - base) >> PAGE_SHIFT;
		distinct &= idx < 16383 && !seen[idx];
		seen[idx] = 1;
	}
	ok(distinct, "no frame handed out twice, metadata page never");
	/* Free in a scrambled order to exercise merging from both sides. */
	srand(1);
	for (u64 i = n - 1; i > 0; i--) {
		u64 j = (u64)rand() % (i + 1), t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	for (u64 i = 0; i < n; i++)
		pmm_free_page(all[i]);
	is_u64(pmm_free_count(), total, "free count back to start");
	snapshot(now);
	ok(same_blocks(start, now), "all merged back to the initial blocks");
	free(all);
	free(seen);
}

static void test_random(void)
{
	u64 base = host_pmm_setup(MiB(16));
	u64 total = pmm_total_count(), start[PMM_MAX_ORDER + 1], now[PMM_MAX_ORDER + 1];
	snapshot(start);
	u8 *owner = calloc(4096, 1);
	struct { u64 pa; unsigned order; } live[512];
	int nlive = 0;
	bool good = true;
	srand(7);
	for (int step = 0; step < 20000; step++) {
		if (nlive < 512 && (rand() % 2 || nlive == 0)) {
			unsigned o = (unsigned)(rand() % 6);
			u64 pa = pmm_alloc_pages(o);
			if (!pa)
				continue;
			good &= IS_ALIGNED(pa, PAGE_SIZE << o);
			for (u64 i = 0; i < (1ULL << o); i++) {
				u64 idx = ((pa - base) >> PAGE_SHIFT) + i;
				good &= !owner[idx];
				owner[idx] = 1;
			}
			live[nlive].pa = pa;
			live[nlive++].order = o;
		} else {
			int k = rand() % nlive;
			for (u64 i = 0; i < (1ULL << live[k].order); i++)
				owner[((live[k].pa - base) >> PAGE_SHIFT) + i] = 0;
			pmm_free_pages(live[k].pa, live[k].order);
			live[k] = live[--nlive];
		}
	}
	ok(good, "random alloc/free of orders 0..5: aligned and never overlapping");
	while (nlive)
		pmm_free_pages(live[nlive - 1].pa, live[nlive - 1].order), nlive--;
	is_u64(pmm_free_count(), total, "random run: free count back");
	snapshot(now);
	ok(same_blocks(start, now), "random run: fully coalesced");
	free(owner);
}

static void test_unaligned_ranges(void)
{
	u8 *mem = host_map(MiB(8), MiB(2));
	u64 b = (u64)(uintptr_t)mem;
	pmm_init();
	/* Added out of order, at odd offsets, with odd lengths. */
	pmm_add_range(b + MiB(4) + 5 * PAGE_SIZE, 777);
	pmm_add_range(b + 3 * PAGE_SIZE, 300);
	pmm_add_range(b + MiB(2), 1); /* too small for its own metadata: ignored */
	is_u64(pmm_total_count(), 776 + 299, "unaligned ranges: each loses one metadata page");
	u64 p8 = pmm_alloc_pages(3);
	ok(p8 && IS_ALIGNED(p8, 8 * PAGE_SIZE), "order 3 from unaligned ranges is aligned");
	u64 n = 1, p, lo = ~0ULL, hi = 0;
	bool inside = true;
	while ((p = pmm_alloc_page()) != 0) {
		n++;
		lo = MIN(lo, p);
		hi = MAX(hi, p);
		inside &= (p >= b + 3 * PAGE_SIZE && p < b + (3 + 299) * PAGE_SIZE) ||
			  (p >= b + MiB(4) + 5 * PAGE_SIZE && p < b + MiB(4) + (5 + 776) * PAGE_SIZE);
	}
	ok(inside, "every frame lies in a managed part of a range");
	is_u64(n - 1 + 8, pmm_total_count(), "all frames of both ranges allocatable");
	pmm_free_pages(p8, 3);
	is_u64(pmm_free_count(), 8, "free count after freeing the order-3 block");
}

static void test_gib(void)
{
	u64 base = (u64)(uintptr_t)host_map(GiB(1) + MiB(4), GiB(1));
	pmm_init();
	pmm_add_range(base, (GiB(1) + MiB(4)) >> PAGE_SHIFT);
	u64 g = pmm_alloc_pages(PMM_MAX_ORDER);
	ok(g == base, "order 18 (1 GiB) block from a 1 GiB-aligned range");
	is_u64(pmm_alloc_pages(PMM_MAX_ORDER), 0, "only one 1 GiB block");
	pmm_free_pages(g, PMM_MAX_ORDER);
	is_u64(pmm_free_blocks(PMM_MAX_ORDER), 1, "1 GiB block back on its list");
}

/* Guest demand stops at the reserve; the VMM's own allocations do not. */
static void test_guest_reserve(void)
{
	host_pmm_setup(MiB(4));
	u64 total = pmm_free_count(), got = 0;
	pmm_set_guest_reserve(100);
	u64 pages[1024];
	while (got < ARRAY_SIZE(pages) && (pages[got] = pmm_alloc_pages_guest(0)) != 0)
		got++;
	is_u64(pmm_free_count(), 100, "guest demand took every page down to the reserve of 100");
	is_u64(got, total - 100, "... that is, all of them but the reserve");
	ok(pmm_alloc_pages_guest(3) == 0, "an 8-page block for a guest is refused at the reserve");
	u64 vmm = pmm_alloc_page();
	ok(vmm != 0, "the VMM still gets a page out of the reserve");
	pmm_free_page(vmm);
	pmm_set_guest_reserve(0);
	while (got)
		pmm_free_page(pages[--got]);
	is_u64(pmm_free_count(), total, "every page back");
}

/*
 * The pre-zeroed pool: refills stop at the target and at the guest
 * reserve, zeroed allocations take pool pages (hits, link word cleared)
 * and zero on demand when the pool is empty (misses), pool pages count as
 * free and a drain gives them back.
 */
static void test_zero_pool(void)
{
	host_pmm_setup(MiB(4));
	u64 total = pmm_free_count();
	struct pmm_zero_stats z0, z;
	pmm_zero_stats(&z0);
	/* Dirty every page first, so that only zeroing can make them zero. */
	u64 pages[1024], n = 0;
	while (n < ARRAY_SIZE(pages) && (pages[n] = pmm_alloc_page()) != 0)
		memset((void *)(uintptr_t)pages[n++], 0x5a, PAGE_SIZE);
	while (n)
		pmm_free_page(pages[--n]);

	pmm_zero_block_pool_set_target(0); /* pages only here: blocks have their own test */
	pmm_zero_pool_set_target(0);
	is_u64(pmm_zero_pool_refill(1000), 0, "zero pool: target 0, nothing to refill");
	pmm_zero_pool_set_target(100);
	is_u64(pmm_zero_pool_refill(40), 40, "zero pool: a refill does at most what it is asked");
	is_u64(pmm_zero_pool_refill(1000), 60, "zero pool: ... and stops at the target");
	is_u64(pmm_zero_pool_refill(1000), 0, "zero pool: at the target: nothing to do");
	pmm_zero_stats(&z);
	ok(z.pool == 100 && z.refilled - z0.refilled == 100, "zero pool: 100 pages pooled, 100 refilled");
	is_u64(pmm_free_count(), total, "zero pool: pooled pages count as free");

	bool zero = true;
	for (n = 0; n < 100; n++) {
		pages[n] = pmm_alloc_page_zeroed();
		zero &= pages[n] && host_page_is_zero(pages[n]);
	}
	pmm_zero_stats(&z);
	ok(zero, "zero pool: 100 zeroed allocations, every page zero (the magazines' words cleared)");
	ok(z.hits - z0.hits == 100 && z.misses == z0.misses && z.pool == 0,
	   "zero pool: 100 hits, no miss, pool empty (hits %llu misses %llu pool %llu)",
	   (unsigned long long)(z.hits - z0.hits), (unsigned long long)(z.misses - z0.misses),
	   (unsigned long long)z.pool);
	pages[100] = pmm_alloc_page_zeroed();
	pmm_zero_stats(&z);
	ok(host_page_is_zero(pages[100]) && z.misses - z0.misses == 1,
	   "zero pool: empty: zeroed on demand, counted as a miss");
	for (n = 0; n <= 100; n++)
		pmm_free_page(pages[n]);
	is_u64(pmm_free_count(), total, "zero pool: every page back");

	/* The reserve is never zeroed into the pool. */
	pmm_set_guest_reserve(total - 10);
	pmm_zero_pool_set_target(1000);
	u64 did = pmm_zero_pool_refill(1000);
	ok(did <= 10, "zero pool: refill leaves the guest reserve alone (%llu zeroed)",
	   (unsigned long long)did);
	pmm_set_guest_reserve(0);
	/* Exhaustion reaches pool and caches: every page can be allocated. */
	pmm_zero_pool_refill(1000);
	n = 0;
	while (n < ARRAY_SIZE(pages) && (pages[n] = pmm_alloc_pages(0)) != 0)
		n++;
	is_u64(n, total, "zero pool: with a full pool, plain allocations still get every page");
	pmm_free_batch(pages, n, 0);
	is_u64(pmm_free_count(), total, "pmm_free_batch: every page back in one call");
	ok(pmm_alloc_pages(9) != 0, "pmm_free_batch: the pages merged again (a 2 MiB block exists)");
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
	pmm_drain_caches();
}

/*
 * The pool's magazines are whole aligned blocks of 16 frames when the
 * buddy lists have them, and a cache hands each out highest frame first:
 * 16 zeroed allocations in a row are one descending run that ends on a
 * 64 KiB boundary, the order teardown's pmm_free_batch gives back as one
 * block.
 */
static void test_zero_pool_magazines(void)
{
	host_pmm_setup(MiB(4));
	u64 total = pmm_free_count();
	pmm_zero_block_pool_set_target(0);
	pmm_zero_pool_set_target(48);
	is_u64(pmm_zero_pool_refill(1000), 48, "magazines: 48 pages pooled");
	u64 pages[48];
	bool runs = true, aligned = true;
	for (unsigned i = 0; i < 48; i++) {
		pages[i] = pmm_alloc_page_zeroed();
		if (i % 16)
			runs &= pages[i] == pages[i - 1] - PAGE_SIZE;
		else
			aligned &= IS_ALIGNED(pages[i] + PAGE_SIZE, PAGE_SIZE << 4);
	}
	ok(runs, "magazines: each 16 allocations in a row are one descending run of frames");
	ok(aligned, "magazines: ... each the whole aligned 64 KiB block");
	pmm_free_batch(pages, 48, 0);
	is_u64(pmm_free_count(), total, "magazines: every page back");
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
	pmm_drain_caches();
}

/*
 * The pool of pre-zeroed blocks: refilled by the same call once the page
 * pool is at its target, whole blocks only, up to its own target; a taken
 * block is all zero (link word cleared); empty pool or guest reserve: 0;
 * pooled blocks count as free and a drain gives them back to the buddy
 * lists (they merge again).
 */
static void test_zero_block_pool(void)
{
	const u64 bpages = 1ULL << PMM_ZERO_BLOCK_ORDER;
	host_pmm_setup(MiB(4));
	u64 total = pmm_free_count();
	/* Dirty every page first, so that only zeroing can make them zero. */
	u64 pages[1024], n = 0;
	while (n < ARRAY_SIZE(pages) && (pages[n] = pmm_alloc_page()) != 0)
		memset((void *)(uintptr_t)pages[n++], 0x5a, PAGE_SIZE);
	pmm_free_batch(pages, n, 0);
	pmm_zero_pool_set_target(8);
	pmm_zero_block_pool_set_target(3);
	is_u64(pmm_zero_pool_refill(8 + bpages + bpages - 1), 8 + bpages,
	       "zero blocks: pages first, then whole blocks only");
	is_u64(pmm_zero_pool_refill(1000), 2 * bpages, "zero blocks: ... up to the block target");
	is_u64(pmm_zero_pool_refill(1000), 0, "zero blocks: at both targets: nothing to do");
	struct pmm_zero_stats z;
	pmm_zero_stats(&z);
	ok(z.blocks == 3 && z.block_target == 3, "zero blocks: 3 pooled (%llu)",
	   (unsigned long long)z.blocks);
	is_u64(pmm_free_count(), total, "zero blocks: pooled blocks count as free");

	pmm_set_guest_reserve(total);
	is_u64(pmm_take_zeroed_block(true), 0, "zero blocks: guest demand stops at the reserve");
	pmm_set_guest_reserve(0);
	u64 b[4];
	bool zero = true, aligned = true;
	for (int i = 0; i < 3; i++) {
		b[i] = pmm_take_zeroed_block(true);
		aligned &= b[i] && IS_ALIGNED(b[i], PAGE_SIZE << PMM_ZERO_BLOCK_ORDER);
		for (u64 p = 0; b[i] && p < bpages; p++)
			zero &= host_page_is_zero(b[i] + p * PAGE_SIZE);
	}
	ok(aligned && zero, "zero blocks: 3 taken, aligned, every byte zero (link words cleared)");
	is_u64(pmm_take_zeroed_block(false), 0, "zero blocks: empty pool: 0, never zeroed on demand");
	pmm_zero_stats(&z);
	ok(z.blocks == 0 && z.block_hits >= 3, "zero blocks: pool empty, hits counted");
	for (int i = 0; i < 3; i++)
		pmm_free_pages(b[i], PMM_ZERO_BLOCK_ORDER);
	pmm_zero_pool_refill(1000);
	pmm_drain_caches();
	pmm_zero_stats(&z);
	ok(z.blocks == 0 && pmm_free_count() == total, "zero blocks: a drain gives the pool back");
	ok(pmm_alloc_pages(9) != 0, "zero blocks: drained blocks merged again (a 2 MiB block exists)");
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
	pmm_drain_caches();
}

static int cmp_pa(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return x < y ? -1 : x > y;
}

/*
 * pmm_free_batch of single frames gives runs back as whole blocks:
 * ascending, descending, scrambled and misaligned orders all return every
 * frame, and the buddy lists end up merged (the largest blocks exist
 * again), as they do when frames are freed one at a time.
 */
static void test_free_batch_runs(void)
{
	host_pmm_setup(MiB(4));
	pmm_zero_pool_set_target(0);
	pmm_zero_block_pool_set_target(0);
	u64 total = pmm_free_count(), top = 0;
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		if (pmm_free_blocks(o))
			top = o;
	static u64 pages[1024];
	static const char *name[] = { "ascending", "descending", "scrambled", "misaligned" };
	for (int order = 0; order < 4; order++) {
		u64 n = 0;
		while (n < ARRAY_SIZE(pages) && (pages[n] = pmm_alloc_page()) != 0)
			n++;
		qsort(pages, n, sizeof(u64), cmp_pa);
		if (order == 1)
			for (u64 i = 0; i < n / 2; i++) {
				u64 t = pages[i];
				pages[i] = pages[n - 1 - i];
				pages[n - 1 - i] = t;
			}
		u64 seed = 0x9e3779b97f4a7c15ULL;
		if (order == 2)
			for (u64 i = n; i > 1; i--) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				u64 j = (seed >> 33) % i, t = pages[i - 1];
				pages[i - 1] = pages[j];
				pages[j] = t;
			}
		if (order == 3)
			for (u64 i = 0; i + 1 < n; i++) { /* 1, 2, ..., n - 1, 0 */
				u64 t = pages[i];
				pages[i] = pages[i + 1];
				pages[i + 1] = t;
			}
		pmm_free_batch(pages, n, 0);
		is_u64(pmm_free_count(), total, "free batch %s: every frame back (%llu)", name[order],
		       (unsigned long long)n);
		ok(pmm_free_blocks(top) > 0, "free batch %s: merged up to order %llu again", name[order],
		   (unsigned long long)top);
	}
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
}

/*
 * A per-CPU cache's refill takes whole blocks, the small ones before any
 * big one is split: 4 MiB is 1023 managed frames (one page of metadata),
 * carved into blocks of 512, 256, ..., 2 and 1 frames.  The first 31
 * single-frame allocations are the 31 frames of the blocks below 32
 * (the top of the range), the next 32 one aligned block of 32, and the
 * 512-frame block stays whole.
 */
static void test_cache_refill_blocks(void)
{
	u64 base = host_pmm_setup(MiB(4));
	pmm_zero_pool_set_target(0);
	pmm_zero_block_pool_set_target(0);
	is_u64(pmm_free_count(), 1023, "refill: 1023 frames managed in 4 MiB");
	static u64 got[63];
	for (unsigned i = 0; i < 63; i++)
		got[i] = pmm_alloc_page();
	qsort(got, 31, sizeof(u64), cmp_pa);
	bool small = true;
	for (unsigned i = 0; i < 31; i++)
		small &= got[i] == base + ((u64)(992 + i) << PAGE_SHIFT);
	ok(small, "refill: the first 31 frames are those of the blocks below 32 frames");
	qsort(got + 31, 32, sizeof(u64), cmp_pa);
	bool one_block = IS_ALIGNED(got[31] - base, 32 * PAGE_SIZE);
	for (unsigned i = 0; i < 32; i++)
		one_block &= got[31 + i] == got[31] + ((u64)i << PAGE_SHIFT);
	ok(one_block, "refill: the next 32 frames are one aligned block of 32");
	is_u64(pmm_free_blocks(9), 1, "refill: the 512-frame block was not split");
	for (unsigned i = 0; i < 63; i++)
		pmm_free_page(got[i]);
	is_u64(pmm_free_count(), 1023, "refill: every frame back");
	pmm_zero_pool_set_target(PMM_ZERO_POOL_DEFAULT);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
}

int main(void)
{
	test_basic();
	test_random();
	test_unaligned_ranges();
	test_gib();
	test_guest_reserve();
	test_zero_pool();
	test_zero_pool_magazines();
	test_zero_block_pool();
	test_free_batch_runs();
	test_cache_refill_blocks();
	return tap_done();
}
