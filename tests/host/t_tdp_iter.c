/*
 * tdp_iter: pre-order walks over ranges crossing every level boundary,
 * compared with an independent recursive model; restart mid-walk.
 */
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_iter.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>

struct visit { int level; u64 gfn; };
static struct visit model[1 << 16];
static int nmodel;

/* Independent pre-order enumeration of the entries overlapping [s, e). */
static void model_walk(const struct tdp_fmt *f, u64 *pt, int level, u64 base, int min, u64 s, u64 e)
{
	for (int i = 0; i < 512; i++) {
		u64 g = base + (u64)i * spte_level_pages(level);
		if (g + spte_level_pages(level) <= s || g >= e)
			continue;
		model[nmodel++] = (struct visit){ level, g };
		u64 v = pt[i];
		if (level > min && spte_is_mmu_present(v) && !spte_is_leaf(f, v, level))
			model_walk(f, (u64 *)(uintptr_t)spte_addr(f, v), level - 1, g, min, s, e);
	}
}

static void check_range(struct tdp_mmu *mmu, u64 s, u64 e, int min)
{
	const struct tdp_fmt *f = tdp_mmu_fmt(mmu);
	u64 *root = (u64 *)(uintptr_t)tdp_mmu_root_pa(mmu);
	nmodel = 0;
	model_walk(f, root, 4, 0, min, s, e);
	struct tdp_iter it;
	int n = 0;
	bool same = true;
	for_each_tdp_pte(it, f, root, 4, min, s, e) {
		if (n >= nmodel || model[n].level != it.level || model[n].gfn != it.gfn ||
		    it.sptep != &it.pt_path[it.level][spte_index(it.gfn, it.level)] ||
		    it.old_spte != *it.sptep)
			same = false;
		n++;
	}
	ok(same && n == nmodel, "walk [%#llx, %#llx) min level %d: %d entries as the model",
	   (unsigned long long)s, (unsigned long long)e, min, n);
	if (n != nmodel)
		diag("iterator yielded %d, model %d", n, nmodel);
}

int main(void)
{
	host_pmm_setup(MiB(32));
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	ok(mmu != NULL, "create");
	/* RAM across the 2M, 1G and 512G boundaries (gfn 512, 512^2, 512^3). */
	const u64 L2 = 512, L3 = 512 * 512, L4 = 512ULL * 512 * 512;
	u64 pts[] = { 0, 1, L2 - 1, L2, L3 - 1, L3, L3 + L2, L4 - 1, L4, L4 + L3 + 7 };
	struct tdp_mmu_cache c = { 0 };
	for (unsigned i = 0; i < ARRAY_SIZE(pts); i++) {
		tdp_memslot_add(mmu, pts[i] << PAGE_SHIFT, PAGE_SIZE, 0);
		tdp_mmu_cache_topup(&c);
		tdp_mmu_page_fault(mmu, &c, pts[i] << PAGE_SHIFT, TDP_ACC_READ);
	}
	check_range(mmu, 0, 1, 1);
	check_range(mmu, 0, L2 + 1, 1);
	check_range(mmu, L2 - 1, L2 + 1, 1);
	check_range(mmu, L3 - 1, L3 + 1, 1);
	check_range(mmu, L4 - 1, L4 + 1, 1);
	check_range(mmu, 0, 2 * L4, 1);
	check_range(mmu, 0, 2 * L4, 2);
	check_range(mmu, 3, L4 + L3 + 8, 3);
	check_range(mmu, 0, 512 * L4, 4);
	check_range(mmu, L3 + 5, L3 + 6, 1);

	/* Restart in the middle: the rest of the model order follows. */
	u64 *root = (u64 *)(uintptr_t)tdp_mmu_root_pa(mmu);
	const struct tdp_fmt *f = tdp_mmu_fmt(mmu);
	nmodel = 0;
	model_walk(f, root, 4, 0, 1, 0, 2 * L4);
	struct tdp_iter it;
	int n = 0, k = nmodel / 2;
	tdp_iter_start(&it, f, root, 4, 1, 0, 2 * L4);
	for (; it.valid && n < k; tdp_iter_next(&it))
		n++;
	u64 at = it.gfn;
	tdp_iter_restart(&it);
	ok(it.level == 4 && it.valid && it.yielded_gfn == it.next_last_level_gfn,
	   "restart goes back to the root level");
	/* After a restart, ancestors are yielded again, then the walk continues at k. */
	while (it.valid && !(it.level == model[k].level && it.gfn == model[k].gfn))
		tdp_iter_next(&it);
	ok(it.valid && it.gfn == at, "restart resumes at the entry it left (gfn %#llx)",
	   (unsigned long long)at);
	bool same = true;
	for (; it.valid; tdp_iter_next(&it), k++)
		same &= k < nmodel && model[k].level == it.level && model[k].gfn == it.gfn;
	ok(same && k == nmodel, "rest of the walk after restart matches the model");

	struct tdp_iter e;
	tdp_iter_start(&e, f, root, 4, 1, 5, 5);
	ok(!e.valid, "empty range yields nothing");
	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, NULL);
	return tap_done();
}
