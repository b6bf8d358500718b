/*
 * Model-based randomized test of the TDP MMU (AddressSanitizer + UBSan).
 *
 * A random sequence of operations -- read and write faults, zaps of ranges
 * (whole or leaves only, shared and exclusive), write protection of ranges, memslot add and
 * delete, dirty-log enable / harvest / disable, and teardown of the whole
 * MMU -- is applied both to the MMU and to a plain model: per guest page,
 * the data tag last written to it (0 for fresh memory), whether its mapping
 * must not be writable, and whether it was written since the last harvest;
 * per region, whether a memslot is there and with which flags.
 *
 * After every step the pages the step touched and a random sample are
 * checked (all of them every CHECK_ALL steps and at the end):
 *   - a present leaf exists only inside a live memslot (no stale
 *     translation after a zap, a delete or a re-add) and the frame it maps
 *     holds exactly the page's tag (it is the memslot's backing page);
 *   - a writable leaf is allowed by the model (not write-protected, slot not
 *     read-only; in a dirty-logged slot only for pages logged dirty), and
 *     huge leaves only in MEMSLOT_HUGE slots without dirty logging;
 *   - the memslot side reads back the tag (no lost page);
 *   - fault results are the ones the model predicts; harvests return
 *     exactly the pages the model saw written;
 *   - the table counter equals the tables in the tree (full checks).
 * Guest writes are simulated like hardware: the tag is stored through the
 * frame the leaf maps, after a write fault made it writable.  At the end,
 * and at every teardown, pmm's free count is back to where it started.
 *
 * The seed is fixed for CI; another comes from argv[1] or env PAGODA_SEED
 * (printed either way, so a failure can be replayed).  Steps: argv[2] or
 * env PAGODA_STEPS (default 6000).
 */
#include "mm/pmm.h"
#include "mm/spte.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <stdlib.h>
#include <string.h>

#define CHECK_ALL 250
#define NREG 5

/* The regions a memslot may occupy; GAP (16..24 MiB) is never RAM. */
static const struct {
	u64 gpa, size;
} reg[NREG] = {
	{ 0, MiB(8) },                         /* aligned: 2 MiB leaves possible */
	{ MiB(8), MiB(3) + 5 * PAGE_SIZE },    /* ragged end */
	{ MiB(32) - 2 * PAGE_SIZE, MiB(4) },   /* ragged start */
	{ MiB(64), MiB(2) },                   /* one frame; may be read-only */
	{ MiB(40), MiB(6) },                   /* another, for dirty logging */
};
#define SPACE_END MiB(72)
#define SPACE_PAGES (SPACE_END >> PAGE_SHIFT)

struct page_model {
	u64 tag;   /* data last written (0: fresh) */
	bool wp;   /* a present leaf must not be writable */
	bool dirty; /* written since the last harvest (dirty-logged slot) */
};

static struct page_model pm[SPACE_PAGES];
static int slot_id[NREG];      /* memslot id, or -1 */
static unsigned slot_flags[NREG];
static bool slot_dl[NREG];
static struct tdp_mmu *mmu;
static const struct tdp_fmt *fmt;
static struct tdp_mmu_cache cache;
static u64 next_tag = 1, rng_state, free0;
static int failures, step;
static u64 n_ops[16];

#ifdef PAGODA_FUZZ
/*
 * Built as a libFuzzer target (tests/fuzz/fuzz.mk): the fuzzer's bytes are
 * the random numbers, so it steers the operation sequence, and a run ends
 * when they are used up.  A disagreement with the model aborts.
 */
static const uint8_t *fuzz_in;
static size_t fuzz_len, fuzz_pos;
static bool fuzz_done;

static u64 rnd(void)
{
	u64 v = 0;
	if (fuzz_pos + 8 > fuzz_len) {
		fuzz_done = true;
		return 0;
	}
	memcpy(&v, fuzz_in + fuzz_pos, 8);
	fuzz_pos += 8;
	return v;
}
#else
static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}
#endif

static u64 rnd_below(u64 n) { return rnd() % n; }

static int region_of(u64 pfn)
{
	u64 gpa = pfn << PAGE_SHIFT;
	for (int r = 0; r < NREG; r++)
		if (gpa >= reg[r].gpa && gpa < reg[r].gpa + reg[r].size)
			return r;
	return -1;
}

/* The live region holding page PFN, or -1. */
static int live_region(u64 pfn)
{
	int r = region_of(pfn);
	return r >= 0 && slot_id[r] >= 0 ? r : -1;
}

static void fail(const char *what, u64 pfn, u64 a, u64 b)
{
	if (failures++ < 10)
		diag("step %d: %s at gpa %#llx (%#llx vs %#llx)", step, what,
		     (unsigned long long)(pfn << PAGE_SHIFT), (unsigned long long)a,
		     (unsigned long long)b);
#ifdef PAGODA_FUZZ
	abort();
#endif
}

/* Present leaf for PFN: 1 and its frame's address in *HPA (and level, writability). */
static bool leaf_of(u64 pfn, u64 *hpa, int *level, bool *writable)
{
	u64 sp;
	int l = tdp_mmu_lookup(mmu, pfn << PAGE_SHIFT, &sp);
	if (!spte_is_mmu_present(sp))
		return false;
	*hpa = spte_addr(fmt, sp) + ((pfn & (spte_level_pages(l) - 1)) << PAGE_SHIFT);
	*level = l;
	*writable = (sp & fmt->writable_mask) != 0;
	return true;
}

static void check_page(u64 pfn)
{
	u64 hpa;
	int level, r = live_region(pfn);
	bool w;
	struct page_model *p = &pm[pfn];
	if (leaf_of(pfn, &hpa, &level, &w)) {
		if (r < 0) {
			fail("stale translation outside any memslot", pfn, hpa, 0);
			return;
		}
		u64 v;
		memcpy(&v, (void *)(uintptr_t)hpa, sizeof(v));
		if (v != p->tag)
			fail("leaf maps a frame without the page's data", pfn, v, p->tag);
		if (w && (p->wp || (slot_flags[r] & MEMSLOT_READONLY)))
			fail("writable leaf for a write-protected page", pfn, hpa, 0);
		if (w && slot_dl[r] && !p->dirty)
			fail("writable leaf in a dirty-logged slot, page not logged", pfn, hpa, 0);
		if (level > 1 && (!(slot_flags[r] & MEMSLOT_HUGE) || slot_dl[r]))
			fail("huge leaf where none may be", pfn, (u64)level, 0);
	}
	if (r >= 0) {
		u64 v = ~0ULL;
		if (tdp_read_guest(mmu, pfn << PAGE_SHIFT, &v, sizeof(v)) || v != p->tag)
			fail("memslot lost the page's data", pfn, v, p->tag);
	}
}

static u64 count_tables(u64 *pt, int level)
{
	u64 n = 1;
	for (int i = 0; i < 512 && level > 1; i++)
		if (spte_is_mmu_present(pt[i]) && !spte_is_leaf(fmt, pt[i], level))
			n += count_tables((u64 *)(uintptr_t)spte_addr(fmt, pt[i]), level - 1);
	return n;
}

static void check_all(void)
{
	for (u64 pfn = 0; pfn < SPACE_PAGES; pfn++)
		if (region_of(pfn) >= 0 || pfn % 64 == 0)
			check_page(pfn);
	struct tdp_mmu_stats st;
	tdp_mmu_get_stats(mmu, &st);
	u64 t = count_tables((u64 *)(uintptr_t)tdp_mmu_root_pa(mmu), fmt->levels);
	if (st.tables != t)
		fail("table counter differs from the tree", 0, st.tables, t);
}

static void check_range(u64 pfn, u64 n)
{
	for (u64 i = 0; i < n && pfn + i < SPACE_PAGES; i++)
		check_page(pfn + i);
	for (int i = 0; i < 24; i++)
		check_page(rnd_below(SPACE_PAGES));
}

static void reset_region(int r)
{
	u64 first = reg[r].gpa >> PAGE_SHIFT, n = reg[r].size >> PAGE_SHIFT;
	memset(&pm[first], 0, n * sizeof(pm[0]));
}

/* A random page: mostly inside a region, sometimes in the gap or beyond. */
static u64 rnd_pfn(void)
{
	if (rnd_below(10) == 0)
		return rnd_below(SPACE_PAGES);
	int r = (int)rnd_below(NREG);
	return (reg[r].gpa >> PAGE_SHIFT) + rnd_below(reg[r].size >> PAGE_SHIFT);
}

static enum tdp_fault_result fault(u64 pfn, unsigned acc)
{
	tdp_mmu_cache_topup(&cache);
	return tdp_mmu_page_fault(mmu, &cache, pfn << PAGE_SHIFT, acc);
}

static void op_read(u64 pfn)
{
	u64 hpa;
	int level, r = live_region(pfn);
	bool w, was = leaf_of(pfn, &hpa, &level, &w);
	enum tdp_fault_result res = fault(pfn, TDP_ACC_READ);
	if (r < 0) {
		if (res != TDP_FAULT_MMIO)
			fail("read outside RAM not MMIO", pfn, res, TDP_FAULT_MMIO);
		return;
	}
	if (res != TDP_FAULT_MAPPED && res != TDP_FAULT_SPURIOUS)
		fail("read fault result", pfn, res, TDP_FAULT_MAPPED);
	if (!leaf_of(pfn, &hpa, &level, &w))
		fail("read fault left the page unmapped", pfn, 0, 0);
	else if (!was && slot_dl[r])
		pm[pfn].wp = !w; /* dirty logging maps reads read-only */
}

static void op_write(u64 pfn)
{
	u64 hpa;
	int level, r = live_region(pfn);
	bool w, was = leaf_of(pfn, &hpa, &level, &w);
	enum tdp_fault_result res = fault(pfn, TDP_ACC_WRITE), want;
	if (r < 0)
		want = TDP_FAULT_MMIO;
	else if (slot_flags[r] & MEMSLOT_READONLY)
		want = TDP_FAULT_WRITE_PROT;
	else if (was && pm[pfn].wp && !slot_dl[r])
		want = TDP_FAULT_WRITE_PROT;
	else
		want = (was && w) ? TDP_FAULT_SPURIOUS : TDP_FAULT_MAPPED;
	if (res != want) {
		fail("write fault result", pfn, res, want);
		return;
	}
	if (want != TDP_FAULT_MAPPED && want != TDP_FAULT_SPURIOUS)
		return;
	if (!leaf_of(pfn, &hpa, &level, &w) || !w) {
		fail("write fault did not leave a writable leaf", pfn, 0, 0);
		return;
	}
	/* The guest's write, as the hardware does it: through the leaf. */
	u64 tag = next_tag++;
	memcpy((void *)(uintptr_t)hpa, &tag, sizeof(tag));
	pm[pfn].tag = tag;
	pm[pfn].wp = false;
	if (slot_dl[r])
		pm[pfn].dirty = true;
}

static void op_zap(u64 pfn, u64 n)
{
	bool shared = rnd() & 1;
	if (rnd() & 2)
		tdp_mmu_zap_leafs(mmu, pfn << PAGE_SHIFT, n << PAGE_SHIFT, shared, NULL);
	else
		tdp_mmu_zap_gpa_range(mmu, pfn << PAGE_SHIFT, n << PAGE_SHIFT, shared, NULL);
	for (u64 i = 0; i < n && pfn + i < SPACE_PAGES; i++) {
		u64 hpa;
		int level;
		bool w;
		pm[pfn + i].wp = false;
		if (leaf_of(pfn + i, &hpa, &level, &w))
			fail("zap left a leaf", pfn + i, hpa, 0);
	}
}

static void op_wrprot(u64 pfn, u64 n)
{
	tdp_mmu_write_protect_gpa_range(mmu, pfn << PAGE_SHIFT, n << PAGE_SHIFT);
	for (u64 i = 0; i < n && pfn + i < SPACE_PAGES; i++) {
		u64 hpa;
		int level;
		bool w;
		if (leaf_of(pfn + i, &hpa, &level, &w)) {
			pm[pfn + i].wp = true;
			if (w)
				fail("write protection left a writable leaf", pfn + i, hpa, 0);
		}
	}
}

static void protect_present(int r)
{
	u64 first = reg[r].gpa >> PAGE_SHIFT, n = reg[r].size >> PAGE_SHIFT;
	for (u64 i = 0; i < n; i++) {
		u64 hpa;
		int level;
		bool w;
		if (leaf_of(first + i, &hpa, &level, &w)) {
			pm[first + i].wp = true;
			if (w)
				fail("dirty logging left a writable leaf", first + i, hpa, 0);
		}
	}
}

static void op_slot(void)
{
	int r = (int)rnd_below(NREG);
	u64 first = reg[r].gpa >> PAGE_SHIFT, n = reg[r].size >> PAGE_SHIFT;
	if (slot_id[r] < 0) {
		unsigned fl = (rnd() & 1) ? MEMSLOT_HUGE : 0;
		if (r == 3 && rnd_below(3) == 0)
			fl |= MEMSLOT_READONLY;
		int id = tdp_memslot_add(mmu, reg[r].gpa, reg[r].size, fl);
		if (id < 0) {
			fail("memslot add", first, (u64)id, 0);
			return;
		}
		slot_id[r] = id;
		slot_flags[r] = fl;
		slot_dl[r] = false;
		reset_region(r);
		n_ops[10]++;
		return;
	}
	int op = (int)rnd_below(10);
	if (op < 3) {
		/* delete */
		if (tdp_memslot_delete(mmu, slot_id[r], NULL))
			fail("memslot delete", first, 0, 0);
		slot_id[r] = -1;
		slot_dl[r] = false;
		reset_region(r);
		check_range(first, n);
		n_ops[11]++;
	} else if (op < 5 && !slot_dl[r]) {
		if (tdp_dirty_log_enable(mmu, slot_id[r]))
			fail("dirty log enable", first, 0, 0);
		slot_dl[r] = true;
		for (u64 i = 0; i < n; i++)
			pm[first + i].dirty = false;
		protect_present(r);
		n_ops[12]++;
	} else if (op < 9 && slot_dl[r]) {
		u64 bm[MiB(8) / PAGE_SIZE / 64];
		s64 got = tdp_dirty_log_harvest(mmu, slot_id[r], bm);
		s64 want = 0;
		for (u64 i = 0; i < n; i++) {
			bool d = (bm[i / 64] >> (i % 64)) & 1;
			if (d != pm[first + i].dirty)
				fail("harvest bit differs from the model", first + i, d,
				     pm[first + i].dirty);
			want += pm[first + i].dirty;
			pm[first + i].dirty = false;
		}
		if (got != want)
			fail("harvest count", first, (u64)got, (u64)want);
		protect_present(r);
		n_ops[13]++;
	} else if (slot_dl[r]) {
		tdp_dirty_log_disable(mmu, slot_id[r]);
		slot_dl[r] = false;
		for (u64 i = 0; i < n; i++) {
			pm[first + i].wp = false;
			pm[first + i].dirty = false;
		}
		check_range(first, n);
		n_ops[14]++;
	}
}

static void create(void)
{
	mmu = tdp_mmu_create(fmt);
	for (int r = 0; r < NREG; r++) {
		slot_id[r] = -1;
		slot_dl[r] = false;
	}
	memset(pm, 0, sizeof(pm));
}

static void op_teardown(void)
{
	tdp_set_teardown_mode((enum tdp_teardown_mode)rnd_below(3));
	tdp_mmu_cache_free(&cache);
	tdp_mmu_quiescent(0); /* closes the deferred list */
	tdp_mmu_quiescent(0); /* and passes it: every deferred table page may go */
	tdp_mmu_destroy(mmu, NULL);
	if (pmm_free_count() != free0)
		fail("teardown lost pages", 0, pmm_free_count(), free0);
	create();
	n_ops[15]++;
}

static void run(const struct tdp_fmt *f, u64 seed, int steps)
{
	fmt = f;
	rng_state = seed ? seed : 1;
	failures = 0;
	memset(n_ops, 0, sizeof(n_ops));
	free0 = pmm_free_count();
	create();
	for (step = 0; step < steps; step++) {
#ifdef PAGODA_FUZZ
		if (fuzz_done)
			break;
#endif
		tdp_mmu_quiescent(0); /* a VM exit: lets deferred table pages go */
		u64 pfn = rnd_pfn(), n = 1 + rnd_below(rnd_below(4) ? 16 : 1200);
		u64 c = rnd_below(1000);
		if (c < 300) {
			op_read(pfn);
			n_ops[0]++;
			check_range(pfn, 1);
		} else if (c < 640) {
			op_write(pfn);
			n_ops[1]++;
			check_range(pfn, 1);
		} else if (c < 740) {
			op_zap(pfn, n);
			n_ops[2]++;
			check_range(pfn, n);
		} else if (c < 820) {
			op_wrprot(pfn, n);
			n_ops[3]++;
			check_range(pfn, n);
		} else if (c < 995) {
			op_slot();
		} else {
			op_teardown();
		}
		if (step % CHECK_ALL == 0)
			check_all();
		if (failures > 20)
			break;
	}
	check_all();
	struct tdp_mmu_stats st;
	tdp_mmu_get_stats(mmu, &st);
	diag("%s: read %llu write %llu zap %llu wrprot %llu add %llu delete %llu dl-on %llu "
	     "harvest %llu dl-off %llu teardown %llu; splits %llu dirty-faults %llu",
	     f->name, (unsigned long long)n_ops[0], (unsigned long long)n_ops[1],
	     (unsigned long long)n_ops[2], (unsigned long long)n_ops[3],
	     (unsigned long long)n_ops[10], (unsigned long long)n_ops[11],
	     (unsigned long long)n_ops[12], (unsigned long long)n_ops[13],
	     (unsigned long long)n_ops[14], (unsigned long long)n_ops[15],
	     (unsigned long long)st.splits, (unsigned long long)st.dirty_faults);
	tdp_mmu_cache_free(&cache);
	tdp_mmu_quiescent(0); /* closes the deferred list */
	tdp_mmu_quiescent(0); /* and passes it: every deferred table page may go */
	tdp_mmu_destroy(mmu, NULL);
	ok(failures == 0, "%s: %d steps agree with the model (seed %llu)", f->name, step,
	   (unsigned long long)seed);
	is_u64(pmm_free_count(), free0, "%s: free pages at the end == at the start", f->name);
#ifndef PAGODA_FUZZ /* a fuzzer's input may be too short to reach every kind */
	ok(n_ops[11] > 0 && n_ops[13] > 0 && n_ops[15] > 0 && n_ops[2] > 0,
	   "%s: the run exercised deletes, harvests, teardowns and zaps", f->name);
#endif
}

#ifdef PAGODA_FUZZ
/* One model run per input: its first byte picks the format (NPT or EPT). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool setup;
	if (!setup) {
		host_pmm_setup(MiB(64));
		tdp_mmu_quiescent(0);
		setup = true;
	}
	if (size < 1)
		return 0;
	fuzz_in = data + 1;
	fuzz_len = size - 1;
	fuzz_pos = 0;
	fuzz_done = false;
	run(data[0] & 1 ? &tdp_fmt_test_ept : &tdp_fmt_test_npt, 1, 400);
	if (tap_failed)
		abort();
	return 0;
}
#else
int main(int argc, char **argv)
{
	u64 seed = 20261125;
	int steps = 6000;
	const char *e = getenv("PAGODA_SEED");
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else if (e && *e)
		seed = strtoull(e, NULL, 0);
	e = getenv("PAGODA_STEPS");
	if (argc > 2)
		steps = atoi(argv[2]);
	else if (e && *e)
		steps = atoi(e);
	diag("seed %llu, %d steps per format (replay: PAGODA_SEED=%llu)", (unsigned long long)seed,
	     steps, (unsigned long long)seed);
	host_pmm_setup(MiB(192));
	tdp_mmu_quiescent(0);
	run(&tdp_fmt_test_npt, seed, steps);
	run(&tdp_fmt_test_ept, seed + 1, steps);
	return tap_done();
}
#endif
