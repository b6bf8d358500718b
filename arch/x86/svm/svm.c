/*
 * AMD SVM backend: fills struct hv_ops (vmm/hv.h) with everything that
 * names a VMCB field or runs VMRUN.  References are to the AMD64
 * Architecture Programmer's Manual Vol 2 (System Programming), chapter 15,
 * and Appendix B (VMCB layout) / C (exit codes).
 *
 * The backend sees a vCPU only as struct hv_vcpu: its registers, its
 * struct svm_vcpu (hw->arch) and the ASID vmm/ chose for it (hw->tag).
 * Per-CPU state (the host save area, the host's VMSAVE area, which vCPU
 * last ran with each ASID) lives in arrays indexed by the CPU number.
 */
#include "arch/x86/svm/svm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/spec.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/vmcb.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "lib/log.h"
#include "lib/string.h"

#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS BIT(4)
#define MSR_VM_HSAVE_PA 0xc0010117
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_OF 4
#define X86_GP 13
#define X86_AC 17

/* SVM features (CPUID 0x8000000A EDX, APM Vol 3 E.4.10) */
#define SVM_FEAT_NRIPS BIT(3)
#define SVM_FEAT_VMCB_CLEAN BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID BIT(6)
#define SVM_FEAT_DECODE_ASSISTS BIT(7)
#define SVM_FEAT_PAUSE_FILTER BIT(10)
#define SVM_FEAT_PAUSE_THRESHOLD BIT(12)

/*
 * VMCB clean bits (APM Vol 2 15.15.3, the VMCB Clean field at 0xC0): a
 * set bit tells VMRUN that the VMM did not change that group of fields
 * since the last VMRUN of this VMCB on this CPU, so a cached copy may be
 * used.  Fields outside every group (RAX/RSP/RIP/RFLAGS, EVENTINJ,
 * TLB_CONTROL, NRIP, the interrupt shadow) are always read.  What the
 * guest itself changed is no concern: #VMEXIT wrote it back and the cache
 * matches.  Every writer below ORs its group into svm_vcpu.dirty.
 */
#define VMCB_CLEAN_I BIT(0)     /* intercept vectors, TSC offset, PAUSE filter */
#define VMCB_CLEAN_IOPM BIT(1)  /* IOPM_BASE, MSRPM_BASE */
#define VMCB_CLEAN_ASID BIT(2)  /* ASID */
#define VMCB_CLEAN_TPR BIT(3)   /* V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING... */
#define VMCB_CLEAN_NP BIT(4)    /* nested paging: NP_ENABLE, N_CR3, G_PAT */
#define VMCB_CLEAN_CR BIT(5)    /* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DR BIT(6)    /* DR6, DR7 */
#define VMCB_CLEAN_DT BIT(7)    /* GDTR, IDTR */
#define VMCB_CLEAN_SEG BIT(8)   /* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2 BIT(9)   /* CR2 */
#define VMCB_CLEAN_LBR BIT(10)  /* DbgCtlMsr and the LBR MSRs (never changed here) */
#define VMCB_CLEAN_ALL 0x7ffu   /* bits 0-10; AVIC's (11) stays clear: unused */

/* ASIDs handed out at most: asid_owner is one page of pointers per CPU. */
#define SVM_MAX_ASID ((u32)(PAGE_SIZE / sizeof(void *)) - 1)

/* Host addresses of guest pages kept per vCPU for the instruction fetch
 * of the exit path (its page tables and code pages): a direct-mapped
 * cache, one entry per gfn mod this. */
#define GPA_PAGES 16

/* Vendor state of one vCPU (hw->arch). */
struct svm_vcpu {
	struct vmcb *vmcb; /* guest VMCB (identity-mapped, so also its PA) */
	bool flush;        /* flush this ASID's TLB entries at the next VMRUN */
	unsigned cpu;      /* CPU of the last vcpu_load (or of the create) */
	u8 soft_len;       /* a software event is queued for the next VMRUN: the
	                      length of its INTn/INT3/INTO, else 0 */
	u64 soft_rip;      /* ... and the RIP of that instruction */
	bool nmi_masked;   /* an NMI was injected and its handler has not
	                      executed IRET yet (IRET is intercepted meanwhile) */
	bool want_nmi;     /* an NMI window is requested */
	bool iret_pending; /* the NMI handler's IRET was intercepted and has not
	                      completed: NMIs stay blocked until RIP moves on */
	u64 iret_rip;      /* ... the RIP of that IRET */
	bool nmi_step;     /* that IRET runs with TF set (and #DB intercepted), so
	                      the exit comes right after it completes */
	u32 dirty;         /* VMCB_CLEAN_* groups changed since the last VMRUN (all
	                      when new, loaded with a new state or moved to a CPU) */
	u64 tsc_aux;       /* the guest's IA32_TSC_AUX (not in the VMCB: switched here) */
	struct gpa_page {
		u64 gfn;          /* a guest frame the instruction fetch read ... */
		const u8 *page;   /* ... and the host address of its backing (NULL: the
				     entry is empty); valid while the vCPU exists */
	} gpa_page[GPA_PAGES]; /* by gfn mod GPA_PAGES: see guest_ptr() */
	struct fetch_walk {
		u64 cr0, cr3, cr4, efer; /* the paging state of the last kept walk ... */
		u64 la_page;       /* ... the linear page it translated (LA >> 12) ... */
		u64 gpa_page;      /* ... to this guest-physical page address */
		unsigned n;        /* 64-bit entries it read (0: no walk kept) ... */
		const u64 *at[4];  /* ... where they are in their backing pages ... */
		u64 val[4];        /* ... and what they held */
	} walk; /* the fetch's last walk, replayed by guest_linear_to_phys() */
};

/* This backend's record of one host CPU, in that CPU's struct percpu (its
 * hv_slot, arch/x86/percpu.h). */
struct svm_cpu {
	u64 host_save_area_pa;   /* VM_HSAVE_PA: where VMRUN keeps host state */
	u64 host_vmcb_pa;        /* the host's VMSAVE/VMLOAD share (FS/GS/TR/LDTR and
				    the SYSCALL/SYSENTER MSRs), saved once: the VMM
				    never changes it after svm_cpu_enable */
	struct svm_vcpu **asid_owner; /* which vCPU last ran with each ASID here (a
				    page of pointers, indexed by ASID): vCPUs share
				    ASIDs when there are more vCPUs than ASIDs, and a
				    switch between two of them must flush that ASID's
				    TLB entries on this CPU */
	struct svm_vcpu *last_run; /* the VMCB run last here (NULL: none, or one
				    gone): one run again right after itself needs no
				    look at asid_owner, and only it may use clean bits
				    (APM 15.15.3 asks for no more than "same CPU";
				    this is the conservative reading) */
	u64 cur_tsc_aux;         /* IA32_TSC_AUX as last written here (~0: unknown; a
				    real value has bits 63:32 clear) */
};

/* The record of CPU number CPU / of this CPU. */
static inline struct svm_cpu *svm_cpu_of(unsigned cpu)
{
	return PERCPU_SLOT(percpu_area(cpu), hv_slot, struct svm_cpu);
}
static inline struct svm_cpu *svm_cpu_here(void)
{
	return PERCPU_SLOT(this_percpu(), hv_slot, struct svm_cpu);
}
static bool has_tsc_aux;      /* the CPU has IA32_TSC_AUX (RDTSCP or RDPID) */

/* Shared by every CPU and every guest. */
static u64 iopm_pa;           /* 12 KiB, all ones: every port intercepted */
static u64 msrpm_pa;          /* 8 KiB, all ones: every MSR intercepted */
static u32 nr_asids;          /* CPUID 0x8000000A EBX */
static bool has_nrips;        /* CPUID 0x8000000A EDX bit 3: NRIP save */
static bool has_vmcb_clean;   /* EDX bit 5: VMCB clean bits honoured */
static bool has_flush_asid;   /* EDX bit 6: TLB_CONTROL 3 (flush this ASID) */
static bool has_decode;       /* EDX bit 7: decode assists (MOV CR GPR in EXITINFO1) */
static u32 pause_feat;        /* EDX bits 10 and 12: PAUSE filter count / threshold */
static u64 cr4_valid;         /* CR4 bits this CPU implements (a guest setting others: #GP) */

void svm_vmrun(struct vcpu_regs *regs, u64 guest_vmcb_pa, u64 host_vmcb_pa);
extern const char svm_vmrun_resume[]; /* vmrun.asm: the instruction after VMRUN */

/*
 * Is SVM usable?  CPUID 0x80000001 ECX bit 2 (SVM), nested paging (CPUID
 * 0x8000000A EDX bit 0), and VM_CR.SVMDIS clear (15.4: firmware may disable
 * SVM and lock it off).  Notes NRIP save (EDX bit 3, 15.7.1).  Returns 0 or
 * -E_NODEV with the reason logged.
 */
static int svm_probe(void)
{
	if (!(cpuid(0x80000001).ecx & BIT(2)))
		return -E_NODEV;
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm", "SVM is disabled by firmware (VM_CR.SVMDIS=1)");
		return -E_NODEV;
	}
	struct cpuid_regs r = cpuid(0x8000000a);
	if (!(r.edx & BIT(0))) {
		pr_err("svm", "SVM without nested paging is not supported");
		return -E_NODEV;
	}
	nr_asids = r.ebx;
	has_nrips = r.edx & SVM_FEAT_NRIPS;
	has_vmcb_clean = r.edx & SVM_FEAT_VMCB_CLEAN;
	has_flush_asid = r.edx & SVM_FEAT_FLUSH_BY_ASID;
	has_decode = r.edx & SVM_FEAT_DECODE_ASSISTS;
	pause_feat = r.edx & (SVM_FEAT_PAUSE_FILTER | SVM_FEAT_PAUSE_THRESHOLD);
	pr_info("svm", "SVM revision %u, %u ASIDs, features 0x%x (NPT%s%s%s%s%s)", r.eax & 0xff,
		nr_asids, r.edx, has_nrips ? ", NRIP save" : ", no NRIP save",
		(r.edx & BIT(5)) ? ", VMCB clean bits" : "",
		has_flush_asid ? ", flush by ASID" : ", no flush by ASID",
		has_decode ? ", decode assists" : "",
		(pause_feat & SVM_FEAT_PAUSE_FILTER) ? ", PAUSE filter" : "");
	/* CR4 bits a MOV to CR4 may set (APM Vol 2 3.1.3): VME..OSXMMEXCPT
	 * always, the others when CPUID reports their feature. */
	struct cpuid_regs l1 = cpuid(1), l7 = cpuid_count(7, 0);
	cr4_valid = 0x7ff;
	if (l7.ecx & BIT(2))
		cr4_valid |= BIT(11); /* UMIP */
	if (l7.ebx & BIT(0))
		cr4_valid |= BIT(16); /* FSGSBASE */
	if (l1.ecx & BIT(17))
		cr4_valid |= BIT(17); /* PCIDE */
	if (l7.ebx & BIT(7))
		cr4_valid |= BIT(20); /* SMEP */
	if (l7.ebx & BIT(20))
		cr4_valid |= BIT(21); /* SMAP */
	npt_fmt_init();
	return 0;
}

/*
 * The guest-owned MSRs that VMRUN/VMLOAD/VMSAVE switch with the guest's
 * VMCB (15.5.1, 15.30.5: KernelGsBase, STAR, LSTAR, CSTAR, SFMASK): clear
 * their read and write bits in the MSR permission map MAP (15.11: two bits
 * per MSR, read then write; MSRs C000_0000-C000_1FFF from byte 0x800), so
 * the guest uses them without exits.  TSC_AUX stays intercepted: it is not
 * in the VMCB and svm_vcpu_run loads each vCPU's value.
 */
static void msrpm_open_guest_owned(u8 *map)
{
	static const u32 msrs[] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE};
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++) {
		u32 bit = (msrs[i] - 0xc0000000) * 2;
		map[0x800 + bit / 8] &= ~(u8)(3u << (bit % 8));
	}
}

/*
 * Enable SVM on CPU (the calling CPU): EFER.SVME (15.4), its host save
 * area (VM_HSAVE_PA, 15.30.4), a VMCB for the host's VMSAVE/VMLOAD share
 * and its ASID owner table; the permission maps shared by every CPU are
 * allocated by the first call.  Returns 0, -E_INVAL for a CPU number out
 * of range, or -E_NOMEM.
 */
static int svm_cpu_enable(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return -E_INVAL;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	if (!iopm_pa) {
		iopm_pa = pmm_alloc_pages_filled(2, 0xff);  /* 16 KiB block; the map is 12 KiB (15.10.1) */
		msrpm_pa = pmm_alloc_pages_filled(1, 0xff); /* 8 KiB (15.11) */
		if (msrpm_pa)
			msrpm_open_guest_owned(phys_to_virt(msrpm_pa));
		has_tsc_aux = cpu_has_tsc_aux();
	}
	struct svm_cpu *sc = svm_cpu_of(cpu);
	sc->host_save_area_pa = pmm_alloc_pages_filled(0, 0);
	sc->host_vmcb_pa = pmm_alloc_pages_filled(0, 0);
	u64 owners = pmm_alloc_pages_filled(0, 0);
	if (!sc->host_save_area_pa || !sc->host_vmcb_pa || !owners || !iopm_pa || !msrpm_pa)
		return -E_NOMEM;
	sc->asid_owner = phys_to_virt(owners);
	sc->last_run = NULL;
	sc->cur_tsc_aux = ~0ULL;
	wrmsr(MSR_VM_HSAVE_PA, sc->host_save_area_pa);
	/* The host's VMSAVE share, once (15.5.2): FS, GS (the per-CPU area's
	 * base), TR, LDTR, KernelGSBase and the SYSCALL/SYSENTER MSRs are set
	 * up before this and never written again by the VMM, so each #VMEXIT
	 * VMLOADs this copy back (svm_vmrun) without a VMSAVE per entry. */
	__asm__ volatile("vmsave %%rax" ::"a"(sc->host_vmcb_pa) : "memory");
	pr_info("svm", "SVM enabled: EFER.SVME=1, host save area at 0x%lx", sc->host_save_area_pa);
#ifdef EXIT_FLOOR
	pr_warn("svm", "EXIT_FLOOR image (scripts/bench-kvm.sh --floor): CPUID leaf 0 is answered "
		"in the world switch; not an image to run guests with");
#endif
	return 0;
}

/* ASIDs vmm/ may give vCPUs: 1..N (ASID 0 is the host's, 15.5.1). */
static u32 svm_max_tags(void)
{
	return nr_asids > 1 ? MIN(nr_asids - 1, SVM_MAX_ASID) : 1;
}

/* The VMCB save-area segment of neutral register S (the VMCB order is ES,
 * CS, SS, DS, FS, GS, then GDTR, LDTR, IDTR, TR: not the enum's). */
static struct vmcb_seg *vmcb_seg(struct vmcb *m, enum hv_seg s)
{
	static const u16 off[HV_SEG_COUNT] = {
		[HV_SEG_ES] = offsetof(struct vmcb_save, es),
		[HV_SEG_CS] = offsetof(struct vmcb_save, cs),
		[HV_SEG_SS] = offsetof(struct vmcb_save, ss),
		[HV_SEG_DS] = offsetof(struct vmcb_save, ds),
		[HV_SEG_FS] = offsetof(struct vmcb_save, fs),
		[HV_SEG_GS] = offsetof(struct vmcb_save, gs),
		[HV_SEG_LDTR] = offsetof(struct vmcb_save, ldtr),
		[HV_SEG_TR] = offsetof(struct vmcb_save, tr),
	};
	return (struct vmcb_seg *)((u8 *)&m->save + off[s]);
}

/*
 * Would VMRUN refuse ST?  The consistency checks of 15.5.1 that a start
 * state can break (EFER.LMA is derived from LME and PG, SVME is added):
 * returns NULL when ST can be loaded, else what is wrong with it.
 */
static const char *svm_state_invalid(const struct vcpu_state *st)
{
	bool pg = st->cr0 & CR0_PG, lme = st->efer & EFER_LME;
	const struct hv_segment *cs = &st->seg[HV_SEG_CS];
	if (st->cr0 >> 32)
		return "CR0[63:32] not zero";
	if ((st->cr0 & CR0_NW) && !(st->cr0 & CR0_CD))
		return "CR0.NW set with CR0.CD clear";
	if (pg && !(st->cr0 & CR0_PE))
		return "CR0.PG set with CR0.PE clear";
	if (lme && pg && !(st->cr4 & CR4_PAE))
		return "EFER.LME and CR0.PG set with CR4.PAE clear";
	if (lme && pg && (cs->attrib & HV_SEG_ATTR_L) && (cs->attrib & HV_SEG_ATTR_DB))
		return "long mode with CS.L and CS.D both set";
	return NULL;
}

/*
 * Load ST into the VMCB save area and HW->regs: every segment (the neutral
 * attrib is already the VMCB's format, 15.5.1 / B-2), GDTR, IDTR, CR0,
 * CR3, CR4, EFER (LMA = LME && PG so VMRUN sees a consistent long-mode
 * state, plus SVME, which VMRUN requires in the guest EFER, 15.5.1), CPL
 * (the VMCB keeps it apart: SS.DPL in protected mode, 0 in real mode, 3 in
 * virtual-8086 mode), CR2 = 0, DR6/DR7 and PAT at their reset values.
 * Whatever was pending for the old state (an event to inject, a window, an
 * interrupt shadow, NMI masking) is dropped.  Assumes svm_state_invalid()
 * found nothing, or accepts that VMRUN will fail with VMEXIT_INVALID.
 */
static void svm_load_state(struct svm_vcpu *sv, struct hv_vcpu *hw, const struct vcpu_state *st)
{
	struct vmcb_save *s = &sv->vmcb->save;
	struct vmcb_control *c = &sv->vmcb->ctl;

	for (unsigned i = 0; i < HV_SEG_COUNT; i++) {
		struct vmcb_seg *d = vmcb_seg(sv->vmcb, i);
		d->selector = st->seg[i].selector;
		d->attrib = st->seg[i].attrib;
		d->limit = st->seg[i].limit;
		d->base = st->seg[i].base;
	}
	s->gdtr.selector = s->gdtr.attrib = 0;
	s->gdtr.base = st->gdtr.base;
	s->gdtr.limit = st->gdtr.limit;
	s->idtr.selector = s->idtr.attrib = 0;
	s->idtr.base = st->idtr.base;
	s->idtr.limit = st->idtr.limit;
	if (!(st->cr0 & CR0_PE))
		s->cpl = 0;
	else if (st->regs.rflags & RFLAGS_VM)
		s->cpl = 3;
	else
		s->cpl = (st->seg[HV_SEG_SS].attrib >> 5) & 3;

	bool lma = (st->efer & EFER_LME) && (st->cr0 & CR0_PG);
	s->efer = (st->efer & ~(EFER_LMA | EFER_SVME)) | (lma ? EFER_LMA : 0) | EFER_SVME;
	s->cr0 = st->cr0;
	s->cr3 = st->cr3;
	s->cr4 = st->cr4;
	s->cr2 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ULL; /* the power-on PAT */
	s->rax = st->regs.rax;
	s->rsp = st->regs.rsp;
	s->rip = st->regs.rip;
	s->rflags = st->regs.rflags;
	hw->regs = st->regs;

	sv->dirty = VMCB_CLEAN_ALL; /* nearly every group changed */
	c->event_inj = 0;
	c->int_shadow = 0;
	c->int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR | SVM_INT_CTL_V_INTR_PRIO_MASK);
	c->intercept_misc1 &= ~(SVM_INTERCEPT_VINTR | SVM_INTERCEPT_IRET);
	sv->soft_len = 0;
	sv->nmi_masked = sv->want_nmi = sv->iret_pending = sv->nmi_step = false;
}

/*
 * Create the VMCB of HW with ASID HW->tag and start state ST.  Intercepts
 * (15.9-15.14): CPUID, HLT, I/O and MSR through the all-ones permission
 * maps, SHUTDOWN (a triple fault), INVD, XSETBV, VMMCALL (hypercalls),
 * physical INTR and NMI, and every SVM instruction - VMRUN's intercept
 * must be set or VMRUN fails its consistency checks (15.5.1).  Nested
 * paging with TDP_ROOT in N_CR3 (15.25.3).  Returns 0, -E_INVAL for a
 * state VMRUN would refuse or a tag out of 1..max_tags, or -E_NOMEM.
 * Called on the CPU that will run HW (vcpu_load before it found no state).
 */
static int svm_vcpu_create(struct hv_vcpu *hw, const struct vcpu_state *st, u64 tdp_root)
{
	const char *bad = svm_state_invalid(st);
	if (bad) {
		pr_err("svm", "start state refused: %s", bad);
		return -E_INVAL;
	}
	if (!hw->tag || hw->tag > svm_max_tags())
		return -E_INVAL;
	/* One zeroed 2-page block: this struct in the first page, the VMCB
	 * (which must be page-aligned) in the second. */
	u64 pa = pmm_alloc_pages_filled(1, 0);
	if (!pa)
		return -E_NOMEM;
	struct svm_vcpu *sv = phys_to_virt(pa);
	sv->vmcb = phys_to_virt(pa + PAGE_SIZE);
	sv->cpu = this_cpu();
	sv->flush = true; /* the ASID may have served another vCPU */
	sv->tsc_aux = hw->id; /* RDTSCP/RDPID tell the vCPU apart, as an OS sets it up */
	hw->arch = sv;

	struct vmcb_control *c = &sv->vmcb->ctl;
	/* 15.9-15.13; a guest may be hostile: RDPMC (#GP: leaf 0xA is hidden,
	 * the host's counters are not the guest's), MONITOR/MWAIT (#UD: CPUID
	 * hides MONITOR; MWAIT would idle a host CPU at the guest's will). */
	c->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD |
			     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO_PROT |
			     SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_NMI |
			     SVM_INTERCEPT_INTR | SVM_INTERCEPT_RDPMC;
	c->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
			     SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
			     SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_XSETBV |
			     SVM_INTERCEPT2_MONITOR | SVM_INTERCEPT2_MWAIT |
			     SVM_INTERCEPT2_MWAIT_COND;
	/* 15.12: #MC (never let a guest swallow a machine check); #AC and #DB
	 * so that a delivery of either that raises itself again (a misaligned
	 * CPL3 stack with AC set, CVE-2015-5307; a data breakpoint on the #DB
	 * frame, CVE-2015-8104) exits once per round instead of looping in
	 * microcode forever: vmm/ reflects them (VM_EXIT_EXCEPTION).  On a #DB
	 * intercept the save area's DR6 and DR7 already hold what the debug
	 * condition set (15.12; KVM's db_interception takes its payload from
	 * there), and EVENTINJ delivers the #DB without touching them again,
	 * so the guest's handler sees what it would have seen; the
	 * single-step test checks DR6.BS under QEMU. */
	c->intercept_exc = SVM_INTERCEPT_EXC(18) | SVM_INTERCEPT_EXC(X86_AC) |
			   SVM_INTERCEPT_EXC(X86_DB);
	/* 15.8: writes of CR4 that set a bit CPUID hides (OSXSAVE, PKE) get
	 * #GP (svm_cr4_write); the write intercept takes every MOV to CR4. */
	c->intercept_cr = SVM_INTERCEPT_CR_WRITE(4);
	/* 15.14.4: PAUSE filter: the PAUSE intercept fires only after COUNT
	 * PAUSEs (within THRESHOLD cycles of each other when the threshold is
	 * supported), i.e. in a spin loop; the exit just ends the slice.
	 * Without the filter PAUSE is not intercepted (every one would exit). */
	if (pause_feat & SVM_FEAT_PAUSE_FILTER) {
		c->pause_filter_count = 3000;
		if (pause_feat & SVM_FEAT_PAUSE_THRESHOLD)
			c->pause_filter_thresh = 128;
		c->intercept_misc1 |= SVM_INTERCEPT_PAUSE;
	}
	c->iopm_base_pa = iopm_pa;   /* 15.10.1 */
	c->msrpm_base_pa = msrpm_pa; /* 15.11 */
	c->asid = hw->tag;           /* 15.16: never 0 (the host's) */
	c->tlb_control = 1;
	c->int_ctl = SVM_INT_CTL_V_INTR_MASKING; /* 15.21.1: guest IF masks only virtual interrupts */
	c->np_enable = 1;            /* 15.25.3 */
	c->n_cr3 = tdp_root;

	svm_load_state(sv, hw, st);
	return 0;
}

/* Free HW's VMCB and state; HW no longer owns its ASID on any CPU. */
static void svm_vcpu_destroy(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	if (!sv)
		return;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct svm_cpu *sc = svm_cpu_of(cpu);
		if (sc->last_run == sv)
			sc->last_run = NULL; /* a new VMCB here later is not this one */
		if (sc->asid_owner && hw->tag <= SVM_MAX_ASID && sc->asid_owner[hw->tag] == sv)
			sc->asid_owner[hw->tag] = NULL;
	}
	pmm_free_pages(virt_to_phys(sv), 1);
	hw->arch = NULL;
}

/*
 * HW is about to run on CPU.  VMRUN loads the VMCB (what its clean bits do
 * not say is cached), so nothing needs loading; a vCPU that comes from
 * another CPU flushes its ASID there first (the TLB of this CPU may hold
 * entries of an older mapping under the same ASID) and marks every group
 * dirty (15.15.3).  No state yet (before create): nothing.
 */
static void svm_vcpu_load(struct hv_vcpu *hw, unsigned cpu)
{
	struct svm_vcpu *sv = hw->arch;
	if (!sv || sv->cpu == cpu)
		return;
	sv->cpu = cpu;
	sv->flush = true;
	sv->dirty = VMCB_CLEAN_ALL;
}

/* HW stops running here for now: #VMEXIT already saved all of it. */
static void svm_vcpu_put(struct hv_vcpu *hw)
{
	(void)hw;
}

/* Load a whole new state (INIT/SIPI, reset); see svm_load_state(). */
static void svm_set_state(struct hv_vcpu *hw, const struct vcpu_state *st)
{
	const char *bad = svm_state_invalid(st);
	if (bad)
		pr_err("svm", "state loaded anyway, VMRUN will refuse it: %s", bad);
	svm_load_state(hw->arch, hw, st);
}

static unsigned io_size(u64 info1)
{
	if (info1 & SVM_IOIO_SZ32)
		return 4;
	if (info1 & SVM_IOIO_SZ16)
		return 2;
	return 1;
}

/*
 * Length of the intercepted instruction at HW's RIP: from NRIP (next_rip,
 * saved on instruction intercepts when CPUID 0x8000000A EDX bit 3 says so,
 * 15.7.1), else FIXED, the length the instruction has in its only encoding
 * (QEMU's TCG has no NRIP save).
 */
static unsigned prefix_bytes(struct svm_vcpu *sv, struct hv_vcpu *hw);

/*
 * The length of the intercepted instruction at RIP: NRIP - RIP when the
 * CPU saves NRIP (15.7.1); without it (QEMU's TCG) its opcode's length
 * FIXED plus the prefixes in front of it, fetched from guest memory
 * (`66 0f a2` is a 3-byte CPUID, and stepping over 2 would run its last
 * byte as an instruction).
 */
static unsigned insn_len(struct svm_vcpu *sv, struct hv_vcpu *hw, unsigned fixed)
{
	u64 next = sv->vmcb->ctl.next_rip;
	if (has_nrips && next > hw->regs.rip && next - hw->regs.rip <= 15)
		return (unsigned)(next - hw->regs.rip);
	return fixed + prefix_bytes(sv, hw);
}

/* Step HW past an instruction of LEN bytes the VMM performed: it retired,
 * so an STI / MOV SS shadow it was in is over (15.21.5). */
static void skip(struct svm_vcpu *sv, struct hv_vcpu *hw, unsigned len)
{
	hw->regs.rip += len;
	sv->vmcb->ctl.int_shadow &= ~SVM_INT_SHADOW;
}

/*
 * The event whose delivery this exit cut short (EXITINTINFO, 15.7.2; same
 * format as EVENTINJ) into E->interrupted, for vmm/ to inject again.
 * SOFT_LEN is the length of a software event this backend injected for the
 * run just ended (0: none).  Without NRIP save, RIP was moved past that
 * event's instruction before VMRUN; the event did not complete, so RIP goes
 * back to the instruction (the next injection moves it again).  A software
 * event the guest raised itself (INTn, INT3, INTO run in the guest) is not
 * reported: RIP still points at its instruction, which simply runs again.
 */
static void svm_decode_interrupted(struct svm_vcpu *sv, struct hv_vcpu *hw, u8 soft_len,
				   struct vm_exit *e)
{
	u64 ii = sv->vmcb->ctl.exit_int_info;
	struct hv_event *ev = &e->interrupted;
	ev->valid = false; /* E is not cleared (svm_decode_exit): every field read is set */
	if (!(ii & SVM_EVTINJ_VALID))
		return;
	ev->has_error = false;
	ev->error = 0;
	ev->insn_len = 0;
	if (soft_len && !has_nrips && hw->regs.rip == sv->soft_rip + soft_len)
		hw->regs.rip = sv->soft_rip;
	u8 vector = ii & 0xff;
	switch (ii & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_INTR:
		ev->type = HV_EVENT_EXT_INTR;
		break;
	case SVM_EVTINJ_TYPE_NMI:
		ev->type = HV_EVENT_NMI;
		break;
	case SVM_EVTINJ_TYPE_EXCEPTION:
		if (vector == X86_BP || vector == X86_OF) {
			if (!soft_len)
				return;
			ev->type = HV_EVENT_SOFT_EXC;
			ev->insn_len = soft_len;
			break;
		}
		ev->type = HV_EVENT_EXCEPTION;
		ev->has_error = ii & SVM_EVTINJ_ERR_VALID;
		ev->error = ev->has_error ? (u32)(ii >> 32) : 0;
		break;
	case SVM_EVTINJ_TYPE_SOFT:
		if (!soft_len)
			return;
		ev->type = HV_EVENT_SOFT_INTR;
		ev->insn_len = soft_len;
		break;
	default:
		return; /* reserved types */
	}
	ev->vector = vector;
	ev->valid = true;
}

/*
 * The host address of the byte at guest-physical GPA of HW (vCPU SV), to
 * read with plain loads up to the end of its page, or NULL when the page
 * has no backing yet or is not RAM (then hv_read_guest() gives its bytes).
 * Addresses come from SV's small cache, filled through hv_guest_page(): a
 * page's backing never changes while the guest exists, so an entry never
 * goes stale, and the exit path's usual fetch (the same few page-table
 * pages and code page every time) costs no call into vmm/ or mm/.
 */
static const u8 *guest_ptr_miss(struct gpa_page *c, struct hv_vcpu *hw, u64 gpa);

static inline __attribute__((always_inline)) const u8 *guest_ptr(struct svm_vcpu *sv,
								 struct hv_vcpu *hw, u64 gpa)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct gpa_page *c = &sv->gpa_page[gfn % GPA_PAGES];
	if (__builtin_expect(c->gfn == gfn && c->page != NULL, 1))
		return c->page + (gpa & (PAGE_SIZE - 1));
	return guest_ptr_miss(c, hw, gpa);
}

/* guest_ptr() when GPA's page is not in cache entry C: ask vmm/ and keep
 * the answer in C (a page without backing is not kept: it gets one later). */
static const u8 *guest_ptr_miss(struct gpa_page *c, struct hv_vcpu *hw, u64 gpa)
{
	const u8 *page = hv_guest_page(hw, gpa);
	if (!page)
		return NULL;
	c->gfn = gpa >> PAGE_SHIFT;
	c->page = page;
	return page + (gpa & (PAGE_SIZE - 1));
}

/*
 * A guest page-table entry of SIZE bytes (4 or 8, naturally aligned, so
 * within one page) at GPA into *E: one load from the backing page, or
 * hv_read_guest() for a page without backing.  False when GPA is not RAM.
 * The guest may be changing the entry on another vCPU: a single-copy
 * atomic load sees the old or the new value, as the hardware walk would.
 */
static inline bool read_entry(struct svm_vcpu *sv, struct hv_vcpu *hw, u64 gpa, unsigned size,
			      u64 *e)
{
	const u8 *p = guest_ptr(sv, hw, gpa);
	if (p) {
		*e = size == 8 ? __atomic_load_n((const u64 *)p, __ATOMIC_RELAXED) :
				 __atomic_load_n((const u32 *)p, __ATOMIC_RELAXED);
		return true;
	}
	*e = 0;
	return !hv_read_guest(hw, gpa, e, size);
}

/*
 * One 64-bit entry of a PAE or long-mode walk at GPA into *E, as
 * read_entry(), and noted in W (when it was read in place) for the replay
 * of guest_linear_to_phys(); an entry read otherwise makes the walk one
 * that is not kept (W->n past the end).
 */
static inline bool walk_entry(struct svm_vcpu *sv, struct hv_vcpu *hw, struct fetch_walk *w,
			      u64 gpa, u64 *e)
{
	const u8 *p = guest_ptr(sv, hw, gpa);
	if (!p) {
		w->n = ARRAY_SIZE(w->at) + 1;
		*e = 0;
		return !hv_read_guest(hw, gpa, e, 8);
	}
	*e = __atomic_load_n((const u64 *)p, __ATOMIC_RELAXED);
	if (w->n < ARRAY_SIZE(w->at)) {
		w->at[w->n] = (const u64 *)p;
		w->val[w->n] = *e;
	}
	w->n++;
	return true;
}

static bool guest_walk(struct svm_vcpu *sv, struct hv_vcpu *hw, u64 la, u64 *gpa);

/*
 * Guest linear address LA to guest-physical, walking the guest's own page
 * tables as the VMCB's CR0/CR3/CR4/EFER describe them (AMD APM Vol 2
 * 5.3-5.5): no paging, 32-bit (4 MiB pages with CR4.PSE), PAE (PDPTEs at
 * CR3) or 4-level long mode (2 MiB / 1 GiB pages).  Only what an
 * instruction fetch needs: presence, no permission checks.  Entries are
 * read with plain loads where they have backing (read_entry).  Returns
 * false when LA is not mapped (or CR4.LA57 asks for a 5-level walk, not
 * done here).
 *
 * A PAE or long-mode walk is kept in SV->walk with the address and value
 * of every entry it read, and the next translation of the same linear
 * page under the same CR0/CR3/CR4/EFER replays it: when each of those
 * entries still holds its value, a walk now would read the same entries
 * (each address comes from the one before) and reach the same page, so
 * the kept result is the walk's, at one load and compare per level.  An
 * entry the guest changed (or a new CR3) makes it walk again.
 */
static inline bool guest_linear_to_phys(struct svm_vcpu *sv, struct hv_vcpu *hw, u64 la,
					u64 *gpa)
{
	const struct vmcb_save *s = &sv->vmcb->save;
	const struct fetch_walk *w = &sv->walk;
	if (!(s->cr0 & CR0_PG)) {
		*gpa = (u32)la;
		return true;
	}
	if (w->n && w->la_page == la >> PAGE_SHIFT && w->cr3 == s->cr3 && w->cr0 == s->cr0 &&
	    w->cr4 == s->cr4 && w->efer == s->efer) {
		unsigned i = 0;
		while (i < w->n && __atomic_load_n(w->at[i], __ATOMIC_RELAXED) == w->val[i])
			i++;
		if (i == w->n) {
			*gpa = w->gpa_page + (la & (PAGE_SIZE - 1));
			return true;
		}
	}
	return guest_walk(sv, hw, la, gpa);
}

/* The walk itself, for guest_linear_to_phys() when paging is on and no kept
 * walk replays; keeps it in SV->walk when it may be replayed. */
static bool guest_walk(struct svm_vcpu *sv, struct hv_vcpu *hw, u64 la, u64 *gpa)
{
	const struct vmcb_save *s = &sv->vmcb->save;
	const u64 addr = 0x000ffffffffff000ULL;
	struct fetch_walk *w = &sv->walk;
	u64 e;
	w->n = 0;
	if (!(s->cr4 & CR4_PAE)) {
		if (!read_entry(sv, hw, (s->cr3 & 0xfffff000) + ((la >> 22) & 0x3ff) * 4, 4, &e) ||
		    !(e & 1))
			return false;
		if ((e & BIT(7)) && (s->cr4 & BIT(4))) { /* PSE: 4 MiB page */
			*gpa = (e & 0xffc00000) + (la & 0x3fffff);
			return true;
		}
		if (!read_entry(sv, hw, (e & 0xfffff000) + ((la >> 12) & 0x3ff) * 4, 4, &e) ||
		    !(e & 1))
			return false;
		*gpa = (e & 0xfffff000) + (la & 0xfff);
		return true;
	}
	int level;
	if (s->efer & EFER_LMA) {
		if (s->cr4 & BIT(12))
			return false; /* LA57 */
		e = s->cr3 | 1;
		level = 4;
	} else {
		if (!walk_entry(sv, hw, w, (s->cr3 & 0xffffffe0) + ((la >> 30) & 3) * 8, &e))
			goto fail;
		level = 2;
	}
	for (; level >= 1; level--) {
		if (!(e & 1))
			goto fail;
		u64 table = e & addr;
		unsigned idx = (la >> (12 + 9 * (level - 1))) & 0x1ff;
		if (!walk_entry(sv, hw, w, table + idx * 8, &e) || !(e & 1))
			goto fail;
		if (level <= 3 && level >= 2 && (e & BIT(7))) { /* 1 GiB or 2 MiB page */
			u64 size = 1ULL << (12 + 9 * (level - 1));
			*gpa = (e & addr & ~(size - 1)) + (la & (size - 1));
			goto done;
		}
	}
	*gpa = (e & addr) + (la & 0xfff);
done:
	if (w->n <= ARRAY_SIZE(w->at)) {
		w->cr0 = s->cr0;
		w->cr3 = s->cr3;
		w->cr4 = s->cr4;
		w->efer = s->efer;
		w->la_page = la >> PAGE_SHIFT;
		w->gpa_page = *gpa & ~(u64)(PAGE_SIZE - 1);
	} else {
		w->n = 0;
	}
	return true;
fail:
	w->n = 0;
	return false;
}

/* Is the guest in 64-bit mode (EFER.LMA and CS.L)? */
static bool guest_long64(const struct vmcb_save *s)
{
	return (s->efer & EFER_LMA) && (s->cs.attrib & HV_SEG_ATTR_L);
}

/*
 * Copy up to N bytes of the instruction at CS.base + RIP into BUF, through
 * the guest's page tables, one walk per page they touch (linear addresses
 * wrap at 4 GiB outside 64-bit mode).  Returns how many could be fetched.
 */
static unsigned fetch_insn(struct svm_vcpu *sv, struct hv_vcpu *hw, u8 *buf, unsigned n)
{
	const struct vmcb_save *s = &sv->vmcb->save;
	bool long64 = guest_long64(s);
	u64 la = s->cs.base + hw->regs.rip;
	unsigned have = 0;
	while (have < n) {
		u64 at = long64 ? la + have : (u32)(la + have), gpa;
		unsigned chunk = (unsigned)MIN((u64)(n - have), PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		if (!guest_linear_to_phys(sv, hw, at, &gpa))
			break;
		const u8 *p = guest_ptr(sv, hw, gpa);
		if (p)
			memcpy(buf + have, p, chunk);
		else if (hv_read_guest(hw, gpa, buf + have, chunk))
			break;
		have += chunk;
	}
	return have;
}

/*
 * How many of the HAVE bytes at B are prefixes of one instruction: legacy
 * prefixes (operand and address size, LOCK, REP/REPNE, segment overrides;
 * AMD APM Vol 3 1.2) then, in 64-bit mode (LONG64), one REX byte.  An
 * instruction is at most 15 bytes, so at most 14 prefixes count.
 */
static inline unsigned count_prefixes(const u8 *b, unsigned have, bool long64)
{
	unsigned n;
	for (n = 0; n < have && n < 14; n++) {
		u8 c = b[n];
		if (c == 0x66 || c == 0x67 || c == 0xf0 || c == 0xf2 || c == 0xf3 || c == 0x2e ||
		    c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65)
			continue;
		if (long64 && (c & 0xf0) == 0x40)
			n++; /* REX comes last, right before the opcode */
		break;
	}
	return n;
}

/*
 * How many prefix bytes precede the opcode at CS.base + RIP (see
 * count_prefixes).  The usual case reads the instruction's bytes in place,
 * in its backing page, only as far as the first byte that is not a prefix
 * (CPUID, `0f a2`, reads one byte).  When the prefixes may run on into the
 * next page, or the page has no backing, the 15 bytes are copied through
 * fetch_insn() instead.  Bytes that cannot be fetched end the count (the
 * hardware fetched them to run the instruction, so that happens only when
 * the guest changed its tables meanwhile).
 */
static unsigned prefix_bytes(struct svm_vcpu *sv, struct hv_vcpu *hw)
{
	const struct vmcb_save *s = &sv->vmcb->save;
	bool long64 = guest_long64(s);
	u64 la = s->cs.base + hw->regs.rip, gpa;
	if (!long64)
		la = (u32)la;
	if (guest_linear_to_phys(sv, hw, la, &gpa)) {
		const u8 *p = guest_ptr(sv, hw, gpa);
		unsigned avail = (unsigned)MIN((u64)15, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		if (p) {
			unsigned n = count_prefixes(p, avail, long64);
			if (n < avail || avail == 15)
				return n; /* ended at an opcode byte of this page */
		}
	}
	u8 b[15];
	unsigned have = fetch_insn(sv, hw, b, sizeof(b));
	return count_prefixes(b, have, long64);
}

/* Guest GPR number N (the ModRM / decode-assist numbering: RAX, RCX, RDX,
 * RBX, RSP, RBP, RSI, RDI, R8-R15); RAX and RSP live in the VMCB but are
 * synced into HW->regs around every run. */
static u64 *svm_gpr(struct hv_vcpu *hw, unsigned n)
{
	struct vcpu_regs *r = &hw->regs;
	u64 *const map[16] = {&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
			      &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13,
			      &r->r14, &r->r15};
	return map[n & 15];
}

/*
 * Which GPR a MOV to CR4 wrote, and its length.  With decode assists
 * EXITINFO1 names the GPR (15.8.1) and NRIP gives the length; without
 * (QEMU's TCG) the instruction is fetched from guest memory at CS.base +
 * RIP and decoded: optional REX (64-bit mode), 0F 22 /r with ModRM.mod = 3
 * and ModRM.reg = 4 (AMD APM Vol 3, MOV CRn).  Returns false for anything
 * else (LMSW and CLTS touch only CR0; CR4 has no other writer).
 */
static bool decode_mov_cr4(struct svm_vcpu *sv, struct hv_vcpu *hw, unsigned *gpr,
			   unsigned *len)
{
	struct vmcb *m = sv->vmcb;
	if (has_decode && (m->ctl.exit_info1 & SVM_CR_INFO_MOV)) {
		*gpr = SVM_CR_INFO_GPR(m->ctl.exit_info1);
		*len = insn_len(sv, hw, 3);
		return true;
	}
	bool long64 = guest_long64(&m->save);
	u8 b[4];
	if (fetch_insn(sv, hw, b, sizeof(b)) < sizeof(b))
		return false;
	unsigned p = 0, rex = 0;
	if (long64 && (b[0] & 0xf0) == 0x40)
		rex = b[p++];
	if (b[p] != 0x0f || b[p + 1] != 0x22 || (b[p + 2] & 0xc0) != 0xc0 ||
	    ((b[p + 2] >> 3) & 7) != 4 || (rex & 4))
		return false;
	*gpr = (b[p + 2] & 7) | ((rex & 1) << 3);
	*len = p + 3;
	return true;
}

/*
 * A guest MOV to CR4 (intercepted, 15.8): #GP for a bit this CPU lacks or
 * one pagoda hides (HV_CR4_DENIED: OSXSAVE, PKE), and for clearing PAE in
 * long mode (APM Vol 2 3.1.3); else the value goes to the VMCB and the
 * ASID is flushed (a CR4 write that changes PGE, PAE, PSE, SMEP or PCIDE
 * flushes the TLB, and the VMM cannot tell the CPU to do it otherwise).
 * The instruction is skipped unless it faulted.  Returns false when it
 * cannot be decoded (the guest is ended).
 */
static bool svm_cr4_write(struct svm_vcpu *sv, struct hv_vcpu *hw, struct vm_exit *e)
{
	struct vmcb_save *s = &sv->vmcb->save;
	unsigned gpr, len;
	if (!decode_mov_cr4(sv, hw, &gpr, &len))
		return false;
	u64 val = *svm_gpr(hw, gpr);
	if (!guest_long64(s))
		val = (u32)val;
	e->kind = VM_EXIT_NONE;
	if ((val & ~cr4_valid) || (val & HV_CR4_DENIED) ||
	    ((s->efer & EFER_LMA) && !(val & CR4_PAE))) {
		sv->vmcb->ctl.event_inj = X86_GP | SVM_EVTINJ_TYPE_EXCEPTION | SVM_EVTINJ_ERR_VALID |
					  SVM_EVTINJ_VALID;
		return true;
	}
	s->cr4 = val;
	sv->dirty |= VMCB_CLEAN_CR;
	sv->flush = true;
	skip(sv, hw, len);
	return true;
}

/*
 * Turn EXITCODE/EXITINFO into the neutral struct vm_exit.  Instruction
 * lengths come from NRIP when the CPU saves it, else from the instruction
 * itself: CPUID, RDMSR and WRMSR are 2 bytes, VMMCALL 3, HLT 1; for IOIO,
 * EXITINFO2 holds the next RIP (15.10.2).  VINTR and IRET exits close the
 * windows request_window() opened (each window is reported once).
 */
static void svm_decode_exit(struct svm_vcpu *sv, struct hv_vcpu *hw, u8 soft_len,
			    struct vm_exit *e)
{
	struct vmcb_control *c = &sv->vmcb->ctl;
	/* E is not cleared as a whole (it is on the exit path, 100-odd bytes):
	 * the common fields are set here, and each case sets every field of
	 * its kind's union member that vmm/ reads (vmm/hv.h). */
	e->raw_code = c->exit_code;
	e->raw_info1 = c->exit_info1;
	e->raw_info2 = c->exit_info2;
	e->insn_len = 0;
	svm_decode_interrupted(sv, hw, soft_len, e);

	switch (c->exit_code) {
	case SVM_EXIT_CPUID:
		e->kind = VM_EXIT_CPUID;
		e->insn_len = insn_len(sv, hw, 2);
		break;
	case SVM_EXIT_HLT:
		e->kind = VM_EXIT_HLT;
		e->insn_len = insn_len(sv, hw, 1);
		break;
	case SVM_EXIT_VMMCALL:
		e->kind = VM_EXIT_HYPERCALL;
		e->insn_len = insn_len(sv, hw, 3);
		break;
	case SVM_EXIT_MSR:
		e->kind = c->exit_info1 ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		e->insn_len = insn_len(sv, hw, 2);
		e->msr.index = (u32)hw->regs.rcx;
		e->msr.value = (hw->regs.rdx << 32) | (u32)hw->regs.rax;
		break;
	case SVM_EXIT_IOIO:
		e->kind = VM_EXIT_IO;
		e->io.port = c->exit_info1 >> 16;
		e->io.size = io_size(c->exit_info1);
		e->io.in = c->exit_info1 & SVM_IOIO_IN;
		e->io.string = c->exit_info1 & SVM_IOIO_STR;
		e->io.rep = c->exit_info1 & SVM_IOIO_REP;
		e->insn_len = (unsigned)(c->exit_info2 - hw->regs.rip);
		break;
	case SVM_EXIT_NPF:
		e->tdp.gpa = c->exit_info2;
		e->tdp.present = c->exit_info1 & SVM_NPF_P;
		if (c->exit_info1 & SVM_NPF_RSVD) {
			e->kind = VM_EXIT_TDP_MISCONFIG;
			e->tdp.access = 0;
			break;
		}
		e->kind = VM_EXIT_TDP_FAULT;
		e->tdp.access = TDP_ACC_READ;
		if (c->exit_info1 & SVM_NPF_W)
			e->tdp.access |= TDP_ACC_WRITE;
		if (c->exit_info1 & SVM_NPF_FETCH)
			e->tdp.access |= TDP_ACC_EXEC;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA: {
		static const char *const names[] = {"VMRUN", "VMMCALL", "VMLOAD", "VMSAVE",
						    "STGI", "CLGI", "SKINIT"};
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = c->exit_code == SVM_EXIT_INVLPGA ? "INVLPGA" :
							      names[c->exit_code - SVM_EXIT_VMRUN];
		e->insn.vector = 0;
		break;
	}
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
		/* CPUID hides MONITOR: both raise #UD, as without the feature. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = c->exit_code == SVM_EXIT_MONITOR ? "MONITOR" : "MWAIT";
		e->insn.vector = 0;
		break;
	case SVM_EXIT_RDPMC:
		/* No counters for guests (CPUID leaf 0xA is zero): #GP, as for a
		 * counter number out of range. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = "RDPMC";
		e->insn.vector = X86_GP;
		break;
	case SVM_EXIT_PAUSE:
		/* The PAUSE filter counted a spin loop down (15.14.4): the slice
		 * is better given to another vCPU.  PAUSE itself did not run;
		 * it is harmless to run it again. */
		e->kind = VM_EXIT_PREEMPT;
		break;
	case SVM_EXIT_EXCP_BASE + X86_DB:
		if (sv->nmi_step) {
			/* Our own single step over the NMI handler's IRET: not
			 * the guest's #DB (its DR6 keeps no trace of it). */
			sv->nmi_step = false;
			sv->vmcb->save.dr6 &= ~(u64)BIT(14);
			sv->dirty |= VMCB_CLEAN_DR;
			e->kind = VM_EXIT_NONE;
			break;
		}
		/* fall through */
	case SVM_EXIT_EXCP_BASE + X86_AC:
		/* 15.12: EXITINFO1 holds the error code of exceptions that push
		 * one (#AC pushes 0); RIP is where delivery would return. */
		e->kind = VM_EXIT_EXCEPTION;
		e->exc.vector = (u8)(c->exit_code - SVM_EXIT_EXCP_BASE);
		e->exc.has_error = e->exc.vector == X86_AC;
		e->exc.error = (u32)c->exit_info1;
		break;
	case SVM_EXIT_WRITE_CR4:
		if (!svm_cr4_write(sv, hw, e))
			e->kind = VM_EXIT_UNHANDLED;
		break;
	case SVM_EXIT_XSETBV:
		/* XSETBV is intercepted so a guest cannot set host XCR0; it gets #UD. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = "XSETBV";
		e->insn.vector = 0;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->kind = VM_EXIT_TRIPLE_FAULT;
		break;
	case SVM_EXIT_INTR:
		e->kind = VM_EXIT_PREEMPT;
		break;
	case SVM_EXIT_INVD:
		/* INVD would drop dirty host cache lines: run it as WBINVD's
		 * harmless cousin, i.e. skip it (2 bytes, 0F 08). */
		e->kind = VM_EXIT_NONE;
		skip(sv, hw, insn_len(sv, hw, 2));
		break;
	case SVM_EXIT_NMI:
		e->kind = VM_EXIT_NONE; /* taken by the host's NMI handler after STGI */
		break;
	case SVM_EXIT_VINTR:
		/* 15.21.4: the guest is about to take the virtual interrupt
		 * request_window() posted, so it can take a real one now.  The
		 * placeholder goes away: vmm/ injects the real event. */
		c->int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR |
				SVM_INT_CTL_V_INTR_PRIO_MASK);
		c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
		sv->dirty |= VMCB_CLEAN_TPR | VMCB_CLEAN_I;
		e->kind = VM_EXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_IRET:
		/* The handler of the NMI injected last is about to execute IRET
		 * (the intercept hits before it runs, 15.9).  NMIs are unblocked
		 * only once it has completed: an NMI injected now would be taken
		 * at the IRET itself, nested in the old handler.  svm_vcpu_run
		 * opens the window when RIP has left the IRET. */
		c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
		sv->dirty |= VMCB_CLEAN_I;
		sv->iret_pending = true;
		sv->iret_rip = sv->vmcb->save.rip;
		/* Single-step the IRET (as KVM does): TF at its start makes a
		 * #DB trap once it has completed, whatever RFLAGS it pops, and
		 * #DB is intercepted, so the next exit is right after it. */
		sv->nmi_step = true;
		e->kind = VM_EXIT_NONE;
		break;
	case SVM_EXIT_INVALID:
		e->kind = VM_EXIT_INVALID;
		break;
	default:
		e->kind = VM_EXIT_UNHANDLED;
	}
}

/*
 * Run HW once on this CPU: sync RAX/RSP/RIP/RFLAGS into the VMCB, flush
 * the ASID when asked or when another vCPU used it last here, VMRUN with
 * GIF clear around the switch (15.17: the host takes interrupts only after
 * STGI), sync back, decode the exit.  An NMI window that is open already
 * (no NMI handler of ours running) is reported without entering.
 * Returns 0 (a failed VMRUN is the VM_EXIT_INVALID exit).
 */
static int svm_vcpu_run(struct hv_vcpu *hw, struct vm_exit *e)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb *vmcb = sv->vmcb;
	struct svm_cpu *sc = svm_cpu_here();

	if (sv->iret_pending && hw->regs.rip != sv->iret_rip) {
		sv->iret_pending = false;
		sv->nmi_masked = false;
	}
	if (sv->want_nmi && !sv->nmi_masked) {
		e->kind = VM_EXIT_NMI_WINDOW; /* no exit: nothing else is reported */
		e->raw_code = e->raw_info1 = e->raw_info2 = 0;
		e->insn_len = 0;
		e->interrupted.valid = false;
		sv->want_nmi = false;
		return 0;
	}

	vmcb->save.rax = hw->regs.rax;
	vmcb->save.rsp = hw->regs.rsp;
	vmcb->save.rip = hw->regs.rip;
	vmcb->save.rflags = hw->regs.rflags;
	if (sv->nmi_step)
		vmcb->save.rflags |= RFLAGS_TF;
	/* V_TPR, int_ctl bits 3:0 (APM vol 2 15.21.4): with V_INTR_MASKING
	 * the guest's MOV to/from CR8 reads and writes it, not the host's
	 * TPR.  Mostly unchanged from the last run. */
	if ((vmcb->ctl.int_ctl & 0xf) != hw->cr8) {
		vmcb->ctl.int_ctl = (vmcb->ctl.int_ctl & ~0xfULL) | (hw->cr8 & 0xf);
		sv->dirty |= VMCB_CLEAN_TPR;
	}
	/* A VMCB run again right after itself here still owns its ASID on
	 * this CPU (nothing else ran here since), so only a switch looks at
	 * the owner table. */
	bool again = sc->last_run == sv;
	if (!again && sc->asid_owner[hw->tag] != sv) {
		sc->asid_owner[hw->tag] = sv;
		sv->flush = true;
	}
	/* 15.16.2: TLB_CONTROL 3 flushes this guest's ASID only, which needs
	 * FlushByAsid (CPUID 0x8000000A EDX bit 6); without it the encoding is
	 * reserved, and 1 (flush every ASID) is the one that works. */
	vmcb->ctl.tlb_control = !sv->flush ? 0 : has_flush_asid ? 3 : 1;
	sv->flush = false;
	/* 15.15.3: what did not change since this VMCB's last VMRUN on this
	 * CPU (with no other VMCB run here in between) is marked clean; the
	 * rest, and everything for a VMCB new here, is loaded. */
	if (has_vmcb_clean) {
		vmcb->ctl.clean_bits = again ? VMCB_CLEAN_ALL & ~sv->dirty : 0;
		sv->dirty = 0;
	}
	sc->last_run = sv;

	/* IA32_TSC_AUX is not part of the VMCB: each vCPU's own goes into the
	 * register before it runs (RDTSCP and RDPID read it without exits). */
	if (has_tsc_aux && sc->cur_tsc_aux != sv->tsc_aux) {
		wrmsr(MSR_TSC_AUX, sv->tsc_aux);
		sc->cur_tsc_aux = sv->tsc_aux;
	}

	/*
	 * With V_INTR_MASKING the host's RFLAGS.IF decides whether physical
	 * interrupts reach the INTR intercept while the guest runs (15.21.1),
	 * so IF is set around VMRUN with GIF clear; after #VMEXIT, STGI lets
	 * a pending interrupt (the preemption timer) be taken by the host's
	 * handler, then IF is cleared again for the exit handlers.
	 */
	spec_before_entry(); /* arch/x86/spec.c: nothing on AMD parts today */
	irq_step_end(); /* exit-path counting: TF clear for VMRUN */
	__asm__ volatile("clgi; sti" ::: "memory");
	svm_vmrun(&hw->regs, virt_to_phys(vmcb), sc->host_vmcb_pa);
	__asm__ volatile("stgi; cli" ::: "memory");
	/* Counting (debug mode) starts once the preemption interrupt, if
	 * any, has been taken: TF set now would be VMRUN-restored anyway
	 * (#VMEXIT loads the RFLAGS of VMRUN time, 15.5.1), and #DB is not
	 * held off by GIF=0. */
	irq_step_begin();

	/* A guest VMCB must never come back holding the VMM's own state: RIP
	 * at svm_vmrun_resume and this CPU's CR3 is what VMRUN writes to the
	 * host save area (15.5.1), not anything a guest can reach (its RIP
	 * would have to be that host address with CR3 equal to the VMM's
	 * page-table root).  QEMU's multi-threaded TCG produced it on the
	 * boot CPU, whose "nested paging on" bit other CPUs' x87 loads can
	 * undo (docs/design.md, "Which CPUs run guests"; the scheduler keeps
	 * that CPU out of guest mode there).  Entering again would run VMM
	 * code as the guest, so the exit is reported as a failed entry. */
	if (unlikely(vmcb->save.rip == (u64)(uintptr_t)svm_vmrun_resume &&
		     vmcb->save.cr3 == read_cr3())) {
		pr_err("svm", "cpu %u: guest VMCB 0x%lx came back holding the VMM's state (exit code "
		       "0x%lx, GDTR 0x%lx, RSP 0x%lx): the vCPU's state is lost",
		       this_cpu(), virt_to_phys(vmcb), vmcb->ctl.exit_code, vmcb->save.gdtr.base,
		       vmcb->save.rsp);
		vmcb->ctl.exit_code = SVM_EXIT_INVALID;
	}

	hw->regs.rax = vmcb->save.rax;
	hw->regs.rsp = vmcb->save.rsp;
	hw->regs.rip = vmcb->save.rip;
	hw->regs.rflags = vmcb->save.rflags;
	hw->cr8 = (u8)(vmcb->ctl.int_ctl & 0xf);
	/* An event not delivered is in EXITINTINFO now (15.7.2): vmm/ decides
	 * whether it goes in again. */
	vmcb->ctl.event_inj = 0;
	u8 soft_len = sv->soft_len;
	sv->soft_len = 0;
	svm_decode_exit(sv, hw, soft_len, e);
	return 0;
}

/* Advance RIP past the instruction of exit E (its length from NRIP when
 * the CPU saves it, see insn_len()) and end the interrupt shadow. */
static void svm_skip_insn(struct hv_vcpu *hw, const struct vm_exit *e)
{
	skip(hw->arch, hw, e->insn_len);
}

/*
 * Queue EV through EVENTINJ (15.20) for the next VMRUN: type 0 external
 * interrupt, 2 NMI, 3 exception, 4 software interrupt (INTn).  INT3/INTO
 * go in as exceptions 3/4 whose return address is past the instruction.
 * For both software kinds the pushed return address must be RIP +
 * insn_len: with NRIP save the CPU takes it from next_rip; without, RIP
 * itself is moved past the instruction now (and moved back if the event
 * is not delivered, see svm_decode_interrupted), so nothing may change
 * RIP between this call and the run.  The error code goes with an
 * exception only in protected mode (real mode pushes none).  An NMI
 * blocks NMIs until its handler's IRET, which is intercepted to know when.
 * The caller injects an external interrupt or NMI only when the guest can
 * take it (request_window).  Returns 0, -E_BUSY when an event is queued
 * already, -E_INVAL for an event EVENTINJ cannot carry.
 */
static int svm_inject_event(struct hv_vcpu *hw, const struct hv_event *ev)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb_control *c = &sv->vmcb->ctl;
	u64 inj = ev->vector | SVM_EVTINJ_VALID;

	if (c->event_inj & SVM_EVTINJ_VALID)
		return -E_BUSY;
	switch (ev->type) {
	case HV_EVENT_EXT_INTR:
		inj |= SVM_EVTINJ_TYPE_INTR;
		break;
	case HV_EVENT_NMI:
		inj = X86_NMI | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
		sv->nmi_masked = true;
		c->intercept_misc1 |= SVM_INTERCEPT_IRET;
		sv->dirty |= VMCB_CLEAN_I;
		break;
	case HV_EVENT_EXCEPTION:
		if (ev->vector > 31 || ev->vector == X86_NMI)
			return -E_INVAL; /* VMRUN fails on those (15.20) */
		inj |= SVM_EVTINJ_TYPE_EXCEPTION;
		if (ev->has_error && (sv->vmcb->save.cr0 & CR0_PE))
			inj |= SVM_EVTINJ_ERR_VALID | ((u64)ev->error << 32);
		break;
	case HV_EVENT_SOFT_INTR:
	case HV_EVENT_SOFT_EXC:
		if (!ev->insn_len || ev->insn_len > 15)
			return -E_INVAL;
		if (ev->type == HV_EVENT_SOFT_EXC && ev->vector != X86_BP && ev->vector != X86_OF)
			return -E_INVAL;
		inj |= ev->type == HV_EVENT_SOFT_INTR ? SVM_EVTINJ_TYPE_SOFT :
							 SVM_EVTINJ_TYPE_EXCEPTION;
		sv->soft_rip = hw->regs.rip;
		sv->soft_len = ev->insn_len;
		if (has_nrips)
			c->next_rip = hw->regs.rip + ev->insn_len;
		else
			hw->regs.rip += ev->insn_len;
		break;
	default:
		return -E_INVAL;
	}
	c->event_inj = inj;
	return 0;
}

/*
 * Ask for the windows.  Interrupt window (15.21.4): post a virtual
 * interrupt (V_IRQ) of the highest priority that ignores V_TPR and
 * intercept VINTR; the CPU takes that intercept as soon as the guest could
 * take the interrupt (IF=1 with V_INTR_MASKING, no interrupt shadow), and
 * the exit is reported as VM_EXIT_IRQ_WINDOW.  NMI window: NMIs are
 * blocked only while the handler of an NMI injected here runs; its IRET is
 * intercepted (see svm_inject_event) and single-stepped, and the first run
 * after it has completed - or the next run, if no such handler runs -
 * reports VM_EXIT_NMI_WINDOW without entering.  Each window is reported
 * once; false withdraws a request.
 */
static void svm_request_window(struct hv_vcpu *hw, bool irq, bool nmi)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb_control *c = &sv->vmcb->ctl;
	sv->dirty |= VMCB_CLEAN_TPR | VMCB_CLEAN_I;
	if (irq) {
		c->int_ctl |= SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR | SVM_INT_CTL_V_INTR_PRIO(0xf);
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		c->int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR |
				SVM_INT_CTL_V_INTR_PRIO_MASK);
		c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	}
	sv->want_nmi = nmi;
}

/* The interrupt shadow (15.21.5): the VMCB has one bit for both causes, so
 * both HV_SHADOW_* bits are reported when it is set. */
static unsigned svm_get_interrupt_shadow(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	return (sv->vmcb->ctl.int_shadow & SVM_INT_SHADOW) ? HV_SHADOW_STI | HV_SHADOW_MOV_SS : 0;
}

/* CR2 is in the VMCB's save area (APM vol 2, table B-2): loaded by VMRUN. */
static void svm_set_cr2(struct hv_vcpu *hw, u64 cr2)
{
	struct svm_vcpu *sv = hw->arch;
	sv->vmcb->save.cr2 = cr2;
	sv->dirty |= VMCB_CLEAN_CR2;
}

/* Segment register S as the VMCB save area holds it (attrib is the
 * neutral format already). */
static void svm_get_segment(struct hv_vcpu *hw, enum hv_seg s, struct hv_segment *out)
{
	struct svm_vcpu *sv = hw->arch;
	const struct vmcb_seg *m = vmcb_seg(sv->vmcb, s);
	out->selector = m->selector;
	out->attrib = m->attrib;
	out->limit = m->limit;
	out->base = m->base;
	/* The CPL is the VMCB's own field (15.5.1); SS.DPL as the contract
	 * promises it (vmm/hv.h) is that field, whatever the CPU saved. */
	if (s == HV_SEG_SS)
		out->attrib = (u16)((out->attrib & ~0x60u) | ((sv->vmcb->save.cpl & 3) << 5));
}

/* Write segment register S.  In protected mode SS.DPL is the CPL, which
 * the VMCB keeps in its own field (15.5.1): it follows SS. */
static void svm_set_segment(struct hv_vcpu *hw, enum hv_seg s, const struct hv_segment *in)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb_seg *m = vmcb_seg(sv->vmcb, s);
	m->selector = in->selector;
	m->attrib = in->attrib;
	m->limit = in->limit;
	m->base = in->base;
	sv->dirty |= VMCB_CLEAN_SEG;
	if (s == HV_SEG_SS && (sv->vmcb->save.cr0 & CR0_PE) && !(hw->regs.rflags & RFLAGS_VM))
		sv->vmcb->save.cpl = (in->attrib >> 5) & 3;
}

static void svm_get_dtables(struct hv_vcpu *hw, struct hv_dtable *gdtr, struct hv_dtable *idtr)
{
	struct svm_vcpu *sv = hw->arch;
	gdtr->base = sv->vmcb->save.gdtr.base;
	gdtr->limit = (u16)sv->vmcb->save.gdtr.limit;
	idtr->base = sv->vmcb->save.idtr.base;
	idtr->limit = (u16)sv->vmcb->save.idtr.limit;
}

/* CR0, CR2, CR3 or CR4 (N): the VMCB holds the guest's own values, CR2
 * included (no CR access is intercepted).  0 for any other N. */
static u64 svm_get_cr(struct hv_vcpu *hw, unsigned n)
{
	struct svm_vcpu *sv = hw->arch;
	switch (n) {
	case 0: return sv->vmcb->save.cr0;
	case 2: return sv->vmcb->save.cr2;
	case 3: return sv->vmcb->save.cr3;
	case 4: return sv->vmcb->save.cr4;
	}
	return 0;
}

static void svm_flush_tlb(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	sv->flush = true;
}

static void svm_dump(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb *m = sv->vmcb;
	pr_err("svm", "exitcode=0x%lx exitinfo1=0x%lx exitinfo2=0x%lx exitintinfo=0x%lx",
	       m->ctl.exit_code, m->ctl.exit_info1, m->ctl.exit_info2, m->ctl.exit_int_info);
	pr_err("svm", "cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs=0x%x:0x%x ss=0x%x cpl=%u",
	       m->save.cr0, m->save.cr3, m->save.cr4, m->save.efer, m->save.cs.selector,
	       m->save.cs.attrib, m->save.ss.selector, m->save.cpl);
	pr_err("svm", "asid=%u int_ctl=0x%lx int_shadow=0x%lx event_inj=0x%lx gdtr=0x%lx/0x%x "
	       "idtr=0x%lx/0x%x", m->ctl.asid, m->ctl.int_ctl, m->ctl.int_shadow, m->ctl.event_inj,
	       m->save.gdtr.base, m->save.gdtr.limit, m->save.idtr.base, m->save.idtr.limit);
}

/* EFER as the guest sees it and as VMRUN needs it (SVME always set). */
static u64 svm_guest_efer(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	return sv->vmcb->save.efer & ~EFER_SVME;
}

static void svm_set_guest_efer(struct hv_vcpu *hw, u64 efer)
{
	struct svm_vcpu *sv = hw->arch;
	u64 lma = sv->vmcb->save.efer & EFER_LMA;
	sv->vmcb->save.efer = (efer & (EFER_SCE | EFER_LME | EFER_NXE)) | lma | EFER_SVME;
	sv->dirty |= VMCB_CLEAN_CR;
}

/* The guest-owned MSR MSR of HW: the SYSCALL and SYSENTER MSRs,
 * KernelGsBase and the FS/GS bases are in the VMCB save area (VMSAVE after
 * every VMRUN keeps them current, see svm_vmrun; APM 15.5.2), PAT is the
 * VMCB's G_PAT (15.25.8: the guest's PAT under nested paging; its
 * accesses exit, so the VMCB copy is always the current one), TSC_AUX is
 * in the vCPU.  false for any other MSR. */
static bool svm_get_msr(struct hv_vcpu *hw, u32 msr, u64 *val)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb_save *s = &sv->vmcb->save;
	switch (msr) {
	case MSR_STAR: *val = s->star; return true;
	case MSR_LSTAR: *val = s->lstar; return true;
	case MSR_CSTAR: *val = s->cstar; return true;
	case MSR_SFMASK: *val = s->sfmask; return true;
	case MSR_KERNEL_GS_BASE: *val = s->kernel_gs_base; return true;
	case MSR_FS_BASE: *val = s->fs.base; return true;
	case MSR_GS_BASE: *val = s->gs.base; return true;
	case MSR_SYSENTER_CS: *val = s->sysenter_cs; return true;
	case MSR_SYSENTER_ESP: *val = s->sysenter_esp; return true;
	case MSR_SYSENTER_EIP: *val = s->sysenter_eip; return true;
	case MSR_PAT: *val = s->g_pat; return true;
	case MSR_TSC_AUX:
		*val = sv->tsc_aux;
		return has_tsc_aux;
	}
	return false;
}

/* A guest write (vmm/ checked it): into the VMCB, which VMLOAD (and VMRUN
 * for G_PAT) loads before the next run; TSC_AUX at the next svm_vcpu_run. */
static bool svm_set_msr(struct hv_vcpu *hw, u32 msr, u64 val)
{
	struct svm_vcpu *sv = hw->arch;
	struct vmcb_save *s = &sv->vmcb->save;
	/* FS/GS bases go in by VMLOAD (no clean bit covers them); G_PAT is
	 * in the nested-paging group. */
	if (msr == MSR_PAT)
		sv->dirty |= VMCB_CLEAN_NP;
	switch (msr) {
	case MSR_STAR: s->star = val; return true;
	case MSR_LSTAR: s->lstar = val; return true;
	case MSR_CSTAR: s->cstar = val; return true;
	case MSR_SFMASK: s->sfmask = val; return true;
	case MSR_KERNEL_GS_BASE: s->kernel_gs_base = val; return true;
	case MSR_FS_BASE: s->fs.base = val; return true;
	case MSR_GS_BASE: s->gs.base = val; return true;
	case MSR_SYSENTER_CS: s->sysenter_cs = val; return true;
	case MSR_SYSENTER_ESP: s->sysenter_esp = val; return true;
	case MSR_SYSENTER_EIP: s->sysenter_eip = val; return true;
	case MSR_PAT: s->g_pat = val; return true;
	case MSR_TSC_AUX:
		if (!has_tsc_aux)
			return false;
		sv->tsc_aux = val;
		return true;
	}
	return false;
}

/* The VMCB's TSC_OFFSET (APM 15.30.5): added to the host TSC for every
 * guest RDTSC/RDTSCP (neither is intercepted); SVM always has it. */
static u64 svm_get_tsc_offset(struct hv_vcpu *hw)
{
	struct svm_vcpu *sv = hw->arch;
	return sv->vmcb->ctl.tsc_offset;
}

static bool svm_set_tsc_offset(struct hv_vcpu *hw, u64 offset)
{
	struct svm_vcpu *sv = hw->arch;
	sv->vmcb->ctl.tsc_offset = offset;
	sv->dirty |= VMCB_CLEAN_I;
	return true;
}

/*
 * SVM has no preemption timer: a one-shot local APIC timer interrupt,
 * caught by the INTR intercept, ends the slice.
 */
static void svm_set_preempt_ns(struct hv_vcpu *hw, u64 ns)
{
	(void)hw;
	lapic_timer_oneshot(ns);
}

const struct hv_ops svm_ops = {
	.name = "svm",
	.tdp_fmt = &npt_fmt,
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.max_tags = svm_max_tags,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_load = svm_vcpu_load,
	.vcpu_put = svm_vcpu_put,
	.set_state = svm_set_state,
	.vcpu_run = svm_vcpu_run,
	.skip_insn = svm_skip_insn,
	.inject_event = svm_inject_event,
	.request_window = svm_request_window,
	.get_interrupt_shadow = svm_get_interrupt_shadow,
	.get_segment = svm_get_segment,
	.set_segment = svm_set_segment,
	.get_dtables = svm_get_dtables,
	.get_cr = svm_get_cr,
	.set_cr2 = svm_set_cr2,
	.flush_tlb = svm_flush_tlb,
	.dump = svm_dump,
	.set_preempt_ns = svm_set_preempt_ns,
	.get_efer = svm_guest_efer,
	.set_efer = svm_set_guest_efer,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.get_tsc_offset = svm_get_tsc_offset,
	.set_tsc_offset = svm_set_tsc_offset,
};
