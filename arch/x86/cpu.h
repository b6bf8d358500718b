/*
 * x86 CPU access for the VMM: CPUID, MSRs, control registers, port I/O, TSC.
 * Vendor-neutral; SVM/VMX instructions live under arch/x86/svm and vmx.
 */
#ifndef PAGODA_CPU_H
#define PAGODA_CPU_H

#include "lib/types.h"

#define MSR_EFER 0xc0000080
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

/* The SYSCALL MSRs, the SWAPGS base and RDTSCP/RDPID's value: guest-owned,
 * switched between vCPUs by the backends (vmm/hv.h get_msr/set_msr). */
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* Does this CPU have IA32_TSC_AUX (RDTSCP, CPUID 0x80000001 EDX[27], or
 * RDPID, CPUID 7.0 ECX[22])? */
static inline bool cpu_has_tsc_aux(void);

#define MSR_PAT 0x277
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
/* Speculation control: IBRS/STIBP/SSBD, and the IBPB command. */
#define MSR_SPEC_CTRL 0x48
#define MSR_PRED_CMD 0x49

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_CD BIT(30)
#define CR0_NW BIT(29)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_VMXE BIT(13)
#define CR4_PKE BIT(22)

#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_VM BIT(17) /* virtual-8086 mode */

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf) { return cpuid_count(leaf, 0); }

/* Whether this machine is QEMU's TCG emulator (a hypervisor, CPUID.1:ECX
 * bit 31, whose leaf 0x40000000 signature is "TCGTCGTCGTCG"), for the
 * scheduler's quirk (vmm/sched.c, sched_cpus_init). */
static inline bool cpu_host_is_qemu_tcg(void)
{
	if (!(cpuid(1).ecx & BIT(31)))
		return false;
	struct cpuid_regs r = cpuid(0x40000000);
	return r.ebx == 0x54474354 && r.ecx == 0x43544743 && r.edx == 0x47435447;
}

static inline bool cpu_has_tsc_aux(void)
{
	return (cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & BIT(27))) ||
	       (cpuid(0).eax >= 7 && (cpuid_count(7, 0).ecx & BIT(22)));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                              \
	static inline u64 read_cr##n(void)                                        \
	{                                                                         \
		u64 v;                                                            \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                 \
		return v;                                                         \
	}                                                                         \
	static inline void write_cr##n(u64 v)                                     \
	{                                                                         \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");          \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* Debug registers 0-3 and 6 (DR7 is in the VMCB / VMCS). */
struct debug_regs {
	u64 dr[4];
	u64 dr6;
};

static inline void debug_regs_save(struct debug_regs *d)
{
	__asm__ volatile("mov %%db0, %0" : "=r"(d->dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(d->dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(d->dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(d->dr[3]));
	__asm__ volatile("mov %%db6, %0" : "=r"(d->dr6));
}

static inline void debug_regs_load(const struct debug_regs *d)
{
	__asm__ volatile("mov %0, %%db0" ::"r"(d->dr[0]));
	__asm__ volatile("mov %0, %%db1" ::"r"(d->dr[1]));
	__asm__ volatile("mov %0, %%db2" ::"r"(d->dr[2]));
	__asm__ volatile("mov %0, %%db3" ::"r"(d->dr[3]));
	__asm__ volatile("mov %0, %%db6" ::"r"(d->dr6));
}

static inline u64 read_rflags(void)
{
	u64 f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* Let an interrupt that is pending be taken, then mask again. */
static inline void irq_window(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }

static inline __noreturn void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* x87/SSE state image for FXSAVE/FXRSTOR (SDM Vol 1 10.5.1). */
struct fxsave_area {
	u8 bytes[512];
} __aligned(16);

static inline void fxsave(struct fxsave_area *a)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*a));
}

static inline void fxrstor(const struct fxsave_area *a)
{
	__asm__ volatile("fxrstor64 %0" ::"m"(*a));
}

/* The x87/SSE state after FNINIT and a default MXCSR. */
static inline void fxsave_init(struct fxsave_area *a)
{
	for (unsigned i = 0; i < sizeof(a->bytes); i++)
		a->bytes[i] = 0;
	a->bytes[0] = 0x7f; /* FCW = 0x037f */
	a->bytes[1] = 0x03;
	a->bytes[24] = 0x80; /* MXCSR = 0x1f80: all exceptions masked */
	a->bytes[25] = 0x1f;
}

static inline u64 xgetbv(u32 idx)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return ((u64)hi << 32) | lo;
}

static inline void xsetbv(u32 idx, u64 v)
{
	__asm__ volatile("xsetbv" ::"c"(idx), "a"((u32)v), "d"((u32)(v >> 32)));
}

#define CR4_OSXMMEXCPT BIT(10)
#define CR4_OSXSAVE BIT(18)

#endif
