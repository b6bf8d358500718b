/*
 * pmm's pre-zeroed pools under ThreadSanitizer, with tdp_pt.c on top.
 * One thread refills both pools (pages, then blocks of
 * PMM_ZERO_BLOCK_ORDER) as the idle loop does, while two threads take
 * tables (tdp_pt_alloc, whose new chunks come from the block pool) and
 * zeroed pages, check that every one is all zero, dirty it, and free it.
 * Then every page must be back (pmm_free_count() after a drain) and the
 * block pool must have been used (block hits).  A data race between a
 * taker and the refiller (the link word, the pool's head) is a TSan report,
 * which fails the test through its exit code; a page handed out before its
 * zeroing was visible fails the zero checks.
 */
#include "mm/pmm.h"
#include "mm/tdp_pt.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <string.h>

#define ROUNDS 300
#define HOLD   40 /* tables held at once by a taker: more than a chunk's */

static int stop;      /* atomic: the takers are done */
static int not_zero;  /* atomic: pages or tables found not zero */
static int failed;    /* atomic: allocations that returned 0 */

static bool zero(const void *p, u64 bytes)
{
	const u64 *w = p;
	for (u64 i = 0; i < bytes / 8; i++)
		if (w[i])
			return false;
	return true;
}

static void *refiller(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		pmm_zero_pool_refill(PMM_ZERO_IDLE_PAGES);
	return NULL;
}

static void *taker(void *arg)
{
	(void)arg;
	u64 pt[HOLD];
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < HOLD; i++) {
			pt[i] = tdp_pt_alloc();
			if (!pt[i]) {
				__atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
				continue;
			}
			if (!zero(phys_to_virt(pt[i]), PAGE_SIZE) || !zero(tdp_pt_map(pt[i]), 64))
				__atomic_fetch_add(&not_zero, 1, __ATOMIC_RELAXED);
			memset(phys_to_virt(pt[i]), 0x5a, PAGE_SIZE);
			memset(tdp_pt_map(pt[i]), 0x5a, 64);
		}
		u64 p = pmm_alloc_page_zeroed();
		if (p) {
			if (!zero(phys_to_virt(p), PAGE_SIZE))
				__atomic_fetch_add(&not_zero, 1, __ATOMIC_RELAXED);
			memset(phys_to_virt(p), 0x5a, PAGE_SIZE);
			pmm_free_page(p);
		}
		for (int i = 0; i < HOLD; i++)
			if (pt[i])
				tdp_pt_free(pt[i]);
	}
	return NULL;
}

int main(void)
{
	host_pmm_setup(MiB(64));
	/* Dirty all of pmm's memory, so that only zeroing makes a page zero. */
	static u64 blk[(MiB(64) >> PAGE_SHIFT) / 16];
	u64 n = 0, total = pmm_free_count();
	while (n < ARRAY_SIZE(blk) && (blk[n] = pmm_alloc_pages(4)) != 0)
		memset(phys_to_virt(blk[n++]), 0x5a, PAGE_SIZE << 4);
	pmm_free_batch(blk, n, 4);
	pmm_zero_pool_set_target(256);
	pmm_zero_block_pool_set_target(32);
	struct pmm_zero_stats z0, z;
	pmm_zero_stats(&z0);

	pthread_t r, t[2];
	pthread_create(&r, NULL, refiller, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, taker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(r, NULL);

	pmm_zero_stats(&z);
	is_u64((u64)__atomic_load_n(&failed, __ATOMIC_RELAXED), 0, "no allocation failed");
	is_u64((u64)__atomic_load_n(&not_zero, __ATOMIC_RELAXED), 0,
	       "every table, map and zeroed page handed out was zero");
	ok(z.block_hits > z0.block_hits, "new chunks came from the block pool (%llu blocks)",
	   (unsigned long long)(z.block_hits - z0.block_hits));
	is_u64(tdp_pt_chunks(), 0, "every chunk went back");
	pmm_zero_pool_set_target(0);
	pmm_zero_block_pool_set_target(0);
	pmm_drain_caches();
	is_u64(pmm_free_count(), total, "every page back after a drain");
	return tap_done();
}
