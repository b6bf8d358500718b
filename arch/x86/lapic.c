/*
 * Local APIC and its timer in one-shot mode (SDM Vol 3 11.5.4), in xAPIC
 * mode (memory-mapped at the address in IA32_APIC_BASE) or, when the
 * firmware left it so, x2APIC mode (the same registers as MSRs 0x800 +
 * offset / 16, SDM Vol 3 11.12.1).  Register offsets: 0xB0 EOI, 0xF0
 * spurious-interrupt vector (bit 8 = software enable), 0x320 LVT timer,
 * 0x380 initial count, 0x390 current count, 0x3E0 divide configuration
 * (0xB = divide by 1).  x2APIC mode at hand-over runs in
 * tests/platform/09-x2apic.t (a boot step sets it before pagoda starts).
 */
#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "mm/mm_env.h"
#include "lib/log.h"
#include "lib/time.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_X2APIC BIT(10)

#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED BIT(16)
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_SEND_PENDING BIT(12)

/* The same on every CPU: the register window and the mode are the
 * machine's (firmware enables x2APIC on all CPUs or none).  The timer's
 * state is per CPU (struct percpu). */
static volatile u32 *lapic; /* xAPIC registers, NULL in x2APIC mode */
static bool x2apic;          /* registers are MSRs */

static u32 rd(u32 reg) { return x2apic ? (u32)rdmsr(0x800 + reg / 16) : lapic[reg / 4]; }
static void wr(u32 reg, u32 v)
{
	if (x2apic)
		wrmsr(0x800 + reg / 16, v);
	else
		lapic[reg / 4] = v;
}

void lapic_eoi(void)
{
	if (this_percpu()->lapic_enabled)
		wr(LAPIC_EOI, 0);
}

static void timer_irq(struct exc_frame *f)
{
	(void)f;
	lapic_eoi();
}

static void spurious_irq(struct exc_frame *f) { (void)f; }

/*
 * This CPU's part of the set-up: software-enable its local APIC (SVR),
 * and measure its timer's rate at divide-by-1 against the TSC over 10 ms
 * (one-shot, unmasked afterwards).  Returns 0, or -E_NODEV when the timer
 * does not count (the CPU then runs without preemption).
 */
static int lapic_cpu_setup(void)
{
	struct percpu *pc = this_percpu();
	wr(LAPIC_SVR, BIT(8) | LAPIC_SPURIOUS_VECTOR);
	pc->lapic_enabled = true;
	wr(LAPIC_TIMER_DIV, 0xb);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);

	/* Count down from the top for 10 ms of TSC time. */
	wr(LAPIC_TIMER_INIT, 0xffffffff);
	time_delay_us(10000);
	u32 left = rd(LAPIC_TIMER_CUR);
	wr(LAPIC_TIMER_INIT, 0);
	u64 ticks_per_ms = (0xffffffffULL - left) / 10;
	if (!ticks_per_ms)
		return -E_NODEV;
	wr(LAPIC_LVT_TIMER, LAPIC_TIMER_VECTOR); /* one-shot, unmasked */
	pc->lapic_ticks_per_ms = ticks_per_ms;
	pc->lapic_timer_ok = true;
	return 0;
}

int lapic_init(void)
{
	if (!(cpuid(1).edx & BIT(9)))
		return -E_NODEV;
	u64 base = rdmsr(MSR_APIC_BASE);
	x2apic = base & APIC_BASE_X2APIC;
	if (!x2apic) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		lapic = phys_to_virt(base & ~(u64)0xfff);
	}
	irq_set_eoi(lapic_eoi);
	irq_set_handler(LAPIC_TIMER_VECTOR, timer_irq);
	irq_set_handler(LAPIC_SPURIOUS_VECTOR, spurious_irq);
	if (lapic_cpu_setup()) {
		pr_warn("lapic", "timer does not count; no preemption");
		return -E_NODEV;
	}
	u64 ticks_per_ms = this_percpu()->lapic_ticks_per_ms;
	if (x2apic)
		pr_info("lapic", "x2APIC mode, timer %lu kHz", ticks_per_ms);
	else
		pr_info("lapic", "xAPIC at 0x%lx, timer %lu kHz", base & ~(u64)0xfff, ticks_per_ms);
	return 0;
}

int lapic_ap_enable(void)
{
	if (!lapic && !x2apic)
		return -E_NODEV; /* the boot CPU found none: lapic_init() failed */
	u64 base = rdmsr(MSR_APIC_BASE);
	if ((base & APIC_BASE_X2APIC) && !x2apic)
		return -E_INVAL; /* back to xAPIC would need a disable first (11.12.5) */
	/* xAPIC (or disabled) to x2APIC goes through enabled xAPIC, like the
	 * boot CPU's firmware did (SDM Vol 3 11.12.5). */
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (x2apic && !(base & APIC_BASE_X2APIC))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	return 0;
}

int lapic_ap_init(void) { return lapic_cpu_setup(); }

bool lapic_present(void) { return lapic || x2apic; }

u32 lapic_id(void)
{
	if (!lapic_present())
		return 0;
	/* ID register 0x20: the ID in bits 31:24 in xAPIC mode, all 32 bits in
	 * x2APIC mode (SDM Vol 3 11.4.6, 11.12.5.1). */
	return x2apic ? rd(LAPIC_ID) : rd(LAPIC_ID) >> 24;
}

/*
 * Write the interrupt command register (SDM Vol 3 11.6.1): the destination
 * APIC ID DEST (physical destination mode) and the low word LOW (vector,
 * delivery mode, level, trigger).  In xAPIC mode the high half (0x310,
 * destination in bits 31:24) goes first, as writing the low half (0x300)
 * sends; then waits for the delivery status bit (12) to clear.  In x2APIC
 * mode one 64-bit write of MSR 0x830 sends (11.12.9).  Returns 0, or
 * -E_INVAL when DEST does not fit xAPIC's 8 bits, -E_BUSY when the
 * previous IPI is still pending after 10 ms.
 */
int lapic_send_ipi(u32 dest, u32 low)
{
	if (x2apic) {
		wrmsr(0x800 + LAPIC_ICR_LO / 16, (u64)dest << 32 | low);
		return 0;
	}
	if (!lapic || dest > 0xff)
		return -E_INVAL;
	wr(LAPIC_ICR_HI, dest << 24);
	wr(LAPIC_ICR_LO, low);
	u64 until = time_us() + 10000;
	while (rd(LAPIC_ICR_LO) & ICR_SEND_PENDING)
		if (time_us() > until)
			return -E_BUSY;
	return 0;
}

void lapic_timer_oneshot(u64 ns)
{
	struct percpu *pc = this_percpu();
	if (!pc->lapic_timer_ok)
		return;
	u64 count = ns * pc->lapic_ticks_per_ms / 1000000;
	if (ns && !count)
		count = 1;
	wr(LAPIC_TIMER_INIT, (u32)MIN(count, 0xffffffffULL));
}
