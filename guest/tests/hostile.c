/*
 * guest/tests/hostile.c -- a guest that does what a hostile guest would,
 * and checks pagoda answers as a CPU without the feature would.
 *
 * Command line (blank-separated scenarios, any order):
 *   insns     MONITOR and MWAIT raise #UD, RDPMC raises #GP; CPUID hides
 *             MONITOR (1:ECX[3]), PKU/OSPKE (7.0:ECX[3,4]), XSAVE/OSXSAVE,
 *             the speculation controls (7.0:EDX, SPEC_CTRL is #GP) and
 *             leaf 0xA; setting CR4.OSXSAVE or CR4.PKE raises #GP while
 *             an allowed CR4 write (PGE off and on again, once through RAX
 *             and once through R8) goes through and reads back.
 *   dbsteps   single-steps 1000 instructions with RFLAGS.TF: each #DB (the
 *             SVM backend intercepts #DB, vmm/ reflects it) reaches this
 *             guest's handler once, with DR6.BS set.
 *   msrs=T    (T = 1..9) the guest-owned MSRs: KERNEL_GS_BASE, STAR, LSTAR,
 *             CSTAR, SFMASK read 0 at start (no other guest's values) and
 *             TSC_AUX reads 0 (the vCPU id), RDTSCP's ECX too; then values
 *             derived from T are written, read back, and still read back
 *             after a spin during which other guests may run; a TSC_AUX
 *             with bits 63:32 set is #GP (the other five do not exit: their
 *             checks are the CPU's, which QEMU's TCG does not make).
 *   dr7       DR7 reads 0x400 (its reset value, not another guest's) and
 *             a write of 0x401 (L0: an execution breakpoint at DR0 = 0,
 *             never reached) reads back after a VM exit (VMX without the
 *             debug controls resets DR7 at every exit and enters with the
 *             host's); it is left armed at exit, so a guest created next
 *             sees whether DR7 leaked.
 *   dbloop    single-steps forever: every instruction is a #DB, which on SVM
 *             is one VM exit each.  The test asserts the VMM stays
 *             responsive (another guest completes, destroy works).
 */
#include "guest/lib/guest.h"

const char guest_name[] = "hostile";

#define RFLAGS_TF (1ULL << 8)
#define DR6_BS (1ULL << 14)
#define CR4_PGE (1ULL << 7)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE (1ULL << 22)
#define DB_STEPS 1000

static volatile u64 db_hits, db_bs, db_limit;

static u64 read_cr4(void)
{
	u64 v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* MOV to CR4 from RAX under a fixup: NO_EXCEPTION or the vector. */
static int write_cr4_safe(u64 v)
{
	__asm__ volatile(ASM_SAFE("mov %%rax, %%cr4") : : "a"(v) : "r11", "memory");
	return (int)exc_fixup.vector;
}

/* The same through R8 (a REX-prefixed MOV, which the SVM backend decodes
 * itself where the CPU has no decode assists). */
static int write_cr4_r8_safe(u64 v)
{
	register u64 r8 __asm__("r8") = v;
	__asm__ volatile(ASM_SAFE("mov %%r8, %%cr4") : : "r"(r8) : "r11", "memory");
	return (int)exc_fixup.vector;
}

static int monitor_safe(void)
{
	static u64 line;
	__asm__ volatile(ASM_SAFE("monitor") : : "a"(&line), "c"(0), "d"(0) : "r11", "memory");
	return (int)exc_fixup.vector;
}

static int mwait_safe(void)
{
	__asm__ volatile(ASM_SAFE("mwait") : : "a"(0), "c"(0) : "r11", "memory");
	return (int)exc_fixup.vector;
}

static int rdpmc_safe(void)
{
	__asm__ volatile(ASM_SAFE("rdpmc") : : "c"(0) : "r11", "rax", "rdx", "memory");
	return (int)exc_fixup.vector;
}

static void check_insns(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	expect(!(r[2] & (1u << 3)), "CPUID.1:ECX MONITOR hidden (ecx 0x%x)", r[2]);
	expect(!(r[2] & (3u << 26)), "CPUID.1:ECX XSAVE and OSXSAVE hidden (ecx 0x%x)", r[2]);
	cpuid(7, 0, r);
	expect(!(r[2] & (3u << 3)), "CPUID.7.0:ECX PKU and OSPKE hidden (ecx 0x%x)", r[2]);
	u32 edx7 = r[3];
	expect(!(edx7 & (1u << 28 | 1u << 29)),
	       "CPUID.7.0:EDX L1D_FLUSH and ARCH_CAPABILITIES hidden (edx 0x%x)", edx7);
	cpuid(0x80000000, 0, r);
	u32 amd_ebx = 0;
	if (r[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		amd_ebx = r[1];
	}
	/* SPEC_CTRL is the guest's where CPUID offers it (IBRS/STIBP/SSBD bits
	 * of either vendor), else RDMSR is #GP: CPUID and the MSR agree. */
	bool offered = (edx7 & (1u << 26 | 1u << 27 | 1u << 31)) ||
		       (amd_ebx & (1u << 14 | 1u << 15 | 1u << 24));
	u64 v;
	expect_eq((u64)rdmsr_safe(0x48, &v), offered ? (u64)NO_EXCEPTION : (u64)EXC_GP,
		  "RDMSR SPEC_CTRL %s, as CPUID says", offered ? "answers" : "raises #GP");
	cpuid(0xa, 0, r);
	expect(!r[0] && !r[1] && !r[2] && !r[3], "CPUID leaf 0xA (performance monitoring) is zero");
	expect_eq((u64)monitor_safe(), EXC_UD, "MONITOR raises #UD");
	expect_eq((u64)mwait_safe(), EXC_UD, "MWAIT raises #UD");
	expect_eq((u64)rdpmc_safe(), EXC_GP, "RDPMC raises #GP");

	u64 cr4 = read_cr4();
	expect_eq((u64)write_cr4_safe(cr4 | CR4_OSXSAVE), EXC_GP, "setting CR4.OSXSAVE raises #GP");
	expect_eq((u64)write_cr4_safe(cr4 | CR4_PKE), EXC_GP, "setting CR4.PKE raises #GP");
	expect_eq(read_cr4(), cr4, "CR4 unchanged by the refused writes");
	int e1 = write_cr4_safe(cr4 ^ CR4_PGE);
	u64 mid = read_cr4();
	int e2 = write_cr4_r8_safe(cr4);
	expect(e1 == NO_EXCEPTION && e2 == NO_EXCEPTION && mid == (cr4 ^ CR4_PGE) &&
		       read_cr4() == cr4,
	       "allowed CR4 writes (PGE toggled through RAX, back through R8) go through "
	       "(vectors %d %d, cr4 0x%lx -> 0x%lx)", e1, e2, cr4, mid);
}

/* #DB: count it, note DR6.BS, clear DR6 (the handler's job); stop
 * single-stepping once the limit is reached (0: never). */
static void on_db(struct exc_frame *f)
{
	u64 dr6;
	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	if (dr6 & DR6_BS)
		db_bs++;
	__asm__ volatile("mov %0, %%db6" : : "r"(0xffff0ff0ULL));
	db_hits++;
	if (db_limit && db_hits >= db_limit)
		f->rflags &= ~RFLAGS_TF;
}

/* Set RFLAGS.TF, then spin; every instruction after the POPF traps. */
static void single_step(void)
{
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "2:\tmovq db_hits(%%rip), %%rax\n\t"
			 "cmpq db_limit(%%rip), %%rax\n\t"
			 "jb 2b"
			 :
			 :
			 : "rax", "memory", "cc");
}

static void check_dbsteps(void)
{
	db_hits = db_bs = 0;
	exc_set_handler(EXC_DB, on_db);
	db_limit = DB_STEPS;
	single_step();
	exc_set_handler(EXC_DB, NULL);
	expect_eq(db_hits, DB_STEPS, "single-stepping: %u #DB delivered to the guest", DB_STEPS);
	expect_eq(db_bs, DB_STEPS, "every #DB with DR6.BS set");
}

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

static const struct {
	u32 msr;
	const char *name;
} owned[] = {{MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE"}, {MSR_STAR, "STAR"}, {MSR_LSTAR, "LSTAR"},
	     {MSR_CSTAR, "CSTAR"}, {MSR_SFMASK, "SFMASK"}, {MSR_TSC_AUX, "TSC_AUX"}};

/* WRMSR VAL to MSR under a fixup: NO_EXCEPTION or the vector. */
static int wrmsr_safe(u32 msr, u64 val)
{
	__asm__ volatile(ASM_SAFE("wrmsr")
			 :
			 : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
			 : "r11", "memory");
	return (int)exc_fixup.vector;
}

/* The value guest T writes to owned[I]: canonical addresses for the three
 * that hold one, 32 bits for SFMASK and TSC_AUX. */
static u64 owned_value(unsigned t, unsigned i)
{
	switch (owned[i].msr) {
	case MSR_SFMASK: return 0x4700 | t;
	case MSR_TSC_AUX: return 0x100 + t;
	case MSR_STAR: return 0x0023001000000000ULL | t;
	}
	return 0x00007f0000000000ULL | ((u64)t << 16) | i;
}

/* RDTSCP's ECX (IA32_TSC_AUX). */
static u32 rdtscp_aux(void)
{
	u32 lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

/* Read every owned MSR and compare with WANT(i) (T = 0: all zero but
 * TSC_AUX, the vCPU id 0).  Returns the number that differ, logging them. */
static unsigned owned_mismatches(unsigned t, bool rdtscp)
{
	unsigned bad = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(owned); i++) {
		u64 v = ~0ULL, want = t ? owned_value(t, i) : 0;
		int e = rdmsr_safe(owned[i].msr, &v);
		if (e != NO_EXCEPTION || v != want) {
			diag("%s: vector %d, 0x%lx, want 0x%lx", owned[i].name, e, v, want);
			bad++;
		}
	}
	u32 want_aux = t ? (u32)owned_value(t, ARRAY_SIZE(owned) - 1) : 0;
	if (rdtscp && rdtscp_aux() != want_aux) {
		diag("RDTSCP ECX 0x%x, want 0x%x", rdtscp_aux(), want_aux);
		bad++;
	}
	return bad;
}

static void check_msrs(unsigned t)
{
	u32 r[4];
	cpuid(0x80000001, 0, r);
	bool rdtscp = r[3] & (1u << 27);
	diag("msrs: tag %u, RDTSCP %s", t, rdtscp ? "present" : "absent");
	expect_eq(owned_mismatches(0, rdtscp), 0,
		  "guest-owned MSRs readable, 0 at start (TSC_AUX: vCPU id 0), RDTSCP agrees");
	unsigned werr = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(owned); i++)
		werr += wrmsr_safe(owned[i].msr, owned_value(t, i)) != NO_EXCEPTION;
	expect_eq(werr, 0, "guest-owned MSRs writable");
	expect_eq(owned_mismatches(t, rdtscp), 0, "own values read back (RDTSCP too)");
	for (volatile u32 i = 0; i < 3000000; i++)
		;
	expect_eq(owned_mismatches(t, rdtscp), 0, "own values still read back after a spin");
	expect_eq((u64)wrmsr_safe(MSR_TSC_AUX, 1ULL << 32), EXC_GP,
		  "TSC_AUX write with bits 63:32 set raises #GP");
}

static void check_dr7(void)
{
	u64 dr7;
	__asm__ volatile("mov %%db7, %0" : "=r"(dr7));
	expect_eq(dr7, 0x400, "DR7 starts at its reset value 0x400");
	__asm__ volatile("mov %0, %%db0\n\tmov %1, %%db7" : : "r"(0ULL), "r"(0x401ULL) : "memory");
	u32 r[4];
	cpuid(0, 0, r); /* a VM exit between the write and the read */
	__asm__ volatile("mov %%db7, %0" : "=r"(dr7));
	expect_eq(dr7, 0x401, "DR7 write (L0, breakpoint at 0) survives a VM exit");
}

static __noreturn void dbloop(void)
{
	db_hits = 0;
	exc_set_handler(EXC_DB, on_db);
	diag("dbloop: single-stepping forever");
	db_limit = 0;
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "1:\tjmp 1b" ::: "memory", "cc");
	__builtin_unreachable();
}

void main(const char *cmdline)
{
	if (cmdline_has(cmdline, "insns"))
		check_insns();
	for (unsigned t = 1; t <= 9; t++) {
		char w[8];
		snprintf(w, sizeof(w), "msrs=%u", t);
		if (cmdline_has(cmdline, w))
			check_msrs(t);
	}
	if (cmdline_has(cmdline, "dr7"))
		check_dr7();
	if (cmdline_has(cmdline, "dbsteps"))
		check_dbsteps();
	if (cmdline_has(cmdline, "dbloop"))
		dbloop();
}
