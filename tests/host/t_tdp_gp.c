/*
 * Grace periods with several CPUs (mm/tdp_gp.c).  One thread plays the
 * parts of CPUs 0..5 by calling tdp_mmu_quiescent(cpu) and
 * tdp_mmu_cpu_offline(cpu) for them; table pages come from shared zaps of
 * faulted ranges, which queue them for a grace period.  Asserted: a list of
 * pages is freed only once every CPU that was taking part has passed a
 * quiescent point after it was closed (one CPU's many quiescent points do
 * not stand in for another's); a CPU that never came online, or went
 * offline (idle), holds nothing up, even one that was online when the list
 * closed; a CPU that comes online after the close holds nothing up either.
 */
#include "mm/pmm.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

static struct tdp_mmu *mmu;

/* Fault in 4 MiB (two page tables) and zap it under the read lock: 2 pages queued. */
static void queue_two_tables(void)
{
	struct tdp_mmu_cache c = { 0 };
	for (u64 g = 0; g < MiB(4); g += MiB(1)) {
		tdp_mmu_cache_topup(&c);
		tdp_mmu_page_fault(mmu, &c, g, TDP_ACC_READ);
	}
	tdp_mmu_cache_free(&c);
	struct tdp_teardown_stats ts;
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(4), true, &ts);
	is_u64(ts.tables_freed, 2, "a shared zap removed two page tables");
}

int main(void)
{
	host_pmm_setup(MiB(64));
	u64 free0 = pmm_free_count();
	mmu = tdp_mmu_create(&tdp_fmt_test_ept);
	tdp_memslot_add(mmu, 0, MiB(8), 0);

	/* CPUs 0, 1, 2 take part; 3 and above never came online (idle since boot). */
	tdp_mmu_quiescent(0);
	tdp_mmu_quiescent(1);
	tdp_mmu_quiescent(2);
	queue_two_tables();
	is_u64(tdp_mmu_gp_drain(), 2, "list closed: nobody has passed a quiescent point since");
	tdp_mmu_quiescent(0);
	tdp_mmu_quiescent(1);
	is_u64(tdp_mmu_gp_drain(), 2, "CPUs 0 and 1 passed one: CPU 2 still holds the pages");
	for (int i = 0; i < 5; i++)
		tdp_mmu_quiescent(0);
	is_u64(tdp_mmu_gp_drain(), 2, "CPU 0 passing five more does not stand in for CPU 2");
	tdp_mmu_quiescent(2);
	is_u64(tdp_mmu_gp_drain(), 0, "CPU 2 passed one: freed (CPUs 3.. never held anything up)");

	/* An idle CPU (offline) holds nothing up. */
	tdp_mmu_cpu_offline(2);
	queue_two_tables();
	is_u64(tdp_mmu_gp_drain(), 2, "closed again");
	tdp_mmu_quiescent(0);
	is_u64(tdp_mmu_gp_drain(), 2, "CPU 1 has not passed a quiescent point yet");
	tdp_mmu_quiescent(1);
	is_u64(tdp_mmu_gp_drain(), 0, "CPUs 0 and 1 passed one: freed without idle CPU 2");

	/* A CPU online when the list closed that then goes idle stops holding it up. */
	tdp_mmu_quiescent(2);
	queue_two_tables();
	is_u64(tdp_mmu_gp_drain(), 2, "closed with CPUs 0, 1, 2 online");
	tdp_mmu_quiescent(0);
	tdp_mmu_quiescent(1);
	is_u64(tdp_mmu_gp_drain(), 2, "CPU 2 holds the pages");
	tdp_mmu_cpu_offline(2);
	is_u64(tdp_mmu_gp_drain(), 0, "CPU 2 goes idle (offline): freed");

	/* A CPU that comes online after the close cannot have seen the pages. */
	tdp_mmu_cpu_offline(1);
	queue_two_tables();
	is_u64(tdp_mmu_gp_drain(), 2, "closed with CPU 0 online");
	tdp_mmu_quiescent(5);
	is_u64(tdp_mmu_gp_drain(), 2, "CPU 5 came online after the close; CPU 0 still holds them");
	tdp_mmu_quiescent(0);
	is_u64(tdp_mmu_gp_drain(), 0, "CPU 0 passed one: freed, CPU 5 held nothing up");

	/* The highest CPU number works like the others. */
	tdp_mmu_cpu_offline(5);
	tdp_mmu_quiescent(GP_MAX_CPUS - 1);
	queue_two_tables();
	tdp_mmu_quiescent(0);
	is_u64(tdp_mmu_gp_drain(), 2, "closed; CPUs 0 and 63 (the highest) both hold the pages");
	tdp_mmu_quiescent(GP_MAX_CPUS - 1);
	is_u64(tdp_mmu_gp_drain(), 2, "CPU 63 passed one; CPU 0 has not since the close");
	tdp_mmu_quiescent(0);
	is_u64(tdp_mmu_gp_drain(), 0, "both passed one: freed");

	tdp_mmu_cpu_offline(0);
	tdp_mmu_cpu_offline(GP_MAX_CPUS - 1);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(tdp_mmu_gp_leaked(), 0, "nothing leaked by the deferred-free list");
	is_u64(pmm_free_count(), free0, "free count returns to start");
	return tap_done();
}
