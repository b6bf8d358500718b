/*
 * A virtual CPU: what vmm/ keeps of it (vmm/vcpu.c), around the part the
 * vendor backend sees (struct hv_vcpu).  vcpu_enter() is one trip into
 * the guest: everything that must happen on the host CPU right before and
 * right after the world switch.  What an exit means is exit.c's; which
 * vCPU runs next is sched.c's.
 */
#ifndef PAGODA_VCPU_H
#define PAGODA_VCPU_H

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/types.h"
#include "mm/tdp_mmu.h"
#include "vmm/dev/lapic.h"
#include "vmm/hv.h"
#include "vmm/msr_state.h"

#define VCPU_LINE_MAX 160 /* a console output line of one vCPU */

struct guest;

struct vcpu {
	struct guest *guest;       /* owner */
	unsigned id;               /* index within the guest; 0 boots */
	struct hv_vcpu hw;         /* what the vendor backend sees: registers, its state, tag */
	struct tdp_mmu_cache mmu_cache; /* page-table pages for faults, filled unlocked */
	u64 exits;                 /* VM exits taken */
	u64 exits_by_kind[VM_EXIT_KINDS]; /* per enum vm_exit_kind */
	/* Exit-path instruction counts (console `set exitcount=on`,
	 * arch/x86/irq.h), per kind of the exit the path followed: */
	u64 step_exits[VM_EXIT_KINDS]; /* paths counted */
	u64 step_insns[VM_EXIT_KINDS]; /* their instructions, summed */
	u64 step_max[VM_EXIT_KINDS];   /* the longest */
	u64 step_pages[VM_EXIT_KINDS]; /* their distinct code pages, summed */
	u8 step_kind;              /* kind of V's last exit: its path ends at the next entry */
	bool flush_pending;        /* TDP entries were zapped: flush before the next run (atomic:
				      set by any CPU, taken by the one that enters V) */
	u32 running_on;            /* CPU number + 1 of the CPU that owns V now (claimed with a
				      compare-and-exchange for a slice, vcpu_claim), 0: none */
	u64 ran_on;                /* bit N: host CPU N has run V (stats cpus=) */
	u32 last_cpu;              /* the CPU that ran V last (stats) */
	bool apic_signal;          /* an INIT or SIPI waits in its local APIC: its own CPU acts
				      on it (guest lock) */
	struct hv_event interrupted; /* an event the last exit cut short: re-injected on entry */
	u64 reinjected;            /* such events injected again (stats) */
	u64 spec_ctrl;             /* its IA32_SPEC_CTRL, loaded around every run when the CPU
				      has the MSR (arch/x86/spec.c; 0 at reset) */
	struct vcpu_msrs msrs;     /* MTRRs and MISC_ENABLE (vmm/msr_state.h), kept by vmm/msr.c */
	struct fxsave_area fpu;    /* x87/SSE state while another vCPU owns the registers */
	struct debug_regs dbg;     /* DR0-3, DR6 likewise (neither VMCB nor VMCS holds them all) */
	bool started;              /* vCPU 0 at guest start, the others by SIPI or HC_VCPU_START */
	bool runnable;             /* started, not halted, not waiting: the scheduler runs it */
	bool halted;               /* in HLT until an event it can take (vmm/intr.c) */
	bool wait_sipi;            /* stopped by INIT (or never started): a SIPI starts it */
	struct vlapic lapic;       /* its local APIC (vmm/dev/lapic.c) */
	u8 nmi_pending;            /* an NMI waits for delivery (0 or 1) */
	bool nmi_window;           /* the backend reported the NMI window open */
	bool event_queued;         /* an event is queued for the next entry (vcpu_inject_event) */
	bool window_irq;           /* the last hv->request_window asked for an interrupt window */
	bool window_nmi;           /* ... for an NMI window (vmm/intr.c skips what would change
				      nothing; the backend withdraws a window it reported) */
	char out_line[VCPU_LINE_MAX]; /* console bytes of the line this vCPU is writing */
	unsigned out_len;          /* bytes in out_line[] */
	u64 out_last_ns;           /* VMM clock (time_ns) of the last byte put in out_line[] */
	u64 out_last_exits;        /* exits when that byte came (it must have run since) */
};

/* Set up V as vCPU ID of G: registers zero, power-on x87 and DR6 values;
 * no vendor state yet. */
void vcpu_init(struct vcpu *v, struct guest *g, unsigned id);
/* Give V an ASID/VPID tag and vendor state starting from ST, its guest
 * memory mapped by TDP_ROOT.  0 or negative (vcpu_release undoes a part). */
int vcpu_create(struct vcpu *v, const struct vcpu_state *st, u64 tdp_root);
/* Free everything V holds (vendor state, tag, page cache); safe on a vCPU
 * vcpu_create never finished. */
void vcpu_release(struct vcpu *v);
/*
 * One trip into the guest: load V on this CPU, switch the x87/SSE and
 * debug registers to it, flush its TLB if the TDP MMU asked, run until the
 * next exit (into E; the event the exit cut short into V->interrupted),
 * and pass this CPU's grace-period quiescent point.  Events for the entry
 * are queued before (vmm/intr.c).  0, or negative when the
 * world switch itself failed (the caller ends the guest, under its lock).
 * V must be claimed by this CPU (vcpu_claim).
 */
int vcpu_enter(struct vcpu *v, struct vm_exit *e);
/*
 * vmm/'s record of one host CPU, in that CPU's struct percpu (its
 * vmm_slot).  Written by vmm/vcpu.c alone, on that CPU, except that
 * vcpu_release() clears last_guest on every CPU and a shootdown reads
 * guest_seq of every CPU.
 */
struct vcpu_cpu {
	struct vcpu *loaded;      /* the vCPU whose vendor state is loaded here
				     (hv->vcpu_load), or NULL */
	struct vcpu *fpu_owner;   /* the one whose x87/SSE and debug registers this
				     CPU holds (it may differ from loaded: a vCPU
				     created or destroyed is loaded without running) */
	struct guest *last_guest; /* the guest whose vCPU ran last here: running
				     another one is a switch between guests, which
				     gets an IBPB when spec.c chose it.  Cleared when
				     that guest's vCPUs go, so a new guest in the same
				     slot counts as another */
	u64 guest_seq;            /* guest-mode counter, odd while this CPU is in
				     guest mode (raised right before the world switch,
				     sequentially consistent, and again right after the
				     exit); a shootdown that saw it odd waits for it to
				     move (vcpu_flush_all) */
};

/* The record of CPU number CPU / of this CPU (as the backends' are read). */
static inline struct vcpu_cpu *vcpu_cpu_of(unsigned cpu)
{
	return PERCPU_SLOT(percpu_area(cpu), vmm_slot, struct vcpu_cpu);
}
static inline struct vcpu_cpu *vcpu_cpu_here(void)
{
	return PERCPU_SLOT(this_percpu(), vmm_slot, struct vcpu_cpu);
}

void vcpu_switch_loaded(struct vcpu *v, unsigned cpu);
/* Make V the vCPU loaded on this CPU (hv_ops want it so): the one
 * loaded before is put.  Inline: the usual case (twice per exit) is one
 * compare. */
static inline void vcpu_make_loaded(struct vcpu *v)
{
	if (vcpu_cpu_here()->loaded != v)
		vcpu_switch_loaded(v, this_cpu());
}
/*
 * V leaves this CPU for good (end of a slice, after create): its x87/SSE
 * and debug registers are saved if this CPU holds them, and its vendor
 * state is put (VMX: VMCLEAR), so that any CPU may load it next.
 */
void vcpu_unload(struct vcpu *v);
/* Claim V for this CPU: true when no CPU owned it (it now runs here
 * only), false when another one does. */
bool vcpu_claim(struct vcpu *v);
/* Unload V (vcpu_unload) and give up this CPU's claim on it. */
void vcpu_unclaim(struct vcpu *v);
/* Make the CPU that runs V, if it is another one, leave guest mode (a
 * kick IPI): it then sees what was posted for V before its next entry. */
void vcpu_kick(struct vcpu *v);
/*
 * Remote TLB shootdown for the N vCPUs at VS: each gets flush_pending,
 * and every other CPU in guest mode with one of them is kicked and waited
 * for until it has left guest mode (its entry counter moved); it flushes
 * before it enters again.  Returns once no CPU can still use a
 * translation cached before the call.
 */
void vcpu_flush_all(struct vcpu *vs, unsigned n);
/* Queue EV for V's next entry (hv->inject_event) and note that one is
 * queued, so that vmm/intr.c does not take an interrupt from a controller
 * it could not deliver.  0, or -E_BUSY when an event is queued already. */
int vcpu_inject_event(struct vcpu *v, const struct hv_event *ev);
/* Load a whole new architectural state into V (INIT/SIPI): V is loaded on
 * this CPU first; an event cut short by the last exit is dropped. */
void vcpu_set_state(struct vcpu *v, const struct vcpu_state *st);
/* Arm (NS > 0) or disarm the preemption deadline of V's next runs on
 * this CPU (V is loaded here first, as hv_ops wants). */
void vcpu_set_preempt_ns(struct vcpu *v, u64 ns);
/* N bytes V wrote to its console (UART, hypercall): gathered into lines
 * and queued for the log (guest_output_line) under the guest's name
 * ("guest demo: ..." or "guest demo/2: ..." for vCPU 2), so vCPUs
 * preempted mid-line never mix their bytes; non-printing bytes become '.'.
 * While the console is attached to the guest (guest_console_attach) the
 * bytes are queued raw instead (guest_output_raw), as they are. */
void vcpu_console_write(struct vcpu *v, const char *s, size_t n);
/* Queue the partial line V has gathered, if any. */
void vcpu_console_flush(struct vcpu *v);

#endif
