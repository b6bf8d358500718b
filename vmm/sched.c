/*
 * The scheduler: all guests share the CPU the VMM runs on, round robin, one
 * time slice each, given to the guest's next runnable vCPU in turn.  A slice ends when the preemption timer fires (a local
 * APIC timer interrupt on AMD, the VMX preemption timer on Intel: both
 * reach vmm/ as VM_EXIT_PREEMPT), when the slice's TSC deadline has passed
 * at an exit, when the guest ends, or when the caller's cut() says so (the
 * console: a line is waiting); so a
 * guest that spins forever stalls neither the console nor the others.
 */
#include "arch/x86/cpu.h"
#include "vmm/exit.h"
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

bool sched_step(bool (*cut)(void))
{
	/* Between slices, never in an exit handler: the guests' console lines
	 * go to the log, each guest within its rate. */
	guest_output_drain_all();
	static unsigned rr;
	struct vcpu *v = NULL;
	unsigned n = 0;
	while (guest_at(n))
		n++;
	for (unsigned k = 0; k < n && !v; k++) {
		struct guest *c = guest_at((rr + k) % n);
		if (c->state == GUEST_RUNNING && (v = next_vcpu(c)) != NULL)
			rr = (rr + k + 1) % n;
	}
	if (!v)
		return false;

	struct guest *g = v->guest;
	u64 end = rdtsc() + slice_us * time_tsc_khz() / 1000;
	vcpu_set_preempt_ns(v, slice_us * 1000);
	while (g->state == GUEST_RUNNING && v->runnable) {
		struct vm_exit e;
		if (vcpu_enter(v, &e))
			break; /* the world switch failed: the guest has been ended */
		exit_handle(v, &e);
		if (e.kind == VM_EXIT_PREEMPT || rdtsc() >= end || (cut && cut()))
			break;
	}
	vcpu_set_preempt_ns(v, 0);
	/* A tick that fired while the exit was handled is taken now, so it
	 * does not cut the next guest's slice short. */
	irq_window();
	return true;
}
