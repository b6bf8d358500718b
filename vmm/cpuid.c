/*
 * CPUID as a guest sees it: the host's answers, filtered.
 *  - leaf 1 ECX: hypervisor bit (31) set; VMX (5) hidden; XSAVE (26),
 *    OSXSAVE (27) and AVX (28) hidden, since XSETBV is not offered (and
 *    setting CR4.OSXSAVE is #GP on both vendors); MONITOR (3) hidden:
 *    MONITOR/MWAIT are intercepted and raise #UD.
 *  - leaf 1 EDX and 0x80000001 EDX: MCE (7) and MCA (14) hidden: the
 *    machine-check MSRs (MCG_*, MCi_*) are not offered (msr.c denies
 *    them), and a Linux kernel that sees MCA panics on the first #GP from
 *    one ("MCA architectural violation").
 *  - leaf 7.0 ECX: PKU (3) and OSPKE (4) hidden: PKRU is not switched
 *    between guests, so CR4.PKE is refused (#GP) on both vendors.  LA57
 *    (16) hidden: CR4.LA57 is not among the CR4 bits a guest may set (a
 *    Linux kernel seeing LA57 switches to 5-level paging in its
 *    decompressor and takes #GP there).
 *  - leaf 7.0 EDX and 0x80000008 EBX: the speculation-control features
 *    whose MSRs a guest may not use (SPEC_CTRL, PRED_CMD, FLUSH_CMD,
 *    ARCH_CAPABILITIES, VIRT_SPEC_CTRL) hidden, so a guest's CPUID and its
 *    MSR accesses agree; where the CPU has SPEC_CTRL and IBPB the guest
 *    owns them (its own copy of the MSR) and sees their bits.
 *  - leaf 0xA (performance monitoring), 0xD (XSAVE state) and 0x8000000A
 *    (SVM features): all zero; RDPMC is intercepted and raises #GP.
 *  - leaf 0x80000001 ECX: SVM (2) hidden (and EDX MCE/MCA as in leaf 1).
 *  - leaf 1 EDX ACPI (22), TM (29), PBE (31) and ECX EIST (7), TM2 (8),
 *    and leaf 6 but ARAT: thermal and power control, whose MSRs are
 *    denied (Linux touches IA32_THERM_INTERRUPT unchecked otherwise).
 *  - leaf 0x80000007: only EDX invariant TSC (8), set (AMD APM Vol 3, CPUID
 *    Fn8000_0007 EDX TscInvariant; SDM Vol 2A leaf 80000007H EDX bit 8):
 *    a guest's TSC is the host's plus an offset, and pagoda's own clock
 *    already assumes the host TSC runs at the constant rate it measured at
 *    boot.  Every vCPU starts with offset 0, so the TSCs of a guest's vCPUs
 *    agree.  Linux on AMD needs the bit to trust the TSC of an SMP guest
 *    (otherwise "TSCs unsynchronized"); the leaf's other bits (RAS, power
 *    reporting, P-state control) are hidden.
 *  - leaves 0x15 (TSC/crystal ratio) and 0x16 (base frequency), where the
 *    CPU has them: the TSC frequency pagoda measured at boot, not the
 *    model's nominal one, and the virtual local APIC timer's 1 GHz as the
 *    crystal (SDM Vol 2A CPUID, leaf 15H: TSC = ECX * EBX / EAX, the
 *    crystal being the APIC timer's clock; leaf 16H EAX/EBX in MHz), both
 *    to the MHz.  Guests see the host's TSC unscaled,
 *    and under an emulator (Bochs: a few MHz) the nominal figure is far
 *    off; Linux on Intel trusts these leaves over its PIT calibration.
 *  - leaves 0x40000000..0x40000001: pagoda's signature "pagodapagoda" and
 *    version; 0x40000000 EAX gives the highest hypervisor leaf.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/spec.h"
#include "arch/x86/spec_choice.h"
#include "vmm/policy.h"
#include "lib/string.h"
#include "lib/time.h"
#include "vmm/dev/lapic.h"

/*
 * The filtered answers of the leaves guests ask most (the highest basic and
 * extended leaf, the feature leaves 1 and 0x80000001), kept once computed:
 * they depend on nothing but the CPU model (leaf 1's APIC ID byte differs
 * between CPUs, but intr_cpuid() replaces it with the vCPU's; its OSXSAVE
 * bit follows the host's CR4 but is hidden), so the exit path copies them
 * instead of running CPUID and the filters again.  The first CPU to claim
 * an entry fills it; one that finds it being filled computes its own.
 */
#define CPUID_KEPT_EMPTY   0
#define CPUID_KEPT_FILLING 1
#define CPUID_KEPT_VALID   2
static struct cpuid_kept {
	u32 leaf;   /* the leaf (subleaf ignored: these have none) */
	u32 out[4]; /* its answer, EAX EBX ECX EDX, once STATE is VALID */
	u8 state;   /* CPUID_KEPT_*: claimed by compare-and-exchange, VALID
		       published with a release store */
} cpuid_kept[] = {{.leaf = 0}, {.leaf = 1}, {.leaf = 0x80000000}, {.leaf = 0x80000001}};

static void cpuid_filtered(u32 leaf, u32 subleaf, u32 out[4]);

/* CPUID leaf LEAF, subleaf SUBLEAF as guests see it (see above) into OUT. */
void cpuid_guest(u32 leaf, u32 subleaf, u32 out[4])
{
	for (unsigned i = 0; i < ARRAY_SIZE(cpuid_kept); i++) {
		struct cpuid_kept *k = &cpuid_kept[i];
		if (k->leaf != leaf)
			continue;
		if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == CPUID_KEPT_VALID) {
			out[0] = k->out[0];
			out[1] = k->out[1];
			out[2] = k->out[2];
			out[3] = k->out[3];
			return;
		}
		cpuid_filtered(leaf, 0, out);
		u8 empty = CPUID_KEPT_EMPTY;
		if (__atomic_compare_exchange_n(&k->state, &empty, CPUID_KEPT_FILLING, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			memcpy(k->out, out, sizeof(k->out));
			__atomic_store_n(&k->state, CPUID_KEPT_VALID, __ATOMIC_RELEASE);
		}
		return;
	}
	cpuid_filtered(leaf, subleaf, out);
}

/* cpuid_guest() computed: the host's answer through the filters. */
static void cpuid_filtered(u32 leaf, u32 subleaf, u32 out[4])
{
	if (leaf >= 0x40000000 && leaf < 0x40000100) {
		memset(out, 0, 16);
		if (leaf == 0x40000000) {
			out[0] = 0x40000001;
			memcpy(&out[1], "pago", 4);
			memcpy(&out[2], "dapa", 4);
			memcpy(&out[3], "goda", 4);
		} else if (leaf == 0x40000001) {
			out[0] = PAGODA_VERSION;
		}
		return;
	}
	struct cpuid_regs r = cpuid_count(leaf, subleaf);
	switch (leaf) {
	case 1:
		r.ecx |= BIT(31);
		r.ecx &= ~(u32)(BIT(3) | BIT(5) | BIT(26) | BIT(27) | BIT(28));
		/* DTES64, DS-CPL, PDCM and EDX's DS: their MSRs (DS_AREA,
		 * PERF_CAPABILITIES) are denied, so they are not advertised
		 * (kvm-unit-tests reads PERF_CAPABILITIES when PDCM says so);
		 * MCE and MCA likewise (their MSRs are denied). */
		r.ecx &= ~(u32)(BIT(2) | BIT(4) | BIT(15));
		r.edx &= ~(u32)(BIT(7) | BIT(14) | BIT(21));
		/* Thermal and power control: EDX ACPI (22: the thermal
		 * monitor and clock modulation MSRs), TM (29), PBE (31), ECX
		 * EIST (7: PERF_CTL) and TM2 (8).  Their MSRs are denied (a
		 * guest does not steer the host's clocks), and Linux on
		 * Intel reads and writes IA32_THERM_INTERRUPT (0x19b) with
		 * unchecked accesses when ACPI and TM are set. */
		r.edx &= ~(u32)(BIT(22) | BIT(29) | BIT(31));
		r.ecx &= ~(u32)(BIT(7) | BIT(8));
		break;
	case 6:
		/* Thermal and power management (SDM Vol 2A CPUID leaf 06H,
		 * AMD APM Vol 3 Fn0000_0006): only ARAT (EAX bit 2, the local
		 * APIC timer keeps running in deep C-states: the virtual one
		 * always does) stays.  The digital thermal sensor, HWP,
		 * APERF/MPERF (ECX bit 0) and the rest name MSRs a guest is
		 * not given. */
		r.eax &= BIT(2);
		r.ebx = r.ecx = r.edx = 0;
		break;
	case 7:
		if (subleaf == 0) {
			/* PKU/OSPKE and PKS: neither PKRU nor IA32_PKRS is
			 * switched between guests, so neither is offered; LA57:
			 * CR4.LA57 is refused. */
			r.ecx &= ~(u32)(BIT(3) | BIT(4) | BIT(16) | BIT(31));
			/* L1D_FLUSH and ARCH_CAPABILITIES: their MSRs are
			 * denied, so they are not advertised either.  IBRS/IBPB,
			 * STIBP and SSBD only as far as the guest owns SPEC_CTRL
			 * and PRED_CMD (arch/x86/spec.c: when the CPU has them). */
			u64 sc = spec_guest_spec_ctrl_bits();
			u32 keep = ((sc & SPEC_CTRL_IBRS) && spec_guest_ibpb() ? BIT(26) : 0) |
				   ((sc & SPEC_CTRL_STIBP) ? BIT(27) : 0) |
				   ((sc & SPEC_CTRL_SSBD) ? BIT(31) : 0);
			r.edx &= ~(u32)((BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31)) & ~keep);
		}
		break;
	case 0x80000008:
		/* AMD's IBPB, IBRS, STIBP, SSBD: likewise, as far as the guest
		 * owns them; VIRT_SSBD (its MSR is not offered) never. */
		{
			u64 sc = spec_guest_spec_ctrl_bits();
			u32 keep = (spec_guest_ibpb() ? BIT(12) : 0) |
				   ((sc & SPEC_CTRL_IBRS) ? BIT(14) : 0) |
				   ((sc & SPEC_CTRL_STIBP) ? BIT(15) : 0) |
				   ((sc & SPEC_CTRL_SSBD) ? BIT(24) : 0);
			r.ebx &= ~(u32)((BIT(12) | BIT(14) | BIT(15) | BIT(24) | BIT(25)) & ~keep);
		}
		break;
	case 0x15:
		/* The crystal is the local APIC timer's clock (Linux derives
		 * its APIC timer period from ECX): VLAPIC_TIMER_HZ, 1 GHz, with
		 * the ratio TSC MHz / 1000.  Linux multiplies crystal kHz by
		 * EBX in 32 bits, so EBX stays below 4295 (MHz resolution);
		 * a faster TSC gets the leaf zeroed (Linux calibrates then). */
		if (r.eax && r.ebx && time_tsc_khz()) {
			u64 mhz = (time_tsc_khz() + 500) / 1000;
			r.eax = 1000;
			r.ebx = (u32)mhz;
			r.ecx = (u32)VLAPIC_TIMER_HZ;
			if (!mhz || (u64)(VLAPIC_TIMER_HZ / 1000) * mhz > 0xffffffffULL)
				r.eax = r.ebx = r.ecx = 0;
		}
		break;
	case 0x16:
		if (r.eax && time_tsc_khz())
			r.eax = r.ebx = (u32)MAX(time_tsc_khz() / 1000, 1ULL);
		break;
	case 0xa:
	case 0xd:
	case 0x8000000a:
		r.eax = r.ebx = r.ecx = r.edx = 0;
		break;
	case 0x80000001:
		r.ecx &= ~(u32)BIT(2);
		r.edx &= ~(u32)(BIT(7) | BIT(14));
		break;
	case 0x80000007:
		/* Only invariant TSC: the rest of the leaf is RAS (EBX: MCA
		 * recovery, hidden with MCA), power reporting (ECX) and
		 * P-state control (EDX: HwPstate, CPB...), whose MSRs a
		 * guest is not given.  Only where the leaf exists (beyond the
		 * highest extended leaf, Intel CPUs answer with another
		 * leaf's values). */
		r.eax = r.ebx = r.ecx = r.edx = 0;
		if (cpuid_count(0x80000000, 0).eax >= 0x80000007)
			r.edx = BIT(8);
		break;
	}
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}

unsigned cpuid_guest_maxphyaddr(void)
{
	static unsigned bits; /* 0 until the first call */
	if (!bits) {
		u32 r[4];
		cpuid_guest(0x80000000, 0, r);
		bits = 36;
		if (r[0] >= 0x80000008) {
			cpuid_guest(0x80000008, 0, r);
			bits = r[0] & 0xff;
		}
	}
	return bits;
}
