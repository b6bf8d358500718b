/*
 * The first seam: struct hv_ops, the one interface between vendor-neutral
 * vmm/ and the vendor backends (arch/x86/svm for AMD SVM, arch/x86/vmx for
 * Intel VMX).  vmm/hv.c picks one table at boot from CPUID; vmm/ calls only
 * through it and switches only on the neutral struct vm_exit.
 *
 * The contract, in the manner of Jailhouse's arch interface:
 *  - Vendor code sees a vCPU only as struct hv_vcpu (below), which vmm/
 *    embeds in its struct vcpu.  It never reads vmm/'s objects: what it
 *    needs (the ASID/VPID tag, the TDP root, the start state) is passed in.
 *  - Every op is called on the CPU that runs the vCPU, between
 *    vcpu_load() and vcpu_put() (create and destroy included), with
 *    interrupts off.  Errors are negative E_* codes (lib/types.h).
 *  - Guest state lives in the VMCB/VMCS and in hv_vcpu.regs; vmm/ reads or
 *    changes it only through the get_ and set_ ops and regs, never by
 *    field name.
 *  - Two upcalls go the other way: hv_read_guest(), for the few guest
 *    memory reads the hardware makes the VMM do (the PAE PDPTEs on VMX),
 *    and hv_guest_page(), its cheap form for the instruction fetch of
 *    the SVM exit path (a page's host address, read with plain loads).
 */
#ifndef PAGODA_HV_H
#define PAGODA_HV_H

#include "arch/x86/regs.h"
#include "lib/types.h"
#include "mm/tdp_fmt.h"

/* A segment register in neutral form.  ATTRIB packs the descriptor's access
 * bits as the VMCB does (AMD APM vol 2, 15.5.1): type [3:0], S [4], DPL
 * [6:5], P [7], AVL [8], L [9], D/B [10], G [11]; 0 with P clear is an
 * unusable segment.  LIMIT is the byte limit (already scaled by G). */
struct hv_segment {
	u16 selector; /* visible part */
	u16 attrib;   /* access bits, see above */
	u32 limit;    /* byte-granular limit */
	u64 base;     /* linear base */
};

/* Descriptor-table register (GDTR, IDTR). */
struct hv_dtable {
	u64 base;  /* linear base */
	u16 limit; /* byte limit */
};

enum hv_seg { HV_SEG_ES, HV_SEG_CS, HV_SEG_SS, HV_SEG_DS, HV_SEG_FS, HV_SEG_GS, HV_SEG_LDTR,
	      HV_SEG_TR, HV_SEG_COUNT };

#define HV_SEG_ATTR_P BIT(7)
#define HV_SEG_ATTR_S BIT(4)
#define HV_SEG_ATTR_L BIT(9)
#define HV_SEG_ATTR_DB BIT(10)
#define HV_SEG_ATTR_G BIT(11)

/*
 * The architectural state a vCPU starts from, whatever the boot protocol:
 * Multiboot (32-bit protected mode, paging off), the Linux 32-bit and
 * 64-bit boot protocols, PVH, real mode at a SIPI vector.  vmm/vcpu_state.c
 * builds the common ones; the vendor turns it into VMCB/VMCS state.
 */
struct vcpu_state {
	struct vcpu_regs regs;            /* every GPR, RIP and RFLAGS */
	struct hv_segment seg[HV_SEG_COUNT]; /* ES..GS, LDTR, TR */
	struct hv_dtable gdtr, idtr;      /* descriptor tables */
	u64 cr0, cr3, cr4;                /* as the guest sees them */
	u64 efer;                         /* as the guest sees it (no SVME) */
};

/* The vendor-facing part of a vCPU, embedded in vmm/'s struct vcpu. */
struct hv_vcpu {
	struct vcpu_regs regs; /* GPRs, RIP, RFLAGS: synced around every run */
	u8 cr8;                /* the guest's CR8 (its local APIC's TPR[7:4]): vmm/
	                          sets it before every run from the TPR it owns, the
	                          backend loads it for the guest's MOV CR8 and stores
	                          what the guest left in it at the exit */
	void *arch;            /* vendor state (struct svm_vcpu / struct vmx_vcpu) */
	u32 tag;               /* ASID (SVM) / VPID (VMX) chosen by vmm/, never 0 */
	u32 id;                /* the vCPU's number in its guest (the initial TSC_AUX) */
};

enum vm_exit_kind {
	VM_EXIT_NONE,         /* nothing for vmm/ to do (handled in the backend) */
	VM_EXIT_IO,           /* IN/OUT: io.* */
	VM_EXIT_CPUID,        /* CPUID: leaf in regs.rax, subleaf in regs.rcx */
	VM_EXIT_MSR_READ,     /* RDMSR: msr in msr.index */
	VM_EXIT_MSR_WRITE,    /* WRMSR: msr.index, msr.value */
	VM_EXIT_HLT,          /* HLT */
	VM_EXIT_HYPERCALL,    /* VMMCALL / VMCALL */
	VM_EXIT_TDP_FAULT,    /* nested page fault / EPT violation: tdp.* */
	VM_EXIT_TDP_MISCONFIG,/* reserved-bit NPF / EPT misconfiguration: tdp.gpa */
	VM_EXIT_VIRT_INSN,    /* an SVM or VMX instruction: the guest gets #UD */
	VM_EXIT_TRIPLE_FAULT, /* shutdown */
	VM_EXIT_PREEMPT,      /* host timer / preemption timer: time slice over */
	VM_EXIT_IRQ_WINDOW,   /* the guest can take an external interrupt now */
	VM_EXIT_NMI_WINDOW,   /* the guest can take an NMI now */
	VM_EXIT_INVALID,      /* VM entry failed: invalid guest state */
	VM_EXIT_EXCEPTION,    /* an intercepted guest exception (#AC, #DB): exc.*; vmm/
	                         reflects it into the guest (a recursive delivery then
	                         exits once per round instead of looping in the CPU) */
	VM_EXIT_UNHANDLED,    /* anything else: vendor code in raw_code */
};
#define VM_EXIT_KINDS (VM_EXIT_UNHANDLED + 1)

/* CR4 bits no guest may set: vmm/cpuid.c hides the features behind them
 * (XSAVE with XSETBV not offered; PKU, whose PKRU no backend switches), and
 * both backends intercept CR4 writes that set them and give #GP, as a CPU
 * without the feature does. */
#define HV_CR4_DENIED (BIT(18) | BIT(22)) /* CR4.OSXSAVE, CR4.PKE */

/* An event to deliver through the guest's IDT. */
enum hv_event_type {
	HV_EVENT_EXT_INTR,  /* external interrupt (PIC, APIC) */
	HV_EVENT_NMI,       /* non-maskable interrupt */
	HV_EVENT_EXCEPTION, /* hardware exception (#UD, #GP, #PF...) */
	HV_EVENT_SOFT_INTR, /* INTn: RIP advances past the instruction */
	HV_EVENT_SOFT_EXC,  /* INT3 / INTO: likewise */
};

struct hv_event {
	bool valid;              /* an event is described */
	enum hv_event_type type;
	u8 vector;
	bool has_error;          /* push ERROR (exceptions with an error code) */
	u32 error;
	u8 insn_len;             /* software events: length of the INTn/INT3/INTO */
};

/* Interrupt shadow after STI / MOV SS (get_interrupt_shadow). */
#define HV_SHADOW_STI BIT(0)
#define HV_SHADOW_MOV_SS BIT(1)

struct vm_exit {
	enum vm_exit_kind kind;
	u64 raw_code;      /* vendor exit code (SVM EXITCODE, VMX basic reason) */
	u64 raw_info1;     /* vendor exit information (EXITINFO1 / qualification) */
	u64 raw_info2;     /* vendor exit information (EXITINFO2 / guest-physical) */
	unsigned insn_len; /* length of the exiting instruction, when known */
	/* The event whose delivery this exit interrupted (SVM EXITINTINFO,
	 * VMX IDT-vectoring information).  vmm/ re-injects it before the next
	 * entry, so an exception cut by a nested page fault is not lost. */
	struct hv_event interrupted;
	union {
		struct {
			u16 port;
			u8 size;       /* 1, 2 or 4 bytes */
			bool in;       /* true for IN, false for OUT */
			bool string;   /* INS/OUTS */
			bool rep;
		} io;
		struct {
			u32 index;
			u64 value;     /* for writes: EDX:EAX */
		} msr;
		struct {
			u64 gpa;
			unsigned access; /* TDP_ACC_* */
			bool present;    /* the entry that faulted was present */
		} tdp;
		struct {
			const char *name; /* mnemonic of the instruction, for logs */
			u8 vector;        /* the exception the guest gets for it: #GP (13),
			                     or 0 for the usual #UD */
		} insn;
		struct {
			u8 vector;
			bool has_error;
			u32 error;
		} exc;
	};
};

struct hv_ops {
	const char *name;              /* "svm" or "vmx" */
	const struct tdp_fmt *tdp_fmt; /* entry format of this vendor's nested tables */
	/* Is this backend usable on this CPU?  0 or -E_NODEV with a logged reason. */
	int (*probe)(void);
	/* Enable virtualization on the calling CPU (number CPU).  0 or negative. */
	int (*cpu_enable)(unsigned cpu);
	/* Tags (ASIDs / VPIDs) vmm/ may hand out: 1..max_tags(). */
	u32 (*max_tags)(void);
	/* Allocate vendor state for HW (HW->tag set by the caller) and load
	 * START into it; guest-physical memory is mapped by TDP_ROOT.  0 or
	 * negative.  Called between vcpu_load and vcpu_put of the new vCPU. */
	int (*vcpu_create)(struct hv_vcpu *hw, const struct vcpu_state *start, u64 tdp_root);
	/* Free vendor state of HW; every page goes back to pmm. */
	void (*vcpu_destroy)(struct hv_vcpu *hw);
	/* HW is about to run on CPU (make its VMCS current, note its ASID) /
	 * has stopped running there for now. */
	void (*vcpu_load)(struct hv_vcpu *hw, unsigned cpu);
	void (*vcpu_put)(struct hv_vcpu *hw);
	/* Load a whole new architectural state (INIT/SIPI, reset). */
	void (*set_state)(struct hv_vcpu *hw, const struct vcpu_state *st);
	/* Run HW until the next exit that vmm/ must see; fill EXIT.  0 or
	 * negative when the world switch itself failed. */
	int (*vcpu_run)(struct hv_vcpu *hw, struct vm_exit *exit);
	/* Advance the guest RIP past the instruction of the last exit (NRIP
	 * when the CPU saves it) and clear the interrupt shadow. */
	void (*skip_insn)(struct hv_vcpu *hw, const struct vm_exit *exit);
	/* Queue EV for delivery at the next entry.  -E_BUSY when an event is
	 * already queued (vmm/ then keeps EV pending). */
	int (*inject_event)(struct hv_vcpu *hw, const struct hv_event *ev);
	/* Ask for VM_EXIT_IRQ_WINDOW (IRQ) / VM_EXIT_NMI_WINDOW (NMI) as soon
	 * as the guest can take such an event; false withdraws the request. */
	void (*request_window)(struct hv_vcpu *hw, bool irq, bool nmi);
	/* HV_SHADOW_* bits blocking interrupts for one instruction now. */
	unsigned (*get_interrupt_shadow)(struct hv_vcpu *hw);
	/* Segment, descriptor-table and control registers as the guest sees
	 * them (for the instruction emulator's page walk and for dumps).  In
	 * protected mode SS's DPL is the CPL. */
	void (*get_segment)(struct hv_vcpu *hw, enum hv_seg s, struct hv_segment *out);
	void (*set_segment)(struct hv_vcpu *hw, enum hv_seg s, const struct hv_segment *in);
	void (*get_dtables)(struct hv_vcpu *hw, struct hv_dtable *gdtr, struct hv_dtable *idtr);
	/* CR0, CR2, CR3, CR4 (N = 0, 2, 3, 4). */
	u64 (*get_cr)(struct hv_vcpu *hw, unsigned n);
	/* Set the guest's CR2 (the address of a #PF vmm/ injects). */
	void (*set_cr2)(struct hv_vcpu *hw, u64 cr2);
	/* Invalidate cached translations derived from HW's TDP tables. */
	void (*flush_tlb)(struct hv_vcpu *hw);
	/* Log the vendor view of HW (exit info, control and segment state). */
	void (*dump)(struct hv_vcpu *hw);
	/* Arm (ns > 0) or disarm (0) the preemption deadline of the next runs. */
	void (*set_preempt_ns)(struct hv_vcpu *hw, u64 ns);
	/* The guest's EFER as it sees it, and a guest write to it (the vendor
	 * keeps what the hardware needs, e.g. SVME on AMD). */
	u64 (*get_efer)(struct hv_vcpu *hw);
	void (*set_efer)(struct hv_vcpu *hw, u64 efer);
	/* Guest-owned MSRs: KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK (the
	 * guest reads and writes them without exits, the backend switches
	 * them between vCPUs), TSC_AUX (what RDTSCP/RDPID return: each
	 * vCPU's own, hw->id at create), and those with a home in the
	 * VMCB/VMCS: FS_BASE, GS_BASE, SYSENTER_CS/ESP/EIP and PAT (the
	 * power-on 0x0007040600070406 at create).  The guest's value of MSR /
	 * a write of VAL, already checked by vmm/ (canonical, reserved bits,
	 * memory types).  false when MSR is not one of them. */
	bool (*get_msr)(struct hv_vcpu *hw, u32 msr, u64 *val);
	bool (*set_msr)(struct hv_vcpu *hw, u32 msr, u64 val);
	/* The TSC offset of HW: the guest's RDTSC, RDTSCP and time stamp
	 * read the host TSC plus it (AMD APM 15.30.5, SDM 25.3 with "use TSC
	 * offsetting"); 0 at create.  set_tsc_offset returns false when the
	 * CPU cannot offset the guest's TSC (then vmm/ refuses TSC writes). */
	u64 (*get_tsc_offset)(struct hv_vcpu *hw);
	bool (*set_tsc_offset)(struct hv_vcpu *hw, u64 offset);
};

/* The backend chosen at boot (vmm/hv.c); NULL when none. */
extern const struct hv_ops *hv;
int hv_select(void);

/* The two backends' tables (weak: an image may be built without one). */
extern const struct hv_ops svm_ops __attribute__((weak, visibility("hidden")));
extern const struct hv_ops vmx_ops __attribute__((weak, visibility("hidden")));

/* Upcall, provided by vmm/: copy LEN bytes of HW's guest-physical memory at
 * GPA into BUF.  0, or -E_FAULT when the range is not guest RAM. */
int hv_read_guest(struct hv_vcpu *hw, u64 gpa, void *buf, size_t len);
/* Upcall, provided by vmm/: the host address of the page of HW's guest
 * memory holding GPA (page-aligned), for reads with plain loads, or NULL
 * when it has no backing yet or is not RAM (then hv_read_guest).  The
 * address stays good as long as the vCPU exists (the guest's RAM is
 * deleted only with the guest), so a backend may keep it. */
const void *hv_guest_page(struct hv_vcpu *hw, u64 gpa);

#endif
