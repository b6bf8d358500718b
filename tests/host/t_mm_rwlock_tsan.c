/*
 * The MMU lock's per-CPU reader counts (mm/mm_lock.h), under
 * ThreadSanitizer.  Readers take the lock through their own slot and
 * writers must still exclude them:
 *
 *  1. Exclusion.  Writers change a pair of plain (non-atomic) words under
 *     the write lock, keeping them equal, and count themselves in and out;
 *     readers check the pair is equal and that no writer is in.  With more
 *     threads than slots (some share a slot) as well as fewer.  If a reader
 *     ever overlapped a writer, TSan reports the race on the pair (the test
 *     fails on its exit code) and the checks below count it.
 *  2. Readers share.  Two readers hold the lock at once: each takes it,
 *     then waits (bounded) until the other is in too.
 *  3. A waiting writer stops new readers.  R1 holds the lock for read; a
 *     writer tries to take it and must wait; a reader R2 arriving after the
 *     writer raised its word must wait as well, and gets in only after the
 *     writer is done.
 *  4. pmm's per-CPU caches: threads allocate and free single pages at once
 *     (each through its own cache, spilling and refilling), then pages held
 *     in the dead threads' caches are still counted free and still
 *     reachable: the main thread can allocate every page there is.
 */
#include "mm/mm_lock.h"
#include "mm/pmm.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static struct mm_rwlock lock;
static u64 pair_a, pair_b;      /* written under the write lock only, plain */
/* The counts below are relaxed atomics on purpose: they must create no
 * happens-before edge between readers and writers (TSan would then miss the
 * race on the pair), only the lock may. */
static int writers_in;          /* atomic: writers inside */
static int readers_in;          /* atomic: readers inside */
static int max_readers_in;      /* atomic: most readers seen inside at once */
static int bad_pair, bad_overlap; /* atomic: violations seen by readers / writers */

#define ITERS 3000

static void *reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS; i++) {
		mm_read_lock(&lock);
		int in = __atomic_add_fetch(&readers_in, 1, __ATOMIC_RELAXED);
		int m = __atomic_load_n(&max_readers_in, __ATOMIC_RELAXED);
		while (in > m && !__atomic_compare_exchange_n(&max_readers_in, &m, in, false,
							       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
		if (__atomic_load_n(&writers_in, __ATOMIC_RELAXED))
			__atomic_fetch_add(&bad_overlap, 1, __ATOMIC_RELAXED);
		if (pair_a != pair_b)
			__atomic_fetch_add(&bad_pair, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&readers_in, 1, __ATOMIC_RELAXED);
		mm_read_unlock(&lock);
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS / 10; i++) {
		mm_write_lock(&lock);
		if (__atomic_add_fetch(&writers_in, 1, __ATOMIC_RELAXED) != 1 ||
		    __atomic_load_n(&readers_in, __ATOMIC_RELAXED))
			__atomic_fetch_add(&bad_overlap, 1, __ATOMIC_RELAXED);
		pair_a++;
		/* A window in which a reader that got in would see the pair differ. */
		for (volatile int k = 0; k < 200; k++)
			;
		pair_b++;
		__atomic_sub_fetch(&writers_in, 1, __ATOMIC_RELAXED);
		mm_write_unlock(&lock);
	}
	return NULL;
}

static void exclusion(int nreaders, int nwriters)
{
	pthread_t t[32];
	int n = 0;
	u64 a0 = pair_a;
	bad_pair = bad_overlap = 0;
	for (int i = 0; i < nreaders; i++)
		pthread_create(&t[n++], NULL, reader, NULL);
	for (int i = 0; i < nwriters; i++)
		pthread_create(&t[n++], NULL, writer, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	ok(!bad_pair && !bad_overlap, "%d readers, %d writers (%d slots): no reader saw a writer "
	   "or a half-made change (%d, %d)", nreaders, nwriters, MM_NSLOTS, bad_pair, bad_overlap);
	is_u64(pair_a - a0, (u64)nwriters * (ITERS / 10), "%d writers: every write went through",
	       nwriters);
	bool free_now = !lock.writer;
	for (int i = 0; i < MM_NSLOTS; i++)
		free_now &= !lock.slot[i].readers;
	ok(free_now, "the lock is free afterwards, every slot's count back to 0");
}

/* ---- 2. readers share ---- */

static int sharing_in; /* atomic: readers of the sharing test inside */

static void *sharing_reader(void *arg)
{
	int *saw = arg;
	mm_read_lock(&lock);
	__atomic_fetch_add(&sharing_in, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2000 && __atomic_load_n(&sharing_in, __ATOMIC_SEQ_CST) < 2; i++)
		usleep(1000);
	*saw = __atomic_load_n(&sharing_in, __ATOMIC_SEQ_CST);
	mm_read_unlock(&lock);
	return NULL;
}

static void readers_share(void)
{
	pthread_t t[2];
	int saw[2] = { 0, 0 };
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, sharing_reader, &saw[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(saw[0] == 2 && saw[1] == 2, "two readers hold the lock at once (saw %d, %d)", saw[0],
	   saw[1]);
}

/* ---- 3. a waiting writer stops new readers ---- */

static int order[3], norder; /* who got in, in order (under the lock or after joins) */

static void *late_writer(void *arg)
{
	(void)arg;
	mm_write_lock(&lock);
	order[__atomic_fetch_add(&norder, 1, __ATOMIC_SEQ_CST)] = 'W';
	usleep(20000);
	mm_write_unlock(&lock);
	return NULL;
}

static void *late_reader(void *arg)
{
	(void)arg;
	mm_read_lock(&lock);
	order[__atomic_fetch_add(&norder, 1, __ATOMIC_SEQ_CST)] = 'R';
	mm_read_unlock(&lock);
	return NULL;
}

static void writer_blocks_new_readers(void)
{
	pthread_t w, r;
	norder = 0;
	mm_read_lock(&lock); /* R1: the main thread */
	pthread_create(&w, NULL, late_writer, NULL);
	for (int i = 0; i < 2000 && !__atomic_load_n(&lock.writer, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	bool raised = __atomic_load_n(&lock.writer, __ATOMIC_SEQ_CST) != 0;
	pthread_create(&r, NULL, late_reader, NULL);
	usleep(50000);
	int in_while_r1 = __atomic_load_n(&norder, __ATOMIC_SEQ_CST);
	mm_read_unlock(&lock);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	ok(raised, "a writer arriving while a reader holds the lock raises its word and waits");
	is_u64((u64)in_while_r1, 0, "neither the writer nor a later reader got in while R1 held it");
	ok(norder == 2 && order[0] == 'W' && order[1] == 'R',
	   "after R1 left: the writer first, then the reader that came after it (%c%c)",
	   norder > 0 ? order[0] : '-', norder > 1 ? order[1] : '-');
}

/* ---- 4. pmm's per-CPU caches ---- */

static void *churn(void *arg)
{
	u64 got[200];
	(void)arg;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 200; i++)
			got[i] = pmm_alloc_page();
		for (int i = 0; i < 200; i++)
			if (got[i])
				pmm_free_page(got[i]);
	}
	/* Leave some in this thread's cache when it dies. */
	for (int i = 0; i < 10; i++)
		got[i] = pmm_alloc_page();
	for (int i = 0; i < 10; i++)
		pmm_free_page(got[i]);
	return NULL;
}

static void pmm_caches(void)
{
	host_pmm_setup(MiB(16));
	u64 total = pmm_total_count(), blocks0[PMM_MAX_ORDER + 1];
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		blocks0[o] = pmm_free_blocks(o);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	is_u64(pmm_free_count(), total, "4 threads allocated and freed at once: every page counted free");
	u64 *all = malloc(total * sizeof(u64)), n = 0, p;
	while ((p = pmm_alloc_page()))
		all[n++] = p;
	is_u64(n, total, "every page allocatable by another thread, dead threads' caches included");
	for (u64 i = 0; i < n; i++)
		pmm_free_page(all[i]);
	free(all);
	pmm_drain_caches();
	bool same = true;
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		same &= pmm_free_blocks(o) == blocks0[o];
	ok(same, "caches drained: the free blocks are those of the fresh range again");
}

int main(void)
{
	exclusion(3, 1);
	exclusion(MM_NSLOTS + 4, 2);
	readers_share();
	writer_blocks_new_readers();
	pmm_caches();
	return tap_done();
}
