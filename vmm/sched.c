/*
 * The scheduler: every host CPU runs guests' vCPUs, one time slice at a
 * time.  There is no run queue to keep: the guest table is the shared
 * queue.  Each CPU walks it round robin from its own position, and in each
 * running guest it may serve (struct guest.cpu_mask) takes the next vCPU
 * that wants a CPU (runnable, or an INIT/SIPI to act on) and that it can
 * claim (vcpu_claim: a compare-and-exchange, so a vCPU runs on one CPU at
 * a time while a guest's vCPUs run on as many CPUs at once).  A CPU holds
 * a reference to the guest for the slice (guest_get), which stop and
 * destroy wait for.  The boot CPU also runs the console: its slices are
 * cut by a typed line (the caller's cut()), and it ticks every running
 * guest's timers between slices; the APs sleep in HLT when they find
 * nothing and are kicked when a vCPU they may run becomes runnable.  Which
 * CPUs take guests at all is sched_cpus_init's choice (every one, or the
 * APs alone under QEMU's TCG) and the console's `set smp=`.
 *
 * Within a slice the preemption timer (a local APIC timer interrupt on
 * AMD, the VMX preemption timer on Intel: both reach vmm/ as
 * VM_EXIT_PREEMPT) is armed for the sooner of the slice's end and the
 * vCPU's next virtual timer.  A slice ends when its time has passed at an
 * exit, when the vCPU halts or the guest ends, or when cut() says so (asked
 * at most every SCHED_CUT_POLL_NS); so a guest that spins forever stalls
 * neither the console nor the others.  The guest's lock is held for exit
 * handling and event injection, not for the run itself nor for nested page
 * faults that map memory.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "mm/pmm.h"
#include "vmm/exit.h"
#include "vmm/intr.h"
#include "vmm/sched.h"
#include "vmm/vm.h"
#include "vmm/xcpu.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

static u64 slice_us = 10000; /* 10 ms */
/* Per CPU: where its walk of the guest table starts next. */
static unsigned sched_rr[MAX_CPUS];
/* The host CPUs that run guests (bit N: CPU N), set by sched_cpus_init:
 * every online CPU, or the APs alone where the boot CPU must stay out of
 * guest mode (sched_cpus_init says when).  SMP_CPUS is the set of `set
 * smp=on`, GUEST_CPUS the one in force: SMP_CPUS, or CPU 0 alone after
 * `set smp=off`. */
static u64 smp_cpus = BIT(0);
static u64 guest_cpus = BIT(0);

void sched_set_slice_us(u64 us) { slice_us = us; }
u64 sched_slice_us(void) { return slice_us; }

/* The next vCPU of G after the last one taken that wants a CPU and that
 * this CPU could claim, or NULL.  G is referenced (guest_get). */
static struct vcpu *claim_vcpu(struct guest *g)
{
	for (unsigned k = 0; k < g->nr_vcpus; k++) {
		unsigned i = (__atomic_load_n(&g->rr, __ATOMIC_RELAXED) + k) % g->nr_vcpus;
		struct vcpu *v = &g->vcpus[i];
		if (!guest_vcpu_wants_cpu(v) || !vcpu_claim(v))
			continue;
		/* It may have gone to sleep on another CPU just before. */
		if (!v->runnable && !__atomic_load_n(&v->apic_signal, __ATOMIC_ACQUIRE)) {
			xcpu_unclaim(&v->running_on);
			continue;
		}
		__atomic_store_n(&g->rr, (i + 1) % g->nr_vcpus, __ATOMIC_RELAXED);
		return v;
	}
	return NULL;
}

/* The shortest deadline worth arming: a timer already due fires at the
 * next tick anyway, so a guest is never entered for less than this. */
#define SCHED_MIN_RUN_NS 20000
/* The longest the boot CPU sleeps in sched_idle: the most a typed line
 * (the UART raises no interrupt here) or a guest's output waits. */
#define SCHED_IDLE_MAX_NS 1000000
/* The earliest timer deadline (ns) of any running guest's vCPU at the
 * boot CPU's last tick, 0 if none: where its idle sleep ends. */
static u64 boot_next_deadline;
/* How often a slice asks cut() (the console's UART poll: a port read,
 * costly under an emulator) at the most: a line typed waits this much
 * longer, at worst, than at the very next exit. */
#define SCHED_CUT_POLL_NS 50000

/*
 * One slice of V (claimed by this CPU, its guest referenced): until the
 * slice's time is up, V sleeps or waits, its guest stops running, or CUT
 * says so.  The guest's lock is held from here to the entry, and again
 * from the exit on (after an unlocked nested page fault, if it was one).
 */
static void run_slice(struct vcpu *v, bool (*cut)(void))
{
	/* The slice ends at SLICE_END; the preemption deadline of each entry
	 * is the sooner of that and V's next timer (its local APIC timer, the
	 * PIT), so a guest spinning with interrupts enabled gets its ticks.
	 * It is re-armed only when it moved, or when the timer may have fired
	 * (a VM_EXIT_PREEMPT: it is one-shot); otherwise the one armed before
	 * still ends the run at the same time (the local APIC timer counts
	 * on; VMX keeps the deadline as a TSC value, see vmx_set_preempt_ns). */
	struct guest *g = v->guest;
	u64 now = time_ns();
	u64 slice_end = now + slice_us * 1000, armed = 0, next_poll = now + SCHED_CUT_POLL_NS;
	bool rearm = true;
	vlock_take(&g->lock);
	while (g->state == GUEST_RUNNING) {
		if (v->apic_signal)
			intr_apic_signals(v);
		if (!v->runnable)
			break;
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
		vlock_give(&g->lock);
		int r = vcpu_enter(v, &e);
		bool done = !r && exit_handle_unlocked(v, &e);
		vlock_take(&g->lock);
		if (r) {
			guest_crash(g, "world switch failed (%d)", r);
			break;
		}
		rearm = e.kind == VM_EXIT_PREEMPT;
		intr_after_exit(v);
		if (!done)
			exit_handle(v, &e);
		now = time_ns();
		/* Before the deadline armed for this run (V's local APIC
		 * timer, the PIT when V is vCPU 0) no timer of V's is due: the
		 * tick is skipped unless another vCPU's timer or console input
		 * may be waiting.  A timer the exit just reprogrammed is in the
		 * next entry's deadline, and ticked once that has passed. */
		if (now >= armed || g->nr_vcpus > 1 || g->intr.input_len)
			intr_tick(g, now);
		if (now >= slice_end)
			break;
		if (cut && now >= next_poll) {
			if (cut())
				break;
			next_poll = now + SCHED_CUT_POLL_NS;
		}
	}
	vlock_give(&g->lock);
	irq_step_cancel(); /* exit-path counting ends with the slice */
	vcpu_set_preempt_ns(v, 0);
	/* A tick that fired while the exit was handled is taken now, so it
	 * does not cut the next guest's slice short. */
	irq_window();
}

bool sched_step(bool (*cut)(void))
{
	unsigned cpu = this_cpu();
	if (cpu == 0) {
		/* Between slices, never in an exit handler: the guests' console
		 * lines go to the log, each guest within its rate.  And the
		 * timers of every running guest: a vCPU asleep in HLT whose
		 * timer or device has fired becomes runnable here (its own
		 * CPU ticks it at each exit while it runs). */
		guest_output_drain_all();
		u64 now = time_ns(), next = 0;
		bool idles = !(sched_guest_cpus() & BIT(0)); /* sched_idle halts */
		for (unsigned k = 0; k < GUEST_MAX; k++) {
			struct guest *c = guest_slot(k);
			if (!c->in_use || c->state != GUEST_RUNNING || !guest_get(c))
				continue;
			vlock_take(&c->lock);
			intr_tick(c, now);
			for (unsigned i = 0; idles && i < c->nr_vcpus; i++) {
				u64 dl = intr_next_deadline(&c->vcpus[i]);
				if (dl && (!next || dl < next))
					next = dl;
			}
			vlock_give(&c->lock);
			guest_put(c);
		}
		boot_next_deadline = next;
	}
	if (!(sched_guest_cpus() & BIT(cpu)))
		return false;
	struct vcpu *v = NULL;
	for (unsigned k = 0; k < GUEST_MAX && !v; k++) {
		unsigned slot = (sched_rr[cpu] + k) % GUEST_MAX;
		struct guest *c = guest_slot(slot);
		if (!c->in_use || c->state != GUEST_RUNNING || !(c->cpu_mask & BIT(cpu)))
			continue;
		if (!guest_get(c))
			continue;
		v = claim_vcpu(c);
		if (v)
			sched_rr[cpu] = (slot + 1) % GUEST_MAX;
		else
			guest_put(c);
	}
	if (!v) {
		tdp_mmu_quiescent(cpu); /* a quiescent point: no MMU lock, no guest mode */
		return false;
	}
	struct guest *g = v->guest;
	u32 now_running = __atomic_add_fetch(&g->vcpus_running, 1, __ATOMIC_RELAXED);
	u32 most = __atomic_load_n(&g->vcpus_running_max, __ATOMIC_RELAXED);
	while (now_running > most &&
	       !__atomic_compare_exchange_n(&g->vcpus_running_max, &most, now_running, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	run_slice(v, cut);
	__atomic_sub_fetch(&g->vcpus_running, 1, __ATOMIC_RELAXED);
	vcpu_unclaim(v);
	guest_put(g);
	return true;
}

/* Is there a vCPU this CPU could take now? (An idle AP's last look before
 * its HLT, after it said it idles: a wake-up after this kicks it.) */
static bool work_for(unsigned cpu)
{
	for (unsigned k = 0; k < GUEST_MAX; k++) {
		struct guest *c = guest_slot(k);
		if (!c->in_use || c->state != GUEST_RUNNING || !(c->cpu_mask & BIT(cpu)))
			continue;
		for (unsigned i = 0; i < c->nr_vcpus; i++)
			if (guest_vcpu_wants_cpu(&c->vcpus[i]))
				return true;
	}
	return false;
}

void sched_idle(void)
{
	u64 now = time_ns(), until = now + SCHED_IDLE_MAX_NS;
	if (boot_next_deadline && boot_next_deadline < until)
		until = boot_next_deadline;
	/* A boot CPU that runs guests keeps polling, as it always did: the
	 * vCPU it may run next is found at once, and guests' timing on one
	 * CPU stays what the tests measured.  It never marks itself idle, so
	 * wake-up kicks go to the APs. */
	if ((sched_guest_cpus() & BIT(0)) || until < now + SCHED_MIN_RUN_NS ||
	    !this_percpu()->lapic_timer_ok) {
		cpu_relax();
		return;
	}
	lapic_timer_oneshot(until - now);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	lapic_timer_oneshot(0);
}

void sched_boot_turn(bool (*cut)(void))
{
	if (!sched_step(cut) && !pmm_zero_pool_refill(PMM_ZERO_IDLE_PAGES))
		sched_idle();
}

void sched_ap_loop(void)
{
	unsigned cpu = this_cpu();
	/* mm/ counts this CPU in its grace periods from here on: before its
	 * first guest entry or MMU lock. */
	tdp_mmu_quiescent(cpu);
	for (;;) {
		if (sched_step(NULL))
			continue;
		guest_cpu_idle(cpu, true);
		if ((sched_guest_cpus() & BIT(cpu)) && work_for(cpu)) {
			guest_cpu_idle(cpu, false);
			continue;
		}
		/* Idle CPUs do not hold back mm/'s grace periods; the next
		 * sched_step passes a quiescent point before any guest entry. */
		tdp_mmu_cpu_offline(cpu);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		guest_cpu_idle(cpu, false);
		tdp_mmu_quiescent(cpu);
	}
}

void sched_cpu_list(u64 mask, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = 0;
	for (unsigned lo = 0; lo < 64 && len < size; lo++) {
		if (!(mask & BIT(lo)))
			continue;
		unsigned hi = lo;
		while (hi + 1 < 64 && (mask & BIT(hi + 1)))
			hi++;
		len += (size_t)snprintf(buf + len, size - len, hi == lo ? "%s%u" : "%s%u-%u",
					len ? "," : "", lo, hi);
		lo = hi;
	}
}

void sched_cpus_init(void)
{
	u64 all = 0;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu == 0 || percpu_online(cpu))
			all |= BIT(cpu);
	const char *why = NULL;
	/*
	 * QEMU's TCG (7.2, the version tried; CPUID leaf 0x40000000 says
	 * "TCGTCGTCGTCG") gives each CPU a thread, and every x87 state load
	 * (FLDENV, FRSTOR, FXRSTOR, XRSTOR) on any of them clears IGNNE in
	 * the *first* CPU's hidden flags word, a plain read-modify-write from
	 * the wrong thread (target/i386/tcg/sysemu/fpu_helper.c,
	 * cpu_clear_ignne).  The same word holds that CPU's "nested paging
	 * on" and GIF bits: when the boot CPU enters or leaves a guest at
	 * that moment, its change is undone, and the guest runs without
	 * nested paging (its addresses taken as the machine's) or the VMM
	 * after #VMEXIT with it (the VMCB comes back holding the VMM's
	 * state).  Guests on the APs load x87
	 * state all the time, so there the boot CPU runs none: it keeps the
	 * console and the timers.  Alone, it runs them all.
	 */
	if (all != BIT(0) && cpu_host_is_qemu_tcg()) {
		all &= ~BIT(0);
		why = " (CPU 0 keeps the console: under QEMU's TCG another CPU's x87 state "
		      "loads race with its guest entries, docs/design.md)";
	}
	__atomic_store_n(&smp_cpus, all, __ATOMIC_RELAXED);
	__atomic_store_n(&guest_cpus, all, __ATOMIC_RELEASE);
	char list[64];
	sched_cpu_list(all, list, sizeof(list));
	pr_info("sched", "guests run on cpus %s%s", list, why ? why : "");
}

u64 sched_guest_cpus(void) { return __atomic_load_n(&guest_cpus, __ATOMIC_ACQUIRE); }

const char *sched_set_smp(bool on)
{
	u64 want = on ? smp_cpus : BIT(0);
	for (unsigned k = 0; k < GUEST_MAX; k++) {
		struct guest *c = guest_slot(k);
		if (c->in_use && !(c->cpu_mask & want))
			return c->name;
	}
	__atomic_store_n(&guest_cpus, want, __ATOMIC_RELEASE);
	return NULL;
}
