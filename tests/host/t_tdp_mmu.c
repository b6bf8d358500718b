/*
 * TDP MMU: fault install + read back + page walk, MMIO entries and their
 * staleness, NOMEM leaves nothing behind, huge backing, prefill, memslot
 * delete, shared zap with the grace period; page counts balance.
 */
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

/* A fault at GPA for ACC after topping C up, as the VMM's exit path does. */
static enum tdp_fault_result fault(struct tdp_mmu *mmu, struct tdp_mmu_cache *c, u64 gpa,
				   unsigned acc)
{
	tdp_mmu_cache_topup(c);
	return tdp_mmu_page_fault(mmu, c, gpa, acc);
}

static int flushes;
static void count_flush(void *arg) { (void)arg; flushes++; }

/* Walk the tables by hand as the hardware would; returns the host address or 0. */
static u64 hw_walk(struct tdp_mmu *mmu, u64 gpa, u64 *leaf)
{
	const struct tdp_fmt *f = tdp_mmu_fmt(mmu);
	u64 *pt = (u64 *)(uintptr_t)tdp_mmu_root_pa(mmu);
	for (int level = f->levels; level >= 1; level--) {
		u64 e = pt[spte_index(gpa >> PAGE_SHIFT, level)];
		if (!(e & f->present_mask) || spte_is_mmio(f, e))
			return 0;
		if (level == 1 || (e & f->large_mask)) {
			*leaf = e;
			u64 off = gpa & ((PAGE_SIZE << (9 * (level - 1))) - 1);
			return (e & f->addr_mask) + off;
		}
		if ((e & f->nonleaf_bits) != f->nonleaf_bits)
			return 0;
		pt = (u64 *)(uintptr_t)(e & f->addr_mask);
	}
	return 0;
}

static void test_fault(const struct tdp_fmt *f)
{
	const char *n = f->name;
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(f);
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	ok(mmu, "%s: create", n);
	is_u64(tdp_memslot_add(mmu, 0x1001, PAGE_SIZE, 0), -E_INVAL, "%s: unaligned slot refused", n);
	int s0 = tdp_memslot_add(mmu, 0, MiB(16), 0);
	is_u64(s0, 0, "%s: slot 0 added", n);
	is_u64(tdp_memslot_add(mmu, MiB(8), MiB(16), 0), -E_EXIST, "%s: overlapping slot refused", n);
	is_u64(tdp_memslot_add(mmu, 1ULL << 48, PAGE_SIZE, 0), -E_INVAL, "%s: slot beyond 48 bits refused", n);
	tdp_mmu_cache_topup(&c);

	u64 gpa = MiB(3) + 0x123;
	is_u64(tdp_mmu_page_fault(mmu, &c, gpa, TDP_ACC_WRITE), TDP_FAULT_MAPPED, "%s: fault maps", n);
	is_u64(tdp_mmu_page_fault(mmu, &c, gpa, TDP_ACC_READ), TDP_FAULT_SPURIOUS, "%s: second fault spurious", n);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 4 && st.leaves_4k == 1 && st.backing_pages == 1 && st.faults == 2,
	   "%s: 4 tables, 1 leaf, 1 backing page, 2 faults", n);

	char msg[64] = "hello through the nested tables", back[64] = { 0 };
	is_u64(tdp_write_guest(mmu, gpa, msg, sizeof(msg)), 0, "%s: write_guest", n);
	is_u64(tdp_read_guest(mmu, gpa, back, sizeof(back)), 0, "%s: read_guest", n);
	ok(memcmp(msg, back, sizeof(msg)) == 0, "%s: read back what was written", n);
	u64 leaf = 0, hva = hw_walk(mmu, gpa, &leaf);
	ok(hva && memcmp((void *)(uintptr_t)hva, msg, sizeof(msg)) == 0,
	   "%s: hardware-style walk of the tables reaches the same bytes", n);
	ok(spte_leaf_allows(f, leaf, TDP_ACC_READ | TDP_ACC_WRITE | TDP_ACC_EXEC),
	   "%s: installed leaf allows RWX", n);
	u64 sp;
	is_u64(tdp_mmu_lookup(mmu, gpa, &sp), 1, "%s: lookup stops at level 1", n);
	is_u64(sp, leaf, "%s: lookup returns the leaf", n);

	/* Read of a never-touched page: zeros, no allocation. */
	memset(back, 0x55, sizeof(back));
	tdp_read_guest(mmu, MiB(5), back, sizeof(back));
	tdp_mmu_get_stats(mmu, &st);
	ok(back[0] == 0 && back[63] == 0 && st.backing_pages == 1, "%s: untouched page reads zero without backing", n);

	/* The fetch's page lookup: the backing page itself, for a backed
	 * frame; NULL (nothing allocated) for one without backing and for a
	 * frame outside every slot. */
	const u8 *page = tdp_guest_page(mmu, gpa >> PAGE_SHIFT);
	ok(page && memcmp(page + (gpa & (PAGE_SIZE - 1)), msg, sizeof(msg)) == 0,
	   "%s: guest_page of a backed frame shows its bytes", n);
	ok(page && (uintptr_t)page == (hva & ~(u64)(PAGE_SIZE - 1)),
	   "%s: guest_page is the page the tables map", n);
	ok(!tdp_guest_page(mmu, MiB(5) >> PAGE_SHIFT), "%s: guest_page of an unbacked frame: NULL", n);
	ok(!tdp_guest_page(mmu, MiB(16) >> PAGE_SHIFT), "%s: guest_page outside the slots: NULL", n);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 1, "%s: guest_page allocated nothing", n);
	is_u64(tdp_read_guest(mmu, MiB(16) - 8, back, 16), -E_FAULT, "%s: read past the slot: -E_FAULT", n);

	/* Prefill, crossing a page boundary. */
	static const char blob[] = "prefilled-bytes-crossing-a-page";
	u64 pg = MiB(6) + PAGE_SIZE - 9;
	is_u64(tdp_memslot_prefill(mmu, pg, blob, sizeof(blob)), 0, "%s: prefill registered", n);
	is_u64(tdp_memslot_prefill(mmu, MiB(16) - 4, blob, sizeof(blob)), -E_INVAL, "%s: prefill past slot refused", n);
	char pb[sizeof(blob)];
	tdp_read_guest(mmu, pg, pb, sizeof(pb));
	ok(memcmp(pb, blob, sizeof(blob)) == 0, "%s: prefill visible before any backing", n);
	fault(mmu, &c, pg + 12, TDP_ACC_READ);
	hva = hw_walk(mmu, pg + 12, &leaf);
	ok(hva && memcmp((void *)(uintptr_t)hva, blob + 12, sizeof(blob) - 12) == 0,
	   "%s: prefill copied into the page on its first fault", n);
	/* A second blob far above: the blobs' span widens to hold it, and a page
	 * between the two (inside the span, in no blob) still comes up zero. */
	static const char far[] = "far-blob";
	is_u64(tdp_memslot_prefill(mmu, MiB(12) + 100, far, sizeof(far)), 0, "%s: second prefill", n);
	fault(mmu, &c, MiB(12), TDP_ACC_READ);
	hva = hw_walk(mmu, MiB(12), &leaf);
	ok(hva && memcmp((void *)(uintptr_t)(hva + 100), far, sizeof(far)) == 0,
	   "%s: the far blob is in its page at the first fault", n);
	fault(mmu, &c, MiB(9), TDP_ACC_READ);
	hva = hw_walk(mmu, MiB(9), &leaf);
	ok(hva && host_page_is_zero(hva), "%s: a page between the blobs is all zero", n);

	/* MMIO: outside every slot. */
	u64 mmio = GiB(3) + 0x40;
	is_u64(fault(mmu, &c, mmio, TDP_ACC_READ), TDP_FAULT_MMIO, "%s: MMIO fault", n);
	tdp_mmu_lookup(mmu, mmio, &sp);
	ok(spte_is_mmio(f, sp) && !spte_is_mmu_present(sp), "%s: MMIO entry installed", n);
	is_u64(tdp_mmu_page_fault(mmu, &c, mmio, TDP_ACC_WRITE), TDP_FAULT_MMIO, "%s: MMIO again", n);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.mmio_entries, 1, "%s: current MMIO entry not reinstalled", n);
	int s1 = tdp_memslot_add(mmu, GiB(3), MiB(2), 0);
	ok(s1 > 0, "%s: slot added over the MMIO address", n);
	u64 sp2;
	tdp_mmu_lookup(mmu, mmio, &sp2);
	ok(sp2 == sp, "%s: entry untouched by the slot change", n);
	/* The entry's generation is now stale: the next fault maps RAM. */
	is_u64(fault(mmu, &c, mmio, TDP_ACC_READ), TDP_FAULT_MAPPED, "%s: stale MMIO replaced by RAM", n);
	tdp_mmu_lookup(mmu, mmio, &sp);
	ok(spte_is_mmu_present(sp), "%s: now a present leaf", n);

	/* Memslot delete. */
	tdp_mmu_set_flush(mmu, count_flush, NULL);
	flushes = 0;
	struct tdp_teardown_stats ts;
	tdp_mmu_get_stats(mmu, &st);
	u64 tables_before = st.tables;
	is_u64(tdp_memslot_delete(mmu, s1, &ts), 0, "%s: slot deleted", n);
	is_u64(ts.pages_freed, 1, "%s: its backing page freed", n);
	is_u64(ts.tables_freed, 1, "%s: its PT freed (the PD covers more than the slot)", n);
	is_u64(flushes, 1, "%s: one TLB flush", n);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.tables, tables_before - 1, "%s: table count follows", n);
	is_u64(tdp_memslot_delete(mmu, s1, NULL), -E_NOENT, "%s: deleting again: -E_NOENT", n);
	is_u64(fault(mmu, &c, mmio, TDP_ACC_READ), TDP_FAULT_MMIO, "%s: MMIO again after delete", n);

	/* Read-only slot. */
	int s2 = tdp_memslot_add(mmu, GiB(1), MiB(1), MEMSLOT_READONLY);
	is_u64(fault(mmu, &c, GiB(1), TDP_ACC_WRITE), TDP_FAULT_WRITE_PROT, "%s: write to RO slot", n);
	is_u64(tdp_mmu_page_fault(mmu, &c, GiB(1), TDP_ACC_READ), TDP_FAULT_MAPPED, "%s: read of RO slot maps", n);
	tdp_mmu_lookup(mmu, GiB(1), &sp);
	ok(!(sp & f->writable_mask), "%s: RO leaf not writable", n);
	(void)s2;

	/* Slots are limited. */
	int last = 0;
	for (int i = 0; i < TDP_MAX_MEMSLOTS; i++)
		last = tdp_memslot_add(mmu, GiB(8) + (u64)i * MiB(1), MiB(1), 0);
	is_u64(last, -E_NOMEM, "%s: slot table full: -E_NOMEM", n);

	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, &ts);
	is_u64(pmm_free_count(), free0, "%s: free pages before create == after destroy", n);
}

static void test_nomem(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	struct tdp_mmu_cache c = { 0 }, empty = { 0 };
	struct tdp_mmu_stats st;
	tdp_memslot_add(mmu, 0, GiB(1), 0);
	is_u64(tdp_mmu_page_fault(mmu, &empty, MiB(1), TDP_ACC_READ), TDP_FAULT_NOMEM,
	       "nomem: empty cache gives NOMEM");
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 1 && st.backing_pages == 0, "nomem: nothing built, nothing allocated");
	tdp_mmu_cache_topup(&c);
	/* Eat every free page. */
	u64 n = 0, cap = pmm_free_count(), *hog = malloc(cap * sizeof(u64)), p;
	while ((p = pmm_alloc_page()) != 0)
		hog[n++] = p;
	is_u64(tdp_mmu_page_fault(mmu, &c, MiB(1), TDP_ACC_READ), TDP_FAULT_NOMEM,
	       "nomem: no page for backing gives NOMEM");
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 1 && st.leaves_4k == 0 && st.backing_pages == 0 && c.nr == TDP_CACHE_PAGES,
	   "nomem: no table linked, cache intact");
	is_u64(tdp_mmu_cache_topup(&empty), -E_NOMEM, "nomem: topup reports NOMEM");
	is_u64(tdp_mmu_page_fault(mmu, &c, GiB(2), TDP_ACC_READ), TDP_FAULT_MMIO,
	       "nomem: MMIO still reported");
	for (u64 i = 0; i < n; i++)
		pmm_free_page(hog[i]);
	free(hog);
	is_u64(tdp_mmu_page_fault(mmu, &c, MiB(1), TDP_ACC_READ), TDP_FAULT_MAPPED, "nomem: maps once memory is back");
	tdp_mmu_cache_free(&c);
	tdp_mmu_cache_free(&empty);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "nomem: no page leaked");
}

/*
 * The first backed page of a 2 MiB lives in the radix entry itself
 * (RADIX_SINGLE); the second turns it into a node holding both.  What the
 * first page holds, and where, must survive that, a page of the same 2 MiB
 * never backed must still read as zero without being backed, and a zap and
 * refault must find the same frames again.
 */
static void test_single_frame(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	tdp_memslot_add(mmu, 0, MiB(8), 0);
	const u64 first = MiB(2) + 5 * PAGE_SIZE, second = MiB(2) + 7 * PAGE_SIZE;
	const u64 never = MiB(2) + 9 * PAGE_SIZE;
	static const char msg[] = "first page of its 2 MiB";
	char back[sizeof(msg)], zero[64] = { 0 }, buf[64];
	is_u64(tdp_write_guest(mmu, first, msg, sizeof(msg)), 0, "single: write the first page");
	fault(mmu, &c, first, TDP_ACC_WRITE);
	u64 leaf, hpa1 = hw_walk(mmu, first, &leaf);
	memset(buf, 0x5a, sizeof(buf));
	ok(tdp_read_guest(mmu, never, buf, sizeof(buf)) == 0 && !memcmp(buf, zero, sizeof(buf)),
	   "single: another page of the 2 MiB reads as zero");
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 1, "single: ... and is not backed by reading it");
	is_u64(fault(mmu, &c, second, TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "single: a second page of the 2 MiB maps");
	u64 hpa2 = hw_walk(mmu, second, &leaf);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.backing_pages == 2 && hpa1 && hpa2 && hpa1 != hpa2,
	   "single: two frames, distinct (backing %llu)", (unsigned long long)st.backing_pages);
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(8), false, NULL);
	fault(mmu, &c, first, TDP_ACC_READ);
	fault(mmu, &c, second, TDP_ACC_READ);
	ok(hw_walk(mmu, first, &leaf) == hpa1 && hw_walk(mmu, second, &leaf) == hpa2,
	   "single: after a zap, both refault onto the same frames");
	ok(tdp_read_guest(mmu, first, back, sizeof(back)) == 0 && !memcmp(back, msg, sizeof(msg)),
	   "single: the first page kept its bytes");
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 2, "single: nothing else backed");
	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "single: all freed");
}

/*
 * The leaf-table hint: a second 4 KiB fault in the 2 MiB of the vCPU's last
 * one starts in that fault's leaf table (counted as hinted) and maps what
 * a walk from the root would.  Once a zap has unlinked and freed that
 * table, a fault in the same 2 MiB must not touch the freed page: it walks
 * from the root and links a new table.  (The freed page is zeroed here,
 * the state in which a wrongly trusted hint would install into it.)
 */
static void test_leaf_hint(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_ept);
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	u64 leaf;
	tdp_memslot_add(mmu, 0, MiB(8), 0);
	fault(mmu, &c, MiB(4), TDP_ACC_WRITE);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.hinted, 0, "hint: the first fault walks from the root");
	is_u64(fault(mmu, &c, MiB(4) + 3 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "hint: a second fault in the 2 MiB maps");
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.hinted, 1, "hint: ... starting at the last leaf table");
	ok(hw_walk(mmu, MiB(4) + 3 * PAGE_SIZE, &leaf) != 0 && st.tables == 4 && st.leaves_4k == 2,
	   "hint: the page is reachable from the root, in the same table (tables %llu)",
	   (unsigned long long)st.tables);
	fault(mmu, &c, MiB(6), TDP_ACC_WRITE);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.hinted, 1, "hint: another 2 MiB walks from the root");

	/* The table of [4 MiB, 6 MiB) is unlinked and freed by a zap. */
	u64 old_pt = tdp_mmu_root_pa(mmu);
	const struct tdp_fmt *f = tdp_mmu_fmt(mmu);
	for (int level = f->levels; level > 1; level--)
		old_pt = ((u64 *)(uintptr_t)old_pt)[spte_index(MiB(4) >> PAGE_SHIFT, level)] & f->addr_mask;
	fault(mmu, &c, MiB(4) + 5 * PAGE_SIZE, TDP_ACC_WRITE); /* the hint: old_pt */
	tdp_mmu_zap_gpa_range(mmu, MiB(4), MiB(2), false, NULL);
	memset((void *)(uintptr_t)old_pt, 0, PAGE_SIZE);
	tdp_mmu_get_stats(mmu, &st);
	u64 hinted = st.hinted;
	is_u64(tdp_mmu_page_fault(mmu, &c, MiB(4) + 7 * PAGE_SIZE, TDP_ACC_WRITE), TDP_FAULT_MAPPED,
	       "hint: after a zap of its table, a fault in the 2 MiB maps");
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.hinted, hinted, "hint: ... walking from the root");
	ok(host_page_is_zero(old_pt), "hint: the freed table was not written");
	ok(hw_walk(mmu, MiB(4) + 7 * PAGE_SIZE, &leaf) != 0, "hint: the page is reachable");
	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "hint: all freed");
}

static void test_huge_backing(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_ept);
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	/* [1 MiB, 7 MiB): 2 MiB frames [2,4) and [4,6) inside; [0,2) and [6,8) partial. */
	tdp_memslot_add(mmu, MiB(1), MiB(6), MEMSLOT_HUGE);
	fault(mmu, &c, MiB(2) + PAGE_SIZE, TDP_ACC_WRITE);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 512, "huge: aligned 2 MiB frame backed by one block");
	u64 a, b;
	tdp_mmu_lookup(mmu, MiB(2) + PAGE_SIZE, &a);
	fault(mmu, &c, MiB(2) + 9 * PAGE_SIZE, TDP_ACC_READ);
	tdp_mmu_lookup(mmu, MiB(2) + 9 * PAGE_SIZE, &b);
	const struct tdp_fmt *f = &tdp_fmt_test_ept;
	/* Phase 2: the frame is mapped by one 2 MiB leaf onto the aligned block. */
	ok(spte_addr(f, b) == spte_addr(f, a) && IS_ALIGNED(spte_addr(f, a), MiB(2)) &&
	   (a & f->large_mask) && tdp_mmu_lookup(mmu, MiB(2), &b) == 2,
	   "huge: the frame is one 2 MiB leaf onto an aligned block");
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 512, "huge: second page of the frame allocates nothing");
	fault(mmu, &c, MiB(1), TDP_ACC_READ);
	fault(mmu, &c, MiB(6) + PAGE_SIZE, TDP_ACC_READ);
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.backing_pages, 514, "huge: partial frames at the edges get 4 KiB pages");
	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "huge: all freed");
}

static void test_shared_zap(void)
{
	u64 free0 = pmm_free_count();
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	struct tdp_mmu_cache c = { 0 };
	struct tdp_mmu_stats st;
	struct tdp_teardown_stats ts;
	tdp_memslot_add(mmu, 0, MiB(64), 0);
	for (u64 g = 0; g < MiB(8); g += MiB(1)) {
		fault(mmu, &c, g, TDP_ACC_READ);
	}
	tdp_mmu_get_stats(mmu, &st);
	is_u64(st.tables, 1 + 1 + 1 + 4, "zap: 4 PTs for 8 MiB");
	tdp_mmu_quiescent(0); /* CPU 0 takes part in grace periods */
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(4), true, &ts);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 5 && st.leaves_4k == 4 && ts.tables_freed == 2, "zap: shared zap removed 2 PTs");
	is_u64(ts.visited - 4, 2 * 512, "zap: every entry of the removed tables frozen");
	u64 pending = tdp_mmu_gp_drain();
	is_u64(pending, 2, "zap: tables wait for CPU 0's quiescent point");
	tdp_mmu_quiescent(0); /* closes the list; CPU 0 saw the old sequence */
	tdp_mmu_quiescent(0); /* now past the close */
	is_u64(tdp_mmu_gp_drain(), 0, "zap: freed after the grace period");
	tdp_mmu_cpu_offline(0);
	char x = 7, y = 0;
	tdp_write_guest(mmu, MiB(1), &x, 1);
	tdp_read_guest(mmu, MiB(1), &y, 1);
	is_u64(y, 7, "zap: backing survives a zap");
	is_u64(fault(mmu, &c, MiB(1), TDP_ACC_READ), TDP_FAULT_MAPPED, "zap: refault maps again");
	tdp_mmu_zap_gpa_range(mmu, 0, MiB(64), false, &ts);
	tdp_mmu_get_stats(mmu, &st);
	ok(st.tables == 3 && st.leaves_4k == 0, "zap: exclusive zap of the whole slot leaves root, PDPT, PD");
	tdp_mmu_cache_free(&c);
	tdp_mmu_destroy(mmu, NULL);
	is_u64(pmm_free_count(), free0, "zap: all freed");
}

int main(void)
{
	host_pmm_setup(MiB(64));
	u64 free0 = pmm_free_count();
	test_fault(&tdp_fmt_test_npt);
	test_fault(&tdp_fmt_test_ept);
	test_nomem();
	test_single_frame();
	test_leaf_hint();
	test_huge_backing();
	test_shared_zap();
	is_u64(pmm_free_count(), free0, "pmm back to its initial free count");
	is_u64(tdp_mmu_gp_leaked(), 0, "no table page leaked by the grace-period queue");
	return tap_done();
}
