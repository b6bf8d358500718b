/*
 * MSR policy.  Every MSR access that exits comes here; what is not listed
 * is denied with #GP (and a debug line naming the MSR).  What a guest OS
 * owns:
 *  - EFER: the backend keeps the bits the hardware needs (SVME on AMD), the
 *    guest sees only SCE, LME, LMA, NXE.
 *  - KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, TSC_AUX, FS_BASE, GS_BASE,
 *    SYSENTER_CS/ESP/EIP and PAT: each vCPU's own, kept and switched by the
 *    backend (hv->get_msr/set_msr: VMCB save area, VMCS guest fields, or
 *    the registers themselves); the first five do not even exit.
 *  - TSC and TSC_ADJUST: through the backend's TSC offset.  TSC_ADJUST
 *    starts at 0 with the offset and both move together (SDM Vol 3B
 *    17.17.3), so TSC_ADJUST is the offset itself.
 *  - the MTRRs and MISC_ENABLE: kept here (vmm/msr_state.h).
 *  - AMD's HWCR, SYSCFG and performance counters: fixed values, writes
 *    dropped (CPUID 0xA says no architectural PMU, so Intel's counters stay
 *    #GP, as does RDPMC).
 *  - SPEC_CTRL and PRED_CMD when the CPU has them (arch/x86/spec.c).
 *  - four MSRs a Linux kernel reads whatever CPUID says, each with a
 *    fixed value (see their definitions below): the microcode revision
 *    (0x8b), MCG_CAP (0x179: no banks, agreeing with CPUID's hidden MCA),
 *    and on AMD the K8 interrupt-pending message (0xc0010055: no C1E) and
 *    DE_CFG (0xc0011029: LFENCE serializing).  A write that would change
 *    what they read is #GP (so is any write to MCG_CAP, read-only, and
 *    to PATCH_LEVEL on AMD).
 * The x2APIC MSRs (0x800-0x8ff), APIC_BASE and TSC_DEADLINE belong to the
 * virtual local APIC: see msr_lapic_read/msr_lapic_write below.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/spec.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/msr_state.h"
#include "vmm/intr.h"
#include "vmm/policy.h"

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MTRRCAP 0xfe
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRR_PHYSBASE0 0x200 /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268 /* through 0x26f (F8000) */
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_AMD_PERF_LEGACY 0xc0010000 /* PERF_CTL0-3 (0-3), PERF_CTR0-3 (4-7) */
#define MSR_AMD_SYSCFG 0xc0010010
#define MSR_AMD_HWCR 0xc0010015
#define MSR_AMD_PERF_CORE 0xc0010200   /* PERF_CTL0/CTR0 .. CTL5/CTR5 (0x200-0x20b) */
#define MSR_BIOS_SIGN_ID 0x8b      /* Intel IA32_BIOS_SIGN_ID, AMD PATCH_LEVEL */
#define MSR_MCG_CAP 0x179
#define MSR_AMD_INT_PENDING 0xc0010055 /* K8/10h Interrupt Pending Message */
#define MSR_AMD_DE_CFG 0xc0011029

/* IA32_MTRRCAP (SDM 11.11.1): VCNT 8 variable ranges, FIX (bit 8) fixed
 * ranges, WC (bit 10) the write-combining type; no SMRR (bit 11). */
#define MTRRCAP_VALUE (MTRR_NR_VAR | BIT(8) | BIT(10))
/* IA32_MTRR_DEF_TYPE (11.11.2.1): type 7:0, FE bit 10, E bit 11.  At
 * reset pagoda leaves MTRRs enabled with write-back as the default type and
 * fixed ranges disabled: all of RAM is write-back, as a firmware leaves it
 * (the guest's MTRRs never decide a memory type here: EPT leaves ignore
 * them, NPT uses the host's). */
#define MTRR_DEF_RESET (BIT(11) | 6)
#define MTRR_DEF_VALID (BIT(11) | BIT(10) | 0xff)
/* IA32_MISC_ENABLE (SDM Vol 4, Table 2-2): fast strings (0), branch trace
 * storage unavailable (11), PEBS unavailable (12).  Only fast strings may
 * change; a write changing any other bit is #GP. */
#define MISC_ENABLE_RESET (BIT(0) | BIT(11) | BIT(12))
#define MISC_ENABLE_WRITABLE BIT(0)
/* AMD HWCR (APM Vol 2 / BKDG): TscFreqSel (24) set, the TSC counts at
 * the P0 rate, which is what an OS expects of a modern part. */
#define AMD_HWCR_VALUE BIT(24)
/* IA32_BIOS_SIGN_ID (SDM Vol 4, Table 2-2; Vol 3A 10.11.7.1 "Determining
 * the Signature"): bits 63:32 hold the loaded microcode update's
 * revision after a CPUID, software writing 0 to it first; AMD's
 * PATCH_LEVEL at the same number holds it in bits 31:0 and is read-only
 * (BKDG MSR0000_008B).  A guest sees revision 0, "no update loaded" (it
 * cannot load one: MSR 0x79 stays denied); Intel's clearing write of 0
 * is accepted and changes nothing. */
#define BIOS_SIGN_ID_VALUE 0
/* IA32_MCG_CAP (SDM Vol 3B, Machine-Check Architecture, "IA32_MCG_CAP
 * MSR"; APM Vol 2 9.3.1.1 MCG_CAP), read-only: Count 0 (no error-reporting
 * banks) and no MCG_CTL_P or other capability, as CPUID (MCE/MCA hidden,
 * vmm/cpuid.c) says.  Linux reads it on boot whatever CPUID says. */
#define MCG_CAP_VALUE 0
/* AMD Interrupt Pending Message (BKDG for family 0Fh rev F and 10h,
 * MSRC001_0055): bits 28:27 (SmiOnCmpHalt, C1eOnCmpHalt) say whether the
 * processor enters SMM or C1E when every core halts.  Linux reads it on
 * the CPUs with erratum 400 (such as QEMU's family 0Fh model) to decide
 * whether to work around C1E; a guest's HLT only exits to pagoda, so
 * both bits read 0. */
#define AMD_INT_PENDING_VALUE 0
/* AMD DE_CFG (BKDG MSRC001_1029; AMD "Software Techniques for Managing
 * Speculation on AMD Processors", mitigation G-2): bit 1 makes LFENCE
 * dispatch serializing.  It reads set: family 0Fh, 11h and 17h on have a
 * serializing LFENCE without it, and the guest has no other way to learn
 * whether the host set it on the families between.  Linux sets the bit
 * when it reads clear, so reading it set spares a write. */
#define AMD_DE_CFG_VALUE BIT(1)

/* Is VAL a canonical address (48-bit linear addresses: bits 63:47 equal)? */
static bool canonical(u64 val)
{
	return (u64)((s64)(val << 16) >> 16) == val;
}

/* Is T a memory type the MTRRs accept (SDM 11.11.1: UC 0, WC 1, WT 4,
 * WP 5, WB 6)?  The PAT also takes 7 (UC-, 11.12.2). */
static bool mtrr_type_ok(u64 t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

/* Every byte of VAL a memory type the PAT (PAT true) or MTRRs accept? */
static bool types_ok(u64 val, bool pat)
{
	for (unsigned i = 0; i < 8; i++) {
		u64 t = (val >> (8 * i)) & 0xff;
		if (!mtrr_type_ok(t) && !(pat && t == 7))
			return false;
	}
	return true;
}

/* Bits above the guest's MAXPHYADDR (CPUID 0x80000008 EAX 7:0; 36 when the
 * leaf is missing), reserved in every address an MTRR holds. */
static u64 above_maxphyaddr(void)
{
	unsigned bits = cpuid_guest_maxphyaddr();
	return bits >= 64 ? 0 : ~0ULL << bits;
}

/* Index in vcpu_msrs.mtrr_fixed[] of the fixed-range MTRR MSR, or -1. */
static int mtrr_fixed_index(u32 msr)
{
	if (msr == MSR_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
	return -1;
}

/* Is the guest's CPU an AMD (or Hygon) one, by its CPUID vendor string? */
static bool guest_is_amd(void)
{
	u32 r[4];
	cpuid_guest(0, 0, r);
	return (!memcmp(&r[1], "Auth", 4) && !memcmp(&r[3], "enti", 4) && !memcmp(&r[2], "cAMD", 4)) ||
	       (!memcmp(&r[1], "Hygo", 4) && !memcmp(&r[3], "nGen", 4) && !memcmp(&r[2], "uine", 4));
}

/* AMD's performance counter MSRs: the legacy four pairs always, the six
 * core pairs when CPUID 0x80000001 ECX bit 23 (PerfCtrExtCore) says so. */
static bool amd_perf_msr(u32 msr)
{
	if (!guest_is_amd())
		return false;
	if (msr >= MSR_AMD_PERF_LEGACY && msr < MSR_AMD_PERF_LEGACY + 8)
		return true;
	if (msr >= MSR_AMD_PERF_CORE && msr < MSR_AMD_PERF_CORE + 12) {
		u32 r[4];
		cpuid_guest(0x80000001, 0, r);
		return r[2] & BIT(23);
	}
	return false;
}

/* Does the guest's CPUID advertise IA32_TSC_ADJUST (leaf 7.0 EBX bit 1)? */
static bool has_tsc_adjust(void)
{
	u32 r[4];
	cpuid_guest(0, 0, r);
	if (r[0] < 7)
		return false;
	cpuid_guest(7, 0, r);
	return r[1] & BIT(1);
}

/*
 * The virtual local APIC's MSRs: APIC_BASE (0x1b), TSC_DEADLINE (0x6e0)
 * and the x2APIC registers (0x800-0x8ff), V's own local APIC's
 * (vmm/intr.c); false for #GP.
 */
static bool msr_lapic_read(struct vcpu *v, u32 msr, u64 *val)
{
	bool handled;
	return intr_msr_read(v, msr, val, &handled) && handled;
}

static bool msr_lapic_write(struct vcpu *v, u32 msr, u64 val)
{
	bool handled;
	return intr_msr_write(v, msr, val, &handled) && handled;
}

/* Is MSR one of the local APIC's (see msr_lapic_read)? */
static bool lapic_msr(u32 msr)
{
	return msr == 0x1b || msr == 0x6e0 || (msr >= 0x800 && msr <= 0x8ff);
}

bool msr_guest_read(struct vcpu *v, u32 msr, u64 *val)
{
	struct vcpu_msrs *m = &v->msrs;
	if (lapic_msr(msr))
		return msr_lapic_read(v, msr, val);
	if (hv->get_msr(&v->hw, msr, val))
		return true;
	int fix = mtrr_fixed_index(msr);
	if (fix >= 0) {
		*val = m->mtrr_fixed[fix];
		return true;
	}
	if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_NR_VAR) {
		*val = m->mtrr_var[msr - MSR_MTRR_PHYSBASE0];
		return true;
	}
	if (amd_perf_msr(msr)) {
		*val = 0;
		return true;
	}
	switch (msr) {
	case MSR_EFER:
		*val = hv->get_efer(&v->hw);
		return true;
	case MSR_TSC:
		*val = rdtsc() + hv->get_tsc_offset(&v->hw);
		return true;
	case MSR_TSC_ADJUST:
		if (!has_tsc_adjust())
			break;
		*val = hv->get_tsc_offset(&v->hw);
		return true;
	case MSR_MTRRCAP:
		*val = MTRRCAP_VALUE;
		return true;
	case MSR_MTRR_DEF_TYPE:
		*val = m->mtrr_def_xor ^ MTRR_DEF_RESET;
		return true;
	case MSR_MISC_ENABLE:
		*val = m->misc_enable_xor ^ MISC_ENABLE_RESET;
		return true;
	case MSR_AMD_HWCR:
		if (!guest_is_amd())
			break;
		*val = AMD_HWCR_VALUE;
		return true;
	case MSR_AMD_SYSCFG:
		if (!guest_is_amd())
			break;
		*val = 0;
		return true;
	case MSR_SPEC_CTRL:
		/* The guest's own copy, when the CPU has the MSR (arch/x86/spec.c). */
		if (!spec_guest_spec_ctrl_bits())
			break;
		*val = v->spec_ctrl;
		return true;
	case MSR_BIOS_SIGN_ID:
		*val = BIOS_SIGN_ID_VALUE;
		return true;
	case MSR_MCG_CAP:
		*val = MCG_CAP_VALUE;
		return true;
	case MSR_AMD_INT_PENDING:
		if (!guest_is_amd())
			break;
		*val = AMD_INT_PENDING_VALUE;
		return true;
	case MSR_AMD_DE_CFG:
		if (!guest_is_amd())
			break;
		*val = AMD_DE_CFG_VALUE;
		return true;
	}
	pr_debug("msr", "guest %s: RDMSR 0x%x denied (#GP)", v->guest->name, msr);
	return false;
}

/* A write of VAL to variable-range MTRR MSR (PHYSBASEn or PHYSMASKn, SDM
 * 11.11.2.3): base bits 11:8 and mask bits 10:0 are reserved, as is
 * everything above MAXPHYADDR; the base's type must be a valid one. */
static bool mtrr_var_write(struct vcpu_msrs *m, u32 msr, u64 val)
{
	unsigned i = msr - MSR_MTRR_PHYSBASE0;
	bool is_mask = i & 1;
	u64 rsvd = above_maxphyaddr() | (is_mask ? 0x7ff : 0xf00);
	if ((val & rsvd) || (!is_mask && !mtrr_type_ok(val & 0xff)))
		return false;
	m->mtrr_var[i] = val;
	return true;
}

/* A write of VAL to the TSC (SDM 17.17.3): the offset changes so that the
 * guest reads VAL now, and TSC_ADJUST (the offset) moves by the same. */
static bool tsc_write(struct vcpu *v, u64 val)
{
	return hv->set_tsc_offset(&v->hw, val - rdtsc());
}

bool msr_guest_write(struct vcpu *v, u32 msr, u64 val)
{
	struct vcpu_msrs *m = &v->msrs;
	if (lapic_msr(msr))
		return msr_lapic_write(v, msr, val);
	int fix = mtrr_fixed_index(msr);
	if (fix >= 0) {
		/* Eight types, one per byte (11.11.2.2). */
		if (!types_ok(val, false))
			goto deny;
		m->mtrr_fixed[fix] = val;
		return true;
	}
	if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_NR_VAR) {
		if (!mtrr_var_write(m, msr, val))
			goto deny;
		return true;
	}
	if (amd_perf_msr(msr))
		return true; /* no counters behind them: dropped, read back as 0 */
	switch (msr) {
	case MSR_EFER:
		/* Only SCE, LME and NXE are the guest's; anything else is #GP. */
		if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			break;
		hv->set_efer(&v->hw, val);
		return true;
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		/* A non-canonical address is #GP (SDM Vol 4, WRMSR). */
		if (canonical(val) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_STAR:
		if (hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_SYSENTER_CS:
		/* A 32-bit register on Intel and AMD alike: bits 63:32 #GP. */
		if (!(val >> 32) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_PAT:
		/* Eight entries; 2 and 3 are reserved types (SDM 11.12.2). */
		if (types_ok(val, true) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_TSC:
		if (tsc_write(v, val))
			return true;
		break;
	case MSR_TSC_ADJUST:
		/* The TSC moves by the change of TSC_ADJUST (17.17.3). */
		if (has_tsc_adjust() && hv->set_tsc_offset(&v->hw, val))
			return true;
		break;
	case MSR_MTRR_DEF_TYPE:
		if ((val & ~(u64)MTRR_DEF_VALID) || !mtrr_type_ok(val & 0xff))
			break;
		m->mtrr_def_xor = val ^ MTRR_DEF_RESET;
		return true;
	case MSR_MISC_ENABLE:
		if ((val ^ m->misc_enable_xor ^ MISC_ENABLE_RESET) & ~(u64)MISC_ENABLE_WRITABLE)
			break;
		m->misc_enable_xor = val ^ MISC_ENABLE_RESET;
		return true;
	case MSR_AMD_HWCR:
	case MSR_AMD_SYSCFG:
		/* Accepted and dropped: nothing behind them in a guest. */
		if (!guest_is_amd())
			break;
		return true;
	case MSR_SPEC_CTRL:
		/* Only the bits the CPU has (IBRS, STIBP, SSBD); loaded at entry. */
		if (!spec_guest_spec_ctrl_bits() || (val & ~spec_guest_spec_ctrl_bits()))
			break;
		v->spec_ctrl = val;
		return true;
	case MSR_PRED_CMD:
		/* IBPB (bit 0) is a barrier, done for the guest; other bits #GP. */
		if (!spec_guest_ibpb() || val != 1)
			break;
		spec_guest_ibpb_now();
		return true;
	case MSR_SFMASK:
	case MSR_TSC_AUX:
		/* Bits 63:32 are reserved (#GP when set). */
		if (!(val >> 32) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_BIOS_SIGN_ID:
		/* Intel: the write of 0 before CPUID, which changes nothing
		 * (the revision reads 0 anyway); AMD: read-only. */
		if (guest_is_amd() || val != BIOS_SIGN_ID_VALUE)
			break;
		return true;
	case MSR_AMD_INT_PENDING:
		/* Only a write that leaves C1E and SMI-on-halt off (what it
		 * reads) is taken, and it changes nothing. */
		if (!guest_is_amd() || val != AMD_INT_PENDING_VALUE)
			break;
		return true;
	case MSR_AMD_DE_CFG:
		/* Likewise: LFENCE stays serializing, nothing else is offered. */
		if (!guest_is_amd() || val != AMD_DE_CFG_VALUE)
			break;
		return true;
	/* MSR_MCG_CAP is read-only: a write is #GP (the default below). */
	}
deny:
	pr_debug("msr", "guest %s: WRMSR 0x%x <- 0x%lx denied (#GP)", v->guest->name, msr, val);
	return false;
}
