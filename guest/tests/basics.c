/*
 * guest/tests/basics.c -- one check for each part of the guest library,
 * and what a guest of pagoda's sees of the CPU (vmm/cpuid.c, vmm/msr.c,
 * vmm/hypercall.c).
 *
 * Command line: "hv=pagoda" (the pagoda checks must pass), "hv=none" (no
 * hypervisor: hypercalls must raise #UD, the pagoda checks are skipped),
 * neither: decided from the CPUID signature at leaf 0x40000000.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "basics";

#define CPUID_HV_BIT (1u << 31) /* leaf 1 ECX: running under a hypervisor */
#define MSR_EFER 0xc0000080
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define MSR_DENIED 0x1234        /* an MSR pagoda denies (#GP): not in vmm/msr.c */
#define NONCANONICAL 0x8000000000000000ULL

static unsigned bp_hits;
static u64 bp_rip;

/* #BP hook: count it and keep the RIP (INT3 is a trap: after the INT3). */
static void on_bp(struct exc_frame *f)
{
	bp_hits++;
	bp_rip = f->rip;
}

/* True when CPUID 0x40000000 carries pagoda's signature. */
static bool pagoda_signature(void)
{
	u32 r[4];
	cpuid(0x40000000, 0, r);
	return !memcmp(&r[1], "pago", 4) && !memcmp(&r[2], "dapa", 4) && !memcmp(&r[3], "goda", 4);
}

/* printf's conversions, on the serial line and checked through snprintf
 * (the same formatter). */
static void check_printf(void)
{
	char buf[128];
	printf("# printf: %d %u %x %lx %s %c %p\n", -42, 42u, 0xbeefu, 0x123456789abcdefUL, "str",
	       'c', (void *)0x1000);
	snprintf(buf, sizeof(buf), "%d %u %x %lx %s %c %p", -42, 42u, 0xbeefu,
		 0x123456789abcdefUL, "str", 'c', (void *)0x1000);
	expect(!strcmp(buf, "-42 42 beef 123456789abcdef str c 0x1000"),
	       "printf formats %%d %%u %%x %%lx %%s %%c %%p");
}

/* A hooked handler runs and execution resumes after INT3; the hook goes. */
static void check_hook(void)
{
	u64 after;
	exc_set_handler(EXC_BP, on_bp);
	__asm__ volatile("int3\n1:\tlea 1b(%%rip), %0" : "=r"(after) : : "memory");
	exc_set_handler(EXC_BP, NULL);
	expect_eq(bp_hits, 1, "#BP hook ran once");
	expect_eq(bp_rip, after, "#BP frame: RIP right after the INT3");
}

/* Faulting instructions under ASM_SAFE: a non-canonical load (#GP
 * everywhere), RDMSR of EFER (allowed), RDMSR of a denied MSR (#GP under
 * pagoda; TCG alone reads unknown MSRs as 0). */
static void check_faults(bool pagoda)
{
	u64 v = 0;
	expect_eq((u64)read64_safe(NONCANONICAL, &v), EXC_GP, "non-canonical load raises #GP");
	int e = rdmsr_safe(MSR_EFER, &v);
	expect(e == NO_EXCEPTION && (v & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	       "RDMSR EFER allowed, LME and LMA set (vector %d, EFER 0x%lx)", e, v);
	if (pagoda)
		expect_eq((u64)rdmsr_safe(MSR_DENIED, &v), EXC_GP, "RDMSR 0x%x denied with #GP",
			  MSR_DENIED);
	else
		skip("no hypervisor", "RDMSR 0x%x denied with #GP", MSR_DENIED);
}

/* Leaf 1's hypervisor bit, pagoda's leaves 0x40000000 and 0x40000001. */
static void check_cpuid(bool pagoda)
{
	u32 r[4];
	if (!pagoda) {
		skip("no hypervisor", "CPUID hypervisor bit and pagoda's leaves");
		return;
	}
	cpuid(1, 0, r);
	expect(r[2] & CPUID_HV_BIT, "CPUID.1:ECX hypervisor bit set");
	cpuid(0x40000000, 0, r);
	expect(pagoda_signature() && r[0] >= 0x40000001,
	       "CPUID 0x40000000: signature \"pagodapagoda\", max leaf 0x%x", r[0]);
	cpuid(0x40000001, 0, r);
	expect_eq(r[0], PAGODA_VERSION, "CPUID 0x40000001: version");
}

/* HC_VERSION, an unknown number and HC_CONSOLE_WRITE under pagoda; #UD
 * without a hypervisor. */
static void check_hypercalls(bool pagoda)
{
	static const char line[] = "basics: console write hypercall\n";
	s64 ret = 0;
	int e = hypercall_safe(HC_VERSION, 0, 0, 0, &ret);
	if (!pagoda) {
		expect_eq((u64)e, EXC_UD, "%s raises #UD without a hypervisor", hypercall_insn());
		return;
	}
	expect(e == NO_EXCEPTION && ret == PAGODA_VERSION,
	       "%s HC_VERSION returns 0x%x (vector %d, got 0x%lx)", hypercall_insn(),
	       PAGODA_VERSION, e, (u64)ret);
	e = hypercall_safe(0x7777, 0, 0, 0, &ret);
	expect(e == NO_EXCEPTION && ret == HC_ENOSYS,
	       "unknown hypercall returns %d (vector %d, got %ld)", HC_ENOSYS, e, ret);
	e = hypercall_safe(HC_CONSOLE_WRITE, (u64)(uintptr_t)line, sizeof(line) - 1, 0, &ret);
	expect(e == NO_EXCEPTION && ret == (s64)sizeof(line) - 1,
	       "HC_CONSOLE_WRITE returns its length (vector %d, got %ld)", e, ret);
}

/* Decide the mode, then run every check. */
void main(const char *cmdline)
{
	bool pagoda = cmdline_has(cmdline, "hv=pagoda") ||
		      (!cmdline_has(cmdline, "hv=none") && pagoda_signature());
	diag("mode: %s, hypercall instruction %s", pagoda ? "pagoda" : "no hypervisor",
	     hypercall_insn());
	check_printf();
	check_hook();
	check_faults(pagoda);
	check_cpuid(pagoda);
	check_hypercalls(pagoda);
}
