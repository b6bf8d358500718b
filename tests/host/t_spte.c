/* spte encoding for the NPT and EPT test formats. */
#include "mm/spte.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

static void check_fmt(const struct tdp_fmt *f)
{
	const char *n = f->name;
	u64 hpa = 0x0000123456789000ULL;
	is_u64(tdp_fmt_check(f), 0, "%s: format accepted", n);

	u64 l = spte_make_leaf(f, hpa, 1, true, true);
	ok(spte_is_mmu_present(l) && (l & f->present_mask), "%s: 4K leaf MMU- and hw-present", n);
	ok(spte_is_leaf(f, l, 1), "%s: level-1 entry is a leaf", n);
	is_u64(spte_addr(f, l), hpa, "%s: leaf address round-trips", n);
	ok((l & f->writable_mask) && spte_leaf_allows(f, l, 0x7), "%s: writable+exec leaf allows RWX", n);
	ok(!(l & f->large_mask), "%s: 4K leaf has no PS", n);
	ok(!spte_is_mmio(f, l), "%s: leaf is not MMIO", n);
	is_u64(l & f->memtype_leaf, f->memtype_leaf, "%s: leaf carries the memory type", n);

	u64 ro = spte_make_leaf(f, hpa, 1, false, false);
	ok(!(ro & f->writable_mask) && !spte_leaf_allows(f, ro, 0x2), "%s: read-only leaf refuses writes", n);
	ok(!spte_leaf_allows(f, ro, 0x4) && spte_leaf_allows(f, ro, 0x1), "%s: no-exec leaf refuses fetch, allows read", n);

	u64 big = spte_make_leaf(f, 0x40000000ULL, 2, true, true);
	ok((big & f->large_mask) && spte_is_leaf(f, big, 2), "%s: 2M leaf has PS and is a leaf", n);

	u64 nl = spte_make_nonleaf(f, 0x7000);
	ok(spte_is_mmu_present(nl) && !spte_is_leaf(f, nl, 2), "%s: non-leaf present, not a leaf", n);
	is_u64(nl & ~f->addr_mask & ~SPTE_MMU_PRESENT, f->nonleaf_bits, "%s: non-leaf bits", n);
	is_u64(spte_addr(f, nl), 0x7000, "%s: non-leaf address", n);

	u64 fr = SPTE_FROZEN;
	ok(!spte_is_mmu_present(fr) && !(fr & (f->present_mask | f->readable_mask |
						  f->writable_mask | f->exec_mask)),
	   "%s: FROZEN not present to the MMU nor the hardware", n);
	ok(!(fr & f->addr_mask), "%s: FROZEN has no address bits", n);
	ok(!spte_is_mmio(f, fr) && spte_is_frozen(fr), "%s: FROZEN is not MMIO", n);
	ok(!spte_is_mmio(f, 0) && !spte_is_frozen(0), "%s: zero entry neither MMIO nor FROZEN", n);

	for (u64 gen = 0; gen < 3000; gen += 999) {
		u64 m = spte_make_mmio(f, gen);
		ok(spte_is_mmio(f, m) && !spte_is_mmu_present(m) && !spte_is_frozen(m),
		   "%s: MMIO entry gen %llu recognised, not MMU-present", n, (unsigned long long)gen);
		ok(!spte_mmio_is_stale(f, m, gen) && spte_mmio_is_stale(f, m, gen + 1),
		   "%s: gen %llu current, gen+1 stale", n, (unsigned long long)gen);
		is_u64(spte_mmio_gen(f, m), gen & (f->mmio_gen_mask >> f->mmio_gen_shift),
		       "%s: MMIO gen read back", n);
	}
	struct tdp_fmt bad = *f;
	bad.writable_mask |= SPTE_MMU_PRESENT;
	ok(tdp_fmt_check(&bad) != 0, "%s: format using bit 11 rejected", n);
	bad = *f;
	bad.mmio_value = SPTE_FROZEN & bad.mmio_mask;
	ok(tdp_fmt_check(&bad) != 0, "%s: MMIO pattern matching FROZEN rejected", n);
}

int main(void)
{
	check_fmt(&tdp_fmt_test_npt);
	check_fmt(&tdp_fmt_test_ept);
	/* Format-specific hardware semantics. */
	u64 npt_mmio = spte_make_mmio(&tdp_fmt_test_npt, 5);
	ok((npt_mmio & 1) && (npt_mmio & 0x000f000000000000ULL) == 0x000f000000000000ULL,
	   "npt: MMIO entry is P=1 with reserved bits 51:48 (RSVD fault)");
	u64 ept_mmio = spte_make_mmio(&tdp_fmt_test_ept, 5);
	is_u64(ept_mmio & 7, 2, "ept: MMIO entry is W without R (misconfiguration)");
	u64 ept_leaf = spte_make_leaf(&tdp_fmt_test_ept, 0x1000, 1, true, true);
	is_u64((ept_leaf >> 3) & 7, 6, "ept: leaf memory type WB");
	u64 npt_leaf = spte_make_leaf(&tdp_fmt_test_npt, 0x1000, 1, true, false);
	ok((npt_leaf & BIT(63)) && (npt_leaf & BIT(2)), "npt: no-exec leaf sets NX, U set");
	return tap_done();
}
