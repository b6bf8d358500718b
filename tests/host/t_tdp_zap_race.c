/*
 * Two shared zaps of the same table at once (ASan build, real threads).
 * CPU 0 zaps [0, 2 MiB) whole: it freezes the level-2 entry and, in
 * handle_removed_pt(), freezes the 512 entries of the page table below.
 * CPU 1 zaps the leaves of the same range: it may have read the level-2
 * link before CPU 0 froze it, so it walks the removed table through a stale
 * path and freezes a leaf there itself, to zap it.  CPU 2 faults the range
 * back in all the while.  CPU 0 must then wait for CPU 1's zap of that
 * entry to finish instead of taking CPU 1's FROZEN for a value to account
 * for (it used to trip an assertion within seconds).  Afterwards: every
 * counter balances, every table page comes back after the grace periods.
 */
#include "mm/pmm.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <time.h>

#define SECONDS 3

static struct tdp_mmu *mmu;
static int stop;
static u64 rounds[3];

/* CPU ID's part until told to stop: 0 zaps the range whole, 1 its leaves, 2 faults it in. */
static void *cpu(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	struct tdp_mmu_cache c = { 0 };
	tdp_mmu_quiescent(id);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (id == 0) {
			tdp_mmu_zap_gpa_range(mmu, 0, MiB(2), true, NULL);
		} else if (id == 1) {
			tdp_mmu_zap_leafs(mmu, 0, MiB(2), true, NULL);
		} else {
			for (u64 g = 0; g < MiB(2); g += PAGE_SIZE) {
				tdp_mmu_cache_topup(&c);
				tdp_mmu_page_fault(mmu, &c, g, TDP_ACC_WRITE);
			}
		}
		tdp_mmu_quiescent(id); /* a VM exit */
		rounds[id]++;
	}
	tdp_mmu_cache_free(&c);
	tdp_mmu_cpu_offline(id);
	return NULL;
}

int main(void)
{
	host_pmm_setup(MiB(64));
	u64 free0 = pmm_free_count();
	mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	tdp_memslot_add(mmu, 0, MiB(4), 0);
	pthread_t t[3];
	for (unsigned i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, cpu, (void *)(uintptr_t)i);
	struct timespec d = { .tv_sec = SECONDS };
	nanosleep(&d, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	diag("rounds: table zaps %llu, leaf zaps %llu, fault sweeps %llu",
	     (unsigned long long)rounds[0], (unsigned long long)rounds[1],
	     (unsigned long long)rounds[2]);
	ok(rounds[0] && rounds[1] && rounds[2], "all three CPUs made progress");

	struct tdp_mmu_stats st;
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 512, "one backing page per guest page of the range");
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(4), false, NULL);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 3 && st.leaves_4k == 0, "after an exclusive zap: root, PDPT, PD, no leaf");
	tdp_mmu_destroy(mmu, NULL);
	is_u64(tdp_mmu_gp_drain(), 0, "no table page still waiting for a grace period");
	is_u64(tdp_mmu_gp_leaked(), 0, "nothing leaked by the deferred-free list");
	is_u64(pmm_free_count(), free0, "free count returns to start");
	return tap_done();
}
