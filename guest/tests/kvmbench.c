/*
 * guest/tests/kvmbench.c -- the timed guest of `make bench-kvm`
 * (scripts/bench-kvm.sh): the same bytes run under pagoda (image=
 * kvmbench.elf) and under Linux KVM (bench/kvm/kvmrun.c, which loads this
 * ELF as a Multiboot loader would).  It uses nothing that differs between
 * the two: the UART at 0x3f8 for its output, the debug-exit port 0xf4 and
 * CLI;HLT to end (report.c), CPUID and memory writes as the timed work; no
 * hypercall (KVM's VMMCALL handler returns an error instead of exiting).
 *
 * What it times, in TSC cycles read by the guest (RDTSC, LFENCE-fenced):
 *   calib   a loop of CALIB_CHUNK dependent decrements, no exit at all,
 *           median of CALIB_CHUNKS: the emulator's own speed, to tell its
 *           speed modes apart (a median of short runs, so that the host
 *           preempting the emulator now and then does not count)
 *   cpuid   one CPUID (leaf 0) round trip through the hypervisor, median
 *           of CPUID_RUNS
 *   sparse  the first write to one page in every 2 MiB from SPARSE_START
 *           to the end of RAM (a 6 GiB guest: ~3000 nested page faults),
 *           median per page
 *   dense   the first write to every 4 KiB page of DENSE_BYTES at
 *           DENSE_START, median per page
 * and prints them on one line "kvmbench: calib=N cpuid=N sparse=N
 * sparse_pages=N dense=N dense_pages=N", then checks that every page kept
 * what was written.  Command line "small": only 8 MiB dense, the sparse
 * pages below 512 MiB and CALIB_CHUNKS_SMALL calibration run (a quick run in a small
 * guest, e.g. on an emulated KVM where the plain loop is slow).
 */
#include "guest/lib/guest.h"

const char guest_name[] = "kvmbench";

#define CALIB_CHUNK 100000UL    /* loop iterations timed at a time */
#define CALIB_CHUNKS 200
#define CALIB_CHUNKS_SMALL 1
#define CPUID_RUNS 2000
#define DENSE_START (64UL << 20)
#define DENSE_BYTES (64UL << 20)
#define DENSE_BYTES_SMALL (8UL << 20)
#define SPARSE_START (128UL << 20)
#define SPARSE_STRIDE (2UL << 20)
#define SPARSE_END_SMALL (512UL << 20)
#define PAGE 4096UL
#define GIB (1UL << 30)
#define HIGH_GIB_MAX 4          /* RAM mapped here: [4 GiB, 8 GiB) at most */
#define MBI_FLAG_MEM (1u << 0)  /* Multiboot info: mem_lower/mem_upper valid (3.3) */
#define PTE_P (1UL << 0)
#define PTE_RW (1UL << 1)
#define PTE_PS (1UL << 7)      /* in a PD entry: a 2 MiB page */
#define PTE_ADDR 0x000ffffffffff000UL
#define PATTERN 0x6b766d62656e6368UL /* "kvmbench" */

/* Page directories for guest-physical [4 GiB, 8 GiB), identity-mapped by
 * 2 MiB pages (entry.asm maps only the low 4 GiB). */
static u64 high_pds[HIGH_GIB_MAX][512] __attribute__((aligned(4096)));
/* One TSC delta per sample of the segment running now. */
static u64 samples[(DENSE_BYTES / PAGE) > CPUID_RUNS ? (DENSE_BYTES / PAGE) : CPUID_RUNS];
_Static_assert(CALIB_CHUNKS <= CPUID_RUNS && CPUID_RUNS <= DENSE_BYTES / PAGE,
	       "the calibration and CPUID samples fit the sample array");

/* The TSC, with LFENCE on both sides so that the timed instructions
 * neither start before nor finish after it (AMD APM vol. 3 RDTSC). */
static inline u64 tsc(void)
{
	u32 lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

/* The median of A[0..N) (N > 0), found by quickselect: A is reordered. */
static u64 median(u64 *a, unsigned n)
{
	unsigned k = n / 2, lo = 0, hi = n - 1;
	while (lo < hi) {
		u64 pivot = a[lo + (hi - lo) / 2];
		unsigned i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				u64 t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* End of RAM from the Multiboot info's mem_upper (KiB above 1 MiB); 0 when
 * the loader gave none. */
static u64 ram_end(u32 mb_info_addr)
{
	const u32 *mbi = (const u32 *)(uintptr_t)mb_info_addr;
	if (!mbi || !(mbi[0] & MBI_FLAG_MEM))
		return 0;
	return (1UL << 20) + (u64)mbi[2] * 1024;
}

/* Identity-map [4 GiB, END) (END <= 8 GiB) with 2 MiB pages: PDPT entries
 * 4.. of the PML4's first PDPT (the one entry.asm built) point at
 * high_pds; then reload CR3.  Assumes identity-mapped low memory, so that
 * table addresses are usable as pointers. */
static void map_high(u64 end)
{
	u64 cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	u64 *pml4 = (u64 *)(uintptr_t)(cr3 & PTE_ADDR);
	u64 *pdpt = (u64 *)(uintptr_t)(pml4[0] & PTE_ADDR);
	for (u64 g = 4; g < 4 + HIGH_GIB_MAX && g * GIB < end; g++) {
		u64 *pd = high_pds[g - 4];
		for (u64 i = 0; i < 512; i++)
			pd[i] = (g * GIB + (i << 21)) | PTE_P | PTE_RW | PTE_PS;
		pdpt[g] = (u64)(uintptr_t)pd | PTE_P | PTE_RW;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

/* Median TSC cycles of CALIB_CHUNK iterations of a dependent decrement
 * loop, over CHUNKS runs (CHUNKS <= CALIB_CHUNKS, which fits samples). */
static u64 time_calib(unsigned chunks)
{
	for (unsigned i = 0; i < chunks; i++) {
		u64 n = CALIB_CHUNK, t0 = tsc();
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
		samples[i] = tsc() - t0;
	}
	return median(samples, chunks);
}

/* Median TSC cycles of one CPUID (leaf 0) over CPUID_RUNS. */
static u64 time_cpuid(void)
{
	u32 r[4];
	for (unsigned i = 0; i < CPUID_RUNS; i++) {
		u64 t0 = tsc();
		cpuid(0, 0, r);
		samples[i] = tsc() - t0;
	}
	return median(samples, CPUID_RUNS);
}

/* First writes of PATTERN^address to the pages at FROM, FROM + STRIDE, ...
 * below TO; *N = how many.  Returns the median cycles per write. */
static u64 time_touch(u64 from, u64 to, u64 stride, unsigned *n)
{
	unsigned k = 0;
	for (u64 a = from; a < to && k < sizeof(samples) / sizeof(samples[0]); a += stride) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)a;
		u64 t0 = tsc();
		*p = PATTERN ^ a;
		samples[k++] = tsc() - t0;
	}
	*n = k;
	return k ? median(samples, k) : 0;
}

/* How many of the pages written by time_touch(FROM, TO, STRIDE) lost
 * their value. */
static unsigned count_lost(u64 from, u64 to, u64 stride, unsigned n)
{
	unsigned lost = 0, k = 0;
	for (u64 a = from; a < to && k < n; a += stride, k++)
		lost += *(volatile u64 *)(uintptr_t)a != (PATTERN ^ a);
	return lost;
}

/* The four timed segments, one result line, then the checks. */
void main(const char *cmdline)
{
	extern u32 kvmbench_mb_info;
	bool small = cmdline_has(cmdline, "small");
	u64 end = ram_end(kvmbench_mb_info);
	u64 dense = small ? DENSE_BYTES_SMALL : DENSE_BYTES;
	if (end > (4 + HIGH_GIB_MAX) * GIB)
		end = (4 + HIGH_GIB_MAX) * GIB;
	if (small && end > SPARSE_END_SMALL)
		end = SPARSE_END_SMALL;
	if (end < SPARSE_START + SPARSE_STRIDE)
		report_abort("kvmbench: needs more than %lu MiB of RAM (has %lu MiB)",
			     (SPARSE_START + SPARSE_STRIDE) >> 20, end >> 20);
	map_high(end);
	/* CR0.WP (bit 16) set, as an OS runs: with WP clear in the guest and
	 * set in the host, QEMU's TCG sees a CR0 change at every VMRUN and
	 * #VMEXIT and flushes its TLB once more each way, on both sides. */
	u64 cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | (1ULL << 16)) : "memory");

	u64 calib = time_calib(small ? CALIB_CHUNKS_SMALL : CALIB_CHUNKS);
	u64 cpuid = time_cpuid();
	unsigned n_sparse, n_dense;
	u64 sparse = time_touch(SPARSE_START, end, SPARSE_STRIDE, &n_sparse);
	u64 dense_med = time_touch(DENSE_START, DENSE_START + dense, PAGE, &n_dense);
	printf("kvmbench: calib=%lu cpuid=%lu sparse=%lu sparse_pages=%u dense=%lu dense_pages=%u\n",
	       calib, cpuid, sparse, n_sparse, dense_med, n_dense);

	expect_eq(count_lost(SPARSE_START, end, SPARSE_STRIDE, n_sparse), 0,
		  "%u sparse pages (1 per 2 MiB up to %lu MiB) keep what was written", n_sparse,
		  end >> 20);
	expect_eq(count_lost(DENSE_START, DENSE_START + dense, PAGE, n_dense), 0,
		  "%u dense pages keep what was written", n_dense);
	expect(calib > 0 && cpuid > 0 && sparse > 0 && dense_med > 0, "every segment took time");
}
