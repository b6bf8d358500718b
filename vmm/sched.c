/*
 * The scheduler: all guests share the CPU the VMM runs on, round robin, one
 * time slice each, given to the guest's next runnable vCPU in turn (a vCPU
 * asleep in HLT or waiting for a SIPI is not runnable).  The preemption
 * timer (a local APIC timer interrupt on AMD, the VMX preemption timer on
 * Intel: both reach vmm/ as VM_EXIT_PREEMPT) is armed for the sooner of
 * the slice's end and the vCPU's next virtual timer.  A slice ends when its
 * time has passed at an exit, when the vCPU halts or the guest ends, or
 * when the caller's cut() says so (the console: a line is waiting; asked
 * at most every SCHED_CUT_POLL_NS); so a guest that spins forever stalls
 * neither the console nor the others.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "vmm/exit.h"
#include "vmm/intr.h"
#include "vmm/sched.h"
#include "vmm/vm.h"
#include "lib/time.h"

static u64 slice_us = 10000; /* 10 ms */

void sched_set_slice_us(u64 us) { slice_us = us; }
u64 sched_slice_us(void) { return slice_us; }

/* The next runnable vCPU of G after the last one run, or NULL. */
static struct vcpu *next_vcpu(struct guest *g)
{
	for (unsigned k = 0; k < g->nr_vcpus; k++) {
		struct vcpu *v = &g->vcpus[(g->rr + k) % g->nr_vcpus];
		if (v->runnable) {
			g->rr = (v->id + 1) % g->nr_vcpus;
			return v;
		}
	}
	return NULL;
}

/* The shortest deadline worth arming: a timer already due fires at the
 * next tick anyway, so a guest is never entered for less than this. */
#define SCHED_MIN_RUN_NS 20000
/* How often a slice asks cut() (the console's UART poll: a port read,
 * costly under an emulator) at the most: a line typed waits this much
 * longer, at worst, than at the very next exit. */
#define SCHED_CUT_POLL_NS 50000

bool sched_step(bool (*cut)(void))
{
	/* Between slices, never in an exit handler: the guests' console lines
	 * go to the log, each guest within its rate. */
	guest_output_drain_all();
	static unsigned rr;
	struct vcpu *v = NULL;
	unsigned n = 0;
	u64 now = time_ns();
	while (guest_at(n)) {
		/* Timers of every running guest: a vCPU asleep in HLT whose
		 * timer or device has fired becomes runnable here. */
		struct guest *c = guest_at(n);
		if (c->state == GUEST_RUNNING)
			intr_tick(c, now);
		n++;
	}
	for (unsigned k = 0; k < n && !v; k++) {
		struct guest *c = guest_at((rr + k) % n);
		if (c->state == GUEST_RUNNING && (v = next_vcpu(c)) != NULL)
			rr = (rr + k + 1) % n;
	}
	if (!v)
		return false;

	/* The slice ends at SLICE_END; the preemption deadline of each entry
	 * is the sooner of that and V's next timer (its local APIC timer, the
	 * PIT), so a guest spinning with interrupts enabled gets its ticks.
	 * It is re-armed only when it moved, or when the timer may have fired
	 * (a VM_EXIT_PREEMPT: it is one-shot); otherwise the one armed before
	 * still ends the run at the same time (the local APIC timer counts
	 * on; VMX keeps the deadline as a TSC value, see vmx_set_preempt_ns). */
	struct guest *g = v->guest;
	u64 slice_end = now + slice_us * 1000, armed = 0, next_poll = now + SCHED_CUT_POLL_NS;
	bool rearm = true;
	while (g->state == GUEST_RUNNING && v->runnable) {
		u64 until = slice_end, dl = intr_next_deadline(v);
		if (dl && dl < until)
			until = dl;
		if (rearm || until != armed) {
			vcpu_set_preempt_ns(v, until > now + SCHED_MIN_RUN_NS ? until - now :
										SCHED_MIN_RUN_NS);
			armed = until;
		}
		struct vm_exit e;
		intr_inject(v);
		if (vcpu_enter(v, &e))
			break; /* the world switch failed: the guest has been ended */
		rearm = e.kind == VM_EXIT_PREEMPT;
		intr_after_exit(v);
		exit_handle(v, &e);
		now = time_ns();
		intr_tick(g, now);
		if (now >= slice_end)
			break;
		if (cut && now >= next_poll) {
			if (cut())
				break;
			next_poll = now + SCHED_CUT_POLL_NS;
		}
	}
	irq_step_cancel(); /* exit-path counting ends with the slice */
	vcpu_set_preempt_ns(v, 0);
	/* A tick that fired while the exit was handled is taken now, so it
	 * does not cut the next guest's slice short. */
	irq_window();
	return true;
}
