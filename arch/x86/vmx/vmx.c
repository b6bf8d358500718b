/*
 * Intel VMX backend: fills struct hv_ops (vmm/hv.h) with everything that
 * names a VMCS field or runs VMLAUNCH/VMRESUME.  References are to the
 * Intel SDM Vol 3C (System Programming Guide, Part 3): chapters 23-30 and
 * appendices A-C.  The AMD twin is arch/x86/svm/svm.c.
 *
 * Shape of the backend:
 *   probe        CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL, the capability MSRs;
 *                computes every VM-execution/exit/entry control once from
 *                the allowed-0/allowed-1 settings and refuses CPUs without
 *                EPT + unrestricted guest + the EFER load/save controls.
 *   cpu_enable   locks IA32_FEATURE_CONTROL if firmware left it open, fixes
 *                CR0/CR4 to the VMX-fixed bits, CR4.VMXE, VMXON; allocates
 *                the all-ones I/O and MSR bitmaps shared by every guest.
 *   vcpu_create  one VMCS per vCPU (VMCLEAR + VMPTRLD), controls, host
 *                state from the VMM's GDT/IDT/TSS, guest state from the
 *                neutral struct vcpu_state (any mode unrestricted guest
 *                allows: real mode, protected mode with or without paging,
 *                long mode).
 *   vcpu_load    VMPTRLD when the vCPU's VMCS is not current on this CPU.
 *   vcpu_run     vmrun.asm's vmx_enter() (VMLAUNCH first, VMRESUME after),
 *                then the exit is decoded into the neutral struct vm_exit;
 *                an event whose delivery the exit cut short is reported
 *                (IDT-vectoring information), vmm/ injects it again.
 *
 * The backend sees a vCPU only as struct hv_vcpu: its registers, its
 * struct vmx_vcpu (hw->arch) and the VPID vmm/ chose for it (hw->tag).
 * Per-CPU state (VMXON region, current VMCS) lives in arrays indexed by
 * the CPU number.
 *
 * Guest CR0.PG / EFER.LMA: the guest turns paging (and long mode) on by
 * itself.  Unrestricted guest lets it clear/set PE and PG (26.3.1.1), and
 * IA32_VMX_MISC bit 5 - required with unrestricted guest - makes every VM
 * exit copy EFER.LMA into the "IA-32e mode guest" entry control (27.2,
 * A.6), so CR0 writes need no intercept; the EFER "save" exit control keeps
 * the VMCS copy of EFER current for get_efer.  Only the CR0 bits VMX forces
 * to 1 (NE) and CR4.VMXE are owned by the host (guest/host masks, 24.6.6):
 * the guest reads its own values from the read shadows.
 */
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "arch/x86/spec.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_insn.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

#define X86_NMI 2
#define X86_GP 13
#define X86_AC 17
#define X86_MC 18

/* Vendor state of one vCPU. */
struct vmx_vcpu {
	u64 vmcs_pa;        /* this vCPU's VMCS region (one page) */
	u64 eptp;           /* EPT pointer: root | WB | 4-level | A/D */
	u16 vpid;           /* tag of this vCPU's linear translations (hw->tag), 0 = none */
	unsigned cpu;       /* CPU of the last vcpu_load (or of the create) */
	bool launched;      /* VMCS launch state is "launched": VMRESUME next */
	bool flush;         /* INVEPT/INVVPID before the next entry */
	u32 inject_info;    /* VM-entry interruption information to write, 0 = none */
	u32 inject_error;   /* its error code */
	u32 inject_len;     /* its instruction length (software events) */
	u32 pin_ctls;       /* pin-based controls now in the VMCS */
	u32 cpu_ctls;       /* primary processor-based controls now in the VMCS */
	bool want_nmi;      /* NMI window requested without virtual NMIs (checked per run) */
	bool preempt_armed; /* the preemption timer runs in the next entries ... */
	u64 preempt_tsc;    /* ... until this TSC value (an entry loads what is left) */
	bool preempt_load;  /* a new deadline: the next entry writes the timer (without
	                       vmx.save_preempt every entry does) */
	u64 cr0_guest;      /* CR0 as the guest last wrote it through an exit (the read
	                       shadow's source; bits it owns may have changed since) */
	u64 cr4_guest;      /* likewise for CR4 */
	u64 cr2;            /* the guest's CR2: not in the VMCS (SDM 27.3), switched by hand */
	u64 gmsr[6];        /* guest-owned MSRs (guest_msrs[] order) while not loaded */
	u64 pat;            /* the guest's IA32_PAT: kept, never loaded, since every EPT
	                       leaf sets IPAT (the EPT type alone decides, 28.3.7.2) */
	u64 vmcs_rsp, vmcs_rip, vmcs_rflags; /* what the VMCS's guest RSP, RIP and RFLAGS
	                       hold (as the last exit or state load left them): an entry
	                       writes only those hw->regs changed */
	u64 last_reason;    /* full exit-reason field of the last exit, for dump */
	u64 last_qual;      /* its exit qualification */
};

/* Capabilities and controls, computed once by vmx_probe(). */
static struct {
	u32 revision;       /* VMCS revision identifier (IA32_VMX_BASIC 30:0) */
	u32 pin, cpu, cpu2, exit, entry; /* controls every VMCS starts with */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_cap;        /* IA32_VMX_EPT_VPID_CAP */
	bool ept_ad;        /* EPT accessed/dirty flags enabled in the EPTP */
	bool vpid;          /* VPID enabled */
	bool preempt;       /* VMX-preemption timer can be activated */
	unsigned preempt_rate; /* timer ticks every 2^rate TSC cycles (MISC 4:0) */
	bool save_preempt;  /* exits save the timer's value (exit control bit 22) */
	bool lma_store;     /* MISC bit 5: exits store EFER.LMA into the entry control */
	bool vnmi;          /* "virtual NMIs" pin control in use (NMI-window exiting needs it) */
	u32 cpu_may;        /* primary processor-based controls that may be 1 */
} vmx;

/* This backend's record of one host CPU, in that CPU's struct percpu (its
 * hv_slot, arch/x86/percpu.h). */
struct vmx_cpu {
	u64 vmxon_pa;               /* VMXON region */
	u64 current_vmcs;           /* VMCS made current by the last VMPTRLD, 0 = none */
	struct vmx_vcpu *msr_owner; /* whose guest-owned MSRs the registers hold (below) */
};

/* The record of CPU number CPU / of this CPU. */
static inline struct vmx_cpu *vmx_cpu_of(unsigned cpu)
{
	return PERCPU_SLOT(percpu_area(cpu), hv_slot, struct vmx_cpu);
}
static inline struct vmx_cpu *vmx_cpu_here(void)
{
	return PERCPU_SLOT(this_percpu(), hv_slot, struct vmx_cpu);
}

/*
 * Guest-owned MSRs.  VMX switches none of them (unlike VMLOAD/VMSAVE on
 * SVM), and the first five are passed through by the MSR bitmap: each
 * CPU's registers hold the values of the vCPU that ran there last
 * (struct vmx_cpu's msr_owner), saved into its gmsr[] and replaced when another vCPU
 * enters (vmx_vcpu_run).  The VMM itself never executes SYSCALL, SWAPGS,
 * RDTSCP or RDPID, so the host needs none of them back.  TSC_AUX writes
 * exit (the bitmap keeps them), so its loaded value is always gmsr[5].
 */
static const u32 guest_msrs[6] = {MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
				  MSR_SFMASK, MSR_TSC_AUX};
#define GMSR_PASSED 5               /* guest_msrs[0..4] pass through the bitmap */
static bool has_tsc_aux;            /* the CPU has IA32_TSC_AUX (RDTSCP or RDPID) */

/* Shared by every CPU and every guest. */
static u64 io_bitmap_pa;    /* 8 KiB, all ones: A (ports 0-0x7fff) then B */
static u64 msr_bitmap_pa;   /* 4 KiB, all ones: every RDMSR/WRMSR exits */

/* The neutral segment order is the VMCS field order (Appendix B). */
_Static_assert(HV_SEG_ES == (int)SEG_ES && HV_SEG_CS == (int)SEG_CS && HV_SEG_SS == (int)SEG_SS &&
		       HV_SEG_DS == (int)SEG_DS && HV_SEG_FS == (int)SEG_FS &&
		       HV_SEG_GS == (int)SEG_GS && HV_SEG_LDTR == (int)SEG_LDTR &&
		       HV_SEG_TR == (int)SEG_TR,
	       "enum hv_seg and enum vmx_seg disagree");

int vmx_enter(struct vcpu_regs *regs, u64 launched);

/* --- VMCS access ---------------------------------------------------------- */

/* First VMWRITE that failed since vmw_reset(); VMCS setup checks it once. */
static bool vmw_failed;
static u64 vmw_fail_field;

static void vmw(u64 field, u64 val)
{
	if (!vmwrite_ok(field, val) && !vmw_failed) {
		vmw_failed = true;
		vmw_fail_field = field;
	}
}

static const char *insn_error_name(u64 n)
{
	/* SDM 30.4, Table 30-1: VM-instruction error numbers. */
	static const char *const names[] = {
		[1] = "VMCALL in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE of unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};
	return n < ARRAY_SIZE(names) && names[n] ? names[n] : "unknown";
}

/* Make VX's VMCS the current one on this CPU (VMPTRLD, SDM 30.3) unless it
 * already is.  0, or -E_INVAL (logged) when VMPTRLD fails. */
static int vmcs_load(struct vmx_vcpu *vx)
{
	struct vmx_cpu *xc = vmx_cpu_here();
	if (xc->current_vmcs == vx->vmcs_pa)
		return 0;
	if (!vmptrld(vx->vmcs_pa)) {
		pr_err("vmx", "VMPTRLD 0x%lx failed", vx->vmcs_pa);
		xc->current_vmcs = 0;
		return -E_INVAL;
	}
	xc->current_vmcs = vx->vmcs_pa;
	return 0;
}

/* --- probe: capabilities and controls -------------------------------------- */

/*
 * Settle one control word from its capability MSR (SDM A.3-A.5, 31.5.1):
 * bits 31:0 are the allowed-0 settings (a 1 there means the control must be
 * 1), bits 63:32 the allowed-1 settings (a 0 there means it must be 0).
 * NEED are controls pagoda cannot work without, WANT ones it uses when
 * present.  Returns 0 and *OUT, or -E_NODEV naming the missing bits.
 */
static int adjust_ctls(const char *what, u32 msr, u32 need, u32 want, u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 must = (u32)cap, may = (u32)(cap >> 32);
	if (need & ~may) {
		pr_err("vmx", "%s controls 0x%x not supported (allowed-1 0x%x): VMX unusable", what,
		       need & ~may, may);
		return -E_NODEV;
	}
	*out = ((need | want) & may) | must;
	return 0;
}

/*
 * Is VMX usable?  CPUID.1:ECX.VMX (bit 5); IA32_FEATURE_CONTROL not locked
 * against VMX outside SMX (23.7); and the capabilities pagoda needs: EPT
 * with a 4-level walk and write-back tables, INVEPT, unrestricted guest
 * (Multiboot guests start with paging off), and the EFER load/save controls.
 * Fills vmx.* and ept_fmt.  Returns 0 or -E_NODEV with the reason logged.
 */
static int vmx_probe(void)
{
	if (!(cpuid(1).ecx & BIT(5)))
		return -E_NODEV;

	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		pr_err("vmx", "VMX is disabled by firmware (IA32_FEATURE_CONTROL=0x%lx locked without "
		       "VMX outside SMX): enable VT-x in the firmware setup", fc);
		return -E_NODEV;
	}

	/* IA32_VMX_BASIC (A.1): 30:0 revision, 44:32 region size, 53:50 memory
	 * type of the VMCS, 55 "true" control MSRs exist. */
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	vmx.revision = basic & 0x7fffffff;
	bool true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	if (basic & VMX_BASIC_32BIT_ADDR) {
		pr_err("vmx", "VMX limits VMCS addresses to 32 bits: not supported");
		return -E_NODEV;
	}

	/* Primary controls (24.6.2): HLT exits (no interrupt source yet), I/O
	 * and MSR through the all-ones bitmaps, MWAIT/MONITOR exit (unhandled
	 * exits end the guest rather than idling the CPU), MOV to/from CR8 exit
	 * (without a TPR shadow CR8 is the host's own TPR), secondary controls.
	 * CR3 load/store exiting are left clear (EPT needs no shadow of CR3);
	 * only the non-"true" MSR can force them, and CR access exits handle it. */
	u32 cpu_need = CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS |
		       CPU_SECONDARY_CTLS;
	u32 cpu_msr = true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS;
	/* A guest may be hostile: MWAIT/MONITOR exit (#UD: CPUID hides MONITOR;
	 * MWAIT would idle the host CPU) and RDPMC exits (#GP: no counters for
	 * guests, leaf 0xA is zero) are required, not wished for. */
	if (adjust_ctls("primary processor-based", cpu_msr,
			cpu_need | CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING |
				CPU_MWAIT_EXITING | CPU_MONITOR_EXITING | CPU_RDPMC_EXITING,
			CPU_USE_TSC_OFFSETTING, &vmx.cpu))
		return -E_NODEV;
	/* Interrupt- and NMI-window exiting are switched on per request
	 * (request_window): remember whether they may be. */
	vmx.cpu_may = (u32)(rdmsr(cpu_msr) >> 32);

	/* Secondary controls (24.6.2, Table 24-7): EPT and unrestricted guest are
	 * required; VPID, RDTSCP and INVPCID are used when present (without the
	 * latter two enabled the guest would get #UD for instructions its
	 * CPUID advertises). */
	u64 cap2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if ((cap2 >> 32 & (CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST)) !=
	    (CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST)) {
		pr_err("vmx", "VMX without EPT and unrestricted guest (secondary controls 0x%lx) is "
		       "not supported", cap2 >> 32);
		return -E_NODEV;
	}
	vmx.ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	u64 ec = vmx.ept_cap;
	if (!(ec & EPT_CAP_WALK_4) || !(ec & EPT_CAP_WB) || !(ec & EPT_CAP_INVEPT) ||
	    !(ec & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		pr_err("vmx", "EPT capabilities 0x%lx lack a 4-level walk, WB tables or INVEPT", ec);
		return -E_NODEV;
	}
	vmx.ept_ad = ec & EPT_CAP_AD;
	vmx.vpid = (cap2 >> 32 & CPU2_ENABLE_VPID) && (ec & VPID_CAP_INVVPID) &&
		   (ec & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (adjust_ctls("secondary processor-based", MSR_IA32_VMX_PROCBASED_CTLS2,
			CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST,
			(vmx.vpid ? CPU2_ENABLE_VPID : 0) | CPU2_RDTSCP | CPU2_INVPCID |
				CPU2_PAUSE_LOOP_EXITING, &vmx.cpu2))
		return -E_NODEV;

	/* Pin-based controls (24.6.1): external interrupts and NMIs exit to the
	 * host instead of going through the guest IDT; virtual NMIs when
	 * present, so the CPU tracks the guest's NMI blocking (an injected NMI
	 * blocks NMIs until the guest's IRET, 25.3) and NMI-window exiting can
	 * be used (26.2.1.1: it requires virtual NMIs). */
	if (adjust_ctls("pin-based",
			true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
			PIN_EXTINT_EXITING | PIN_NMI_EXITING, PIN_VIRTUAL_NMIS, &vmx.pin))
		return -E_NODEV;
	vmx.vnmi = vmx.pin & PIN_VIRTUAL_NMIS;
	u64 pin_cap = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	vmx.preempt = (pin_cap >> 32) & PIN_PREEMPT_TIMER;
	u64 misc = rdmsr(MSR_IA32_VMX_MISC);
	vmx.preempt_rate = misc & 0x1f;
	vmx.lma_store = misc & VMX_MISC_LMA_TO_ENTRY;

	/* VM-exit controls (24.7.1): return to a 64-bit host, save the guest's
	 * EFER and load the host's, save the guest's DR7 and IA32_DEBUGCTL
	 * ("save debug controls", 27.3.1: MOV DR is not intercepted, so the
	 * guest writes the real DR7, and every exit sets DR7 to 0x400 and
	 * DEBUGCTL to 0 for the host, 27.5.1; without the save/load pair the
	 * guest would lose its breakpoints at each exit and run with the
	 * host's DR7).  Both debug controls are default1 (A.4, A.5): every
	 * VMX CPU has them. */
	if (adjust_ctls("VM-exit",
			true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
				EXIT_SAVE_DEBUG_CTLS,
			vmx.preempt ? EXIT_SAVE_PREEMPT_TIMER : 0, &vmx.exit))
		return -E_NODEV;
	/* "Save VMX-preemption timer value" (24.7.1, 27.3.4): each exit leaves
	 * the count still to go in the VMCS, so an entry without a new
	 * deadline needs no VMWRITE of the timer. */
	vmx.save_preempt = vmx.exit & EXIT_SAVE_PREEMPT_TIMER;
	/* VM-entry controls (24.8.1): load the guest's EFER, and its DR7 and
	 * DEBUGCTL from the guest-state area ("load debug controls", 26.3.2.1);
	 * "IA-32e mode guest" starts clear (the guest enters in 32-bit
	 * protected mode). */
	if (adjust_ctls("VM-entry",
			true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CTLS, 0, &vmx.entry))
		return -E_NODEV;
	if (vmx.entry & ENTRY_IA32E_MODE_GUEST) {
		pr_err("vmx", "VM-entry control \"IA-32e mode guest\" is forced to 1");
		return -E_NODEV;
	}

	/* CR0/CR4 bits fixed in VMX operation (A.7, A.8). */
	vmx.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

	pr_info("vmx", "VMX revision 0x%x, VMCS %lu bytes, %s controls; EPT (4-level, WB%s%s%s), "
		"unrestricted guest%s%s%s", vmx.revision, (basic >> 32) & 0x1fff,
		true_ctls ? "true" : "default", (ec & EPT_CAP_2M) ? ", 2M" : "",
		(ec & EPT_CAP_1G) ? ", 1G" : "", vmx.ept_ad ? ", A/D" : "",
		vmx.vpid ? ", VPID" : "", vmx.preempt ? ", preemption timer" : "",
		vmx.vnmi ? ", virtual NMIs" : "");
	pr_info("vmx", "controls: pin=0x%x cpu=0x%x cpu2=0x%x exit=0x%x entry=0x%x", vmx.pin,
		vmx.cpu, vmx.cpu2, vmx.exit, vmx.entry);
	ept_fmt_init(vmx.ept_cap, vmx.ept_ad);
	return 0;
}

/*
 * Enter VMX operation on CPU, the calling CPU (SDM 23.7, 31.5):
 * IA32_FEATURE_CONTROL locked with VMX outside SMX (OVMF under Bochs leaves
 * it 0, unlocked), CR0/CR4 adjusted to the fixed bits (CR4.VMXE among
 * them), VMXON on a region of its own that starts with the VMCS revision
 * identifier.  The first call also allocates the all-ones I/O bitmaps
 * (24.6.4) and MSR bitmap (24.6.9) every CPU shares.  Returns 0, -E_INVAL
 * (CPU out of range, VMXON failed) or -E_NOMEM.
 */
static int vmx_cpu_enable(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return -E_INVAL;
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
		wrmsr(MSR_FEATURE_CONTROL, fc);
		pr_info("vmx", "IA32_FEATURE_CONTROL was unlocked: set to 0x%lx (locked, VMX outside "
			"SMX)", fc);
	}

	write_cr0((read_cr0() | vmx.cr0_fixed0) & vmx.cr0_fixed1);
	write_cr4((read_cr4() | vmx.cr4_fixed0 | CR4_VMXE) & vmx.cr4_fixed1);

	if (!io_bitmap_pa) {
		io_bitmap_pa = pmm_alloc_pages_filled(1, 0xff);
		msr_bitmap_pa = pmm_alloc_pages_filled(0, 0xff);
		if (msr_bitmap_pa) {
			/* 24.6.9: read bitmap for MSRs C0000000-C0001FFF at byte
			 * 0x400, write bitmap for them at 0xC00, one bit per MSR:
			 * 0 lets RDMSR/WRMSR of the passed-through guest-owned MSRs
			 * run without an exit. */
			u8 *map = phys_to_virt(msr_bitmap_pa);
			for (unsigned i = 0; i < GMSR_PASSED; i++) {
				u32 n = guest_msrs[i] - 0xc0000000;
				map[0x400 + n / 8] &= ~(u8)BIT(n % 8);
				map[0xc00 + n / 8] &= ~(u8)BIT(n % 8);
			}
		}
		has_tsc_aux = cpu_has_tsc_aux();
	}
	struct vmx_cpu *xc = vmx_cpu_of(cpu);
	xc->vmxon_pa = pmm_alloc_pages_filled(0, 0);
	if (!xc->vmxon_pa || !io_bitmap_pa || !msr_bitmap_pa)
		return -E_NOMEM;
	*(u32 *)phys_to_virt(xc->vmxon_pa) = vmx.revision;
	if (!vmxon(xc->vmxon_pa)) {
		pr_err("vmx", "VMXON failed (cr0=0x%lx cr4=0x%lx feature_control=0x%lx)", read_cr0(),
		       read_cr4(), rdmsr(MSR_FEATURE_CONTROL));
		return -E_INVAL;
	}
	pr_info("vmx", "VMX enabled: VMXON region at 0x%lx, cr0=0x%lx cr4=0x%lx", xc->vmxon_pa,
		read_cr0(), read_cr4());
	return 0;
}

/* VPIDs vmm/ may give vCPUs: 1..0xffff (0 is the host's, 24.6.12).  Without
 * VPID support the tag is not used. */
static u32 vmx_max_tags(void)
{
	return 0xffff;
}

/* --- vCPU state: the VMCS ---------------------------------------------------- */

/* One guest segment register: selector, base, limit, access rights (24.4.1). */
static void guest_seg(enum vmx_seg s, u16 sel, u64 base, u32 limit, u32 ar)
{
	vmw(VMCS_GUEST_ES_SEL + 2 * s, sel);
	vmw(VMCS_GUEST_ES_BASE + 2 * s, base);
	vmw(VMCS_GUEST_ES_LIMIT + 2 * s, limit);
	vmw(VMCS_GUEST_ES_AR + 2 * s, ar);
}

/* Neutral segment attributes (the VMCB layout: type/S/DPL/P in [7:0],
 * AVL/L/D/G in [11:8]) as VMX access rights (24.4.1, Table 24-2: the same
 * bits with AVL/L/D/G at [15:12]); a segment that is not present is
 * "unusable" (bit 16), keeping its DPL (SS.DPL is the CPL). */
static u32 attrib_to_ar(u16 attrib)
{
	u32 ar = (attrib & 0xffu) | ((u32)(attrib & 0xf00u) << 4);
	return (attrib & HV_SEG_ATTR_P) ? ar : ar | AR_UNUSABLE;
}

static u16 ar_to_attrib(u32 ar)
{
	u16 attrib = (u16)((ar & 0xff) | ((ar >> 4) & 0xf00));
	return (ar & AR_UNUSABLE) ? attrib & ~(u16)HV_SEG_ATTR_P : attrib;
}

/* Host CR0 bits the guest may not clear (VMX-fixed, 23.8) except PE and PG,
 * which unrestricted guest hands to the guest (26.3.1.1). */
static u64 cr0_host_owned(void)
{
	return vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG);
}

/* Host-owned CR4 bits: VMXE (hidden from the guest) and the fixed ones. */
static u64 cr4_host_owned(void)
{
	return vmx.cr4_fixed0 | CR4_VMXE;
}

static void write_controls(struct vmx_vcpu *vx)
{
	/* VM-execution controls (24.6). */
	vmw(VMCS_PIN_CTLS, vmx.pin);
	vx->pin_ctls = vmx.pin;
	vmw(VMCS_CPU_CTLS, vmx.cpu);
	vx->cpu_ctls = vmx.cpu;
	vmw(VMCS_CPU_CTLS2, vmx.cpu2);
	/* 24.6.3: #MC (never let a guest swallow a machine check) and #AC: an
	 * #AC whose delivery raises #AC again (misaligned CPL3 stack with
	 * CR0.AM and RFLAGS.AC, CVE-2015-5307) would loop inside the CPU with
	 * no exit; intercepted, each round is one exit and vmm/ reflects it
	 * (VM_EXIT_EXCEPTION).  #DB needs no intercept on VMX: its recursive
	 * case is the SVM one (CVE-2015-8104), VMX blocks it with the pending
	 * debug exceptions field. */
	vmw(VMCS_EXCEPTION_BITMAP, BIT(X86_MC) | BIT(X86_AC));
	if (vmx.cpu2 & CPU2_PAUSE_LOOP_EXITING) {
		/* 25.1.3: PAUSE-loop exiting: a run of PAUSEs no more than GAP TSC
		 * cycles apart that lasts longer than WINDOW cycles exits (KVM's
		 * defaults); the exit ends the slice. */
		vmw(VMCS_PLE_GAP, 128);
		vmw(VMCS_PLE_WINDOW, 4096);
	}
	vmw(VMCS_PF_ERR_MASK, 0);
	vmw(VMCS_PF_ERR_MATCH, 0);
	vmw(VMCS_IO_BITMAP_A, io_bitmap_pa);              /* 24.6.4: ports 0000-7fff */
	vmw(VMCS_IO_BITMAP_B, io_bitmap_pa + PAGE_SIZE);  /* ports 8000-ffff */
	vmw(VMCS_MSR_BITMAP, msr_bitmap_pa);              /* 24.6.9 */
	vmw(VMCS_TSC_OFFSET, 0);                          /* 24.6.5: the guest sees the host TSC */
	vmw(VMCS_CR3_TARGET_COUNT, 0);                    /* 24.6.7 */
	/* 24.6.6: host-owned CR0 bits (NE) and CR4.VMXE (plus any other fixed-1
	 * CR4 bit); a guest MOV that would change a host-owned bit from its
	 * read-shadow value exits; reads of those bits return the shadow (the
	 * shadows are written with the guest state). */
	vmw(VMCS_CR0_MASK, cr0_host_owned());
	/* CR4.OSXSAVE and CR4.PKE are in the mask too, with 0 in the shadow:
	 * a MOV that sets either exits and gets #GP (handle_cr). */
	vmw(VMCS_CR4_MASK, cr4_host_owned() | HV_CR4_DENIED);
	/* 24.6.11: EPT pointer; 24.6.12: VPID (0 is the host's, never a guest's). */
	vmw(VMCS_EPT_POINTER, vx->eptp);
	if (vx->vpid)
		vmw(VMCS_VPID, vx->vpid);
	/* VM-exit controls (24.7) and VM-entry controls (24.8): no MSR lists;
	 * EFER travels through the dedicated fields.  "IA-32e mode guest" is
	 * set with the guest state. */
	vmw(VMCS_EXIT_CTLS, vmx.exit);
	vmw(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmw(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmw(VMCS_ENTRY_CTLS, vmx.entry);
	vmw(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmw(VMCS_ENTRY_INTR_INFO, 0);
	/* 24.4.2: no VMCS shadowing: the link pointer must be all ones. */
	vmw(VMCS_LINK_POINTER, ~0ULL);
}

/*
 * Host-state area (24.5), checked at every VM entry (26.2.2-26.2.4): the
 * VMM's own CR0/CR3/CR4, GDT/IDT/TSS (TR must be a real selector: a host TR
 * of 0 fails entry with error 8), flat 64-bit code and data selectors with
 * RPL 0, FS/GS bases and SYSENTER MSRs as they are now, and EFER loaded by
 * the exit control.  HOST_RSP and HOST_RIP are written by vmx_enter().
 */
static void write_host_state(void)
{
	vmw(VMCS_HOST_CR0, read_cr0());
	vmw(VMCS_HOST_CR3, read_cr3());
	vmw(VMCS_HOST_CR4, read_cr4());
	vmw(VMCS_HOST_ES_SEL, GDT_KERNEL_DS);
	vmw(VMCS_HOST_CS_SEL, GDT_KERNEL_CS);
	vmw(VMCS_HOST_SS_SEL, GDT_KERNEL_DS);
	vmw(VMCS_HOST_DS_SEL, GDT_KERNEL_DS);
	vmw(VMCS_HOST_FS_SEL, 0);
	vmw(VMCS_HOST_GS_SEL, 0);
	vmw(VMCS_HOST_TR_SEL, GDT_TSS);
	vmw(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmw(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmw(VMCS_HOST_TR_BASE, desc_tss_base());
	vmw(VMCS_HOST_GDTR_BASE, desc_gdt_base());
	vmw(VMCS_HOST_IDTR_BASE, desc_idt_base());
	vmw(VMCS_HOST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
	vmw(VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
	vmw(VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
	vmw(VMCS_HOST_EFER, rdmsr(MSR_EFER));
}

/*
 * PAE paging outside long mode walks through four PDPTEs that the CPU loads
 * from the 32-byte table at CR3 when MOV to CR0, CR3 or CR4 switches paging
 * on or changes its mode (SDM Vol 3 4.4.1).  When such a MOV exits and the
 * VMM performs it, the VMM loads them: with EPT, VM entry takes the PDPTEs
 * from the VMCS guest-state area (26.3.2.4).  The table is read through
 * hv_read_guest() (vmm/).  Returns false when the table is outside guest
 * RAM or a present PDPTE has reserved bits set (the MOV then raises #GP,
 * as on hardware).
 */
static bool load_pdptes(struct hv_vcpu *hw, u64 cr3)
{
	u64 pdpte[4];
	unsigned maxphy = cpuid(0x80000000).eax >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;
	u64 rsvd = BIT(1) | BIT(2) | (0xfULL << 5) | ~((1ULL << maxphy) - 1);
	if (hv_read_guest(hw, cr3 & 0xffffffe0ULL, pdpte, sizeof(pdpte)))
		return false;
	for (unsigned i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			return false;
	for (unsigned i = 0; i < 4; i++)
		vmw(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return true;
}

/*
 * Would VM entry refuse ST (26.3.1.1-26.3.1.2, with unrestricted guest)?
 * The architectural rules a start state can break; EFER.LMA is derived
 * from LME and PG.  Returns NULL when ST can be loaded, else what is wrong.
 */
static const char *vmx_state_invalid(const struct vcpu_state *st)
{
	bool pg = st->cr0 & CR0_PG, lme = st->efer & EFER_LME;
	const struct hv_segment *cs = &st->seg[HV_SEG_CS];
	if (pg && !(st->cr0 & CR0_PE))
		return "CR0.PG set with CR0.PE clear";
	if (lme && pg && !(st->cr4 & CR4_PAE))
		return "EFER.LME and CR0.PG set with CR4.PAE clear";
	if (lme && pg && (cs->attrib & HV_SEG_ATTR_L) && (cs->attrib & HV_SEG_ATTR_DB))
		return "long mode with CS.L and CS.D both set";
	if (!(st->seg[HV_SEG_TR].attrib & HV_SEG_ATTR_P))
		return "TR not usable";
	if (st->cr4 & CR4_VMXE)
		return "CR4.VMXE set (VMX is not offered to guests)";
	return NULL;
}

/*
 * Guest-state area (24.4) from the neutral ST, on the current VMCS:
 *  - CR0/CR4: the guest's values go to the read shadows (what its MOV from
 *    CR reads); the real registers get the VMX-fixed bits on top (23.8:
 *    CR0.NE, CR4.VMXE), except PE and PG, which unrestricted guest lets be
 *    0 (26.3.1.1: real mode and protected mode without paging).
 *  - EFER through the "load IA32_EFER" entry control, LMA = LME && PG, and
 *    the "IA-32e mode guest" entry control equal to LMA (26.3.1.1).
 *  - segments: access rights translated from the neutral attrib
 *    (attrib_to_ar); for real mode the builders give CS/SS/DS... type
 *    0x9b/0x93 with 64 KiB limits, which 26.3.1.2 accepts with
 *    unrestricted guest (SS.DPL 0, CS type 11 with DPL = SS.DPL, accessed
 *    data types, TR a busy TSS).
 *  - PDPTEs when paging is PAE outside long mode (26.3.2.4), read from
 *    guest memory.
 *  - no pending debug exceptions, no interruptibility blocking, active
 *    (24.4.2); nothing to inject; CR2 0 (kept in software, see vmx_vcpu_run).
 * Returns 0, or -E_INVAL when the PDPTEs cannot be read.
 */
static int write_guest_state(struct vmx_vcpu *vx, struct hv_vcpu *hw, const struct vcpu_state *st)
{
	bool lma = (st->efer & EFER_LME) && (st->cr0 & CR0_PG);

	vx->cr0_guest = st->cr0;
	vx->cr4_guest = st->cr4;
	vmw(VMCS_CR0_SHADOW, st->cr0);
	vmw(VMCS_GUEST_CR0, (st->cr0 | cr0_host_owned()) & vmx.cr0_fixed1);
	vmw(VMCS_CR4_SHADOW, st->cr4);
	vmw(VMCS_GUEST_CR4, (st->cr4 | cr4_host_owned()) & vmx.cr4_fixed1);
	vmw(VMCS_GUEST_CR3, st->cr3);
	vmw(VMCS_GUEST_EFER, (st->efer & ~EFER_LMA) | (lma ? EFER_LMA : 0));
	vmw(VMCS_ENTRY_CTLS, lma ? vmx.entry | ENTRY_IA32E_MODE_GUEST :
				   vmx.entry & ~ENTRY_IA32E_MODE_GUEST);
	vmw(VMCS_GUEST_DR7, 0x400);
	vmw(VMCS_GUEST_DEBUGCTL, 0);

	for (unsigned i = 0; i < HV_SEG_COUNT; i++)
		guest_seg(i, st->seg[i].selector, st->seg[i].base, st->seg[i].limit,
			  attrib_to_ar(st->seg[i].attrib));
	vmw(VMCS_GUEST_GDTR_BASE, st->gdtr.base);
	vmw(VMCS_GUEST_GDTR_LIMIT, st->gdtr.limit);
	vmw(VMCS_GUEST_IDTR_BASE, st->idtr.base);
	vmw(VMCS_GUEST_IDTR_LIMIT, st->idtr.limit);

	vmw(VMCS_GUEST_SYSENTER_CS, 0);
	vmw(VMCS_GUEST_SYSENTER_ESP, 0);
	vmw(VMCS_GUEST_SYSENTER_EIP, 0);
	vmw(VMCS_GUEST_RSP, st->regs.rsp);
	vmw(VMCS_GUEST_RIP, st->regs.rip);
	vmw(VMCS_GUEST_RFLAGS, st->regs.rflags);
	vx->vmcs_rsp = st->regs.rsp;
	vx->vmcs_rip = st->regs.rip;
	vx->vmcs_rflags = st->regs.rflags;
	vmw(VMCS_GUEST_PENDING_DBG, 0);
	vmw(VMCS_GUEST_INTERRUPTIBILITY, 0); /* 24.4.2: no STI/MOV SS/NMI blocking */
	vmw(VMCS_GUEST_ACTIVITY, 0);         /* active */
	if (vmx.preempt)
		vmw(VMCS_PREEMPT_TIMER, 0);
	vmw(VMCS_ENTRY_INTR_INFO, 0);
	vx->inject_info = vx->inject_error = vx->inject_len = 0;
	vx->cr2 = 0;
	hw->cr8 = 0;
	vx->want_nmi = false;
	hw->regs = st->regs;

	if ((st->cr0 & CR0_PG) && (st->cr4 & CR4_PAE) && !lma) {
		if (!load_pdptes(hw, st->cr3))
			return -E_INVAL;
	} else {
		for (unsigned i = 0; i < 4; i++)
			vmw(VMCS_GUEST_PDPTE0 + 2 * i, 0);
	}
	return 0;
}

static void vmx_vcpu_destroy(struct hv_vcpu *hw)
{
	struct vmx_vcpu *vx = hw->arch;
	if (!vx)
		return;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct vmx_cpu *xc = vmx_cpu_of(cpu);
		if (xc->msr_owner == vx)
			xc->msr_owner = NULL;
	}
	/* VMCLEAR writes any cached VMCS data back and makes it inactive
	 * (24.11.3) before its page goes back to pmm. */
	vmclear(vx->vmcs_pa);
	struct vmx_cpu *here = vmx_cpu_here();
	if (here->current_vmcs == vx->vmcs_pa)
		here->current_vmcs = 0;
	pmm_free_pages(virt_to_phys(vx), 1);
	hw->arch = NULL;
}

/*
 * Create HW's VMCS with VPID HW->tag and start state ST: revision
 * identifier in its first word (24.2), VMCLEAR to put it in the "clear"
 * launch state, VMPTRLD to make it current on this CPU, then every
 * control, host and guest field.  TDP_ROOT is the EPT PML4.  Returns 0,
 * -E_INVAL (a state VM entry would refuse, a tag of 0, a failed VMX
 * instruction, unreadable PDPTEs) or -E_NOMEM.
 */
static int vmx_vcpu_create(struct hv_vcpu *hw, const struct vcpu_state *st, u64 tdp_root)
{
	const char *bad = vmx_state_invalid(st);
	if (bad) {
		pr_err("vmx", "start state refused: %s", bad);
		return -E_INVAL;
	}
	if (!hw->tag || hw->tag > vmx_max_tags())
		return -E_INVAL;
	/* One zeroed 2-page block: this struct in the first page, the VMCS
	 * region (page-aligned, 24.2) in the second. */
	u64 pa = pmm_alloc_pages_filled(1, 0);
	if (!pa)
		return -E_NOMEM;
	struct vmx_vcpu *vx = phys_to_virt(pa);
	u64 vmcs_pa = pa + PAGE_SIZE;
	vx->vmcs_pa = vmcs_pa;
	vx->eptp = (tdp_root & PAGE_MASK) | EPTP_MT_WB | EPTP_WALK_4 | (vmx.ept_ad ? EPTP_AD : 0);
	/* The VPID is vmm/'s tag; a reused one is flushed before the first
	 * entry, as is the EPT root page, which may have served an earlier
	 * guest. */
	vx->vpid = vmx.vpid ? (u16)hw->tag : 0;
	vx->flush = true;
	vx->cpu = this_cpu();
	vx->gmsr[5] = hw->id; /* TSC_AUX: RDTSCP/RDPID tell the vCPU apart */
	vx->pat = 0x0007040600070406ULL; /* the power-on PAT (SDM 11.12.4) */
	hw->arch = vx;

	*(u32 *)phys_to_virt(vmcs_pa) = vmx.revision;
	if (!vmclear(vmcs_pa) || vmcs_load(vx)) {
		pr_err("vmx", "VMCLEAR/VMPTRLD of the new VMCS at 0x%lx failed", vmcs_pa);
		vmx_vcpu_destroy(hw);
		return -E_INVAL;
	}
	vmw_failed = false;
	write_controls(vx);
	write_host_state();
	int r = write_guest_state(vx, hw, st);
	if (vmw_failed) {
		u64 err = vmread(VMCS_INSN_ERROR);
		pr_err("vmx", "VMWRITE of field 0x%lx failed: error %lu (%s)", vmw_fail_field, err,
		       insn_error_name(err));
		r = -E_INVAL;
	} else if (r) {
		pr_err("vmx", "start state refused: PAE PDPTEs at 0x%lx unreadable or reserved bits set",
		       st->cr3);
	}
	if (r) {
		vmx_vcpu_destroy(hw);
		return r;
	}
	return 0;
}

/*
 * HW is about to run on CPU: make its VMCS current there (VMPTRLD when it
 * is not).  Coming from another CPU (whose vcpu_put cleared the VMCS,
 * 24.11.1: a VMCS is active on one CPU at a time), the host-state area
 * names the other CPU's GDT, TSS and GS base: it is written again for this
 * one; and its VPID and EPT translations here may be stale: they are
 * flushed before the entry.  No state yet (before create): nothing.
 */
static void vmx_vcpu_load(struct hv_vcpu *hw, unsigned cpu)
{
	struct vmx_vcpu *vx = hw->arch;
	if (!vx)
		return;
	if (vmcs_load(vx))
		return;
	if (vx->cpu != cpu) {
		vx->cpu = cpu;
		vx->flush = true;
		write_host_state();
	}
}

/*
 * HW leaves this CPU (vmm/ may run it on another next): the guest-owned
 * MSRs it left in the registers go back to its gmsr[], and VMCLEAR writes
 * the VMCS back to memory and makes it inactive and "clear" (24.11.3), so
 * another CPU may VMPTRLD it; its next entry is a VMLAUNCH.
 */
static void vmx_vcpu_put(struct hv_vcpu *hw)
{
	struct vmx_vcpu *vx = hw->arch;
	struct vmx_cpu *xc = vmx_cpu_here();
	if (!vx)
		return;
	if (xc->msr_owner == vx) {
		for (unsigned i = 0; i < GMSR_PASSED; i++)
			vx->gmsr[i] = rdmsr(guest_msrs[i]);
		xc->msr_owner = NULL;
	}
	vmclear(vx->vmcs_pa);
	if (xc->current_vmcs == vx->vmcs_pa)
		xc->current_vmcs = 0;
	vx->launched = false;
}

/* Load a whole new state (INIT/SIPI, reset); see write_guest_state().  A
 * state VM entry refuses is loaded anyway (and logged): the entry then
 * fails with VM_EXIT_INVALID. */
static void vmx_set_state(struct hv_vcpu *hw, const struct vcpu_state *st)
{
	struct vmx_vcpu *vx = hw->arch;
	const char *bad = vmx_state_invalid(st);
	if (bad)
		pr_err("vmx", "state loaded anyway, VM entry will refuse it: %s", bad);
	if (vmcs_load(vx))
		return;
	if (write_guest_state(vx, hw, st))
		pr_err("vmx", "state loaded with PDPTEs at 0x%lx unreadable", st->cr3);
}

/* --- exits ------------------------------------------------------------------ */

/* Guest GPR number N as the CR-access qualification encodes it (Table 27-3). */
static u64 *gpr(struct hv_vcpu *hw, unsigned n)
{
	struct vcpu_regs *r = &hw->regs;
	u64 *const map[16] = {&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
			      &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13,
			      &r->r14, &r->r15};
	return map[n & 15];
}

static bool guest_64bit(void)
{
	return (vmread(VMCS_GUEST_EFER) & EFER_LMA) && (vmread(VMCS_GUEST_CS_AR) & AR_L);
}

/* Step past an instruction of LEN bytes the VMM performed: it retired, so
 * STI / MOV SS blocking, which covers only that instruction, is over
 * (24.4.2). */
static void skip(struct hv_vcpu *hw, unsigned len)
{
	hw->regs.rip += len;
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTR_STATE_STI | INTR_STATE_MOV_SS))
		vmw(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(u64)(INTR_STATE_STI | INTR_STATE_MOV_SS));
}

/* A faulting MOV to CR: #GP(0) at the instruction, which is not skipped. */
static bool inject_gp(struct vmx_vcpu *vx, struct vm_exit *e)
{
	vx->inject_info = X86_GP | INTR_TYPE_HW_EXC | INTR_INFO_ERR_VALID | INTR_INFO_VALID;
	vx->inject_error = 0;
	vx->inject_len = 0;
	e->kind = VM_EXIT_NONE;
	return true;
}

/*
 * A control-register access exit (27.1, Table 27-3).  Only host-owned bits
 * (CR0.NE, CR4.VMXE, the fixed ones) make a MOV to CR0/CR4 exit; MOV
 * to/from CR3 exits only on CPUs that force CR3 exiting; MOV to/from CR8
 * always exits (64-bit guests only).  The guest keeps its own view in the
 * read shadow; the real register gets the fixed bits.
 * Returns false for accesses not handled here (they end the guest).
 */
static bool handle_cr(struct vmx_vcpu *vx, struct hv_vcpu *hw, u64 qual, struct vm_exit *e)
{
	unsigned cr = CR_QUAL_CR(qual), type = CR_QUAL_TYPE(qual);
	u64 *reg = gpr(hw, CR_QUAL_GPR(qual));
	u64 val = *reg;
	if (!guest_64bit())
		val = (u32)val;

	if (type == 0 && cr == 0) {
		/* The guest's CR0 now: host-owned bits from the shadow, the rest
		 * (PE, PG, ...) from the real register the guest changes freely. */
		u64 mask = cr0_host_owned();
		u64 old = (vmread(VMCS_GUEST_CR0) & ~mask) | (vmread(VMCS_CR0_SHADOW) & mask);
		if ((val & CR0_PG) && !(val & CR0_PE))
			return inject_gp(vx, e);
		u64 efer = vmread(VMCS_GUEST_EFER);
		u32 entry = (u32)vmread(VMCS_ENTRY_CTLS);
		if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
			/* Paging on with LME: long mode becomes active (the transition
			 * the CPU would make itself had the MOV not exited). */
			if (!(vmread(VMCS_GUEST_CR4) & CR4_PAE))
				return inject_gp(vx, e);
			vmw(VMCS_GUEST_EFER, efer | EFER_LMA);
			vmw(VMCS_ENTRY_CTLS, entry | ENTRY_IA32E_MODE_GUEST);
		} else if (!(val & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
			vmw(VMCS_GUEST_EFER, efer & ~EFER_LMA);
			vmw(VMCS_ENTRY_CTLS, entry & ~ENTRY_IA32E_MODE_GUEST);
		} else if ((val & CR0_PG) && !(old & CR0_PG) &&
			   (vmread(VMCS_GUEST_CR4) & CR4_PAE)) {
			/* PAE paging outside long mode: its PDPTEs come from CR3 now. */
			if (!load_pdptes(hw, vmread(VMCS_GUEST_CR3)))
				return inject_gp(vx, e);
		}
		vx->cr0_guest = val;
		vmw(VMCS_CR0_SHADOW, val);
		vmw(VMCS_GUEST_CR0, (val | cr0_host_owned()) & vmx.cr0_fixed1);
	} else if (type == 0 && cr == 4) {
		/* VMX is hidden from the guest: setting VMXE is #GP, as it is for
		 * any bit the CPU does not support (VMX CR4_FIXED1). */
		if ((val & CR4_VMXE) || (val & ~vmx.cr4_fixed1) || (val & HV_CR4_DENIED))
			return inject_gp(vx, e);
		/* With PAE paging on outside long mode, changing PAE, PGE or PSE
		 * reloads the PDPTEs (4.4.1). */
		u64 changed = val ^ vx->cr4_guest;
		if ((vmread(VMCS_GUEST_CR0) & CR0_PG) && (val & CR4_PAE) &&
		    !(vmread(VMCS_GUEST_EFER) & EFER_LMA) &&
		    (changed & (CR4_PAE | CR4_PGE | BIT(4))) &&
		    !load_pdptes(hw, vmread(VMCS_GUEST_CR3)))
			return inject_gp(vx, e);
		vx->cr4_guest = val;
		vmw(VMCS_CR4_SHADOW, val);
		vmw(VMCS_GUEST_CR4, (val | cr4_host_owned()) & vmx.cr4_fixed1);
	} else if (type == 0 && cr == 3) {
		vmw(VMCS_GUEST_CR3, val);
	} else if (type == 1 && cr == 3) {
		*reg = vmread(VMCS_GUEST_CR3);
	} else if (type == 0 && cr == 8) {
		/* CR8 is the local APIC TPR (10.8.6.1): a guest must not raise the
		 * host's; it is kept in hw->cr8, which vmm/ syncs with its local
		 * APIC around every run. */
		if (val & ~0xfULL)
			return inject_gp(vx, e);
		hw->cr8 = (u8)val;
	} else if (type == 1 && cr == 8) {
		*reg = hw->cr8;
	} else {
		return false;
	}
	e->kind = VM_EXIT_NONE;
	skip(hw, e->insn_len);
	return true;
}

static const char *virt_insn_name(u32 reason)
{
	switch (reason) {
	case EXIT_REASON_VMCLEAR: return "VMCLEAR";
	case EXIT_REASON_VMLAUNCH: return "VMLAUNCH";
	case EXIT_REASON_VMPTRLD: return "VMPTRLD";
	case EXIT_REASON_VMPTRST: return "VMPTRST";
	case EXIT_REASON_VMREAD: return "VMREAD";
	case EXIT_REASON_VMRESUME: return "VMRESUME";
	case EXIT_REASON_VMWRITE: return "VMWRITE";
	case EXIT_REASON_VMXOFF: return "VMXOFF";
	case EXIT_REASON_VMXON: return "VMXON";
	case EXIT_REASON_INVEPT: return "INVEPT";
	case EXIT_REASON_INVVPID: return "INVVPID";
	case EXIT_REASON_VMFUNC: return "VMFUNC";
	case EXIT_REASON_GETSEC: return "GETSEC";
	case EXIT_REASON_XSETBV: return "XSETBV";
	}
	return NULL;
}

/*
 * The event whose delivery through the guest IDT this exit cut short
 * (IDT-vectoring information, 27.2.4) into E->interrupted, for vmm/ to
 * inject again: type 0 external interrupt, 2 NMI, 3 hardware exception
 * (with its error code, 0x440a), 4 software interrupt and 6 software
 * exception, whose instruction length is in the VM-exit instruction-length
 * field (27.2.5); RIP still points at their instruction.  A privileged
 * software exception (type 5, INT1/ICEBP) is not reported: its instruction
 * simply runs again.
 */
static void vmx_decode_interrupted(struct vm_exit *e)
{
	u32 idt = (u32)vmread(VMCS_IDT_VECTORING_INFO);
	struct hv_event *ev = &e->interrupted;
	ev->valid = false; /* E is not cleared (vmx_decode_exit): every field read is set */
	if (!(idt & INTR_INFO_VALID))
		return;
	ev->has_error = false;
	ev->error = 0;
	ev->insn_len = 0;
	switch (idt & INTR_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		ev->type = HV_EVENT_EXT_INTR;
		break;
	case INTR_TYPE_NMI:
		ev->type = HV_EVENT_NMI;
		break;
	case INTR_TYPE_HW_EXC:
		ev->type = HV_EVENT_EXCEPTION;
		ev->has_error = idt & INTR_INFO_ERR_VALID;
		ev->error = ev->has_error ? (u32)vmread(VMCS_IDT_VECTORING_ERROR) : 0;
		break;
	case INTR_TYPE_SW_INT:
		ev->type = HV_EVENT_SOFT_INTR;
		ev->insn_len = (u8)vmread(VMCS_EXIT_INSN_LEN);
		break;
	case INTR_TYPE_SW_EXC:
		ev->type = HV_EVENT_SOFT_EXC;
		ev->insn_len = (u8)vmread(VMCS_EXIT_INSN_LEN);
		break;
	default:
		return;
	}
	ev->vector = idt & 0xff;
	ev->valid = true;
}

/* Withdraw primary controls CLR (a window that has opened). */
static void cpu_ctls_clear(struct vmx_vcpu *vx, u32 clr)
{
	if (vx->cpu_ctls & clr) {
		vx->cpu_ctls &= ~clr;
		vmw(VMCS_CPU_CTLS, vx->cpu_ctls);
	}
}

/*
 * Turn the exit-reason field (24.9.1) and its qualification (27.2.1) into
 * the neutral struct vm_exit.  Instruction lengths come from the VM-exit
 * instruction-length field (27.2.5), valid for every instruction exit used
 * here.  The interrupted event is reported (vmx_decode_interrupted), not
 * queued again here.  Interrupt- and NMI-window exits (25.2) withdraw
 * their control: each window is reported once.
 */
static void vmx_decode_exit(struct vmx_vcpu *vx, struct hv_vcpu *hw, struct vm_exit *e)
{
	u64 full = vmread(VMCS_EXIT_REASON);
	u32 reason = full & 0xffff;
	u64 qual = vmread(VMCS_EXIT_QUAL);
	/* E is not cleared as a whole (it is on the exit path): the common
	 * fields are set here, and each case sets every field of its kind's
	 * union member that vmm/ reads (vmm/hv.h). */
	e->raw_code = full;
	e->raw_info1 = qual;
	e->raw_info2 = vmread(VMCS_GUEST_PHYS_ADDR);
	vx->last_reason = full;
	vx->last_qual = qual;
	e->insn_len = 0;
	e->interrupted.valid = false;

	if (full & EXIT_REASON_ENTRY_FAIL) {
		/* 26.8: reason 33 (invalid guest state), 34 (MSR loading) or 41
		 * (machine check during entry); the qualification says more for
		 * 33 (0 default, 2 PDPTE load, 3 NMI injection, 4 link pointer). */
		e->kind = VM_EXIT_INVALID;
		pr_err("vmx", "vpid %u: VM entry failed: exit reason %u (%s) qualification 0x%lx",
		       hw->tag, reason,
		       reason == EXIT_REASON_INVALID_STATE ? "invalid guest state" :
		       reason == EXIT_REASON_MSR_LOADING ? "MSR loading" :
		       reason == EXIT_REASON_MACHINE_CHECK ? "machine check" : "other", qual);
		return;
	}

	vmx_decode_interrupted(e);

	switch (reason) {
	case EXIT_REASON_CPUID:
		e->kind = VM_EXIT_CPUID;
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		break;
	case EXIT_REASON_HLT:
		e->kind = VM_EXIT_HLT;
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		break;
	case EXIT_REASON_VMCALL:
		e->kind = VM_EXIT_HYPERCALL;
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		break;
	case EXIT_REASON_RDMSR:
	case EXIT_REASON_WRMSR:
		e->kind = reason == EXIT_REASON_WRMSR ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		e->msr.index = (u32)hw->regs.rcx;
		e->msr.value = (hw->regs.rdx << 32) | (u32)hw->regs.rax;
		break;
	case EXIT_REASON_IO:
		e->kind = VM_EXIT_IO;
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		e->io.port = IO_QUAL_PORT(qual);
		e->io.size = IO_QUAL_SIZE(qual);
		e->io.in = qual & IO_QUAL_IN;
		e->io.string = qual & IO_QUAL_STRING;
		e->io.rep = qual & IO_QUAL_REP;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		/* 28.3.3.2 / Table 27-7: bits 0-2 the access, bits 3-5 what the
		 * entry allowed (any set: it was present), GPA in 0x2400. */
		e->kind = VM_EXIT_TDP_FAULT;
		e->tdp.gpa = e->raw_info2;
		e->tdp.present = qual & EPT_QUAL_PERMS;
		e->tdp.access = TDP_ACC_READ;
		if (qual & EPT_QUAL_WRITE)
			e->tdp.access |= TDP_ACC_WRITE;
		if (qual & EPT_QUAL_FETCH)
			e->tdp.access |= TDP_ACC_EXEC;
		/* 27.2.3: the violation hit an IRET that had unblocked virtual
		 * NMIs; the IRET runs again, so the blocking must be back. */
		if (vmx.vnmi && (qual & EPT_QUAL_NMI_UNBLOCK) && !e->interrupted.valid)
			vmw(VMCS_GUEST_INTERRUPTIBILITY,
			    vmread(VMCS_GUEST_INTERRUPTIBILITY) | INTR_STATE_NMI);
		break;
	case EXIT_REASON_EPT_MISCONFIG:
		/* 28.3.3.1: the MMIO pattern (W without R), or a real bug. */
		e->kind = VM_EXIT_TDP_MISCONFIG;
		e->tdp.gpa = e->raw_info2;
		e->tdp.access = 0;
		e->tdp.present = false;
		break;
	case EXIT_REASON_TRIPLE_FAULT:
		e->kind = VM_EXIT_TRIPLE_FAULT;
		break;
	case EXIT_REASON_PREEMPT_TIMER:
	case EXIT_REASON_EXT_INTR:
		/* 25.2: the interrupt stays pending in the host (not acknowledged
		 * on exit); a time slice is over either way. */
		e->kind = VM_EXIT_PREEMPT;
		break;
	case EXIT_REASON_INTR_WINDOW:
		cpu_ctls_clear(vx, CPU_INTR_WINDOW_EXITING);
		e->kind = VM_EXIT_IRQ_WINDOW;
		break;
	case EXIT_REASON_NMI_WINDOW:
		cpu_ctls_clear(vx, CPU_NMI_WINDOW_EXITING);
		e->kind = VM_EXIT_NMI_WINDOW;
		break;
	case EXIT_REASON_EXCEPTION_NMI: {
		u32 info = (u32)vmread(VMCS_EXIT_INTR_INFO);
		if ((info & INTR_INFO_VALID) && (info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
			/* NMI exiting (24.6.1): the NMI was meant for the host. */
			__asm__ volatile("int $2");
			e->kind = VM_EXIT_NONE;
		} else if ((info & INTR_INFO_VALID) && (info & 0xff) == X86_AC) {
			/* 27.2.2: vector and error code of the exception; RIP is
			 * where its delivery would return.  Reflected by vmm/. */
			e->kind = VM_EXIT_EXCEPTION;
			e->exc.vector = X86_AC;
			e->exc.has_error = true;
			e->exc.error = (u32)vmread(VMCS_EXIT_INTR_ERROR);
		} else {
			e->kind = VM_EXIT_UNHANDLED; /* #MC */
		}
		break;
	}
	case EXIT_REASON_MWAIT:
	case EXIT_REASON_MONITOR:
		/* 25.1.3: CPUID hides MONITOR, so both are #UD. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = reason == EXIT_REASON_MONITOR ? "MONITOR" : "MWAIT";
		e->insn.vector = 0;
		break;
	case EXIT_REASON_RDPMC:
		/* No performance counters for guests (leaf 0xA is zero): #GP. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = "RDPMC";
		e->insn.vector = X86_GP;
		break;
	case EXIT_REASON_PAUSE:
		/* PAUSE-loop exiting (25.1.3): the vCPU spins, the slice ends. */
		e->kind = VM_EXIT_PREEMPT;
		break;
	case EXIT_REASON_INVD:
		/* 25.1.2: INVD always exits; dropping caches the host still needs is
		 * not an option, so it becomes a no-op (as WBINVD would be). */
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		skip(hw, e->insn_len);
		e->kind = VM_EXIT_NONE;
		break;
	case EXIT_REASON_CR_ACCESS:
		e->insn_len = (unsigned)vmread(VMCS_EXIT_INSN_LEN);
		if (!handle_cr(vx, hw, qual, e))
			e->kind = VM_EXIT_UNHANDLED;
		break;
	default: {
		const char *n = virt_insn_name(reason);
		if (n) {
			/* Every VMX instruction but VMCALL, INVEPT/INVVPID, VMFUNC,
			 * GETSEC and XSETBV exit unconditionally (25.1.2): #UD. */
			e->kind = VM_EXIT_VIRT_INSN;
			e->insn.name = n;
			e->insn.vector = 0;
		} else {
			e->kind = VM_EXIT_UNHANDLED;
		}
	}
	}
}

/*
 * Run HW once on this CPU: make its VMCS current, flush its EPT/VPID
 * translations if asked, sync RSP/RIP/RFLAGS and any queued event into the
 * VMCS, arm the preemption timer, VMLAUNCH or VMRESUME, read the registers
 * back and decode the exit.  Without virtual NMIs an NMI window request is
 * answered here, without entering, once blocking by NMI is clear.  A
 * VMfail (30.2) is logged with its error number and returned as -E_INVAL:
 * the guest is then ended by vmm/.
 */
static int vmx_vcpu_run(struct hv_vcpu *hw, struct vm_exit *e)
{
	struct vmx_vcpu *vx = hw->arch;
	if (vmcs_load(vx))
		return -E_INVAL;

	if (vx->want_nmi && !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI)) {
		e->kind = VM_EXIT_NMI_WINDOW; /* no exit: nothing else is reported */
		e->raw_code = e->raw_info1 = e->raw_info2 = 0;
		e->insn_len = 0;
		e->interrupted.valid = false;
		vx->want_nmi = false;
		return 0;
	}

	if (vx->flush) {
		/* 28.4.3.1: single-context INVEPT drops every guest-physical and
		 * combined mapping derived from this EPTP; INVVPID (28.4.3.3) the
		 * linear ones tagged with this VPID. */
		if (!invept((vmx.ept_cap & EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE : INVEPT_ALL,
			    vx->eptp))
			pr_err("vmx", "INVEPT failed (eptp=0x%lx)", vx->eptp);
		if (vx->vpid &&
		    !invvpid((vmx.ept_cap & VPID_CAP_INVVPID_SINGLE) ? INVVPID_SINGLE : INVVPID_ALL,
			     vx->vpid))
			pr_err("vmx", "INVVPID failed (vpid=%u)", vx->vpid);
		vx->flush = false;
	}

	vmw_failed = false;
	/* The VMCS caches nothing by itself: fields that did not change since
	 * the exit (RSP and RFLAGS mostly; RIP after exits that do not skip
	 * an instruction) are not written again. */
	if (hw->regs.rsp != vx->vmcs_rsp)
		vmw(VMCS_GUEST_RSP, vx->vmcs_rsp = hw->regs.rsp);
	if (hw->regs.rip != vx->vmcs_rip)
		vmw(VMCS_GUEST_RIP, vx->vmcs_rip = hw->regs.rip);
	if (hw->regs.rflags != vx->vmcs_rflags)
		vmw(VMCS_GUEST_RFLAGS, vx->vmcs_rflags = hw->regs.rflags);
	if (vx->inject_info) {
		/* 24.8.3 / 26.6: event injection at the next entry. */
		vmw(VMCS_ENTRY_INTR_INFO, vx->inject_info);
		vmw(VMCS_ENTRY_EXC_ERROR, vx->inject_error);
		vmw(VMCS_ENTRY_INSN_LEN, vx->inject_len);
		vx->inject_info = vx->inject_error = vx->inject_len = 0;
	}
	u32 pin = vmx.pin | (vx->preempt_armed ? PIN_PREEMPT_TIMER : 0);
	if (pin != vx->pin_ctls) {
		vmw(VMCS_PIN_CTLS, pin);
		vx->pin_ctls = pin;
	}
	if (vx->preempt_armed && (vx->preempt_load || !vmx.save_preempt)) {
		/* 25.5.1: counts down from here, in units of 2^rate TSC cycles;
		 * the deadline is absolute, so a run re-entered without a new
		 * one ends when the first would have (0: exits at once).  With
		 * the exit saving the count, the VMCS holds it already. */
		vx->preempt_load = false;
		u64 tsc = rdtsc(), left = vx->preempt_tsc > tsc ? vx->preempt_tsc - tsc : 0;
		vmw(VMCS_PREEMPT_TIMER, (u32)MIN(left >> vmx.preempt_rate, 0xffffffffULL));
	}

	/* The guest-owned MSRs of the vCPU that ran here last go back to it,
	 * VX's go in (see guest_msrs). */
	struct vmx_cpu *xc = vmx_cpu_here();
	if (xc->msr_owner != vx) {
		struct vmx_vcpu *old = xc->msr_owner;
		for (unsigned i = 0; old && i < GMSR_PASSED; i++)
			old->gmsr[i] = rdmsr(guest_msrs[i]);
		for (unsigned i = 0; i < ARRAY_SIZE(guest_msrs); i++)
			if (guest_msrs[i] != MSR_TSC_AUX || has_tsc_aux)
				wrmsr(guest_msrs[i], vx->gmsr[i]);
		xc->msr_owner = vx;
	}

	/* CR2 is neither loaded at entry nor saved at exit: the guest's value
	 * must be in the register while it runs (another guest may have run). */
	if (read_cr2() != vx->cr2)
		write_cr2(vx->cr2);
	/* L1D flush or VERW (arch/x86/spec.c) as late as C allows: L1TF/MDS
	 * leave host data in the L1D and CPU buffers for the guest to sample. */
	spec_before_entry();
	/* Exit-path counting (debug mode): TF clear for the entry, set again
	 * after the exit, which leaves RFLAGS = 0x2 (SDM 27.5.3). */
	irq_step_end();
	int r = vmw_failed ? -1 : vmx_enter(&hw->regs, vx->launched);
	irq_step_begin();
	vx->cr2 = read_cr2();
	if (r) {
		u64 err = vmread(VMCS_INSN_ERROR);
		if (r < 0)
			pr_err("vmx", "vpid %u: VMWRITE of field 0x%lx before entry failed: error %lu "
			       "(%s)", hw->tag, vmw_fail_field, err, insn_error_name(err));
		else if (r == 1)
			pr_err("vmx", "vpid %u: %s failed: VMfailInvalid (no current VMCS)",
			       hw->tag, vx->launched ? "VMRESUME" : "VMLAUNCH");
		else
			pr_err("vmx", "vpid %u: %s failed: VM-instruction error %lu (%s)",
			       hw->tag, vx->launched ? "VMRESUME" : "VMLAUNCH", err,
			       insn_error_name(err));
		return -E_INVAL;
	}

	hw->regs.rsp = vx->vmcs_rsp = vmread(VMCS_GUEST_RSP);
	hw->regs.rip = vx->vmcs_rip = vmread(VMCS_GUEST_RIP);
	hw->regs.rflags = vx->vmcs_rflags = vmread(VMCS_GUEST_RFLAGS);
	if (!(vmread(VMCS_EXIT_REASON) & EXIT_REASON_ENTRY_FAIL))
		vx->launched = true; /* a failed entry leaves the launch state alone */
	if (!vmx.lma_store) {
		/* CPUs without MISC bit 5 do not track EFER.LMA in the entry
		 * control: do it here from the saved EFER (27.3.1). */
		u32 entry = (u32)vmread(VMCS_ENTRY_CTLS);
		u32 want = (vmread(VMCS_GUEST_EFER) & EFER_LMA) ? entry | ENTRY_IA32E_MODE_GUEST :
								  entry & ~ENTRY_IA32E_MODE_GUEST;
		if (want != entry)
			vmw(VMCS_ENTRY_CTLS, want);
	}
	vmx_decode_exit(vx, hw, e);
	return 0;
}

/* Advance RIP past the exiting instruction (its length from 0x440c) and drop
 * STI / MOV SS blocking, which only covers that one instruction (24.4.2). */
static void vmx_skip_insn(struct hv_vcpu *hw, const struct vm_exit *e)
{
	if (vmcs_load(hw->arch))
		return;
	skip(hw, e->insn_len);
}

/* Exceptions that push an error code (SDM Vol 3A 6.15; VM entry checks the
 * deliver-error-code bit against this list in protected mode, 26.2.1.3). */
static bool exc_has_error(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/*
 * Queue EV for the next VM entry (VM-entry interruption information,
 * 24.8.3): type 0 external interrupt, 2 NMI, 3 hardware exception, 4
 * software interrupt, 6 software exception (INT3/INTO), with the
 * VM-entry instruction length for the software kinds: RIP stays at the
 * instruction and the CPU pushes RIP + length (26.6.1.1).  An exception's
 * error code is delivered only in protected mode, where VM entry wants it
 * exactly for the vectors that have one (26.2.1.3); in real mode it is
 * dropped.  Injecting an NMI clears blocking by NMI (virtual NMIs): an NMI
 * whose delivery an exit cut short is injected again while the saved state
 * may still show that blocking, which older SDM revisions list as an
 * invalid entry state (26.3.1.5; KVM clears it too); the delivery sets it
 * again.  The caller injects an external interrupt or NMI only
 * when the guest can take it (request_window), or the entry fails its
 * checks.  Returns 0, -E_BUSY when an event is queued already, -E_INVAL
 * for an event VM entry would refuse.
 */
static int vmx_inject_event(struct hv_vcpu *hw, const struct hv_event *ev)
{
	struct vmx_vcpu *vx = hw->arch;
	u32 info = ev->vector | INTR_INFO_VALID, error = 0, len = 0;

	if (vx->inject_info)
		return -E_BUSY;
	if (vmcs_load(vx))
		return -E_INVAL;
	switch (ev->type) {
	case HV_EVENT_EXT_INTR:
		info |= INTR_TYPE_EXT_INTR;
		break;
	case HV_EVENT_NMI:
		info = X86_NMI | INTR_TYPE_NMI | INTR_INFO_VALID;
		if (vmx.vnmi) {
			u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
			if (intr & INTR_STATE_NMI)
				vmw(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(u64)INTR_STATE_NMI);
		}
		break;
	case HV_EVENT_EXCEPTION:
		if (ev->vector > 31 || ev->vector == X86_NMI)
			return -E_INVAL;
		info |= INTR_TYPE_HW_EXC;
		if (vmread(VMCS_GUEST_CR0) & CR0_PE) {
			if (ev->has_error != exc_has_error(ev->vector))
				return -E_INVAL;
			if (ev->has_error) {
				info |= INTR_INFO_ERR_VALID;
				error = ev->error;
			}
		}
		break;
	case HV_EVENT_SOFT_INTR:
	case HV_EVENT_SOFT_EXC:
		if (!ev->insn_len || ev->insn_len > 15)
			return -E_INVAL;
		info |= ev->type == HV_EVENT_SOFT_INTR ? INTR_TYPE_SW_INT : INTR_TYPE_SW_EXC;
		len = ev->insn_len;
		break;
	default:
		return -E_INVAL;
	}
	vx->inject_info = info;
	vx->inject_error = error;
	vx->inject_len = len;
	return 0;
}

/*
 * Ask for the windows (25.2): "interrupt-window exiting" exits before the
 * first instruction at which RFLAGS.IF = 1 and no STI / MOV SS blocking
 * holds; "NMI-window exiting" before the first one without virtual-NMI
 * blocking.  Each is withdrawn when its exit is reported (once per
 * request) or by a false here.  Without virtual NMIs (the NMI-window
 * control needs them, 26.2.1.1) the NMI window is checked before each run
 * instead, from the blocking-by-NMI bit.
 */
static void vmx_request_window(struct hv_vcpu *hw, bool irq, bool nmi)
{
	struct vmx_vcpu *vx = hw->arch;
	u32 ctls = vx->cpu_ctls & ~(u32)(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);
	if (irq)
		ctls |= CPU_INTR_WINDOW_EXITING & vmx.cpu_may;
	vx->want_nmi = false;
	if (nmi && vmx.vnmi && (vmx.cpu_may & CPU_NMI_WINDOW_EXITING))
		ctls |= CPU_NMI_WINDOW_EXITING;
	else if (nmi)
		vx->want_nmi = true;
	if (ctls != vx->cpu_ctls && !vmcs_load(vx)) {
		vmw(VMCS_CPU_CTLS, ctls);
		vx->cpu_ctls = ctls;
	}
}

/* STI and MOV SS blocking from the guest interruptibility state (24.4.2,
 * Table 24-3: bits 0 and 1). */
static unsigned vmx_get_interrupt_shadow(struct hv_vcpu *hw)
{
	if (vmcs_load(hw->arch))
		return 0;
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	return ((intr & INTR_STATE_STI) ? HV_SHADOW_STI : 0) |
	       ((intr & INTR_STATE_MOV_SS) ? HV_SHADOW_MOV_SS : 0);
}

/* CR2 is not in the VMCS: vmx_vcpu_run loads this copy before entry. */
static void vmx_set_cr2(struct hv_vcpu *hw, u64 cr2)
{
	struct vmx_vcpu *vx = hw->arch;
	vx->cr2 = cr2;
}

/* Segment register S from the guest-state area, access rights turned into
 * the neutral attrib (an unusable segment has P clear). */
static void vmx_get_segment(struct hv_vcpu *hw, enum hv_seg s, struct hv_segment *out)
{
	memset(out, 0, sizeof(*out));
	if (vmcs_load(hw->arch))
		return;
	out->selector = (u16)vmread(VMCS_GUEST_ES_SEL + 2 * s);
	out->base = vmread(VMCS_GUEST_ES_BASE + 2 * s);
	out->limit = (u32)vmread(VMCS_GUEST_ES_LIMIT + 2 * s);
	out->attrib = ar_to_attrib((u32)vmread(VMCS_GUEST_ES_AR + 2 * s));
}

/* Write segment register S (VMX has no CPL field: SS.DPL is the CPL). */
static void vmx_set_segment(struct hv_vcpu *hw, enum hv_seg s, const struct hv_segment *in)
{
	if (vmcs_load(hw->arch))
		return;
	guest_seg((enum vmx_seg)s, in->selector, in->base, in->limit, attrib_to_ar(in->attrib));
}

static void vmx_get_dtables(struct hv_vcpu *hw, struct hv_dtable *gdtr, struct hv_dtable *idtr)
{
	memset(gdtr, 0, sizeof(*gdtr));
	memset(idtr, 0, sizeof(*idtr));
	if (vmcs_load(hw->arch))
		return;
	gdtr->base = vmread(VMCS_GUEST_GDTR_BASE);
	gdtr->limit = (u16)vmread(VMCS_GUEST_GDTR_LIMIT);
	idtr->base = vmread(VMCS_GUEST_IDTR_BASE);
	idtr->limit = (u16)vmread(VMCS_GUEST_IDTR_LIMIT);
}

/* CR0, CR2, CR3 or CR4 (N) as the guest sees them: CR0 and CR4 are the read
 * shadow for host-owned bits and the real register for the rest (24.6.6);
 * CR2 is kept in software (vmx_vcpu_run); 0 for any other N. */
static u64 vmx_get_cr(struct hv_vcpu *hw, unsigned n)
{
	struct vmx_vcpu *vx = hw->arch;
	if (n == 2)
		return vx->cr2;
	if (vmcs_load(vx))
		return 0;
	switch (n) {
	case 0:
		return (vmread(VMCS_GUEST_CR0) & ~cr0_host_owned()) |
		       (vmread(VMCS_CR0_SHADOW) & cr0_host_owned());
	case 3:
		return vmread(VMCS_GUEST_CR3);
	case 4:
		return (vmread(VMCS_GUEST_CR4) & ~cr4_host_owned()) |
		       (vmread(VMCS_CR4_SHADOW) & cr4_host_owned());
	}
	return 0;
}

static void vmx_flush_tlb(struct hv_vcpu *hw)
{
	struct vmx_vcpu *vx = hw->arch;
	vx->flush = true;
}

static void vmx_dump(struct hv_vcpu *hw)
{
	struct vmx_vcpu *vx = hw->arch;
	if (vmcs_load(vx))
		return;
	pr_err("vmx", "exit reason=0x%lx qualification=0x%lx gpa=0x%lx intr_info=0x%lx "
	       "idt_vectoring=0x%lx insn_error=%lu", vx->last_reason, vx->last_qual,
	       vmread(VMCS_GUEST_PHYS_ADDR), vmread(VMCS_EXIT_INTR_INFO),
	       vmread(VMCS_IDT_VECTORING_INFO), vmread(VMCS_INSN_ERROR));
	pr_err("vmx", "cr0=0x%lx (shadow 0x%lx) cr3=0x%lx cr4=0x%lx (shadow 0x%lx) efer=0x%lx",
	       vmread(VMCS_GUEST_CR0), vmread(VMCS_CR0_SHADOW), vmread(VMCS_GUEST_CR3),
	       vmread(VMCS_GUEST_CR4), vmread(VMCS_CR4_SHADOW), vmread(VMCS_GUEST_EFER));
	pr_err("vmx", "cs=0x%lx ar=0x%lx base=0x%lx limit=0x%lx ss=0x%lx ar=0x%lx tr ar=0x%lx "
	       "interruptibility=0x%lx activity=%lu",
	       vmread(VMCS_GUEST_CS_SEL), vmread(VMCS_GUEST_CS_AR),
	       vmread(VMCS_GUEST_ES_BASE + 2 * SEG_CS), vmread(VMCS_GUEST_ES_LIMIT + 2 * SEG_CS),
	       vmread(VMCS_GUEST_SS_SEL), vmread(VMCS_GUEST_ES_AR + 2 * SEG_SS),
	       vmread(VMCS_GUEST_ES_AR + 2 * SEG_TR), vmread(VMCS_GUEST_INTERRUPTIBILITY),
	       vmread(VMCS_GUEST_ACTIVITY));
	pr_err("vmx", "gdtr=0x%lx/0x%lx idtr=0x%lx/0x%lx entry_intr_info=0x%lx",
	       vmread(VMCS_GUEST_GDTR_BASE), vmread(VMCS_GUEST_GDTR_LIMIT),
	       vmread(VMCS_GUEST_IDTR_BASE), vmread(VMCS_GUEST_IDTR_LIMIT),
	       vmread(VMCS_ENTRY_INTR_INFO));
	pr_err("vmx", "controls: pin=0x%lx cpu=0x%lx cpu2=0x%lx exit=0x%lx entry=0x%lx eptp=0x%lx "
	       "vpid=%u", vmread(VMCS_PIN_CTLS), vmread(VMCS_CPU_CTLS), vmread(VMCS_CPU_CTLS2),
	       vmread(VMCS_EXIT_CTLS), vmread(VMCS_ENTRY_CTLS), vmread(VMCS_EPT_POINTER), vx->vpid);
}

/*
 * Arm the VMX-preemption timer (25.5.1) for the next entries: it counts
 * down at the TSC rate divided by 2^(IA32_VMX_MISC 4:0) and exits (reason
 * 52) at zero.  The deadline is kept as a TSC value, NS from now, so the
 * entries until the next call each load the time left (vmx_vcpu_run).
 * Without the timer a slice ends only at the guest's own exits.
 */
static void vmx_set_preempt_ns(struct hv_vcpu *hw, u64 ns)
{
	struct vmx_vcpu *vx = hw->arch;
	if (!ns || !vmx.preempt || !time_tsc_khz()) {
		vx->preempt_armed = false;
		return;
	}
	u64 cycles = ns * time_tsc_khz() / 1000000;
	vx->preempt_tsc = rdtsc() + MAX(cycles, 1ULL << vmx.preempt_rate);
	vx->preempt_armed = true;
	vx->preempt_load = true;
}

/* EFER as the guest sees it: the VMCS copy, kept current by "save IA32_EFER". */
static u64 vmx_get_efer(struct hv_vcpu *hw)
{
	if (vmcs_load(hw->arch))
		return 0;
	return vmread(VMCS_GUEST_EFER);
}

/* A guest WRMSR to EFER: SCE, LME and NXE are the guest's; LMA stays what
 * the CPU made it (it follows CR0.PG with LME, see the top of this file). */
static void vmx_set_efer(struct hv_vcpu *hw, u64 efer)
{
	if (vmcs_load(hw->arch))
		return;
	u64 lma = vmread(VMCS_GUEST_EFER) & EFER_LMA;
	vmw(VMCS_GUEST_EFER, (efer & (EFER_SCE | EFER_LME | EFER_NXE)) | lma);
}

/* Index of MSR in guest_msrs[], or -1 (TSC_AUX counts only when the CPU
 * has it). */
static int gmsr_index(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		if (guest_msrs[i] == msr)
			return msr == MSR_TSC_AUX && !has_tsc_aux ? -1 : (int)i;
	return -1;
}

/* The VMCS guest-state field holding MSR (SDM 24.4.1: FS/GS bases and
 * the SYSENTER MSRs are loaded at entry and saved at exit), or 0. */
static u32 msr_vmcs_field(u32 msr)
{
	switch (msr) {
	case MSR_FS_BASE: return VMCS_GUEST_ES_BASE + 2 * SEG_FS;
	case MSR_GS_BASE: return VMCS_GUEST_ES_BASE + 2 * SEG_GS;
	case MSR_SYSENTER_CS: return VMCS_GUEST_SYSENTER_CS;
	case MSR_SYSENTER_ESP: return VMCS_GUEST_SYSENTER_ESP;
	case MSR_SYSENTER_EIP: return VMCS_GUEST_SYSENTER_EIP;
	}
	return 0;
}

/* A guest-owned MSR of HW: a VMCS guest field, PAT's copy, or one of
 * guest_msrs[], live from the register while HW's values are the loaded
 * ones on this CPU, else the saved copy. */
static bool vmx_get_msr(struct hv_vcpu *hw, u32 msr, u64 *val)
{
	struct vmx_vcpu *vx = hw->arch;
	u32 field = msr_vmcs_field(msr);
	if (field) {
		if (vmcs_load(vx))
			return false;
		*val = vmread(field);
		return true;
	}
	if (msr == MSR_PAT) {
		*val = vx->pat;
		return true;
	}
	int i = gmsr_index(msr);
	if (i < 0)
		return false;
	*val = vmx_cpu_here()->msr_owner == vx ? rdmsr(msr) : vx->gmsr[i];
	return true;
}

/* A guest write (vmm/ checked it): into the VMCS field, PAT's copy, or the
 * saved copy and the register too when HW's values are loaded on this CPU. */
static bool vmx_set_msr(struct hv_vcpu *hw, u32 msr, u64 val)
{
	struct vmx_vcpu *vx = hw->arch;
	u32 field = msr_vmcs_field(msr);
	if (field) {
		if (vmcs_load(vx))
			return false;
		vmw(field, msr == MSR_SYSENTER_CS ? (u32)val : val);
		return true;
	}
	if (msr == MSR_PAT) {
		vx->pat = val;
		return true;
	}
	int i = gmsr_index(msr);
	if (i < 0)
		return false;
	vx->gmsr[i] = val;
	if (vmx_cpu_here()->msr_owner == vx)
		wrmsr(msr, val);
	return true;
}

/* The VMCS TSC offset (24.6.5), which RDTSC, RDTSCP and RDMSR of the TSC in
 * the guest add to the host TSC when "use TSC offsetting" is set (25.3). */
static u64 vmx_get_tsc_offset(struct hv_vcpu *hw)
{
	if (!(vmx.cpu & CPU_USE_TSC_OFFSETTING) || vmcs_load(hw->arch))
		return 0;
	return vmread(VMCS_TSC_OFFSET);
}

static bool vmx_set_tsc_offset(struct hv_vcpu *hw, u64 offset)
{
	if (!(vmx.cpu & CPU_USE_TSC_OFFSETTING) || vmcs_load(hw->arch))
		return false;
	vmw(VMCS_TSC_OFFSET, offset);
	return true;
}

const struct hv_ops vmx_ops = {
	.name = "vmx",
	.tdp_fmt = &ept_fmt,
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.max_tags = vmx_max_tags,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.set_state = vmx_set_state,
	.vcpu_run = vmx_vcpu_run,
	.skip_insn = vmx_skip_insn,
	.inject_event = vmx_inject_event,
	.request_window = vmx_request_window,
	.get_interrupt_shadow = vmx_get_interrupt_shadow,
	.get_segment = vmx_get_segment,
	.set_segment = vmx_set_segment,
	.get_dtables = vmx_get_dtables,
	.get_cr = vmx_get_cr,
	.set_cr2 = vmx_set_cr2,
	.flush_tlb = vmx_flush_tlb,
	.dump = vmx_dump,
	.set_preempt_ns = vmx_set_preempt_ns,
	.get_efer = vmx_get_efer,
	.set_efer = vmx_set_efer,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.get_tsc_offset = vmx_get_tsc_offset,
	.set_tsc_offset = vmx_set_tsc_offset,
};
