/*
 * Huge leaves, splitting, write protection, dirty logging, yielding zaps and
 * the MMIO generation wrap, for both entry formats (and an NPT-like format
 * without 1 GiB pages, which must fall back to 2 MiB leaves).
 *
 * pmm gets 2 GiB of (lazily touched) memory aligned to 1 GiB, so that a
 * 1 GiB backing block exists; each 1 GiB case zeroes that block once.
 */
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

static struct tdp_fmt fmt_no1g; /* tdp_fmt_test_npt with huge_1g = false */

static enum tdp_fault_result fault(struct tdp_mmu *mmu, u64 gpa, unsigned acc)
{
	struct tdp_mmu_cache c = { 0 };
	tdp_mmu_cache_topup(&c);
	enum tdp_fault_result r = tdp_mmu_page_fault(mmu, &c, gpa, acc);
	tdp_mmu_cache_free(&c);
	return r;
}

/* The host address GPA translates to through the tables, or 0 when unmapped. */
static u64 translate(struct tdp_mmu *mmu, u64 gpa, int *level)
{
	const struct tdp_fmt *f = tdp_mmu_fmt(mmu);
	u64 sp;
	int l = tdp_mmu_lookup(mmu, gpa, &sp);
	if (level)
		*level = l;
	if (!spte_is_mmu_present(sp))
		return 0;
	u64 off = gpa & ((spte_level_pages(l) << PAGE_SHIFT) - 1);
	return spte_addr(f, sp) + off;
}

/* Install a 1 GiB (or, without huge_1g, 2 MiB) leaf, then split it by zapping one page. */
static void test_install_split(const struct tdp_fmt *f)
{
	const char *n = f == &fmt_no1g ? "npt-no1g" : f->name;
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_stats st;
	tdp_memslot_add(mmu, 0, GiB(3), MEMSLOT_HUGE);
	u64 g = GiB(1) + MiB(6) + 5 * PAGE_SIZE;
	is_u64(fault(mmu, g, TDP_ACC_WRITE), TDP_FAULT_MAPPED, "%s: fault in a huge slot maps", n);
	tdp_mmu_get_stats(mmu, &st);
	int level;
	u64 h = translate(mmu, g, &level);
	if (f->huge_1g) {
		ok(st.leaves_1g == 1 && st.leaves_2m == 0 && st.leaves_4k == 0 && level == 3,
		   "%s: one 1 GiB leaf", n);
		ok(IS_ALIGNED(h - (g - GiB(1)), GiB(1)), "%s: onto a 1 GiB aligned block", n);
	} else {
		ok(st.leaves_1g == 0 && st.leaves_2m == 1 && st.leaves_4k == 0 && level == 2,
		   "%s: no 1 GiB support: one 2 MiB leaf", n);
		ok(IS_ALIGNED(h - (g - GiB(1) - MiB(6)), MiB(2)), "%s: onto the 1 GiB block", n);
	}
	is_u64(st.backing_pages, 1ULL << 18, "%s: backed by one 1 GiB block", n);
	is_u64(st.tables, f->huge_1g ? 2 : 3, "%s: tables: root, PDPT%s", n, f->huge_1g ? "" : ", PD");
	u64 tag = 0x1234567890abcdefULL;
	tdp_write_guest(mmu, g, &tag, sizeof(tag));
	ok(memcmp((void *)(uintptr_t)h, &tag, 8) == 0, "%s: the leaf maps the memslot's page", n);

	/* Zap one 4 KiB page inside: split 1G -> 2M leaves -> 4K leaves, one gone. */
	u64 z = GiB(1) + MiB(6) + 8 * PAGE_SIZE;
	u64 hz = translate(mmu, z, NULL);
	struct tdp_teardown_stats ts;
	tdp_mmu_zap_gpa_range(mmu, z, PAGE_SIZE, false, &ts);
	tdp_mmu_get_stats(mmu, &st);
	if (f->huge_1g)
		ok(st.leaves_1g == 0 && st.leaves_2m == 511 && st.leaves_4k == 511 && st.splits == 2,
		   "%s: split 1G into 511 2M + 511 4K leaves", n);
	else
		ok(st.leaves_2m == 0 && st.leaves_4k == 511 && st.splits == 1,
		   "%s: split 2M into 511 4K leaves", n);
	is_u64(translate(mmu, z, NULL), 0, "%s: the zapped page is unmapped", n);
	is_u64(translate(mmu, g, &level), h, "%s: its neighbour still maps the same frame", n);
	is_u64(level, 1, "%s: through a 4 KiB leaf", n);
	if (f->huge_1g)
		is_u64(translate(mmu, GiB(1) + MiB(100), NULL), h - (g - GiB(1)) + MiB(100),
		       "%s: the rest of the gigabyte stays mapped (2 MiB leaf)", n);
	is_u64(fault(mmu, z, TDP_ACC_READ), TDP_FAULT_MAPPED, "%s: refault of the zapped page", n);
	is_u64(translate(mmu, z, &level), hz, "%s: maps the same frame again", n);
	is_u64(level, 1, "%s: as a 4 KiB leaf beside the split ones", n);

	/* Zap all of it: whole huge leaves and tables inside the range. */
	tdp_mmu_zap_gpa_range(mmu, GiB(1), GiB(1), false, NULL);
	tdp_mmu_get_stats(mmu, &st);
	ok(!st.leaves_1g && !st.leaves_2m && !st.leaves_4k && st.tables == 2,
	   "%s: zap of the whole gigabyte leaves root + PDPT", n);
	is_u64(fault(mmu, g, TDP_ACC_WRITE), TDP_FAULT_MAPPED, "%s: refault", n);
	is_u64(translate(mmu, g, NULL), h, "%s: maps the same frame, data kept", n);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "%s: all freed", n);
}

/* Write-protect part of a 2 MiB leaf (the leaf is split), then write faults. */
static void test_wrprot(const struct tdp_fmt *f)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_stats st;
	tdp_memslot_add(mmu, MiB(2), MiB(4), MEMSLOT_HUGE); /* no whole gigabyte: 2M blocks */
	fault(mmu, MiB(2), TDP_ACC_WRITE);
	fault(mmu, MiB(4), TDP_ACC_WRITE);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.leaves_2m, 2, "%s: two 2 MiB leaves", f->name);
	tdp_mmu_write_protect_gpa_range(mmu, MiB(2) + 16 * PAGE_SIZE, 2 * PAGE_SIZE);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_2m == 1 && st.leaves_4k == 512 && st.splits == 1,
	   "%s: write-protecting 2 pages split one leaf", f->name);
	is_u64(fault(mmu, MiB(2) + 16 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_WRITE_PROT,
	       "%s: write to a protected page", f->name);
	is_u64(fault(mmu, MiB(2) + 17 * PAGE_SIZE, TDP_ACC_READ), TDP_FAULT_SPURIOUS,
	       "%s: read of a protected page is fine", f->name);
	is_u64(fault(mmu, MiB(2) + 18 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_SPURIOUS,
	       "%s: its neighbour stays writable", f->name);
	tdp_mmu_write_protect_gpa_range(mmu, MiB(4), MiB(2));
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_2m == 1 && st.splits == 1, "%s: a whole leaf is protected without a split",
	   f->name);
	is_u64(fault(mmu, MiB(5), TDP_ACC_WRITE), TDP_FAULT_WRITE_PROT, "%s: ... and protected",
	       f->name);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "%s: wrprot: all freed", f->name);
}

/* Dirty logging: enable splits to 4K and protects; writes are recorded once per harvest. */
static void test_dirty_log(const struct tdp_fmt *f)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_stats st;
	int s = tdp_memslot_add(mmu, 0, MiB(8), MEMSLOT_HUGE);
	u64 bm[MiB(8) / PAGE_SIZE / 64];
	fault(mmu, 0, TDP_ACC_WRITE);
	fault(mmu, MiB(4), TDP_ACC_READ);
	is_u64(tdp_dirty_log_harvest(mmu, s, bm), (u64)-E_INVAL, "%s: harvest before enable",
	       f->name);
	is_u64(tdp_dirty_log_enable(mmu, s), 0, "%s: enable dirty logging", f->name);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_2m == 0 && st.leaves_4k == 1024, "%s: enable split the huge leaves", f->name);
	is_u64(tdp_dirty_log_harvest(mmu, s, bm), 0, "%s: nothing dirty yet", f->name);
	is_u64(fault(mmu, 3 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "%s: write to a logged page faults and is let through", f->name);
	is_u64(fault(mmu, 3 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_SPURIOUS,
	       "%s: second write goes through", f->name);
	is_u64(fault(mmu, MiB(6), TDP_ACC_READ), TDP_FAULT_MAPPED, "%s: read of a new page",
	       f->name);
	is_u64(fault(mmu, MiB(6), TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "%s: ... was mapped read-only, write recorded", f->name);
	is_u64(fault(mmu, MiB(7), TDP_ACC_WRITE), TDP_FAULT_MAPPED, "%s: write to a new page",
	       f->name);
	u64 v = 7;
	tdp_write_guest(mmu, MiB(1), &v, sizeof(v));
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_2m == 0 && st.dirty_faults == 2, "%s: 4K leaves only; 2 dirty fast paths",
	   f->name);
	is_u64(tdp_dirty_log_harvest(mmu, s, bm), 4, "%s: four dirty pages", f->name);
	ok(bm[0] == BIT(3) && bm[256 / 64] == 1 && bm[1536 / 64] == 1 && bm[1792 / 64] == 1,
	   "%s: the right bits", f->name);
	is_u64(tdp_dirty_log_harvest(mmu, s, bm), 0, "%s: harvest cleared them", f->name);
	is_u64(fault(mmu, 3 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "%s: harvest write-protected the page again", f->name);
	u64 first = 1, last = 1;
	is_u64(tdp_dirty_log_harvest_span(mmu, s, &first, &last), 1,
	       "%s: and the new write is logged (span harvest)", f->name);
	ok(first == 3 * PAGE_SIZE && last == 3 * PAGE_SIZE, "%s: span of one page: 0x%lx..0x%lx",
	   f->name, (unsigned long)first, (unsigned long)last);
	tdp_write_guest(mmu, 5 * PAGE_SIZE, &v, sizeof(v));
	tdp_write_guest(mmu, MiB(7), &v, sizeof(v));
	is_u64(tdp_dirty_log_harvest_span(mmu, s, &first, &last), 2, "%s: two more dirty pages",
	       f->name);
	ok(first == 5 * PAGE_SIZE && last == MiB(7), "%s: span 0x%lx..0x%lx", f->name,
	   (unsigned long)first, (unsigned long)last);
	is_u64(tdp_dirty_log_harvest_span(mmu, s, &first, &last), 0, "%s: then none", f->name);
	ok(first == 0 && last == 0, "%s: and an empty span", f->name);
	tdp_dirty_log_disable(mmu, s);
	is_u64(fault(mmu, 5 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_MAPPED, "%s: after disable",
	       f->name);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_2m == 1 && st.leaves_4k == 0, "%s: disable: huge leaves again", f->name);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "%s: dirty log: all freed", f->name);
}

/* A long exclusive zap drops the lock now and then, and still finishes. */
static void test_zap_yield(const struct tdp_fmt *f)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_stats st;
	tdp_memslot_add(mmu, 0, MiB(16), 0);
	for (u64 g = 0; g < MiB(16); g += PAGE_SIZE)
		fault(mmu, g, TDP_ACC_READ);
	struct tdp_teardown_stats ts;
	tdp_mmu_zap_gpa_range(mmu, PAGE_SIZE, MiB(16) - 2 * PAGE_SIZE, false, &ts);
	tdp_mmu_get_stats(mmu, &st);
	ok(ts.yields > 0, "%s: the zap yielded (%lu times)", f->name, (unsigned long)ts.yields);
	is_u64(st.leaves_4k, 2, "%s: every leaf in the range is gone, the edges stay", f->name);
	for (u64 g = 0; g < MiB(16); g += PAGE_SIZE)
		fault(mmu, g, TDP_ACC_READ);
	tdp_mmu_get_stats(mmu, &st);
	u64 tables = st.tables;
	tdp_mmu_zap_leafs(mmu, 0, MiB(16), true, &ts);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_4k == 0 && st.tables == tables && ts.yields > 0,
	   "%s: shared leaves-only zap: no leaf, every table (%lu) stays, yielded", f->name,
	   (unsigned long)tables);
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(16), true, &ts);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.leaves_4k == 0 && st.tables == 3, "%s: shared zap of all of it", f->name);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "%s: yield: all freed", f->name);
}

/* MMIO entries are zapped when the generation wraps in the bits they keep. */
static void test_mmio_wrap(const struct tdp_fmt *f)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_stats st;
	u64 gen_values = (f->mmio_gen_mask >> f->mmio_gen_shift) + 1, sp;
	is_u64(fault(mmu, GiB(2), TDP_ACC_READ), TDP_FAULT_MMIO, "%s: MMIO entry at gen 0", f->name);
	tdp_mmu_lookup(mmu, GiB(2), &sp);
	ok(spte_is_mmio(f, sp), "%s: it is installed", f->name);
	/* Each add and each delete is one generation. */
	for (u64 i = 0; i + 2 <= gen_values; i += 2)
		tdp_memslot_delete(mmu, tdp_memslot_add(mmu, 0, MiB(2), 0), NULL);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.mmio_zapped, 1, "%s: the wrap zapped the MMIO entry", f->name);
	tdp_mmu_lookup(mmu, GiB(2), &sp);
	is_u64(sp, 0, "%s: the entry is empty", f->name);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "%s: wrap: all freed", f->name);
}

int main(void)
{
	u64 base = (u64)(uintptr_t)host_map(GiB(2), GiB(1));
	pmm_init();
	pmm_add_range(base, GiB(2) >> PAGE_SHIFT);
	fmt_no1g = tdp_fmt_test_npt;
	fmt_no1g.huge_1g = false;
	const struct tdp_fmt *fmts[] = { &tdp_fmt_test_npt, &tdp_fmt_test_ept };
	for (int i = 0; i < 2; i++) {
		test_install_split(fmts[i]);
		test_wrprot(fmts[i]);
		test_dirty_log(fmts[i]);
		test_zap_yield(fmts[i]);
		test_mmio_wrap(fmts[i]);
	}
	test_install_split(&fmt_no1g);
	return tap_done();
}
