/*
 * The local APIC timer against the TSC, the way an OS calibrates and uses
 * it (Intel SDM Vol 3A 11.5.4):
 *  - one-shot: the interrupt comes once, the current count runs down from
 *    the initial count and reads 0 after it fired; the time it takes
 *    scales with the divider (divide by 2 takes twice as long as by 1);
 *  - periodic: N interrupts take N times the one-shot time and the count
 *    reloads;
 *  - a masked one-shot raises nothing;
 *  - TSC-deadline (when CPUID.1:ECX[24] says so): the interrupt never
 *    comes before the deadline TSC, the MSR reads 0 after it fired, and
 *    writing 0 disarms it.
 * Durations are tens of milliseconds and bounds are wide, so that a busy
 * host's scheduling jitter cannot fail a run; the TSC cycles per timer
 * count are printed as a diagnostic (1 count per ns before the divider
 * under pagoda and QEMU).  "x2apic" runs it through the x2APIC MSRs.
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "apic_timer";

#define VEC_TIMER 0x50
#define COUNT 10000000u /* 10 ms at 1 GHz, divide by 1 */
#define DCR_DIV1 0xb
#define DCR_DIV2 0x0

static volatile unsigned timer_hits;
static volatile u64 fired_tsc; /* TSC when the handler last ran */

static void on_timer(struct exc_frame *f)
{
	(void)f;
	fired_tsc = rdtsc();
	timer_hits++;
	lapic_eoi();
}

/* Sleep with HLT until the timer handler ran WANT times in all, or about
 * a second of TSC went by (LIMIT cycles).  Returns whether it did. */
static bool wait_hits(unsigned want, u64 limit)
{
	u64 t0 = rdtsc();
	while (timer_hits < want && rdtsc() - t0 < limit) {
		sti_hlt();
		cli();
	}
	return timer_hits >= want;
}

/* A HLT wakes on any interrupt; to wait for a stretch of time without one
 * expected, spin on the TSC. */
static void spin_cycles(u64 cycles)
{
	u64 t0 = rdtsc();
	while (rdtsc() - t0 < cycles)
		__asm__ volatile("pause");
}

/* One one-shot run of COUNT at divider DCR.  Returns the TSC cycles from
 * the initial-count write to the handler, 0 when it never came. */
static u64 oneshot(u32 dcr, u64 limit)
{
	unsigned before = timer_hits;
	lapic_write(APIC_TDCR, dcr);
	lapic_write(APIC_LVTT, APIC_LVTT_ONESHOT | VEC_TIMER);
	u64 t0 = rdtsc();
	lapic_write(APIC_TMICT, COUNT);
	if (!wait_hits(before + 1, limit))
		return 0;
	return fired_tsc - t0;
}

/* The shortest of three one-shot runs at DCR: a run can only come out
 * longer than the timer's period (the emulator or the host scheduler
 * pausing the CPU), never shorter, so the minimum is the best estimate.
 * 0 when one never came. */
static u64 oneshot_min(u32 dcr, u64 limit)
{
	u64 best = 0;
	for (int i = 0; i < 3; i++) {
		u64 t = oneshot(dcr, limit);
		if (!t)
			return 0;
		if (!best || t < best)
			best = t;
	}
	return best;
}

static u64 test_oneshot(void)
{
	/* A generous limit before the rate is known: 2^34 cycles (several
	 * seconds at any plausible TSC rate). */
	unsigned hits0 = timer_hits;
	u64 t1 = oneshot(DCR_DIV1, 1ull << 34);
	expect(t1 != 0, "one-shot, divide by 1: the interrupt came");
	if (!t1)
		return 0;
	diag("one-shot of %u counts, divide by 1: %lu TSC cycles (%lu.%03lu cycles per count)",
	     COUNT, t1, t1 / COUNT, (t1 % COUNT) * 1000 / COUNT);
	expect_eq(lapic_read(APIC_TMCCT), 0, "current count 0 after the one-shot fired");
	spin_cycles(t1 / 2);
	expect_eq(timer_hits, hits0 + 1, "one-shot fires once");
	u64 t = oneshot_min(DCR_DIV1, 20 * t1);
	if (t)
		t1 = t;

	unsigned before = timer_hits;
	lapic_write(APIC_TMICT, COUNT);
	u32 c1 = lapic_read(APIC_TMCCT);
	spin_cycles(t1 / 50);
	u32 c2 = lapic_read(APIC_TMCCT);
	expect(c1 <= COUNT && c2 < c1 && (c2 > 0 || timer_hits != before),
	       "current count runs down (%u then %u of %u)", c1, c2, COUNT);
	wait_hits(before + 1, 20 * t1);

	/* Late is possible (a paused CPU), early is not: the lower bound is
	 * the check that the divider counts, the upper one only catches a
	 * timer far off. */
	u64 t2 = oneshot_min(DCR_DIV2, 20 * t1);
	diag("divide by 2: %lu TSC cycles (shortest of 3)", t2);
	expect(t2 > t1 * 3 / 2 && t2 < t1 * 4,
	       "divide by 2 takes about twice as long as divide by 1");
	return t1;
}

static void test_periodic(u64 t1)
{
	unsigned before = timer_hits;
	lapic_write(APIC_TDCR, DCR_DIV1);
	lapic_write(APIC_LVTT, APIC_LVTT_PERIODIC | VEC_TIMER);
	u64 t0 = rdtsc();
	lapic_write(APIC_TMICT, COUNT);
	bool got = wait_hits(before + 5, 40 * t1);
	u64 took = fired_tsc - t0;
	u32 cur = lapic_read(APIC_TMCCT);
	lapic_write(APIC_TMICT, 0);
	expect(got, "periodic: five interrupts came");
	diag("five periods: %lu TSC cycles", took);
	expect(took > t1 * 5 * 7 / 10 && took < t1 * 5 * 3,
	       "five periods take about five one-shot times");
	expect(cur > 0 && cur <= COUNT, "the count reloaded after an expiry (%u)", cur);
	unsigned after = timer_hits;
	spin_cycles(2 * t1);
	expect_eq(timer_hits, after, "initial count 0 stops the periodic timer");
}

static void test_masked(u64 t1)
{
	unsigned before = timer_hits;
	lapic_write(APIC_TDCR, DCR_DIV1);
	lapic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVTT_ONESHOT | VEC_TIMER);
	lapic_write(APIC_TMICT, COUNT);
	sti();
	spin_cycles(2 * t1);
	cli();
	expect_eq(timer_hits, before, "a masked one-shot raises nothing");
	expect_eq(lapic_read(APIC_TMCCT), 0, "though it counted down to 0");
}

static void test_tsc_deadline(u64 t1)
{
	u32 id[4];
	cpuid(1, 0, id);
	if (!(id[2] & (1u << 24))) {
		skip("CPUID.1:ECX.TSC_DEADLINE[24] is 0", "TSC-deadline timer");
		return;
	}
	lapic_write(APIC_LVTT, APIC_LVTT_TSCDEADLINE | VEC_TIMER);
	unsigned before = timer_hits;
	u64 deadline = rdtsc() + t1;
	wrmsr(MSR_TSC_DEADLINE, deadline);
	expect_eq(rdmsr(MSR_TSC_DEADLINE), deadline, "IA32_TSC_DEADLINE reads back while armed");
	bool got = wait_hits(before + 1, 20 * t1);
	expect(got, "TSC-deadline: the interrupt came");
	expect(fired_tsc >= deadline, "not before the deadline (%ld cycles after it)",
	       (long)(fired_tsc - deadline));
	expect(fired_tsc - deadline < 5 * t1, "and not long after it");
	expect_eq(rdmsr(MSR_TSC_DEADLINE), 0, "IA32_TSC_DEADLINE reads 0 after it fired");

	before = timer_hits;
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + t1);
	wrmsr(MSR_TSC_DEADLINE, 0);
	sti();
	spin_cycles(2 * t1);
	cli();
	expect_eq(timer_hits, before, "writing 0 disarms it");

	wrmsr(MSR_TSC_DEADLINE, rdtsc() - 1);
	got = wait_hits(before + 1, 20 * t1);
	expect(got, "a deadline already past fires at once");
	lapic_write(APIC_LVTT, APIC_LVT_MASKED);
}

void main(const char *cmdline)
{
	bool x2 = cmdline_has(cmdline, "x2apic");
	u32 id[4];
	cpuid(1, 0, id);
	if (x2 && !(id[2] & (1u << 21))) {
		skip("CPUID.1:ECX.x2APIC[21] is 0", "x2APIC mode");
		return;
	}
	exc_set_handler(VEC_TIMER, on_timer);
	pic_init(0x20); /* the firmware's 8259 setup left the PIT's IRQ 0 open */
	lapic_enable(x2);
	diag("APIC ID %u, %s mode", lapic_id(), x2 ? "x2APIC" : "xAPIC");
	u64 t1 = test_oneshot();
	if (!t1)
		return;
	test_periodic(t1);
	test_masked(t1);
	test_tsc_deadline(t1);
}
