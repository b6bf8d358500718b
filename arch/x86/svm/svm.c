/*
 * AMD SVM backend: fills struct hv_ops (vmm/hv.h) with everything that
 * names a VMCB field or runs VMRUN.  References are to the AMD64
 * Architecture Programmer's Manual Vol 2 (System Programming), chapter 15.
 */
#include "arch/x86/svm/svm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/vmcb.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "vmm/guest.h"
#include "lib/log.h"
#include "lib/string.h"

#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS BIT(4)
#define MSR_VM_HSAVE_PA 0xc0010117

/* Vendor state of one vCPU. */
struct svm_vcpu {
	struct vmcb *vmcb; /* guest VMCB (identity-mapped, so also its PA) */
	u32 asid;          /* ASID of this vCPU's guest */
	bool flush;        /* flush this ASID's TLB entries at the next VMRUN */
};

/* Per-CPU state (one CPU runs guests for now). */
static u64 host_save_area_pa; /* VM_HSAVE_PA: where VMRUN keeps host state */
static u64 host_vmcb_pa;      /* VMSAVE/VMLOAD of host FS/GS/TR/LDTR/MSRs */
static u64 iopm_pa;           /* 12 KiB, all ones: every port intercepted */
static u64 msrpm_pa;          /* 8 KiB, all ones: every MSR intercepted */
static u32 nr_asids;          /* CPUID 0x8000000A EBX */
/* Which vCPU last ran with each ASID on this CPU: guests share ASIDs when
 * there are more guests than ASIDs, and a switch between two of them must
 * flush that ASID's TLB entries. */
static struct svm_vcpu *asid_owner[256];
static bool has_nrips;        /* CPUID 0x8000000A EDX bit 3 */

void svm_vmrun(struct vcpu_regs *regs, u64 guest_vmcb_pa, u64 host_vmcb_pa);

/*
 * Is SVM usable?  CPUID 0x80000001 ECX bit 2 (SVM), nested paging (CPUID
 * 0x8000000A EDX bit 0), and VM_CR.SVMDIS clear (15.4: firmware may disable
 * SVM and lock it off).  Returns 0 or -E_NODEV with the reason logged.
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
	has_nrips = r.edx & BIT(3);
	pr_info("svm", "SVM revision %u, %u ASIDs, features 0x%x (NPT%s%s)", r.eax & 0xff,
		nr_asids, r.edx, has_nrips ? ", NRIP save" : ", no NRIP save",
		(r.edx & BIT(5)) ? ", VMCB clean bits" : "");
	npt_fmt_init();
	return 0;
}

/*
 * Enable SVM on this CPU: EFER.SVME (15.4), the host save area
 * (VM_HSAVE_PA, 15.30.4), a VMCB for the host's VMSAVE/VMLOAD share and
 * the permission maps shared by every guest.
 */
static int svm_cpu_enable(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	host_save_area_pa = pmm_alloc_pages_filled(0, 0);
	host_vmcb_pa = pmm_alloc_pages_filled(0, 0);
	iopm_pa = pmm_alloc_pages_filled(2, 0xff);  /* 16 KiB block; the map is 12 KiB (15.10.1) */
	msrpm_pa = pmm_alloc_pages_filled(1, 0xff); /* 8 KiB (15.11) */
	if (!host_save_area_pa || !host_vmcb_pa || !iopm_pa || !msrpm_pa)
		return -E_NOMEM;
	wrmsr(MSR_VM_HSAVE_PA, host_save_area_pa);
	pr_info("svm", "SVM enabled: EFER.SVME=1, host save area at 0x%lx", host_save_area_pa);
	return 0;
}

static void seg(struct vmcb_seg *s, u16 sel, u16 attrib, u32 limit, u64 base)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = limit;
	s->base = base;
}

/*
 * Create the VMCB of V.  Intercepts (15.9-15.13): CPUID, HLT, I/O and MSR
 * through the all-ones permission maps, SHUTDOWN (a triple fault), INVD,
 * XSETBV, VMMCALL (hypercalls), and every SVM instruction - VMRUN's
 * intercept must be set or VMRUN fails its consistency checks (15.5.1).
 * Nested paging with the TDP root in N_CR3 (15.25.3).  The start state is
 * the Multiboot machine state (32-bit protected mode, paging off, flat
 * 4 GiB segments, EAX = magic, EBX = info).
 */
static int svm_vcpu_create(struct vcpu *v, const struct vcpu_start *st, u64 tdp_root)
{
	/* One zeroed 2-page block: this struct in the first page, the VMCB
	 * (which must be page-aligned) in the second. */
	u64 pa = pmm_alloc_pages_filled(1, 0);
	if (!pa)
		return -E_NOMEM;
	struct svm_vcpu *sv = phys_to_virt(pa);
	sv->vmcb = phys_to_virt(pa + PAGE_SIZE);
	/* ASID 0 is the host's; guests share the rest round robin. */
	sv->asid = 1 + ((v->guest->id * GUEST_MAX_VCPUS + v->id) %
			(MIN(nr_asids, 256) > 1 ? MIN(nr_asids, 256) - 1 : 1));
	sv->flush = true;
	v->arch = sv;

	struct vmcb_control *c = &sv->vmcb->ctl;
	struct vmcb_save *s = &sv->vmcb->save;
	c->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD |
			     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO_PROT |
			     SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_NMI |
			     SVM_INTERCEPT_INTR;
	c->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
			     SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
			     SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_XSETBV;
	c->intercept_exc = BIT(18); /* #MC: never let a guest swallow a machine check */
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	c->asid = sv->asid;
	c->tlb_control = 1;
	c->int_ctl = BIT(24); /* V_INTR_MASKING: guest IF masks only virtual interrupts */
	c->np_enable = 1;
	c->n_cr3 = tdp_root;

	/* Segments: attrib = descriptor type/S/DPL/P in [7:0], AVL/L/DB/G in [11:8]. */
	seg(&s->cs, 0x08, 0xc9b, 0xffffffff, 0); /* 32-bit code, exec/read, accessed */
	seg(&s->ds, 0x10, 0xc93, 0xffffffff, 0); /* 32-bit data, read/write, accessed */
	s->es = s->ss = s->fs = s->gs = s->ds;
	seg(&s->gdtr, 0, 0, 0, 0);
	seg(&s->idtr, 0, 0, 0, 0);
	seg(&s->ldtr, 0, 0x82, 0, 0);     /* LDT, present */
	seg(&s->tr, 0, 0x8b, 0x67, 0);    /* busy 32-bit TSS, present */
	s->cpl = 0;
	s->efer = EFER_SVME;              /* VMRUN requires SVME in the guest EFER (15.5.1) */
	s->cr0 = CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ULL; /* the power-on PAT */

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rip = st->rip;
	v->regs.rax = st->rax;
	v->regs.rbx = st->rbx;
	v->regs.rsp = st->rsp;
	v->regs.rflags = 0x2; /* bit 1 is reserved as 1 */
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;
	if (!sv)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(asid_owner); i++)
		if (asid_owner[i] == sv)
			asid_owner[i] = NULL;
	pmm_free_pages(virt_to_phys(sv), 1);
	v->arch = NULL;
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
 * Turn EXITCODE/EXITINFO into the neutral struct vm_exit.  Without NRIP save
 * (QEMU's TCG has none) the instruction lengths are those of the
 * instructions themselves: CPUID, RDMSR and WRMSR are 2 bytes, VMMCALL 3,
 * HLT 1; for IOIO, EXITINFO2 holds the next RIP (15.10.2).
 */
static void svm_decode_exit(struct svm_vcpu *sv, struct vcpu *v, struct vm_exit *e)
{
	struct vmcb_control *c = &sv->vmcb->ctl;
	memset(e, 0, sizeof(*e));
	e->raw_code = c->exit_code;
	e->raw_info1 = c->exit_info1;
	e->raw_info2 = c->exit_info2;

	switch (c->exit_code) {
	case SVM_EXIT_CPUID:
		e->kind = VM_EXIT_CPUID;
		e->insn_len = 2;
		break;
	case SVM_EXIT_HLT:
		e->kind = VM_EXIT_HLT;
		e->insn_len = 1;
		break;
	case SVM_EXIT_VMMCALL:
		e->kind = VM_EXIT_HYPERCALL;
		e->insn_len = 3;
		break;
	case SVM_EXIT_MSR:
		e->kind = c->exit_info1 ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		e->insn_len = 2;
		e->msr.index = (u32)v->regs.rcx;
		e->msr.value = (v->regs.rdx << 32) | (u32)v->regs.rax;
		break;
	case SVM_EXIT_IOIO:
		e->kind = VM_EXIT_IO;
		e->io.port = c->exit_info1 >> 16;
		e->io.size = io_size(c->exit_info1);
		e->io.in = c->exit_info1 & SVM_IOIO_IN;
		e->io.string = c->exit_info1 & SVM_IOIO_STR;
		e->io.rep = c->exit_info1 & SVM_IOIO_REP;
		e->insn_len = (unsigned)(c->exit_info2 - v->regs.rip);
		break;
	case SVM_EXIT_NPF:
		e->tdp.gpa = c->exit_info2;
		if (c->exit_info1 & SVM_NPF_RSVD) {
			e->kind = VM_EXIT_TDP_MISCONFIG;
			break;
		}
		e->kind = VM_EXIT_TDP_FAULT;
		e->tdp.present = c->exit_info1 & SVM_NPF_P;
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
		break;
	}
	case SVM_EXIT_XSETBV:
		/* XSETBV is intercepted so a guest cannot set host XCR0; it gets #UD. */
		e->kind = VM_EXIT_VIRT_INSN;
		e->insn.name = "XSETBV";
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
		v->regs.rip += 2;
		break;
	case SVM_EXIT_NMI:
		e->kind = VM_EXIT_NONE; /* taken by the host's NMI handler after STGI */
		break;
	case SVM_EXIT_INVALID:
		e->kind = VM_EXIT_INVALID;
		break;
	default:
		e->kind = VM_EXIT_UNHANDLED;
	}
}

/*
 * Run V once: sync RAX/RSP/RIP/RFLAGS into the VMCB, VMRUN with GIF clear
 * around the switch (15.17: the host takes interrupts only after STGI),
 * sync back, decode the exit.
 */
static int svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct svm_vcpu *sv = v->arch;
	struct vmcb *vmcb = sv->vmcb;

	vmcb->save.rax = v->regs.rax;
	vmcb->save.rsp = v->regs.rsp;
	vmcb->save.rip = v->regs.rip;
	vmcb->save.rflags = v->regs.rflags;
	if (asid_owner[sv->asid % ARRAY_SIZE(asid_owner)] != sv) {
		asid_owner[sv->asid % ARRAY_SIZE(asid_owner)] = sv;
		sv->flush = true;
	}
	vmcb->ctl.tlb_control = sv->flush ? 3 : 0; /* 3: flush this guest's ASID */
	sv->flush = false;

	/*
	 * With V_INTR_MASKING the host's RFLAGS.IF decides whether physical
	 * interrupts reach the INTR intercept while the guest runs (15.21.1),
	 * so IF is set around VMRUN with GIF clear; after #VMEXIT, STGI lets
	 * a pending interrupt (the preemption timer) be taken by the host's
	 * handler, then IF is cleared again for the exit handlers.
	 */
	__asm__ volatile("clgi; sti" ::: "memory");
	svm_vmrun(&v->regs, virt_to_phys(vmcb), host_vmcb_pa);
	__asm__ volatile("stgi; cli" ::: "memory");

	v->regs.rax = vmcb->save.rax;
	v->regs.rsp = vmcb->save.rsp;
	v->regs.rip = vmcb->save.rip;
	v->regs.rflags = vmcb->save.rflags;
	vmcb->ctl.event_inj = 0;
	svm_decode_exit(sv, v, e);
	return 0;
}

static void svm_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	v->regs.rip += e->insn_len;
}

/* Queue exception VECTOR through EVENTINJ (15.20). */
static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	struct svm_vcpu *sv = v->arch;
	u64 ev = vector | SVM_EVTINJ_TYPE_EXCEPTION | SVM_EVTINJ_VALID;
	if (has_error)
		ev |= SVM_EVTINJ_ERR_VALID | ((u64)error << 32);
	sv->vmcb->ctl.event_inj = ev;
}

static void svm_flush_tlb(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;
	sv->flush = true;
}

static void svm_dump(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;
	struct vmcb *m = sv->vmcb;
	pr_err("svm", "exitcode=0x%lx exitinfo1=0x%lx exitinfo2=0x%lx exitintinfo=0x%lx",
	       m->ctl.exit_code, m->ctl.exit_info1, m->ctl.exit_info2, m->ctl.exit_int_info);
	pr_err("svm", "cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs=0x%x:0x%x ss=0x%x cpl=%u",
	       m->save.cr0, m->save.cr3, m->save.cr4, m->save.efer, m->save.cs.selector,
	       m->save.cs.attrib, m->save.ss.selector, m->save.cpl);
}

/* EFER as the guest sees it and as VMRUN needs it (SVME always set). */
u64 svm_guest_efer(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;
	return sv->vmcb->save.efer & ~EFER_SVME;
}

void svm_set_guest_efer(struct vcpu *v, u64 efer)
{
	struct svm_vcpu *sv = v->arch;
	u64 lma = sv->vmcb->save.efer & EFER_LMA;
	sv->vmcb->save.efer = (efer & (EFER_SCE | EFER_LME | EFER_NXE)) | lma | EFER_SVME;
}

/*
 * SVM has no preemption timer: a one-shot local APIC timer interrupt,
 * caught by the INTR intercept, ends the slice.
 */
static void svm_set_preempt_ns(struct vcpu *v, u64 ns)
{
	(void)v;
	lapic_timer_oneshot(ns);
}

const struct hv_ops svm_ops = {
	.name = "svm",
	.tdp_fmt = &npt_fmt,
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_run = svm_vcpu_run,
	.skip_insn = svm_skip_insn,
	.inject_exception = svm_inject_exception,
	.flush_tlb = svm_flush_tlb,
	.dump = svm_dump,
	.set_preempt_ns = svm_set_preempt_ns,
	.get_efer = svm_guest_efer,
	.set_efer = svm_set_guest_efer,
};
