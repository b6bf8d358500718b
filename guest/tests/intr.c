/*
 * Interrupt delivery through the local APIC, the way an OS uses it:
 *  - a fixed self-IPI is taken at once with IF set, and only once;
 *  - the interrupt shadow of STI: a pending interrupt is taken after the
 *    instruction that follows STI, never before it;
 *  - TPR masks a priority class until it is lowered;
 *  - HLT with IF set sleeps until the one-shot timer's interrupt;
 *  - an NMI sent to this CPU's own APIC ID reaches vector 2;
 *  - with "smp" (2 CPUs), INIT-SIPI-SIPI starts the second CPU in real mode
 *    at the SIPI vector's page, where it leaves a mark.
 * "x2apic" runs the APIC part in x2APIC mode (MSRs) instead of the xAPIC
 * page (skipped where CPUID has no x2APIC, as QEMU 7.2's TCG).  The same
 * checks pass on plain QEMU (-kernel) and under pagoda.
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "intr";

#define VEC_IPI 0x40
#define VEC_LOW 0x45   /* priority class 4 */
#define VEC_TIMER 0x50
#define AP_PAGE 0x8000 /* SIPI vector 0x08 */

extern const u8 ap_blob[], ap_blob_end[];

static volatile unsigned ipi_hits, low_hits, timer_hits, nmi_hits;
static volatile u32 shadow_seen;
static volatile u32 shadow_counter;

static void on_ipi(struct exc_frame *f)
{
	(void)f;
	ipi_hits++;
	shadow_seen = shadow_counter;
	lapic_eoi();
}

static void on_low(struct exc_frame *f)
{
	(void)f;
	low_hits++;
	lapic_eoi();
}

static void on_timer(struct exc_frame *f)
{
	(void)f;
	timer_hits++;
	lapic_eoi();
}

static void on_nmi(struct exc_frame *f)
{
	(void)f;
	nmi_hits++;
}

/* Spin up to about LIMIT iterations for *P to become WANT. */
static bool wait_for(volatile unsigned *p, unsigned want, u64 limit)
{
	for (u64 i = 0; i < limit && *p != want; i++)
		__asm__ volatile("pause");
	return *p == want;
}

static void test_self_ipi(void)
{
	lapic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_DM_FIXED | VEC_IPI);
	sti();
	wait_for(&ipi_hits, 1, 1000000);
	cli();
	expect_eq(ipi_hits, 1, "fixed self-IPI taken once with IF=1");
	expect_eq(lapic_read(APIC_ISR + 0x20 * (VEC_IPI / 32)) & (1u << (VEC_IPI % 32)), 0,
		  "ISR bit of the IPI clear after EOI");
}

/* IF is clear: the IPI waits in IRR.  STI; INC: the CPU takes it after
 * the INC (the STI shadow), so the handler sees the counter already 1. */
static void test_sti_shadow(void)
{
	shadow_counter = 0;
	shadow_seen = 0xdead;
	lapic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_DM_FIXED | VEC_IPI);
	for (volatile int i = 0; i < 1000; i++)
		;
	expect_eq(ipi_hits, 1, "IPI held while IF=0");
	__asm__ volatile("sti\n\tincl %0\n\tnop\n\tcli" : "+m"(shadow_counter) : : "memory");
	expect_eq(ipi_hits, 2, "IPI taken after STI");
	expect_eq(shadow_seen, 1, "taken after the instruction following STI (shadow)");
}

static void test_tpr(void)
{
	lapic_write(APIC_TPR, 0x50);
	lapic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_DM_FIXED | VEC_LOW);
	sti();
	for (volatile int i = 0; i < 10000; i++)
		;
	cli();
	expect_eq(low_hits, 0, "TPR 0x50 holds vector 0x45 back");
	lapic_write(APIC_TPR, 0);
	sti();
	wait_for(&low_hits, 1, 1000000);
	cli();
	expect_eq(low_hits, 1, "delivered once TPR is lowered");
}

/* One-shot timer, divide by 1, a count of about 1 ms at 1 GHz (on any
 * APIC clock it fires: the test checks the wake-up, not the period). */
static void test_hlt_wake(void)
{
	lapic_write(APIC_TDCR, 0xb);
	lapic_write(APIC_LVTT, APIC_LVTT_ONESHOT | VEC_TIMER);
	lapic_write(APIC_TMICT, 1000000);
	u64 t0 = rdtsc();
	unsigned rounds = 0;
	while (!timer_hits && rounds < 100) {
		sti_hlt();
		cli();
		rounds++;
	}
	expect_eq(timer_hits, 1, "HLT with IF=1 wakes on the one-shot timer");
	diag("woke after %lu TSC cycles, %u HLT(s)", rdtsc() - t0, rounds);
	expect_eq(lapic_read(APIC_TMCCT), 0, "current count 0 after a one-shot fired");
}

static void test_nmi(void)
{
	lapic_send_ipi(lapic_id(), APIC_ICR_DM_NMI);
	wait_for(&nmi_hits, 1, 1000000);
	expect_eq(nmi_hits, 1, "NMI by ICR to our own APIC ID, with IF=0");
}

/* INIT, 10 ms, SIPI, SIPI (the MP spec's sequence; the second SIPI is
 * ignored by a CPU that already started). */
static void test_init_sipi(void)
{
	volatile u16 *mark = (volatile u16 *)(uintptr_t)(AP_PAGE + 0x100);
	memcpy((void *)(uintptr_t)AP_PAGE, ap_blob, (size_t)(ap_blob_end - ap_blob));
	mark[0] = 0;
	mark[1] = 0;
	u32 ap = lapic_id() == 0 ? 1 : 0;
	lapic_send_ipi(ap, APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
	for (volatile int i = 0; i < 100000; i++)
		;
	lapic_send_ipi(ap, APIC_ICR_DM_SIPI | (AP_PAGE >> 12));
	u64 i;
	for (i = 0; i < 100000000 && mark[0] != 0xa9a9; i++)
		__asm__ volatile("pause");
	lapic_send_ipi(ap, APIC_ICR_DM_SIPI | (AP_PAGE >> 12));
	expect_eq(mark[0], 0xa9a9, "the second CPU ran the real-mode code at the SIPI page");
	expect_eq(mark[1], AP_PAGE >> 4, "in real mode with CS = vector * 0x100");
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
	/* A BIOS (QEMU's SeaBIOS) leaves the PIT's IRQ 0 open on the 8259 at
	 * vector 8: initialised and all masked, no 8259 interrupt interferes. */
	pic_init(0x20);
	exc_set_handler(VEC_IPI, on_ipi);
	exc_set_handler(VEC_LOW, on_low);
	exc_set_handler(VEC_TIMER, on_timer);
	exc_set_handler(2, on_nmi);
	lapic_enable(x2);
	diag("APIC ID %u, %s mode, version 0x%x", lapic_id(), x2 ? "x2APIC" : "xAPIC",
	     lapic_read(APIC_LVR));
	test_self_ipi();
	test_sti_shadow();
	test_tpr();
	test_hlt_wake();
	test_nmi();
	if (cmdline_has(cmdline, "smp"))
		test_init_sipi();
}
