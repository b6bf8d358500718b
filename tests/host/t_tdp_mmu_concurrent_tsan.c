/*
 * Concurrency (ThreadSanitizer build): 4 threads stand in for vCPUs and
 * fault overlapping ranges at once under the read lock, in different orders,
 * while one of them also zaps subranges under the read lock (freezing,
 * grace periods), another zaps under the write lock (yielding), a third
 * zaps leaves only under the read lock.  They
 * also fault in a second region (slot B, 8 MiB at 32 MiB) that an admin
 * thread keeps deleting and re-adding (every 4th time with MEMSLOT_HUGE, so
 * 2 MiB leaves come and go), and write-protects ranges in.  After the dust
 * settles: no translation in B survives from an earlier incarnation, no
 * MMIO entry of an earlier generation hides B's RAM; teardown in SUMMARY
 * mode finds every present entry (the counters reach zero, checked by
 * mm's own assertions).  Afterwards: every page has exactly one backing page
 * (no lost or double allocation), every translation points at it, the
 * table counter matches the tree, and destroy gives every page back.
 */
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define NPAGES 4096 /* 16 MiB of guest RAM */
#define ROUNDS 3
#define B_GPA MiB(32)
#define B_SIZE MiB(8)
#define ADMIN_ID NTHREADS

static struct tdp_mmu *mmu;
static int bad_result[NTHREADS];
static pthread_barrier_t go;
static int admin_done, admin_bad, b_slot;

/* Deletes and re-adds slot B until the vCPUs are done, then leaves it added. */
static void *admin(void *arg)
{
	(void)arg;
	unsigned n = 0;
	tdp_mmu_quiescent(ADMIN_ID);
	pthread_barrier_wait(&go);
	while (!__atomic_load_n(&admin_done, __ATOMIC_ACQUIRE)) {
		struct tdp_teardown_stats ts;
		if (tdp_memslot_delete(mmu, b_slot, &ts))
			admin_bad++;
		tdp_mmu_quiescent(ADMIN_ID);
		b_slot = tdp_memslot_add(mmu, B_GPA, B_SIZE, (n++ % 4 == 1) ? MEMSLOT_HUGE : 0);
		if (b_slot < 0)
			admin_bad++;
		tdp_mmu_write_protect_gpa_range(mmu, B_GPA + MiB(1), MiB(2));
		tdp_mmu_quiescent(ADMIN_ID);
		usleep(2000); /* let the vCPUs fault in the new incarnation */
	}
	tdp_mmu_cpu_offline(ADMIN_ID);
	diag("admin: %u delete/re-add cycles of slot B", n);
	return NULL;
}

static void *vcpu(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	struct tdp_mmu_cache c = { 0 };
	u64 stride = 2 * id + 1; /* odd: visits every page, in its own order */
	tdp_mmu_quiescent(id);
	pthread_barrier_wait(&go);
	for (int r = 0; r < ROUNDS; r++) {
		for (u64 i = 0; i < NPAGES; i++) {
			u64 gfn = (i * stride + id * 977) % NPAGES;
			tdp_mmu_cache_topup(&c);
			enum tdp_fault_result res =
				tdp_mmu_page_fault(mmu, &c, gfn << PAGE_SHIFT, TDP_ACC_WRITE);
			if (res != TDP_FAULT_MAPPED && res != TDP_FAULT_SPURIOUS)
				bad_result[id]++;
			if (i % 64 == 0) {
				/* An MMIO address too, shared by all. */
				if (tdp_mmu_page_fault(mmu, &c, GiB(1) + (i % 4) * PAGE_SIZE,
						       TDP_ACC_READ) != TDP_FAULT_MMIO)
					bad_result[id]++;
			}
			if (id == 0 && i % 512 == 256)
				tdp_mmu_zap_gpa_range(mmu, (i % 8) * MiB(2), MiB(2), true, NULL);
			if (id == 1 && i % 1024 == 512)
				tdp_mmu_zap_gpa_range(mmu, MiB(3), MiB(6), false, NULL);
			if (id == 3 && i % 1024 == 0)
				tdp_mmu_zap_leafs(mmu, MiB(5), MiB(4), true, NULL);
			/* Slot B comes and goes: RAM, or MMIO while it is away. */
			u64 bg = B_GPA + ((i * 7 + id * 131) % (B_SIZE >> PAGE_SHIFT)) * PAGE_SIZE;
			res = tdp_mmu_page_fault(mmu, &c, bg, (i & 1) ? TDP_ACC_WRITE : TDP_ACC_READ);
			if (res != TDP_FAULT_MAPPED && res != TDP_FAULT_SPURIOUS &&
			    res != TDP_FAULT_MMIO && res != TDP_FAULT_WRITE_PROT)
				bad_result[id]++;
			if (id == 2 && i % 256 == 0)
				tdp_mmu_zap_gpa_range(mmu, B_GPA + (i % 4) * MiB(2) + MiB(1), MiB(2), true, NULL);
			tdp_mmu_quiescent(id); /* a VM exit */
		}
	}
	tdp_mmu_cache_free(&c);
	tdp_mmu_cpu_offline(id);
	return NULL;
}

static u64 count_tables(const struct tdp_fmt *f, u64 *pt, int level)
{
	u64 n = 1;
	for (int i = 0; i < 512 && level > 1; i++)
		if (spte_is_mmu_present(pt[i]) && !spte_is_leaf(f, pt[i], level))
			n += count_tables(f, (u64 *)(uintptr_t)spte_addr(f, pt[i]), level - 1);
	return n;
}

int main(void)
{
	host_pmm_setup(MiB(64));
	u64 free0 = pmm_free_count();
	const struct tdp_fmt *f = &tdp_fmt_test_npt;
	mmu = tdp_mmu_create(f);
	tdp_memslot_add(mmu, 0, NPAGES * PAGE_SIZE, 0);
	b_slot = tdp_memslot_add(mmu, B_GPA, B_SIZE, MEMSLOT_HUGE);
	pthread_t t[NTHREADS], adm;
	pthread_barrier_init(&go, NULL, NTHREADS + 1);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, vcpu, (void *)(uintptr_t)i);
	pthread_create(&adm, NULL, admin, NULL);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&admin_done, 1, __ATOMIC_RELEASE);
	pthread_join(adm, NULL);
	is_u64(admin_bad, 0, "memslot delete / re-add always succeeded");
	/* Slot B, after the dust settled: every leaf maps the current backing. */
	{
		bool fresh = true, ram = true;
		struct tdp_mmu_cache bc = { 0 };
		for (u64 g = B_GPA; g < B_GPA + B_SIZE; g += PAGE_SIZE) {
			u64 sp, tag = g ^ 0x5a5a5a5a5a5a5a5aULL, v;
			int l = tdp_mmu_lookup(mmu, g, &sp);
			tdp_write_guest(mmu, g, &tag, sizeof(tag));
			if (spte_is_mmu_present(sp)) {
				u64 h = spte_addr(f, sp) + ((g >> PAGE_SHIFT) & (spte_level_pages(l) - 1)) * PAGE_SIZE;
				memcpy(&v, (void *)(uintptr_t)h, sizeof(v));
				fresh &= v == tag;
			}
			tdp_mmu_cache_topup(&bc);
			enum tdp_fault_result r = tdp_mmu_page_fault(mmu, &bc, g, TDP_ACC_READ);
			ram &= r == TDP_FAULT_MAPPED || r == TDP_FAULT_SPURIOUS;
		}
		tdp_mmu_cache_free(&bc);
		ok(fresh, "slot B: no translation left from an earlier incarnation");
		ok(ram, "slot B: no stale MMIO entry hides its RAM");
		struct tdp_teardown_stats ts;
		tdp_memslot_delete(mmu, b_slot, &ts);
		is_u64(ts.pages_freed, B_SIZE >> PAGE_SHIFT, "slot B: its backing freed once, whole");
	}
	int bad = 0;
	for (unsigned i = 0; i < NTHREADS; i++)
		bad += bad_result[i];
	is_u64(bad, 0, "every fault MAPPED/SPURIOUS (RAM) or MMIO");

	struct tdp_mmu_stats st;
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, NPAGES, "exactly one backing page per guest page");
	diag("faults=%llu retries=%llu tables=%llu leaves=%llu mmio=%llu",
	     (unsigned long long)st.faults, (unsigned long long)st.retries,
	     (unsigned long long)st.tables, (unsigned long long)st.leaves_4k,
	     (unsigned long long)st.mmio_entries);

	/* Map whatever the zaps took away, then check every translation. */
	struct tdp_mmu_cache c = { 0 };
	for (u64 g = 0; g < NPAGES; g++) {
		tdp_mmu_cache_topup(&c);
		tdp_mmu_page_fault(mmu, &c, g << PAGE_SHIFT, TDP_ACC_READ);
	}
	tdp_mmu_cache_free(&c);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, NPAGES, "still one backing page per guest page after refaults");
	is_u64(st.leaves_4k, NPAGES, "one leaf per guest page");
	is_u64(st.tables, count_tables(f, (u64 *)(uintptr_t)tdp_mmu_root_pa(mmu), 4),
	       "table counter matches the tree");
	bool consistent = true, distinct = true;
	u64 *hpa = calloc(NPAGES, sizeof(u64));
	for (u64 g = 0; g < NPAGES; g++) {
		u64 tag = g * 0x9e3779b97f4a7c15ULL, sp;
		tdp_write_guest(mmu, g << PAGE_SHIFT, &tag, sizeof(tag));
		if (tdp_mmu_lookup(mmu, g << PAGE_SHIFT, &sp) != 1 || !spte_is_mmu_present(sp)) {
			consistent = false;
			continue;
		}
		hpa[g] = spte_addr(f, sp);
		consistent &= memcmp((void *)(uintptr_t)hpa[g], &tag, sizeof(tag)) == 0;
	}
	for (u64 g = 0; g < NPAGES; g++)
		for (u64 h = g + 1; h < NPAGES && h < g + 64; h++)
			distinct &= hpa[g] != hpa[h];
	free(hpa);
	ok(consistent, "every leaf maps the backing page the memslot holds");
	ok(distinct, "neighbouring guest pages map distinct frames");

	struct tdp_teardown_stats ts;
	tdp_set_teardown_mode(TDP_TEARDOWN_SUMMARY);
	tdp_mmu_destroy(mmu, &ts);
	is_u64(ts.changed, ts.visited - ts.skipped, "SUMMARY teardown: every visited entry present");
	is_u64(ts.tables_freed, ts.tables, "SUMMARY teardown: every table freed");
	is_u64(tdp_mmu_gp_drain(), 0, "no table page still waiting for a grace period");
	is_u64(pmm_free_count(), free0, "free count returns to start");
	is_u64(tdp_mmu_gp_leaked(), 0, "nothing leaked by the deferred-free list");
	return tap_done();
}
