/*
 * Application processor start-up (arch/x86/smp.h), following the MP
 * initialization protocol of SDM Vol 3 9.4.4.1: the boot CPU sends INIT,
 * waits 10 ms, sends a start-up IPI (SIPI) whose vector is the page of the
 * start-up code, waits 200 us, and sends a second SIPI if the AP has not
 * arrived yet (an AP that already left the wait-for-SIPI state ignores
 * it).  One AP at a time: the start-up page and its parameters are shared,
 * so the next AP starts only after the previous one reached its own stack.
 *
 * A handshake in ap_state keeps a late AP from being used after the boot
 * CPU gave up on it: the AP moves WAITING to ARRIVED with a compare-and-
 * exchange, the boot CPU moves WAITING to ABANDONED the same way on time-
 * out; whoever loses knows.  An abandoned AP parks itself, and the boot
 * CPU sends it INIT (back to wait-for-SIPI) for good measure.
 */
#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/ipi.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

#define AP_STACK_ORDER 2        /* 16 KiB per AP */
#define AP_ARRIVE_US 1000000    /* first SIPI to the AP's C entry (TCG under load: ~100 ms) */
#define AP_SETUP_US 5000000     /* from there to its set-up's end (TCG is slow) */

enum ap_state { AP_WAITING, AP_ARRIVED, AP_READY, AP_FAILED, AP_ABANDONED };

/* The code and parameters of arch/x86/ap_start.asm, in the image. */
extern const u8 ap_start_begin[], ap_start_end[];
extern u8 ap_start_cr3_low[], ap_start_efer[], ap_start_cr0[], ap_start_cr3[];
extern u8 ap_start_stack[], ap_start_percpu[], ap_start_entry[];

/* What the APs copy from the boot CPU, and the hand-shake with the one
 * being started. */
static struct {
	u64 cr0, cr4, efer, pat;    /* the boot CPU's, read in smp_start_aps() */
	smp_ap_setup_fn setup;      /* the layers above's per-CPU set-up */
	u32 state;                  /* enum ap_state of the AP being started (atomic) */
	const char *why;            /* its set-up's failure, when AP_FAILED */
	unsigned nr_online;         /* CPUs online, the boot CPU included */
	unsigned nr_ids;            /* highest CPU number given + 1 */
} smp;

unsigned smp_nr_online(void) { return __atomic_load_n(&smp.nr_online, __ATOMIC_ACQUIRE); }
unsigned smp_nr_cpu_ids(void) { return smp.nr_ids; }

/* What the APs run once the layers above give it (smp_set_ap_loop). */
static void (*ap_loop)(void);

void smp_set_ap_loop(void (*loop)(void))
{
	__atomic_store_n(&ap_loop, loop, __ATOMIC_RELEASE);
}

/* The AP's idle loop: halt with interrupts on; IPIs wake it, their
 * handlers run, it halts again, until the layers above give it a loop to
 * run (which it then never leaves).  STI's one-instruction shadow makes
 * "sti; hlt" race-free against an interrupt between the two. */
static __noreturn void ap_idle(void)
{
	for (;;) {
		void (*loop)(void) = __atomic_load_n(&ap_loop, __ATOMIC_ACQUIRE);
		if (loop)
			loop();
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

/* An AP that must not be used: interrupts off, halted for good. */
static __noreturn void ap_park(void) { halt_forever(); }

/*
 * The AP's first C code, called by ap_start.asm in 64-bit mode on its own
 * stack with the VMM's page tables, with its struct percpu PC (cpu and
 * apic_id filled in by the boot CPU).  Loads its GDT, TSS and the IDT, takes
 * the boot CPU's control registers, runs the set-up, reports, idles.
 */
void ap_start_entry_c(struct percpu *pc);
__noreturn void ap_start_entry_c(struct percpu *pc)
{
	desc_init(pc);
	u32 expect = AP_WAITING;
	if (!__atomic_compare_exchange_n(&smp.state, &expect, AP_ARRIVED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		ap_park(); /* too late: the boot CPU left us out */

	/* The boot CPU's set-up, as vmm_main() left it (SDM Vol 3 2.5): CR4
	 * without VMXE (the backend sets it), EFER without SVME (likewise;
	 * LMA is the hardware's), the PAT, then CR0. */
	write_cr4(smp.cr4 & ~CR4_VMXE);
	wrmsr(MSR_EFER, (rdmsr(MSR_EFER) & EFER_LMA) | (smp.efer & ~(EFER_SVME | EFER_LMA)));
	wrmsr(MSR_PAT, smp.pat);
	write_cr0(smp.cr0);

	const char *why = NULL;
	if (lapic_ap_enable())
		why = "has its local APIC in x2APIC mode, the boot CPU's in xAPIC mode";
	else if (lapic_id() != pc->apic_id)
		why = "reports another APIC ID than the MADT";
	if (!why)
		why = smp.setup(pc->cpu);
	if (why) {
		smp.why = why;
		__atomic_store_n(&smp.state, AP_FAILED, __ATOMIC_RELEASE);
		ap_park();
	}
	__atomic_store_n(&pc->online, true, __ATOMIC_RELEASE);
	__atomic_store_n(&smp.state, AP_READY, __ATOMIC_RELEASE);
	ap_idle();
}

/* Wait until smp.state leaves FROM or US microseconds pass; the state. */
static u32 wait_state(u32 from, u64 us)
{
	u64 until = time_us() + us;
	u32 s;
	while ((s = __atomic_load_n(&smp.state, __ATOMIC_ACQUIRE)) == from && time_us() < until)
		cpu_relax();
	return s;
}

/* The address, in the copy at LOW, of the ap_start.asm parameter SYM. */
static void *param(u64 low, const u8 *sym)
{
	return phys_to_virt(low + (u64)(sym - ap_start_begin));
}

/*
 * Start the AP with APIC ID ID as CPU number CPU through the start-up page
 * LOW.  Returns NULL, or why it is left out; *SPENT says whether the
 * number CPU is taken for good (the AP reached its area and may still
 * touch it).
 */
static const char *start_one(unsigned cpu, u32 id, u64 low, bool *spent)
{
	*spent = false;
	struct percpu *pc = percpu_area(cpu);
	u64 stack = pmm_alloc_pages(AP_STACK_ORDER);
	if (!stack)
		return "has no memory for its stack";
	pc->apic_id = id;
	*(u64 *)param(low, ap_start_stack) = (u64)(uintptr_t)phys_to_virt(stack) +
					       (PAGE_SIZE << AP_STACK_ORDER);
	*(u64 *)param(low, ap_start_percpu) = (u64)(uintptr_t)pc;
	__atomic_store_n(&smp.state, AP_WAITING, __ATOMIC_SEQ_CST);

	u8 vector = (u8)(low >> 12);
	if (lapic_send_ipi(id, ICR_INIT_ASSERT))
		return "was not sent its INIT IPI";
	time_delay_us(10000);
	lapic_send_ipi(id, ICR_STARTUP(vector));
	if (wait_state(AP_WAITING, 200) == AP_WAITING)
		lapic_send_ipi(id, ICR_STARTUP(vector));
	u32 s = wait_state(AP_WAITING, AP_ARRIVE_US);
	u32 expect = AP_WAITING;
	if (s == AP_WAITING &&
	    __atomic_compare_exchange_n(&smp.state, &expect, AP_ABANDONED, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		lapic_send_ipi(id, ICR_INIT_ASSERT);
		pmm_free_pages(stack, AP_STACK_ORDER);
		return "did not start";
	}
	*spent = true;
	s = wait_state(AP_ARRIVED, AP_SETUP_US);
	if (s == AP_FAILED)
		return smp.why;
	if (s != AP_READY) {
		/* It runs on its stack and area: both stay its own. */
		lapic_send_ipi(id, ICR_INIT_ASSERT);
		return "started but did not finish its set-up in time";
	}
	return NULL;
}

unsigned smp_start_aps(const u32 *ids, unsigned n, u64 low, smp_ap_setup_fn setup,
		       const char *enabled)
{
	struct percpu *bsp = this_percpu();
	bsp->apic_id = lapic_id();
	__atomic_store_n(&bsp->online, true, __ATOMIC_RELEASE);
	smp.nr_online = 1;
	smp.nr_ids = 1;
	ipi_init();
	u64 code_len = (u64)(ap_start_end - ap_start_begin);
	if (!lapic_present()) {
		if (n > 1)
			pr_warn("smp", "no local APIC to send IPIs with: the boot CPU runs alone");
		return 1;
	}
	if (!low || code_len > PAGE_SIZE || low >= MiB(1) || (low & (PAGE_SIZE - 1))) {
		if (n > 1)
			pr_warn("smp", "no start-up page below 1 MiB: the boot CPU runs alone");
		return 1;
	}
	/* The start-up code, and a copy of the top level of the VMM's page
	 * tables below 4 GiB for the 32-bit MOV to CR3 (the levels below may
	 * be anywhere: PML4 entries hold 52-bit addresses). */
	memcpy(phys_to_virt(low), ap_start_begin, code_len);
	memcpy(phys_to_virt(low + PAGE_SIZE), phys_to_virt(read_cr3() & ~0xfffULL), PAGE_SIZE);
	smp.cr0 = read_cr0();
	smp.cr4 = read_cr4();
	smp.efer = rdmsr(MSR_EFER);
	smp.pat = rdmsr(MSR_PAT);
	smp.setup = setup;
	*(u32 *)param(low, ap_start_cr3_low) = (u32)(low + PAGE_SIZE);
	*(u32 *)param(low, ap_start_efer) = (u32)(EFER_LME | (smp.efer & EFER_NXE));
	*(u32 *)param(low, ap_start_cr0) = (u32)(smp.cr0 | CR0_PE | CR0_PG);
	*(u64 *)param(low, ap_start_cr3) = read_cr3();
	*(u64 *)param(low, ap_start_entry) = (u64)(uintptr_t)ap_start_entry_c;

	unsigned next = 1;
	for (unsigned i = 0; i < n; i++) {
		if (ids[i] == bsp->apic_id)
			continue;
		if (next >= MAX_CPUS) {
			pr_warn("cpu", "apic id %u: more than %u CPUs, left out", ids[i], MAX_CPUS);
			continue;
		}
		u64 t0 = time_us();
		bool spent;
		const char *why = start_one(next, ids[i], low, &spent);
		if (why) {
			pr_warn("cpu", "apic id %u %s, left out", ids[i], why);
			next += spent; /* the CPU may still touch its area */
			continue;
		}
		pr_info("smp", "cpu %u: apic id %u online (%s), up in %lu us", next, ids[i],
			enabled, time_us() - t0);
		next++;
		__atomic_add_fetch(&smp.nr_online, 1, __ATOMIC_RELEASE);
	}
	smp.nr_ids = next;
	return smp.nr_online;
}

/* What an AP answers to the boot CPU's ping. */
struct ping {
	unsigned cpu;      /* its this_cpu() */
	u32 apic_id;       /* its lapic_id() */
	int back_err;      /* its call back to the boot CPU: smp_call_on()'s result */
	unsigned back_cpu; /* what the boot CPU ran for it: the boot CPU's this_cpu() */
};

/* smp_call_on() function of the call back: runs on the boot CPU. */
static void pong_fn(void *arg) { *(unsigned *)arg = this_cpu(); }

/* smp_call_on() function of the ping: runs on the AP, in its IPI handler,
 * and calls the boot CPU back, which is waiting for this very call with
 * interrupts off (it serves the call back from its wait loop). */
static void ping_fn(void *arg)
{
	struct ping *p = arg;
	p->cpu = this_cpu();
	p->apic_id = lapic_id();
	p->back_err = smp_call_on(0, pong_fn, &p->back_cpu, 1000000);
}

unsigned smp_ping_aps(void)
{
	static struct ping answer; /* outlives a call that times out */
	unsigned ok = 0, asked = 0;
	for (unsigned c = 0; c < smp.nr_ids; c++) {
		struct percpu *pc = percpu_online(c);
		if (!pc || pc == this_percpu())
			continue;
		asked++;
		answer.cpu = ~0u;
		answer.apic_id = ~0u;
		answer.back_err = 1;
		answer.back_cpu = ~0u;
		u64 t0 = time_us();
		int err = smp_call_on(c, ping_fn, &answer, 2000000);
		u64 dt = time_us() - t0;
		if (err) {
			pr_warn("ipi", "cpu %u (apic id %u) did not answer a call IPI (error %d): "
				"taken offline", c, pc->apic_id, err);
			__atomic_sub_fetch(&smp.nr_online, 1, __ATOMIC_RELEASE);
		} else if (answer.cpu != c || answer.apic_id != pc->apic_id) {
			pr_warn("ipi", "cpu %u answered as cpu %u apic id %u", c, answer.cpu,
				answer.apic_id);
		} else if (answer.back_err || answer.back_cpu != this_cpu()) {
			pr_warn("ipi", "cpu %u answered, but its call back failed (error %d, ran on "
				"cpu %u)", c, answer.back_err, answer.back_cpu);
		} else {
			pr_info("ipi", "cpu %u: call IPI answered in %lu us (it called cpu %u back)",
				c, dt, answer.back_cpu);
			ok++;
		}
	}
	if (asked)
		pr_info("ipi", "%u of %u APs answered the call IPI", ok, asked);
	return ok;
}
