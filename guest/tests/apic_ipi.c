/*
 * Interprocessor interrupts to this CPU and the priority rules of the
 * local APIC (Intel SDM Vol 3A 11.6, 11.8):
 *  - a fixed IPI by the ICR's self shorthand and by our own physical APIC
 *    ID, each taken once;
 *  - in x2APIC mode ("x2apic"), the SELF IPI MSR 0x83f;
 *  - an NMI through the ICR (all-including-self shorthand) reaches vector
 *    2 with IF clear;
 *  - several requests pending at once are taken highest first, and the
 *    PPR inside a handler is the in-service vector's class;
 *  - the TPR holds back every class at or below its own until lowered,
 *    and CR8 is its priority class.
 * (An IPI with a vector below 16 is left out: the SDM's ESR error is
 * neither what QEMU's TCG APIC nor KVM's does; the host test of
 * vmm/dev/lapic.c covers it.)
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "apic_ipi";

static volatile unsigned hits[256];
static volatile u8 order[8];
static volatile unsigned nr_order;
static volatile u32 ppr_in[256]; /* PPR as the handler of a vector saw it */
static volatile unsigned nmi_hits;

static void on_vector(struct exc_frame *f)
{
	u8 v = (u8)f->vector;
	hits[v]++;
	ppr_in[v] = lapic_read(APIC_PPR);
	if (nr_order < 8)
		order[nr_order++] = v;
	lapic_eoi();
}

static void on_nmi(struct exc_frame *f)
{
	(void)f;
	nmi_hits++;
}

/* Open a window for pending interrupts: STI, a few instructions, CLI. */
static void window(void)
{
	sti();
	for (volatile int i = 0; i < 1000; i++)
		;
	cli();
}

static void self_ipi(u8 vector)
{
	lapic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_DM_FIXED | vector);
}

static void test_self(bool x2)
{
	self_ipi(0x40);
	window();
	expect_eq(hits[0x40], 1, "fixed IPI by the self shorthand, taken once");
	lapic_send_ipi(lapic_id(), APIC_ICR_DM_FIXED | 0x41);
	window();
	expect_eq(hits[0x41], 1, "fixed IPI to our own physical APIC ID");
	if (!x2) {
		skip("xAPIC mode", "SELF IPI MSR");
		return;
	}
	wrmsr(0x83f, 0x42);
	window();
	expect_eq(hits[0x42], 1, "x2APIC SELF IPI MSR");
}

static void test_nmi(void)
{
	lapic_send_ipi(0, APIC_ICR_ALL | APIC_ICR_DM_NMI);
	for (int i = 0; i < 1000000 && !nmi_hits; i++)
		__asm__ volatile("pause");
	expect_eq(nmi_hits, 1, "NMI through the ICR (all including self), IF clear");
}

static void test_order(void)
{
	nr_order = 0;
	self_ipi(0x61);
	self_ipi(0xa1);
	self_ipi(0x81);
	self_ipi(0x31);
	expect(hits[0x61] == 0 && hits[0xa1] == 0, "held while IF is clear");
	window();
	expect_eq(nr_order, 4, "four interrupts taken");
	expect(order[0] == 0xa1 && order[1] == 0x81 && order[2] == 0x61 && order[3] == 0x31,
	       "highest vector first (0x%x 0x%x 0x%x 0x%x)", order[0], order[1], order[2],
	       order[3]);
	expect_eq(ppr_in[0xa1], 0xa0, "PPR inside the 0xa1 handler: its class");
	expect_eq(lapic_read(APIC_PPR), 0, "PPR 0 once all are retired");
}

static void test_tpr(void)
{
	nr_order = 0;
	lapic_write(APIC_TPR, 0x60);
	expect_eq(lapic_read(APIC_PPR), 0x60, "PPR follows TPR 0x60");
	self_ipi(0x55);
	self_ipi(0x65);
	self_ipi(0x75);
	window();
	expect(nr_order == 1 && order[0] == 0x75, "TPR 0x60: only class 7 passes");
	lapic_write(APIC_TPR, 0x50);
	window();
	expect(nr_order == 2 && order[1] == 0x65, "TPR 0x50: class 6 now");
	lapic_write(APIC_TPR, 0);
	window();
	expect(nr_order == 3 && order[2] == 0x55, "TPR 0: the rest");
	/* The VMM syncs CR8 with the TPR around every run: bits 3:0, which
	 * only a CR8 write zeroes, must survive the exits in between. */
	lapic_write(APIC_TPR, 0x9c);
	expect_eq(lapic_read(APIC_TPR), 0x9c, "TPR[3:0] survive exits (only a CR8 write zeroes them)");
	u64 cr8;
	lapic_write(APIC_TPR, 0x90);
	__asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
	expect_eq(cr8, 9, "CR8 reads TPR[7:4]");
	__asm__ volatile("mov %0, %%cr8" : : "r"(0ull) : "memory");
	expect_eq(lapic_read(APIC_TPR), 0, "writing CR8 writes the TPR");
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
	static const u8 vecs[] = {0x31, 0x40, 0x41, 0x42, 0x55, 0x61, 0x65, 0x75, 0x81, 0xa1};
	for (unsigned i = 0; i < sizeof(vecs); i++)
		exc_set_handler(vecs[i], on_vector);
	exc_set_handler(2, on_nmi);
	pic_init(0x20); /* no 8259 interrupt in the windows */
	lapic_enable(x2);
	diag("APIC ID %u, %s mode", lapic_id(), x2 ? "x2APIC" : "xAPIC");
	test_self(x2);
	test_nmi();
	test_order();
	test_tpr();
}
