/*
 * bench_tdp: benchmarks of the TDP MMU on the host (not a test: it asserts
 * nothing and is built -O2 without sanitizers; scripts/bench.sh runs it).
 *
 * 1. Teardown of sparse address spaces.  A memslot of 6 GiB, 64 GiB or
 *    1 TiB is touched at 0.1 %, 1 % or 10 % of its pages, either scattered
 *    (pages drawn uniformly at random) or clustered (whole 2 MiB frames at
 *    random places), one 4 KiB write fault per page; then destroyed, once
 *    per teardown mode (the same pattern is rebuilt for each mode).  Printed
 *    per mode: entries read (visited), entries written (changed), the time
 *    spent on the tables (tables_time_us, backing excluded: it is the same
 *    in every mode; best of 5 runs for cases under 50000 pages), and the
 *    ratios against NOSKIP measured in this run.
 *    Host RAM: backing is 4 KiB per touched page, tables 64 KiB per 15 (a
 *    chunk of 16 pages: tables + their summaries, mm/tdp_pt.h), plus the
 *    memslot's radix nodes (at most); a case whose estimate exceeds MEM_BUDGET is
 *    capped to fewer touched pages, and the table says so ("cap").
 *
 * 2. Fault throughput: pages installed per second in a 1 GiB slot with 1
 *    and 2 threads (each its own half, interleaved by 2 MiB), first touch
 *    (backing allocated and zeroed) and refault after a zap (backing kept:
 *    only the tables are built), alternating, three rounds, with the ratios
 *    of each round; then the same rounds with the pre-zeroed pool filled
 *    before each run, and the pool's hit / miss counts of each.
 *
 * 3. Destroy of the case: a 6 GiB guest that touched 1 page per
 *    2 MiB, the whole destroy timed in each mode.
 *
 * 4. Instruction counts ("icount", for scripts/bench.sh icount, which runs
 *    it under valgrind --tool=callgrind: counts are repeatable where times
 *    on a shared machine are not).  IC_N dense first-touch faults (every
 *    page of a region), IC_N sparse ones (one page per 2 MiB: each needs a
 *    new leaf table and a backing page, kept in the radix's level-2 entry:
 *    RADIX_SINGLE, mm/memslot.h), IC_N refaults
 *    of the dense region after a zap of its leaves, and the destroy of each
 *    guest in summary and skip mode, each in a function of its own
 *    (ic_*) whose inclusive cost callgrind reports; the script divides by
 *    IC_N (faults) or by the pages freed (destroy).  The pre-zeroed pools
 *    (pages, and blocks for tables and radix nodes) are filled first, as
 *    the VMM's idle loop does, so that the counts are those of the code and
 *    not of zeroing.
 *
 * Usage: bench_tdp [quick|faults|icount]   ("quick": only the 6 GiB teardown
 * cases, for a smoke run; "faults": only the fault throughput; "icount":
 * only 4.)
 */
#include "mm/pmm.h"
#include "mm/tdp_mmu.h"
#include "mm/tdp_pt.h"
#include "tests/host/host_env.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MEM_BUDGET GiB(3) + MiB(512)
#define PMM_SIZE GiB(4) + MiB(256)
#define MAX_PAGES (GiB(4) >> PAGE_SHIFT) /* size of pages[] */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static u64 rng = 0x9e3779b97f4a7c15ULL;
static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static u64 *pages;  /* gfns to touch */
static u64 npages;

static u64 count_distinct(int shift)
{
	/* pages[] is sorted: count changes of gfn >> shift */
	u64 n = 0, last = ~0ULL;
	for (u64 i = 0; i < npages; i++)
		if ((pages[i] >> shift) != last) {
			n++;
			last = pages[i] >> shift;
		}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return x < y ? -1 : x > y;
}

static u64 mem_estimate(void)
{
	u64 tables = 1 + count_distinct(27) + count_distinct(18) + count_distinct(9);
	u64 radix = count_distinct(9) + count_distinct(18) + 8; /* the memslot's radix nodes */
	/* Tables come in chunks of TDP_PT_CHUNK_PAGES pages holding TDP_PT_PER_CHUNK (mm/tdp_pt.h). */
	u64 table_pages = (tables + TDP_PT_PER_CHUNK - 1) / TDP_PT_PER_CHUNK * TDP_PT_CHUNK_PAGES;
	return npages * PAGE_SIZE + table_pages * PAGE_SIZE + radix * PAGE_SIZE;
}

/* Fill pages[] with WANT gfns of a SPACE-byte slot; returns true when capped. */
static bool make_pattern(u64 space, u64 want, bool clustered)
{
	u64 total = space >> PAGE_SHIFT;
	u64 *bm = calloc(total / 64 + 1, sizeof(u64));
	bool capped = false;
	if (want > MAX_PAGES) {
		want = MAX_PAGES;
		capped = true;
	}
	npages = 0;
	if (clustered) {
		u64 frames = total / 512, nf = (want + 511) / 512;
		for (u64 k = 0; k < nf; k++) {
			u64 f;
			do
				f = rnd() % frames;
			while (bm[f / 64] >> (f % 64) & 1);
			bm[f / 64] |= BIT(f % 64);
			for (u64 j = 0; j < 512; j++)
				pages[npages++] = f * 512 + j;
		}
	} else {
		while (npages < want) {
			u64 g = rnd() % total;
			if (bm[g / 64] >> (g % 64) & 1)
				continue;
			bm[g / 64] |= BIT(g % 64);
			pages[npages++] = g;
		}
	}
	free(bm);
	qsort(pages, npages, sizeof(u64), cmp_u64);
	while (mem_estimate() > (u64)(MEM_BUDGET)) {
		/* Keep a subset: drop every 8th page (every 8th frame, if clustered). */
		u64 w = 0, frame_no = 0;
		for (u64 i = 0; i < npages; i++) {
			if (i && pages[i] / 512 != pages[i - 1] / 512)
				frame_no++;
			if ((clustered ? frame_no : i) % 8 != 7)
				pages[w++] = pages[i];
		}
		npages = w;
		capped = true;
	}
	/* Fault in a shuffled order, as a guest would not go in address order. */
	for (u64 i = npages; i > 1; i--) {
		u64 j = rnd() % i, t = pages[i - 1];
		pages[i - 1] = pages[j];
		pages[j] = t;
	}
	return capped;
}

struct mode_result {
	u64 visited, changed, tables, tables_freed, pages_freed;
	double table_us, total_us;
};

static void build_and_destroy(u64 space, enum tdp_teardown_mode mode, struct mode_result *r)
{
	tdp_set_teardown_mode(mode);
	struct tdp_mmu *mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	struct tdp_mmu_cache c = { 0 };
	if (tdp_memslot_add(mmu, 0, space, 0) < 0) {
		fprintf(stderr, "memslot add failed\n");
		exit(2);
	}
	for (u64 i = 0; i < npages; i++) {
		tdp_mmu_cache_topup(&c);
		if (tdp_mmu_page_fault(mmu, &c, pages[i] << PAGE_SHIFT, TDP_ACC_WRITE) !=
		    TDP_FAULT_MAPPED) {
			fprintf(stderr, "fault failed (out of host memory?)\n");
			exit(2);
		}
	}
	tdp_mmu_cache_free(&c);
	struct tdp_teardown_stats ts;
	double t0 = now_s();
	tdp_mmu_destroy(mmu, &ts);
	r->total_us = (now_s() - t0) * 1e6;
	r->visited = ts.visited;
	r->changed = ts.changed;
	r->tables = ts.tables;
	r->tables_freed = ts.tables_freed;
	r->pages_freed = ts.pages_freed;
	r->table_us = (double)ts.tables_time_us;
}

static void teardown_bench(bool quick)
{
	static const u64 spaces[] = { GiB(6), GiB(64), GiB(1024) };
	static const char *space_name[] = { "6G", "64G", "1T" };
	static const double fracs[] = { 0.001, 0.01, 0.10 };
	static const char *frac_name[] = { "0.1%", "1%", "10%" };
	pages = malloc(MAX_PAGES * sizeof(u64));
	printf("Teardown of sparse address spaces (NPT format, 4 KiB leaves; times: table part of destroy)\n");
	printf("%-4s %-5s %-9s %8s %6s | %10s %10s %9s | %10s %10s %9s | %10s %10s %9s | %7s %7s %7s %7s\n",
	       "slot", "touch", "pattern", "pages", "tables", "noskip rd", "wr", "us",
	       "skip rd", "wr", "us", "summ rd", "wr", "us", "rd s/n", "rd S/n", "t s/n", "t S/n");
	for (int si = 0; si < (quick ? 1 : 3); si++) {
		for (int fi = 0; fi < 3; fi++) {
			for (int clustered = 0; clustered < 2; clustered++) {
				u64 want = (u64)((double)(spaces[si] >> PAGE_SHIFT) * fracs[fi]);
				bool capped = make_pattern(spaces[si], want, clustered);
				struct mode_result r[3];
				/* Small cases are quick to rebuild: best of 5 against timer noise. */
				int reps = npages < 50000 ? 5 : 1;
				for (int m = 0; m < 3; m++) {
					for (int k = 0; k < reps; k++) {
						struct mode_result x;
						build_and_destroy(spaces[si], (enum tdp_teardown_mode)m, &x);
						if (k == 0 || x.table_us < r[m].table_us)
							r[m] = x;
					}
				}
				bool same = r[0].tables_freed == r[1].tables_freed &&
					    r[1].tables_freed == r[2].tables_freed &&
					    r[0].pages_freed == r[1].pages_freed &&
					    r[1].pages_freed == r[2].pages_freed;
				char pat[16];
				snprintf(pat, sizeof(pat), "%s%s", clustered ? "cluster" : "scatter",
					 capped ? "*" : "");
				printf("%-4s %-5s %-9s %8llu %6llu | %10llu %10llu %9.0f | %10llu %10llu %9.0f | %10llu %10llu %9.0f | %7.4f %7.4f %7.3f %7.3f%s\n",
				       space_name[si], frac_name[fi], pat, (unsigned long long)npages,
				       (unsigned long long)r[0].tables,
				       (unsigned long long)r[0].visited, (unsigned long long)r[0].changed, r[0].table_us,
				       (unsigned long long)r[1].visited, (unsigned long long)r[1].changed, r[1].table_us,
				       (unsigned long long)r[2].visited, (unsigned long long)r[2].changed, r[2].table_us,
				       (double)r[1].visited / (double)r[0].visited,
				       (double)r[2].visited / (double)r[0].visited,
				       r[1].table_us / r[0].table_us, r[2].table_us / r[0].table_us,
				       same ? "" : "  MISMATCH in tables/pages freed!");
				fflush(stdout);
			}
		}
	}
	printf("rd = entries read, wr = entries written (frozen/changed); s/n, S/n = SKIP/NOSKIP and SUMMARY/NOSKIP.\n");
	printf("* = capped: touched pages reduced so that backing + tables stay under %.1f GiB of host RAM.\n",
	       (double)(u64)(MEM_BUDGET) / (double)GiB(1));
	free(pages);
}

/* ---- fault throughput ---- */

#define TP_SLOT GiB(1)
#define TP_REFAULT_PASSES 8 /* refault passes per measurement */
static struct tdp_mmu *tp_mmu;
static int tp_threads;
static pthread_barrier_t tp_bar;
static u64 tp_cpu_ns;       /* CPU time of the workers of the last tp_run */
static double tp_cpu_rate;  /* pages per CPU-second of the workers in the last tp_run */

static void *tp_worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	struct tdp_mmu_cache c = { 0 };
	tdp_mmu_quiescent(id);
	pthread_barrier_wait(&tp_bar);
	/* 2 MiB chunks, dealt round-robin to the threads. */
	for (u64 chunk = id; chunk < TP_SLOT / MiB(2); chunk += (u64)tp_threads) {
		for (u64 p = 0; p < 512; p++) {
			tdp_mmu_cache_topup(&c);
			tdp_mmu_page_fault(tp_mmu, &c, chunk * MiB(2) + p * PAGE_SIZE, TDP_ACC_WRITE);
		}
		tdp_mmu_quiescent(id);
	}
	tdp_mmu_cache_free(&c);
	tdp_mmu_cpu_offline(id);
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	__atomic_fetch_add(&tp_cpu_ns, (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec,
			   __ATOMIC_RELAXED);
	return NULL;
}

static double tp_run(int threads)
{
	pthread_t t[2];
	tp_threads = threads;
	pthread_barrier_init(&tp_bar, NULL, (unsigned)threads + 1);
	tp_cpu_ns = 0;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, tp_worker, (void *)(uintptr_t)i);
	pthread_barrier_wait(&tp_bar);
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double dt = now_s() - t0;
	pthread_barrier_destroy(&tp_bar);
	tp_cpu_rate = (double)(TP_SLOT >> PAGE_SHIFT) / ((double)tp_cpu_ns * 1e-9);
	return (double)(TP_SLOT >> PAGE_SHIFT) / dt;
}

/* One first-touch and one refault run with THREADS threads, into FIRST and AGAIN. */
static void tp_pair(int threads, double *first, double *again, double *cfirst, double *cagain)
{
	tdp_set_teardown_mode(TDP_TEARDOWN_SUMMARY);
	tp_mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	tdp_memslot_add(tp_mmu, 0, TP_SLOT, 0);
	struct tdp_mmu_stats st1, st2;
	*first = tp_run(threads);
	*cfirst = tp_cpu_rate;
	tdp_mmu_get_stats(tp_mmu, &st1);
	/* A refault pass takes ~20 ms, as short as the noise of a shared
	 * machine: the rate is that of TP_REFAULT_PASSES passes, each after a
	 * zap of every leaf, wall and CPU time summed over the passes. */
	double wall = 0, cpu = 0;
	for (int pass = 0; pass < TP_REFAULT_PASSES; pass++) {
		tdp_mmu_zap_gpa_range(tp_mmu, 0, TP_SLOT, false, NULL);
		wall += 1.0 / tp_run(threads);
		cpu += 1.0 / tp_cpu_rate;
	}
	*again = TP_REFAULT_PASSES / wall;
	*cagain = TP_REFAULT_PASSES / cpu;
	tdp_mmu_get_stats(tp_mmu, &st2);
	if (st1.leaves_4k != TP_SLOT >> PAGE_SHIFT || st2.leaves_4k != TP_SLOT >> PAGE_SHIFT)
		printf("warning: not every page was mapped (%llu, %llu leaves)\n",
		       (unsigned long long)st1.leaves_4k, (unsigned long long)st2.leaves_4k);
	tdp_mmu_destroy(tp_mmu, NULL);
}

/*
 * Three rounds of one 1-thread and one 2-thread pair, printed as a row
 * each and a mean; with POOL, the pre-zeroed pool is filled before every
 * run (as idle time would), so first touch takes pre-zeroed pages.
 */
static void tp_rounds(bool pool)
{
	printf("%-6s %12s %12s %12s %12s %7s %7s %8s %8s\n", "round", "1t first", "1t refault",
	       "2t first", "2t refault", "first x", "ref x", "eff 1st", "eff ref");
	struct pmm_zero_stats z0, z1;
	pmm_zero_stats(&z0);
	double m[4] = { 0 }, refill_ms = 0;
	u64 refilled = 0;
	for (int round = 1; round <= 3; round++) {
		double f[2], a[2], cf[2], ca[2];
		for (int threads = 1; threads <= 2; threads++) {
			if (pool) {
				double t0 = now_s();
				refilled += pmm_zero_pool_refill(~0ULL);
				refill_ms += (now_s() - t0) * 1e3;
			}
			tp_pair(threads, &f[threads - 1], &a[threads - 1], &cf[threads - 1],
				&ca[threads - 1]);
		}
		printf("%-6d %12.0f %12.0f %12.0f %12.0f %7.2f %7.2f %8.2f %8.2f\n", round, f[0], a[0],
		       f[1], a[1], f[1] / f[0], a[1] / a[0], cf[1] / cf[0], ca[1] / ca[0]);
		fflush(stdout);
		m[0] += f[1] / f[0];
		m[1] += a[1] / a[0];
		m[2] += cf[1] / cf[0];
		m[3] += ca[1] / ca[0];
	}
	printf("%-6s %12s %12s %12s %12s %7.2f %7.2f %8.2f %8.2f\n", "mean", "", "", "", "",
	       m[0] / 3, m[1] / 3, m[2] / 3, m[3] / 3);
	pmm_zero_stats(&z1);
	printf("  pre-zeroed hits %llu, zeroed on demand (misses) %llu",
	       (unsigned long long)(z1.hits - z0.hits), (unsigned long long)(z1.misses - z0.misses));
	if (pool)
		printf("; refills zeroed %llu pages in %.0f ms (untimed)", (unsigned long long)refilled,
		       refill_ms);
	printf("\n");
}

static void fault_bench(void)
{
	printf("\nFault throughput (1 GiB slot, 4 KiB write faults, pages installed per second)\n");
	printf("Runs alternate 1 and 2 threads.  \"x\": 2 threads / 1 thread of the same round, in\n"
	       "pages per second of wall time; \"cpu eff\": pages per CPU-second of the workers,\n"
	       "2 threads / 1 thread (1.00: a second thread costs each fault nothing; a shared\n"
	       "machine lowers x but hardly eff).\n");
	/* Warm-up, one run of each width: the host kernel's first touch of the
	 * pmm memory, and the first refill of each context's caches, are not
	 * ours to measure (without it, round 1's 1-thread first touch ran at
	 * a fifth of the others' rate and inflated its "x"). */
	for (int threads = 2; threads >= 1; threads--) {
		tp_mmu = tdp_mmu_create(&tdp_fmt_test_npt);
		tdp_memslot_add(tp_mmu, 0, TP_SLOT, 0);
		tp_run(threads);
		tdp_mmu_destroy(tp_mmu, NULL);
	}
	printf("\nZeroing on demand (the pool never refilled):\n");
	tp_rounds(false);

	printf("\nFrom the pre-zeroed pool, filled before each run:\n");
	pmm_zero_pool_set_target((TP_SLOT >> PAGE_SHIFT) + 4096);
	pmm_zero_block_pool_set_target((TP_SLOT >> 21) * 2 / TDP_PT_PER_CHUNK + 64);
	tp_rounds(true);
	pmm_zero_pool_set_target(0);
	pmm_zero_block_pool_set_target(PMM_ZERO_BLOCKS_DEFAULT);
	pmm_drain_caches();
}

/*
 * The destroy case: a 6 GiB guest that touched one page per 2 MiB
 * (3072 pages, each with its own leaf table), destroyed in
 * each teardown mode; the whole destroy is timed (tables, backing, radix),
 * best of 5.
 */
static void destroy_bench(void)
{
	const u64 space = GiB(6);
	printf("\nDestroy of a 6 GiB guest that touched 1 page per 2 MiB (%llu pages), whole destroy, best of 5\n",
	       (unsigned long long)(space / MiB(2)));
	printf("%-8s %12s %12s %12s\n", "mode", "total us", "tables us", "rest us");
	npages = 0;
	for (u64 f = 0; f < space / MiB(2); f++)
		pages[npages++] = f * 512 + (rnd() % 512);
	for (int m = 0; m < 3; m++) {
		struct mode_result best = { 0 };
		for (int k = 0; k < 5; k++) {
			struct mode_result x;
			build_and_destroy(space, (enum tdp_teardown_mode)m, &x);
			if (k == 0 || x.total_us < best.total_us)
				best = x;
		}
		printf("%-8s %12.0f %12.0f %12.0f\n", tdp_teardown_mode_name((enum tdp_teardown_mode)m),
		       best.total_us, best.table_us, best.total_us - best.table_us);
	}
}

/* ---- instruction counts (callgrind) ---- */

#define IC_N 4096 /* faults of each kind */

/* IC_N write faults on the pages GFN0, GFN0 + STRIDE, ... of MMU. */
static void ic_faults(struct tdp_mmu *mmu, struct tdp_mmu_cache *c, u64 gfn0, u64 stride)
{
	for (u64 i = 0; i < IC_N; i++) {
		tdp_mmu_cache_topup(c);
		if (tdp_mmu_page_fault(mmu, c, (gfn0 + i * stride) << PAGE_SHIFT, TDP_ACC_WRITE) !=
		    TDP_FAULT_MAPPED) {
			fprintf(stderr, "icount: fault failed\n");
			exit(2);
		}
	}
}

/* The measured steps: one function each, never inlined nor folded together
 * (noipa), so that callgrind names each. */
static __attribute__((noipa)) void ic_dense_faults(struct tdp_mmu *m, struct tdp_mmu_cache *c)
{
	ic_faults(m, c, 0, 1);
}
static __attribute__((noipa)) void ic_refaults(struct tdp_mmu *m, struct tdp_mmu_cache *c)
{
	ic_faults(m, c, 0, 1);
}
static __attribute__((noipa)) void ic_sparse_faults(struct tdp_mmu *m, struct tdp_mmu_cache *c)
{
	ic_faults(m, c, 7, 512);
}
static __attribute__((noipa)) void ic_destroy_dense_summary(struct tdp_mmu *m, struct tdp_teardown_stats *ts)
{
	tdp_mmu_destroy(m, ts);
}
static __attribute__((noipa)) void ic_destroy_dense_skip(struct tdp_mmu *m, struct tdp_teardown_stats *ts)
{
	tdp_mmu_destroy(m, ts);
}
static __attribute__((noipa)) void ic_destroy_sparse_summary(struct tdp_mmu *m, struct tdp_teardown_stats *ts)
{
	tdp_mmu_destroy(m, ts);
}
static __attribute__((noipa)) void ic_destroy_sparse_skip(struct tdp_mmu *m, struct tdp_teardown_stats *ts)
{
	tdp_mmu_destroy(m, ts);
}

/*
 * Section 4: two rounds (summary, then skip teardown), each building a
 * dense and a sparse guest; the faults are measured in the first round
 * only (the second builds the same guests through ic_faults directly).
 */
static void icount_bench(void)
{
	struct tdp_mmu_cache c = { 0 };
	struct tdp_teardown_stats ts;
	printf("icount: IC_N=%d\n", IC_N);
	for (int round = 0; round < 2; round++) {
		pmm_zero_pool_set_target(4 * IC_N + 4096);
		/* A leaf table per sparse fault, with room to spare. */
		pmm_zero_block_pool_set_target(2 * IC_N / TDP_PT_PER_CHUNK + 64);
		pmm_zero_pool_refill(~0ULL);
		tdp_set_teardown_mode(round ? TDP_TEARDOWN_SKIP : TDP_TEARDOWN_SUMMARY);
		struct tdp_mmu *dense = tdp_mmu_create(&tdp_fmt_test_npt);
		struct tdp_mmu *sparse = tdp_mmu_create(&tdp_fmt_test_npt);
		tdp_memslot_add(dense, 0, GiB(1), 0);
		tdp_memslot_add(sparse, 0, IC_N * MiB(2), 0);
		tdp_mmu_cache_topup(&c);
		/* The first fault of each guest builds the upper tables: not measured. */
		tdp_mmu_page_fault(dense, &c, GiB(1) - PAGE_SIZE, TDP_ACC_WRITE);
		tdp_mmu_page_fault(sparse, &c, 0, TDP_ACC_WRITE);
		if (!round) {
			ic_dense_faults(dense, &c);
			tdp_mmu_zap_leafs(dense, 0, GiB(1), false, NULL);
			ic_refaults(dense, &c);
			ic_sparse_faults(sparse, &c);
		} else {
			ic_faults(dense, &c, 0, 1);
			ic_faults(sparse, &c, 7, 512);
		}
		tdp_mmu_cache_free(&c);
		if (!round)
			ic_destroy_dense_summary(dense, &ts);
		else
			ic_destroy_dense_skip(dense, &ts);
		printf("icount: destroy dense %s pages_freed=%llu tables_freed=%llu\n",
		       round ? "skip" : "summary", (unsigned long long)ts.pages_freed,
		       (unsigned long long)ts.tables_freed);
		if (!round)
			ic_destroy_sparse_summary(sparse, &ts);
		else
			ic_destroy_sparse_skip(sparse, &ts);
		printf("icount: destroy sparse %s pages_freed=%llu tables_freed=%llu\n",
		       round ? "skip" : "summary", (unsigned long long)ts.pages_freed,
		       (unsigned long long)ts.tables_freed);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "icount")) {
		host_pmm_setup(MiB(256));
		icount_bench();
		return 0;
	}
	bool quick = argc > 1 && !strcmp(argv[1], "quick");
	u64 base = host_pmm_setup(PMM_SIZE);
	/* Have the host kernel back every page now (contents kept: pmm's headers
	 * are in there), so that its page faults and page clearing, which the
	 * VMM never pays, stay out of every figure below. */
	if (madvise((void *)(uintptr_t)base, PMM_SIZE, MADV_POPULATE_WRITE))
		perror("madvise(MADV_POPULATE_WRITE): host page faults will show in the figures");
	double t0 = now_s();
	bool faults_only = argc > 1 && !strcmp(argv[1], "faults");
	if (!faults_only) {
		teardown_bench(quick);
		pages = malloc(MAX_PAGES * sizeof(u64));
		destroy_bench();
		free(pages);
	}
	fault_bench();
	printf("\n(total %.1f s)\n", now_s() - t0);
	return 0;
}
