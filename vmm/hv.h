/*
 * The first seam: struct hv_ops, the one interface between vendor-neutral
 * vmm/ and the vendor backends (arch/x86/svm for AMD SVM, arch/x86/vmx for
 * Intel VMX).  arch/x86/hv_select.c picks one table at boot from CPUID; vmm/
 * calls only through it and switches only on the neutral struct vm_exit.
 */
#ifndef PAGODA_HV_H
#define PAGODA_HV_H

#include "mm/tdp_fmt.h"
#include "lib/types.h"

struct vcpu;

/* Guest general registers, saved and restored by the world switch. */
struct vcpu_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags; /* synced with the VMCB/VMCS around every run */
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
	VM_EXIT_INVALID,      /* VM entry failed: invalid guest state */
	VM_EXIT_UNHANDLED,    /* anything else: vendor code in raw_code */
};

struct vm_exit {
	enum vm_exit_kind kind;
	u64 raw_code;      /* vendor exit code (SVM EXITCODE, VMX basic reason) */
	u64 raw_info1;     /* vendor exit information (EXITINFO1 / qualification) */
	u64 raw_info2;     /* vendor exit information (EXITINFO2 / guest-physical) */
	unsigned insn_len; /* length of the exiting instruction, when known */
	union {
		struct {
			u16 port;
			u8 size;       /* 1, 2 or 4 bytes */
			bool in;       /* true for IN, false for OUT */
			bool string;   /* INS/OUTS: not emulated, ends the guest */
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
		} insn;
	};
};

/* How a guest starts: the vendor turns this into VMCB/VMCS state. */
enum vcpu_start_mode {
	VCPU_START_PM32, /* 32-bit protected mode, paging off, flat segments (Multiboot) */
};

struct vcpu_start {
	enum vcpu_start_mode mode;
	u64 rip, rax, rbx, rsp;
};

struct hv_ops {
	const char *name;              /* "svm" or "vmx" */
	const struct tdp_fmt *tdp_fmt; /* entry format of this vendor's nested tables */
	/* Is this backend usable on this CPU?  0 or -E_NODEV with a logged reason. */
	int (*probe)(void);
	/* Enable virtualization on the calling CPU.  0 or negative. */
	int (*cpu_enable)(void);
	/* Allocate vendor state for V and set its start state.  0 or negative. */
	int (*vcpu_create)(struct vcpu *v, const struct vcpu_start *start, u64 tdp_root);
	/* Free vendor state of V; every page goes back to pmm. */
	void (*vcpu_destroy)(struct vcpu *v);
	/* Run V until the next exit that vmm/ must see; fill EXIT.  0 or negative
	 * when the world switch itself failed. */
	int (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
	/* Advance the guest RIP past the instruction of the last exit. */
	void (*skip_insn)(struct vcpu *v, const struct vm_exit *exit);
	/* Queue an exception for the next entry. */
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/* Invalidate cached translations derived from V's TDP tables. */
	void (*flush_tlb)(struct vcpu *v);
	/* Log the vendor view of V (exit info, control and segment state). */
	void (*dump)(struct vcpu *v);
	/* Arm (ns > 0) or disarm (0) the preemption deadline of the next runs. */
	void (*set_preempt_ns)(struct vcpu *v, u64 ns);
	/* The guest's EFER as it sees it, and a guest write to it (the vendor
	 * keeps what the hardware needs, e.g. SVME on AMD). */
	u64 (*get_efer)(struct vcpu *v);
	void (*set_efer)(struct vcpu *v, u64 efer);
};

/* The backend chosen at boot (arch/x86/hv_select.c); NULL when none. */
extern const struct hv_ops *hv;
int hv_select(void);

#endif
