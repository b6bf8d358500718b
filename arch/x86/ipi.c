/*
 * IPIs between host CPUs (arch/x86/ipi.h).  A call is posted in the
 * target's struct percpu: the caller (holding the target's call_lock)
 * writes call_fn and call_arg, then raises call_req (release) and sends
 * IPI_CALL_VECTOR; the target's handler reads call_req (acquire), runs the
 * function, acknowledges the interrupt, and stores call_req into call_done
 * (release), which the caller waits for.  A handler that finds
 * call_taken == call_req (a duplicate interrupt, or a call already begun
 * further up this CPU's stack) does nothing.
 */
#include "arch/x86/ipi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/time.h"

/* Run the call posted to this CPU, if there is one not yet begun.
 * Interrupts off (so the handler and a poll never run one call twice; a
 * call that itself waits on another CPU polls here and must not begin
 * itself again). */
static void run_posted_call(void)
{
	struct percpu *pc = this_percpu();
	u32 req = __atomic_load_n(&pc->call_req, __ATOMIC_ACQUIRE);
	if (req != pc->call_taken) {
		pc->call_taken = req;
		pc->call_fn(pc->call_arg);
		__atomic_store_n(&pc->call_done, req, __ATOMIC_RELEASE);
	}
}

/* IPI_CALL_VECTOR's handler: run the posted call, if any. */
static void call_irq(struct exc_frame *f)
{
	(void)f;
	run_posted_call();
	lapic_eoi();
}

/* While this CPU waits for another: serve a call posted to it meanwhile
 * (two CPUs calling each other with interrupts off would otherwise wait
 * for ever).  The IPI itself stays pending and finds the call done. */
static void serve_calls_while_waiting(void)
{
	u64 flags = read_rflags();
	cli();
	run_posted_call();
	if (flags & RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
}

/* IPI_KICK_VECTOR's handler: the interrupt itself was the point. */
static void kick_irq(struct exc_frame *f)
{
	(void)f;
	lapic_eoi();
}

void ipi_init(void)
{
	irq_set_handler(IPI_CALL_VECTOR, call_irq);
	irq_set_handler(IPI_KICK_VECTOR, kick_irq);
}

int ipi_send(unsigned cpu, u8 vector)
{
	struct percpu *pc = percpu_online(cpu);
	if (!pc)
		return -E_NOENT;
	return lapic_send_ipi(pc->apic_id, ICR_FIXED(vector));
}

int smp_call_on(unsigned cpu, void (*fn)(void *arg), void *arg, u64 timeout_us)
{
	struct percpu *pc = percpu_online(cpu);
	if (!pc)
		return -E_NOENT;
	if (pc == this_percpu()) {
		fn(arg);
		return 0;
	}
	while (__atomic_exchange_n(&pc->call_lock, 1, __ATOMIC_ACQUIRE))
		serve_calls_while_waiting();
	pc->call_fn = fn;
	pc->call_arg = arg;
	u32 req = __atomic_add_fetch(&pc->call_req, 1, __ATOMIC_RELEASE);
	int err = lapic_send_ipi(pc->apic_id, ICR_FIXED(IPI_CALL_VECTOR));
	u64 until = time_us() + timeout_us;
	while (!err && __atomic_load_n(&pc->call_done, __ATOMIC_ACQUIRE) != req)
		if (time_us() > until)
			err = -E_BUSY;
		else
			serve_calls_while_waiting();
	if (err) {
		/* Its handler may still read call_fn: the lock stays taken, and
		 * the CPU is no longer anyone's target. */
		__atomic_store_n(&pc->online, false, __ATOMIC_RELEASE);
		return err;
	}
	__atomic_store_n(&pc->call_lock, 0, __ATOMIC_RELEASE);
	return 0;
}
