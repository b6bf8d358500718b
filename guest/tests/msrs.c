/*
 * guest/tests/msrs.c -- the MSRs a guest OS owns under pagoda (vmm/msr.c):
 * each is written and read back, bad values raise #GP, the TSC follows a
 * write (and TSC_ADJUST moves with it, SDM 17.17.3), unknown MSRs #GP.
 *
 * Command line: "a" or "b" picks the pattern written, so two guests (or
 * two runs) can show that one's values never show through in the other:
 * every check first reads the reset value, then writes the pattern, then
 * reads it back after a busy wait (the other guest runs meanwhile).
 * LSTAR/STAR/CSTAR/SFMASK/KERNEL_GS_BASE do not exit: their non-canonical
 * #GP is the CPU's (QEMU's TCG does not check), so only the exiting FS
 * and GS bases are tried with a non-canonical value.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "msrs";

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_MTRRCAP 0xfe
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_PHYSMASK0 0x201
#define MSR_MTRR_FIX64K 0x250
#define MSR_MTRR_FIX4K_F8000 0x26f
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_PERF_GLOBAL_CTRL 0x38f
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_AMD_PERF_CTL0 0xc0010000
#define MSR_AMD_HWCR 0xc0010015
#define PAT_RESET 0x0007040600070406ULL
#define NONCANONICAL 0x8000000000000000ULL

/* WRMSR VAL to MSR: NO_EXCEPTION, or the vector raised. */
static int wrmsr_safe(u32 msr, u64 val)
{
	__asm__ volatile(ASM_SAFE("wrmsr")
			 :
			 : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
			 : "r11", "memory");
	return (int)exc_fixup.vector;
}

/* RDMSR of MSR, ~0 when it faulted (reported by the caller's check). */
static u64 rd(u32 msr)
{
	u64 v = ~0ULL;
	if (rdmsr_safe(msr, &v) != NO_EXCEPTION)
		return ~0ULL;
	return v;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* Spin a while, so that the other guest gets the CPU in between. */
static void busy(void)
{
	for (volatile unsigned i = 0; i < 2000000; i++)
		;
}

/* One MSR with its reset value, the value pattern "a" and "b" write. */
struct msr_case {
	u32 msr;
	const char *name;
	u64 reset;
	u64 a, b;
};

static const struct msr_case cases[] = {
	{MSR_STAR, "STAR", 0, 0x0023001000000000ULL, 0x001b000800000000ULL},
	{MSR_LSTAR, "LSTAR", 0, 0xffffffff81000000ULL, 0xffffffff82000000ULL},
	{MSR_SFMASK, "SFMASK", 0, 0x47700, 0x300},
	{MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", 0, 0xffff888000001000ULL, 0xffff888000002000ULL},
	{MSR_FS_BASE, "FS_BASE", 0, 0x7f0000001000ULL, 0x7f0000002000ULL},
	{MSR_GS_BASE, "GS_BASE", 0, 0x7f0000003000ULL, 0x7f0000004000ULL},
	{MSR_SYSENTER_CS, "SYSENTER_CS", 0, 0x10, 0x60},
	{MSR_SYSENTER_ESP, "SYSENTER_ESP", 0, 0xffffffff81234000ULL, 0x5000},
	{MSR_SYSENTER_EIP, "SYSENTER_EIP", 0, 0xffffffff81235000ULL, 0x6000},
	/* entry 5 (not used by the library's page tables) becomes WC / WT */
	{MSR_PAT, "PAT", PAT_RESET, 0x0007010600070406ULL, 0x0005040600070406ULL},
	{MSR_MTRR_DEF_TYPE, "MTRR_DEF_TYPE", 0x806, 0xc06, 0x800},
	{MSR_MTRR_FIX64K, "MTRR_FIX64K_00000", 0, 0x0606060606060606ULL, 0x0505050505050505ULL},
	{MSR_MTRR_FIX4K_F8000, "MTRR_FIX4K_F8000", 0, 0x0000000000000001ULL, 0x0404040404040404ULL},
	{MSR_MTRR_PHYSBASE0, "MTRR_PHYSBASE0", 0, 0x80000000ULL, 0xc0000001ULL},
	{MSR_MTRR_PHYSMASK0, "MTRR_PHYSMASK0", 0, 0xfc0000800ULL, 0xfe0000800ULL},
};

/* Reset value, pattern write, read back after a busy wait. */
static void check_owned(bool b)
{
	u64 got[ARRAY_SIZE(cases)];
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct msr_case *c = &cases[i];
		expect_eq(rd(c->msr), c->reset, "%s reads its reset value 0x%lx", c->name, c->reset);
		u64 v = b ? c->b : c->a;
		expect_eq((u64)wrmsr_safe(c->msr, v), NO_EXCEPTION, "WRMSR %s <- 0x%lx accepted",
			  c->name, v);
	}
	busy();
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
		got[i] = rd(cases[i].msr);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
		expect_eq(got[i], b ? cases[i].b : cases[i].a, "%s reads back what was written",
			  cases[i].name);
	wrmsr_safe(MSR_PAT, PAT_RESET);
	wrmsr_safe(MSR_FS_BASE, 0);
	wrmsr_safe(MSR_GS_BASE, 0);
}

/* One write that must raise #GP and leave the MSR as it was. */
static void check_gp(u32 msr, u64 val, const char *what)
{
	u64 before = rd(msr);
	expect_eq((u64)wrmsr_safe(msr, val), EXC_GP, "WRMSR 0x%x <- 0x%lx (%s) raises #GP", msr, val,
		  what);
	expect_eq(rd(msr), before, "0x%x unchanged after the refused write", msr);
}

static void check_refused(void)
{
	check_gp(MSR_PAT, 0x0007040600070402ULL, "PAT type 2 is reserved");
	check_gp(MSR_MTRR_DEF_TYPE, 0x806 | (1ULL << 12), "reserved bit 12");
	check_gp(MSR_MTRR_DEF_TYPE, 0x803, "type 3 is reserved");
	check_gp(MSR_MTRR_PHYSBASE0 + 2, 0x80000002ULL, "PHYSBASE type 2");
	check_gp(MSR_MTRR_PHYSMASK0 + 2, 0x800 | 0x1, "PHYSMASK reserved bit 0");
	check_gp(MSR_MTRR_FIX64K + 0, 0x0202020202020202ULL, "fixed-range type 2");
	check_gp(MSR_FS_BASE, NONCANONICAL, "non-canonical base");
	check_gp(MSR_GS_BASE, NONCANONICAL, "non-canonical base");
	check_gp(MSR_SYSENTER_CS, 1ULL << 32, "bits 63:32");
	check_gp(MSR_MISC_ENABLE, rd(MSR_MISC_ENABLE) | (1ULL << 22), "limit-CPUID bit");
	expect_eq(rd(MSR_MTRRCAP), 0x508, "MTRRcap: 8 variable ranges, fixed ranges, WC");
	u64 misc = rd(MSR_MISC_ENABLE);
	expect(misc & 1, "MISC_ENABLE: fast strings set (0x%lx)", misc);
	expect_eq((u64)wrmsr_safe(MSR_MISC_ENABLE, misc), NO_EXCEPTION,
		  "MISC_ENABLE: writing back its own value is accepted");
	u64 v;
	expect_eq((u64)rdmsr_safe(0x1234, &v), EXC_GP, "RDMSR of an unknown MSR raises #GP");
	expect_eq((u64)wrmsr_safe(0x1234, 0), EXC_GP, "WRMSR of an unknown MSR raises #GP");
	expect_eq((u64)rdmsr_safe(MSR_PERF_GLOBAL_CTRL, &v), EXC_GP,
		  "PERF_GLOBAL_CTRL raises #GP (CPUID 0xA: no PMU)");
}

/* The TSC after a write is what was written plus the time since, and
 * TSC_ADJUST (when CPUID 7.0:EBX[1] has it) moves by the same amount. */
static void check_tsc(void)
{
	u32 r[4];
	cpuid(7, 0, r);
	bool adjust = r[1] & (1u << 1);
	u64 adj0 = adjust ? rd(MSR_TSC_ADJUST) : 0;
	u64 t0 = rdtsc();
	u64 target = 1ULL << 50;
	expect_eq((u64)wrmsr_safe(MSR_TSC, target), NO_EXCEPTION, "WRMSR TSC <- 2^50 accepted");
	u64 m = rd(MSR_TSC), t = rdtsc();
	expect(m >= target && m - target < (1ULL << 36),
	       "RDMSR TSC right after the write: 0x%lx, just above 2^50", m);
	expect(t >= m && t - m < (1ULL << 36), "RDTSC follows the written TSC: 0x%lx", t);
	if (!adjust) {
		skip("CPUID 7.0:EBX[1] clear", "TSC_ADJUST moves with the TSC");
		expect_eq((u64)rdmsr_safe(MSR_TSC_ADJUST, &m), EXC_GP,
			  "TSC_ADJUST raises #GP when CPUID hides it");
		return;
	}
	u64 adj1 = rd(MSR_TSC_ADJUST);
	u64 delta = adj1 - adj0, expect_delta = target - t0;
	expect(delta - expect_delta + (1ULL << 36) < (1ULL << 37),
	       "TSC_ADJUST moved by the TSC write's delta (0x%lx, about 0x%lx)", delta, expect_delta);
	expect_eq((u64)wrmsr_safe(MSR_TSC_ADJUST, adj1 + (1ULL << 48)), NO_EXCEPTION,
		  "WRMSR TSC_ADJUST accepted");
	t = rdtsc();
	expect(t >= target + (1ULL << 48) && t - target - (1ULL << 48) < (1ULL << 37),
	       "TSC moved with TSC_ADJUST: 0x%lx", t);
}

/* AMD's HWCR and performance counters (only on an AMD CPU). */
static void check_amd(void)
{
	u32 r[4];
	cpuid(0, 0, r);
	if (memcmp(&r[1], "Auth", 4)) {
		skip("not AMD", "HWCR and the legacy performance counters");
		expect_eq((u64)rdmsr_safe(MSR_AMD_HWCR, &(u64){0}), EXC_GP,
			  "HWCR raises #GP on an Intel CPU");
		return;
	}
	u64 v = ~0ULL;
	int e = rdmsr_safe(MSR_AMD_HWCR, &v);
	expect_eq((u64)e, NO_EXCEPTION, "HWCR readable (0x%lx)", v);
	expect_eq((u64)wrmsr_safe(MSR_AMD_PERF_CTL0, 0x430076), NO_EXCEPTION,
		  "PERF_CTL0 write accepted");
	expect_eq(rd(MSR_AMD_PERF_CTL0), 0, "PERF_CTL0 reads 0 (no counters behind it)");
}

/* The MSRs pagoda gives fixed values (Linux reads them at boot whatever
 * CPUID says): the microcode revision 0x8b, MCG_CAP 0x179 and, on AMD,
 * 0xc0010055 (no C1E on halt) and DE_CFG 0xc0011029 (LFENCE serializing).
 * A write that would change what they read raises #GP. */
static void check_fixed(void)
{
	u32 r[4];
	cpuid(0, 0, r);
	bool amd = !memcmp(&r[1], "Auth", 4);
	expect_eq(rd(0x8b), 0, "microcode revision (0x8b) reads 0");
	if (amd)
		expect_eq((u64)wrmsr_safe(0x8b, 0), EXC_GP, "AMD PATCH_LEVEL (0x8b) is read-only");
	else
		expect_eq((u64)wrmsr_safe(0x8b, 0), NO_EXCEPTION, "IA32_BIOS_SIGN_ID <- 0 accepted");
	check_gp(0x8b, 1ULL << 32, "a revision of 1");
	expect_eq(rd(0x179), 0, "MCG_CAP (0x179) reads 0: no banks");
	check_gp(0x179, 0, "MCG_CAP is read-only");
	if (!amd) {
		skip("not AMD", "0xc0010055 and DE_CFG");
		return;
	}
	expect_eq(rd(0xc0010055), 0, "0xc0010055 reads 0 (no SMI or C1E on halt)");
	check_gp(0xc0010055, 1ULL << 28, "C1eOnCmpHalt");
	expect_eq(rd(0xc0011029) & 2, 2, "DE_CFG reads LFENCE serializing");
	expect_eq((u64)wrmsr_safe(0xc0011029, rd(0xc0011029)), NO_EXCEPTION,
		  "DE_CFG <- the value it reads accepted");
	check_gp(0xc0011029, 0, "DE_CFG clearing LFENCE serializing");
}

void main(const char *cmdline)
{
	bool b = cmdline_has(cmdline, "b");
	diag("pattern %s", b ? "b" : "a");
	check_owned(b);
	check_refused();
	check_tsc();
	check_amd();
	check_fixed();
}
