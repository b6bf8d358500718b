/*
 * Host test of the local APIC model (vmm/dev/lapic.c): registers through
 * both interfaces, priorities, EOI, the timer against a fake clock, the
 * IA32_APIC_BASE state machine, ICR messages and destination matching.
 */
#include "vmm/dev/lapic.h"
#include "tests/host/tap.h"
#include <string.h>

/* What the fake machine saw through struct vlapic_ops. */
static struct apic_msg sent[16];
static unsigned nr_sent;
static int eoi_vectors[16];
static unsigned nr_eoi;

static void fake_send(void *ctx, const struct apic_msg *m)
{
	(void)ctx;
	if (nr_sent < 16)
		sent[nr_sent] = *m;
	nr_sent++;
}

static void fake_eoi(void *ctx, u8 vector)
{
	(void)ctx;
	if (nr_eoi < 16)
		eoi_vectors[nr_eoi] = vector;
	nr_eoi++;
}

static const struct vlapic_ops fake_ops = {.send = fake_send, .eoi = fake_eoi};

/* A fresh APIC, software-enabled (SVR 0x1ff), callbacks recorded. */
static void setup(struct vlapic *l, u32 id)
{
	nr_sent = nr_eoi = 0;
	vlapic_init(l, id, true, &fake_ops, NULL);
	u32 v = 0x1ff;
	vlapic_mmio(l, 0, 0xf0, 4, true, &v);
}

static u32 rd(struct vlapic *l, u64 now, u32 off)
{
	u32 v = 0xdeadbeef;
	int r = vlapic_mmio(l, now, off, 4, false, &v);
	if (r)
		diag("read of 0x%x returned %d", off, r);
	return v;
}

static void wr(struct vlapic *l, u64 now, u32 off, u32 val)
{
	int r = vlapic_mmio(l, now, off, 4, true, &val);
	if (r)
		diag("write of 0x%x returned %d", off, r);
}

static bool irr_has(const struct vlapic *l, u8 v)
{
	return l->irr[v / 32] & (1u << (v % 32));
}

static void test_reset_state(void)
{
	struct vlapic l;
	vlapic_init(&l, 3, true, &fake_ops, NULL);
	is_u64(vlapic_get_base(&l), 0xfee00900, "BSP base: 0xfee00000 | EN | BSP");
	ok(vlapic_hw_enabled(&l) && !vlapic_sw_enabled(&l) && !vlapic_x2apic_mode(&l),
	   "reset: hardware-enabled, software-disabled, xAPIC");
	is_u64(rd(&l, 0, 0x20), 3u << 24, "xAPIC ID in bits 31:24");
	is_u64(rd(&l, 0, 0x30), 0x50014, "version 0x50014");
	is_u64(rd(&l, 0, 0xf0), 0xff, "SVR 0xff");
	is_u64(rd(&l, 0, 0xe0), 0xffffffff, "DFR all ones");
	bool masked = true;
	for (u32 off = 0x320; off <= 0x370; off += 0x10)
		masked &= rd(&l, 0, off) == 0x10000;
	ok(masked, "every LVT reads masked");
	vlapic_init(&l, 4, false, &fake_ops, NULL);
	is_u64(vlapic_get_base(&l), 0xfee00800, "AP base has no BSP bit");
}

static void test_register_masks(void)
{
	struct vlapic l;
	vlapic_init(&l, 1, true, &fake_ops, NULL);
	wr(&l, 0, 0x350, 0x700);
	is_u64(rd(&l, 0, 0x350), 0x10700, "software-disabled: an LVT write cannot unmask");
	setup(&l, 1);
	wr(&l, 0, 0x80, 0xfff);
	is_u64(rd(&l, 0, 0x80), 0xff, "TPR keeps bits 7:0");
	wr(&l, 0, 0xf0, 0xffffffff);
	is_u64(rd(&l, 0, 0xf0), 0x3ff, "SVR keeps vector, enable, focus");
	wr(&l, 0, 0x320, 0xffffffff);
	is_u64(rd(&l, 0, 0x320), 0x700ff, "LVT timer: vector, mask, mode");
	wr(&l, 0, 0x330, 0xffffffff);
	is_u64(rd(&l, 0, 0x330), 0x107ff, "LVT thermal: vector, delivery mode, mask");
	wr(&l, 0, 0x350, 0xffffffff);
	is_u64(rd(&l, 0, 0x350), 0x1a7ff, "LVT LINT0: + polarity, trigger mode; no remote IRR");
	wr(&l, 0, 0x370, 0xffffffff);
	is_u64(rd(&l, 0, 0x370), 0x100ff, "LVT error: vector, mask");
	wr(&l, 0, 0xd0, 0xffffffff);
	is_u64(rd(&l, 0, 0xd0), 0xff000000, "LDR bits 31:24");
	wr(&l, 0, 0xe0, 0);
	is_u64(rd(&l, 0, 0xe0), 0x0fffffff, "DFR model written, bits 27:0 read ones");
	wr(&l, 0, 0x310, 0xffffffff);
	is_u64(rd(&l, 0, 0x310), 0xff000000, "ICR high bits 31:24");
	wr(&l, 0, 0x3e0, 0xff);
	is_u64(rd(&l, 0, 0x3e0), 0xb, "divide config bits 0, 1, 3");
	wr(&l, 0, 0x20, 0x7f000000);
	is_u64(rd(&l, 0, 0x20), 1u << 24, "ID is read-only");
	wr(&l, 0, 0x30, 0);
	is_u64(rd(&l, 0, 0x30), 0x50014, "version is read-only");
	wr(&l, 0, 0x320, 0x30);
	wr(&l, 0, 0xf0, 0xff);
	is_u64(rd(&l, 0, 0x320), 0x10030, "software disable masks the LVTs");
	u32 b = 0x55;
	vlapic_mmio(&l, 0, 0x30, 1, false, &b);
	is_u64(b, 0x14, "1-byte read at 0x30: low byte of the version");
	vlapic_mmio(&l, 0, 0x32, 1, false, &b);
	is_u64(b, 0x05, "1-byte read at 0x32: max LVT entry");
	vlapic_mmio(&l, 0, 0x34, 4, false, &b);
	is_u64(b, 0, "read of bytes 4..7 of a 16-byte slot: 0");
	b = 0x33;
	vlapic_mmio(&l, 0, 0x80, 2, true, &b);
	is_u64(rd(&l, 0, 0x80), 0xff, "2-byte write ignored");
	ok(vlapic_mmio(&l, 0, 0x80, 8, false, &b) == -E_INVAL, "8-byte access refused");
}

static void test_esr(void)
{
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x300, 0x4005); /* fixed, vector 5 */
	is_u64(nr_sent, 0, "a fixed IPI with vector 5 is not sent");
	is_u64(rd(&l, 0, 0x280), 0, "ESR reads 0 before it is written");
	wr(&l, 0, 0x280, 0);
	is_u64(rd(&l, 0, 0x280), 0x20, "after a write: send illegal vector");
	wr(&l, 0, 0x280, 0);
	is_u64(rd(&l, 0, 0x280), 0, "the next write clears it");
	rd(&l, 0, 0x3c0);
	wr(&l, 0, 0x280, 0);
	is_u64(rd(&l, 0, 0x280), 0x80, "reserved offset: illegal register address");
	struct apic_msg m = {.vector = 7, .delivery = APIC_DM_FIXED};
	vlapic_deliver(&l, &m);
	wr(&l, 0, 0x280, 0);
	is_u64(rd(&l, 0, 0x280), 0x40, "vector 7 received: received illegal vector");
	ok(!irr_has(&l, 7), "and no IRR bit");
	wr(&l, 0, 0x370, 0xfe);
	vlapic_deliver(&l, &m);
	ok(irr_has(&l, 0xfe), "an unmasked error LVT raises its vector");
}

static void test_priority(void)
{
	struct vlapic l;
	struct apic_msg m = {.delivery = APIC_DM_FIXED};
	setup(&l, 0);
	m.vector = 0x55;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_pending_vector(&l), 0x55, "0x55 pending");
	vlapic_accept_vector(&l, 0x55);
	is_u64(rd(&l, 0, 0xa0), 0x50, "PPR: class of the in-service vector");
	wr(&l, 0, 0x80, 0x60);
	is_u64(rd(&l, 0, 0xa0), 0x60, "PPR: TPR when its class is higher");
	wr(&l, 0, 0x80, 0x45);
	is_u64(rd(&l, 0, 0xa0), 0x50, "PPR: ISR class when TPR's is lower, low bits 0");
	wr(&l, 0, 0x80, 0x5f);
	is_u64(rd(&l, 0, 0xa0), 0x5f, "PPR: TPR when classes are equal");
	wr(&l, 0, 0x80, 0x60);
	m.vector = 0x6f;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_pending_vector(&l), (u64)-1, "0x6f blocked by TPR class 6");
	m.vector = 0x71;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_pending_vector(&l), 0x71, "0x71 above class 6");
	vlapic_set_cr8(&l, 8);
	is_u64(rd(&l, 0, 0x80), 0x80, "CR8 8 -> TPR 0x80");
	is_u64(vlapic_pending_vector(&l), (u64)-1, "now nothing passes");
	wr(&l, 0, 0x80, 0x7f);
	is_u64(vlapic_get_cr8(&l), 7, "TPR 0x7f -> CR8 7");
}

static void test_eoi_order(void)
{
	struct vlapic l;
	struct apic_msg m = {.delivery = APIC_DM_FIXED};
	setup(&l, 0);
	m.vector = 0x40;
	vlapic_deliver(&l, &m);
	vlapic_accept_vector(&l, 0x40);
	m.vector = 0x80;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_pending_vector(&l), 0x80, "higher class nests");
	vlapic_accept_vector(&l, 0x80);
	m.vector = 0x50;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_pending_vector(&l), (u64)-1, "0x50 waits while 0x80 is in service");
	wr(&l, 0, 0xb0, 0);
	ok(!(l.isr[0x80 / 32] & 1u), "EOI retires the highest in service (0x80)");
	ok(l.isr[0x40 / 32] & 1u, "0x40 still in service");
	is_u64(vlapic_pending_vector(&l), 0x50, "0x50 now deliverable");
	vlapic_accept_vector(&l, 0x50);
	ok(!irr_has(&l, 0x50), "accept moves IRR to ISR");
	wr(&l, 0, 0xb0, 0);
	wr(&l, 0, 0xb0, 0);
	is_u64(l.isr[2] | l.isr[1] | l.isr[4], 0, "two EOIs empty the ISR");
	is_u64(nr_eoi, 0, "edge vectors: no EOI callback");
	m.vector = 0x61;
	m.level = true;
	vlapic_deliver(&l, &m);
	ok(l.tmr[0x61 / 32] & (1u << (0x61 % 32)), "level message sets TMR");
	is_u64(rd(&l, 0, 0x180 + 0x30), 1u << 1, "TMR readable at 0x1b0");
	is_u64(rd(&l, 0, 0x200 + 0x30), 1u << 1, "IRR readable at 0x230");
	vlapic_accept_vector(&l, 0x61);
	is_u64(rd(&l, 0, 0x100 + 0x30), 1u << 1, "ISR readable at 0x130");
	wr(&l, 0, 0xb0, 0);
	ok(nr_eoi == 1 && eoi_vectors[0] == 0x61, "level EOI calls ops->eoi(0x61)");
}

/* One-shot count against a fake clock for every divider code. */
static void test_timer_oneshot(void)
{
	static const u32 codes[8] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb};
	static const u64 divs[8] = {2, 4, 8, 16, 32, 64, 128, 1};
	for (int i = 0; i < 8; i++) {
		struct vlapic l;
		u64 t0 = 1000000, d = divs[i];
		setup(&l, 0);
		wr(&l, 0, 0x3e0, codes[i]);
		wr(&l, 0, 0x320, 0x30);
		wr(&l, t0, 0x380, 1000);
		bool good = rd(&l, t0, 0x390) == 1000 && rd(&l, t0 + 250 * d, 0x390) == 750 &&
			    vlapic_timer_deadline(&l) == t0 + 1000 * d;
		vlapic_timer_update(&l, t0 + 1000 * d - 1);
		good &= !irr_has(&l, 0x30) && rd(&l, t0 + 1000 * d - 1, 0x390) == 1;
		vlapic_timer_update(&l, t0 + 1000 * d);
		good &= irr_has(&l, 0x30) && rd(&l, t0 + 1000 * d, 0x390) == 0 &&
			vlapic_timer_deadline(&l) == 0;
		ok(good, "one-shot, divide by %llu: counts, fires at initial * divider ns",
		   (unsigned long long)d);
	}
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x3e0, 0xb);
	wr(&l, 0, 0x320, 0x10030);
	wr(&l, 100, 0x380, 50);
	is_u64(vlapic_timer_deadline(&l), 0, "masked timer: no deadline to wake for");
	vlapic_timer_update(&l, 200);
	wr(&l, 300, 0x320, 0x30);
	vlapic_timer_update(&l, 400);
	ok(!irr_has(&l, 0x30), "a one-shot expiring while masked raises nothing, even once unmasked");
	wr(&l, 500, 0x380, 100);
	wr(&l, 550, 0x3e0, 0x0); /* divide by 2 from here: 50 counts left take 100 ns */
	is_u64(rd(&l, 550, 0x390), 50, "divider change keeps the current count");
	is_u64(vlapic_timer_deadline(&l), 650, "and the rest runs at the new rate");
	wr(&l, 600, 0x380, 0);
	is_u64(vlapic_timer_deadline(&l), 0, "initial count 0 stops the timer");
}

static void test_timer_periodic(void)
{
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x3e0, 0xb);
	wr(&l, 0, 0x320, 0x20031);
	wr(&l, 1000, 0x380, 100);
	is_u64(vlapic_timer_deadline(&l), 1100, "first period ends at 1100");
	vlapic_timer_update(&l, 1350);
	ok(irr_has(&l, 0x31), "late update fires");
	is_u64(vlapic_timer_deadline(&l), 1400, "reloads from when it was due, skipping missed periods");
	is_u64(rd(&l, 1350, 0x390), 50, "current count mid-period");
	vlapic_accept_vector(&l, 0x31);
	wr(&l, 1360, 0xb0, 0);
	vlapic_timer_update(&l, 1399);
	ok(!irr_has(&l, 0x31), "not before the next period");
	vlapic_timer_update(&l, 1400);
	ok(irr_has(&l, 0x31), "fires again at 1400");
	vlapic_timer_update(&l, 100000);
	is_u64(vlapic_timer_deadline(&l), 100100, "a long sleep coalesces into one pending interrupt");
	wr(&l, 100050, 0x3e0, 0x1); /* divide by 4 */
	is_u64(rd(&l, 100050, 0x390), 50, "count kept over a divider change");
	is_u64(vlapic_timer_deadline(&l), 100250, "50 counts at 4 ns");
	vlapic_timer_update(&l, 100250);
	is_u64(vlapic_timer_deadline(&l), 100650, "then full periods of 400 ns");
}

/* Switching between one-shot and periodic keeps the count running. */
static void test_timer_mode_change(void)
{
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x3e0, 0xb);
	wr(&l, 0, 0x320, 0x33);
	wr(&l, 0, 0x380, 1000);
	wr(&l, 600, 0x320, 0x20033);
	is_u64(rd(&l, 600, 0x380), 1000, "mode change keeps the initial count");
	is_u64(rd(&l, 600, 0x390), 400, "one-shot -> periodic mid-count: count goes on");
	is_u64(rd(&l, 1200, 0x390), 800, "then reloads at expiry");
	ok(irr_has(&l, 0x33), "and the expiry raised the interrupt");
	wr(&l, 1500, 0x320, 0x33);
	is_u64(rd(&l, 1500, 0x390), 500, "periodic -> one-shot: count goes on");
	is_u64(rd(&l, 2000, 0x390), 0, "and stops at 0");
	wr(&l, 2100, 0x320, 0x20033);
	is_u64(rd(&l, 2200, 0x390), 0, "an expired one-shot switched to periodic stays at 0");
	is_u64(vlapic_timer_deadline(&l), 0, "and is not armed");
}

static void test_timer_tsc_deadline(void)
{
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x320, 0x32);
	vlapic_write_tsc_deadline(&l, 5000, 2000);
	is_u64(vlapic_read_tsc_deadline(&l), 0, "one-shot mode: TSC deadline writes ignored, reads 0");
	is_u64(vlapic_timer_deadline(&l), 0, "and nothing armed");
	wr(&l, 0, 0x380, 100);
	wr(&l, 10, 0x320, 0x40032);
	is_u64(vlapic_timer_deadline(&l), 0, "switching to TSC-deadline mode disarms the count");
	is_u64(rd(&l, 10, 0x380), 0, "and clears the initial count");
	wr(&l, 10, 0x380, 100);
	is_u64(rd(&l, 10, 0x380), 0, "initial count writes ignored in TSC-deadline mode");
	vlapic_write_tsc_deadline(&l, 5000, 2000);
	is_u64(vlapic_read_tsc_deadline(&l), 5000, "deadline reads back");
	is_u64(vlapic_timer_deadline(&l), 2000, "armed for 2000 ns");
	vlapic_timer_update(&l, 1999);
	ok(!irr_has(&l, 0x32), "not yet at 1999");
	vlapic_timer_update(&l, 2000);
	ok(irr_has(&l, 0x32), "fires at 2000");
	is_u64(vlapic_read_tsc_deadline(&l), 0, "reads 0 after firing");
	is_u64(vlapic_timer_deadline(&l), 0, "and disarmed");
	vlapic_write_tsc_deadline(&l, 9000, 3000);
	vlapic_write_tsc_deadline(&l, 0, 0);
	is_u64(vlapic_timer_deadline(&l), 0, "writing 0 disarms");
	vlapic_write_tsc_deadline(&l, 9000, 3000);
	wr(&l, 100, 0x320, 0x32);
	is_u64(vlapic_timer_deadline(&l), 0, "leaving TSC-deadline mode disarms");
}

static void test_base_transitions(void)
{
	struct vlapic l;
	setup(&l, 0x23);
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11) | BIT(9)) == -E_INVAL, "reserved bit 9: #GP");
	ok(vlapic_set_base(&l, (1ULL << 36) | 0xfee00000 | BIT(11)) == -E_INVAL,
	   "base bit 36 (default MAXPHYADDR 36): #GP");
	vlapic_set_phys_bits(&l, 40);
	ok(vlapic_set_base(&l, (1ULL << 36) | 0xfee00000 | BIT(11) | BIT(8)) == 0,
	   "with MAXPHYADDR 40 it is an address");
	ok(vlapic_set_base(&l, 0xfed40000 | BIT(11)) == 0, "the base moves");
	is_u64(vlapic_get_base(&l), 0xfed40900, "and reads back, BSP kept");
	is_u64(rd(&l, 0, 0xf0), 0x1ff, "moving keeps the registers");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11)) == 0, "back to 0xfee00000");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(10)) == -E_INVAL, "EXTD without EN: #GP");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11) | BIT(10)) == 0, "xAPIC -> x2APIC");
	ok(vlapic_x2apic_mode(&l), "x2APIC mode");
	is_u64(vlapic_get_base(&l), 0xfee00d00, "BSP bit kept though not written");
	u32 v;
	u64 q = 0;
	v = 0;
	ok(vlapic_mmio(&l, 0, 0xf0, 4, false, &v) == 0 && v == 0xffffffff,
	   "x2APIC mode: the page reads all ones");
	v = 0;
	ok(vlapic_mmio(&l, 0, 0x80, 4, true, &v) == 0 && vlapic_msr_read(&l, 0, 0x80f, &q) == 0 &&
		   q == 0x1ff,
	   "and writes to it vanish");
	vlapic_mmio(&l, 0, 0x30, 2, false, &v);
	is_u64(v, 0xffff, "2-byte read: all ones");
	ok(vlapic_msr_read(&l, 0, 0x80f, &q) == 0 && q == 0x1ff, "state kept across the switch");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11)) == -E_INVAL, "x2APIC -> xAPIC: #GP");
	ok(vlapic_set_base(&l, 0xfee00000) == 0, "x2APIC -> disabled");
	ok(!vlapic_hw_enabled(&l), "disabled");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11) | BIT(10)) == -E_INVAL, "disabled -> x2APIC: #GP");
	ok(vlapic_msr_read(&l, 0, 0x802, &q) == -E_INVAL, "MSRs #GP while disabled");
	ok(vlapic_set_base(&l, 0xfee00000 | BIT(11)) == 0, "disabled -> xAPIC");
	is_u64(rd(&l, 0, 0xf0), 0xff, "registers reset by the disable");
	vlapic_set_base(&l, 0xfee00000);
	v = 0;
	vlapic_mmio(&l, 0, 0x30, 4, false, &v);
	is_u64(v, 0xffffffff, "hardware-disabled: the page reads all ones");
}

static void test_x2apic_msrs(void)
{
	struct vlapic l;
	u64 q;
	setup(&l, 0x123);
	ok(vlapic_msr_read(&l, 0, 0x802, &q) == -E_INVAL, "xAPIC mode: x2APIC MSRs #GP");
	vlapic_set_base(&l, 0xfee00000 | BIT(11) | BIT(10));
	ok(vlapic_msr_read(&l, 0, 0x802, &q) == 0 && q == 0x123, "ID: the 32-bit x2APIC ID");
	ok(vlapic_msr_write(&l, 0, 0x802, 5) == -E_INVAL, "ID write: #GP");
	ok(vlapic_msr_read(&l, 0, 0x80d, &q) == 0 && q == 0x120008, "LDR: cluster 0x12, bit 3");
	ok(vlapic_msr_write(&l, 0, 0x80d, 0) == -E_INVAL, "LDR read-only: #GP");
	ok(vlapic_msr_read(&l, 0, 0x80e, &q) == -E_INVAL, "no DFR: #GP");
	ok(vlapic_msr_read(&l, 0, 0x809, &q) == -E_INVAL, "no APR: #GP");
	ok(vlapic_msr_read(&l, 0, 0x80b, &q) == -E_INVAL, "EOI read: #GP");
	ok(vlapic_msr_write(&l, 0, 0x80b, 1) == -E_INVAL, "EOI non-zero write: #GP");
	ok(vlapic_msr_write(&l, 0, 0x80b, 0) == 0, "EOI write of 0");
	ok(vlapic_msr_write(&l, 0, 0x828, 1) == -E_INVAL, "ESR non-zero write: #GP");
	ok(vlapic_msr_write(&l, 0, 0x828, 0) == 0, "ESR write of 0");
	ok(vlapic_msr_read(&l, 0, 0x831, &q) == -E_INVAL, "no ICR high MSR: #GP");
	ok(vlapic_msr_read(&l, 0, 0x82f, &q) == -E_INVAL, "no CMCI LVT: #GP");
	ok(vlapic_msr_write(&l, 0, 0x820, 0) == -E_INVAL, "IRR write: #GP");
	ok(vlapic_msr_write(&l, 0, 0x839, 0) == -E_INVAL, "current count write: #GP");
	ok(vlapic_msr_write(&l, 0, 0x808, 1ULL << 32) == -E_INVAL, "bits 63:32 in TPR: #GP");
	ok(vlapic_msr_write(&l, 0, 0x808, 0x20) == 0 && vlapic_get_cr8(&l) == 2, "TPR write");
	ok(vlapic_msr_read(&l, 0, 0x83f, &q) == -E_INVAL, "SELF IPI read: #GP");
	ok(vlapic_msr_write(&l, 0, 0x83f, 0x140) == -E_INVAL, "SELF IPI bits 31:8: #GP");
	ok(vlapic_msr_write(&l, 0, 0x83f, 0x40) == 0, "SELF IPI 0x40");
	ok(irr_has(&l, 0x40) && nr_sent == 0, "sets the IRR directly, nothing sent");
	ok(vlapic_msr_write(&l, 0, 0x830, 0x0000000700004031ULL) == 0, "ICR 64-bit write");
	ok(nr_sent == 1 && sent[0].dest == 7 && sent[0].vector == 0x31, "dest from bits 63:32");
	ok(vlapic_msr_read(&l, 0, 0x830, &q) == 0 && q == 0x0000000700004031ULL, "ICR reads 64 bits");
	ok(vlapic_msr_write(&l, 0, 0x830, 0xffffffff000c4032ULL) == 0 && sent[1].dest == 0xffffffff &&
		   sent[1].shorthand == APIC_SH_ALL_BUT_SELF,
	   "ICR all-but-self, 32-bit broadcast dest");
	ok(vlapic_msr_write(&l, 0, 0x838, 10) == 0 && vlapic_msr_read(&l, 0, 0x838, &q) == 0 && q == 10,
	   "initial count through MSR 0x838");
	ok(vlapic_msr_read(&l, 0, 0x7ff, &q) == -E_INVAL, "below 0x800: #GP");
	ok(vlapic_msr_write(&l, 0, 0x830, 0x0000000700024031ULL) == -E_INVAL,
	   "ICR reserved bit 17: #GP");
	ok(vlapic_msr_write(&l, 0, 0x830, 0x0000000700006031ULL) == -E_INVAL,
	   "ICR reserved bit 13: #GP");
	ok(vlapic_msr_write(&l, 0, 0x830, 0x0000000700104031ULL) == -E_INVAL,
	   "ICR reserved bit 20: #GP");
	is_u64(nr_sent, 2, "nothing sent by the refused writes");
}

static void test_icr_messages(void)
{
	struct vlapic l;
	setup(&l, 0);
	wr(&l, 0, 0x310, 0x05000000);
	for (u32 sh = 0; sh < 4; sh++)
		wr(&l, 0, 0x300, 0x4041 | (sh << 18));
	bool good = nr_sent == 4;
	for (u32 sh = 0; sh < 4 && good; sh++)
		good &= sent[sh].shorthand == sh && sent[sh].vector == 0x41 && sent[sh].dest == 5 &&
			sent[sh].delivery == APIC_DM_FIXED && !sent[sh].logical && sent[sh].assert;
	ok(good, "the four shorthands, fixed physical, dest 5");
	nr_sent = 0;
	wr(&l, 0, 0x300, 0x4942);  /* lowest priority, logical */
	wr(&l, 0, 0x300, 0x4400);  /* NMI */
	wr(&l, 0, 0x300, 0xc500);  /* INIT level assert */
	wr(&l, 0, 0x300, 0x8500);  /* INIT level de-assert */
	wr(&l, 0, 0x300, 0x469a);  /* SIPI, page 0x9a */
	wr(&l, 0, 0x300, 0x4700);  /* ExtINT */
	is_u64(nr_sent, 6, "six messages");
	ok(sent[0].delivery == APIC_DM_LOWEST && sent[0].logical && sent[0].vector == 0x42,
	   "lowest priority, logical");
	ok(sent[1].delivery == APIC_DM_NMI, "NMI");
	ok(sent[2].delivery == APIC_DM_INIT && sent[2].level && sent[2].assert, "INIT assert");
	ok(sent[3].delivery == APIC_DM_INIT && sent[3].level && !sent[3].assert, "INIT de-assert");
	ok(sent[4].delivery == APIC_DM_SIPI && sent[4].vector == 0x9a, "SIPI vector");
	ok(sent[5].delivery == APIC_DM_EXTINT, "ExtINT");
	is_u64(rd(&l, 0, 0x300), 0x4700, "ICR low reads back, delivery status idle");
	wr(&l, 0, 0x300, 0x1000 | 0x4050);
	is_u64(rd(&l, 0, 0x300), 0x4050, "delivery status bit not writable");
}

static void test_match_dest(void)
{
	struct vlapic a, b;
	struct apic_msg m = {.delivery = APIC_DM_FIXED, .vector = 0x30};
	setup(&a, 3);
	setup(&b, 4);
	m.dest = 3;
	ok(vlapic_match_dest(&a, &m, &b) && !vlapic_match_dest(&b, &m, &b), "physical ID 3");
	m.dest = 0xff;
	ok(vlapic_match_dest(&a, &m, &b) && vlapic_match_dest(&b, &m, &b), "physical broadcast");
	m.logical = true;
	wr(&a, 0, 0xd0, 0x04000000);
	wr(&b, 0, 0xd0, 0x08000000);
	m.dest = 0x06;
	ok(vlapic_match_dest(&a, &m, NULL) && !vlapic_match_dest(&b, &m, NULL), "flat: bitmask");
	m.dest = 0xff;
	ok(vlapic_match_dest(&a, &m, NULL) && vlapic_match_dest(&b, &m, NULL), "flat: 0xff all");
	wr(&a, 0, 0xe0, 0x0fffffff);
	wr(&a, 0, 0xd0, 0x21000000);
	m.dest = 0x23;
	ok(vlapic_match_dest(&a, &m, NULL), "cluster 2, bit 0 of 0x3");
	m.dest = 0x13;
	ok(!vlapic_match_dest(&a, &m, NULL), "other cluster");
	m.dest = 0x24;
	ok(!vlapic_match_dest(&a, &m, NULL), "same cluster, other bit");
	m.logical = false;
	m.shorthand = APIC_SH_SELF;
	m.dest = 0;
	ok(vlapic_match_dest(&a, &m, &a) && !vlapic_match_dest(&b, &m, &a), "self");
	m.shorthand = APIC_SH_ALL;
	ok(vlapic_match_dest(&a, &m, &a) && vlapic_match_dest(&b, &m, &a), "all incl. self");
	m.shorthand = APIC_SH_ALL_BUT_SELF;
	ok(!vlapic_match_dest(&a, &m, &a) && vlapic_match_dest(&b, &m, &a), "all but self");
	vlapic_set_base(&b, 0xfee00000);
	ok(!vlapic_match_dest(&b, &m, &a), "a hardware-disabled APIC matches nothing");
	m.shorthand = APIC_SH_NONE;
	m.delivery = APIC_DM_NMI;
	vlapic_deliver(&b, &m);
	ok(!vlapic_take_nmi(&b), "and accepts nothing");
	m.delivery = APIC_DM_FIXED;

	struct vlapic x;
	setup(&x, 0x23);
	vlapic_set_base(&x, 0xfee00000 | BIT(11) | BIT(10));
	m.shorthand = APIC_SH_NONE;
	m.logical = true;
	m.dest = 0x20008;
	ok(vlapic_match_dest(&x, &m, &a), "x2APIC cluster 2, bit 3");
	m.dest = 0x20004;
	ok(!vlapic_match_dest(&x, &m, &a), "x2APIC cluster 2, other bit");
	m.dest = 0x10008;
	ok(!vlapic_match_dest(&x, &m, &a), "x2APIC other cluster");
	m.dest = 0xffffffff;
	ok(vlapic_match_dest(&x, &m, &a), "x2APIC logical broadcast");
	m.logical = false;
	m.dest = 0x23;
	ok(vlapic_match_dest(&x, &m, &a), "x2APIC physical ID");
	m.dest = 0xff;
	ok(!vlapic_match_dest(&x, &m, &a), "x2APIC: 0xff from an ICR is an ID");
	ok(vlapic_match_dest(&x, &m, NULL), "x2APIC: 0xff from the I/O APIC is broadcast");
}

static void test_init_sipi(void)
{
	struct vlapic l;
	struct apic_msg m = {0};
	setup(&l, 2);
	m.delivery = APIC_DM_INIT;
	m.level = true;
	m.assert = false;
	vlapic_deliver(&l, &m);
	ok(!vlapic_take_init(&l), "INIT level de-assert: nothing");
	m.assert = true;
	vlapic_deliver(&l, &m);
	ok(vlapic_take_init(&l), "INIT pending");
	ok(!vlapic_take_init(&l), "taken once");
	m.delivery = APIC_DM_SIPI;
	m.vector = 0x9a;
	vlapic_deliver(&l, &m);
	is_u64(vlapic_take_sipi(&l), 0x9a, "SIPI vector");
	is_u64(vlapic_take_sipi(&l), (u64)-1, "taken once");
	m.delivery = APIC_DM_NMI;
	vlapic_deliver(&l, &m);
	ok(vlapic_take_nmi(&l) && !vlapic_take_nmi(&l), "NMI pending, taken once");
	wr(&l, 0, 0x300, 0x44400); /* NMI to self via ICR: goes to the router */
	ok(nr_sent == 1 && sent[0].delivery == APIC_DM_NMI && sent[0].shorthand == APIC_SH_SELF,
	   "NMI self-IPI is sent through ops->send");

	m.delivery = APIC_DM_FIXED;
	m.vector = 0x70;
	m.level = false;
	wr(&l, 0, 0xf0, 0xff);
	vlapic_deliver(&l, &m);
	ok(!irr_has(&l, 0x70), "software-disabled: fixed dropped");
	m.delivery = APIC_DM_NMI;
	vlapic_deliver(&l, &m);
	ok(vlapic_take_nmi(&l), "software-disabled: NMI still accepted");
	wr(&l, 0, 0xf0, 0x1ff);
	m.delivery = APIC_DM_FIXED;
	vlapic_deliver(&l, &m);
	wr(&l, 0, 0x80, 0x30);
	vlapic_set_base(&l, 0xfee00000 | BIT(11) | BIT(10));
	vlapic_init_signal(&l);
	ok(vlapic_x2apic_mode(&l), "INIT keeps x2APIC mode");
	u64 q;
	ok(vlapic_msr_read(&l, 0, 0x802, &q) == 0 && q == 2, "INIT keeps the ID");
	ok(!irr_has(&l, 0x70) && vlapic_get_cr8(&l) == 0 && !vlapic_sw_enabled(&l),
	   "INIT clears IRR, TPR, software enable");
}

static void test_pic_intr(void)
{
	struct vlapic l;
	vlapic_init(&l, 0, true, &fake_ops, NULL);
	ok(!vlapic_accepts_pic_intr(&l), "reset: LINT0 masked, no PIC interrupts");
	vlapic_virtual_wire(&l);
	ok(vlapic_accepts_pic_intr(&l), "virtual wire: LINT0 ExtINT");
	is_u64(rd(&l, 0, 0x360), 0x400, "LINT1 NMI");
	wr(&l, 0, 0x350, 0x10700);
	ok(!vlapic_accepts_pic_intr(&l), "LINT0 masked again");
	vlapic_set_base(&l, 0xfee00000);
	ok(vlapic_accepts_pic_intr(&l), "hardware-disabled: INTR goes straight to the core");
	is_u64(vlapic_pending_vector(&l), (u64)-1, "and the APIC delivers nothing");
	vlapic_init(&l, 0, true, &fake_ops, NULL);
	vlapic_virtual_wire(&l);
	vlapic_lint_edge(&l, 1);
	ok(vlapic_take_nmi(&l), "LINT1 edge in NMI mode: NMI pending");
	vlapic_lint_edge(&l, 0);
	ok(vlapic_pending_vector(&l) < 0 && !vlapic_take_nmi(&l), "LINT0 ExtINT: nothing here");
	wr(&l, 0, 0x350, 0x39);
	vlapic_lint_edge(&l, 0);
	is_u64(vlapic_pending_vector(&l), 0x39, "LINT0 fixed: its vector");
	wr(&l, 0, 0x360, 0x10400);
	vlapic_lint_edge(&l, 1);
	ok(!vlapic_take_nmi(&l), "LINT1 masked: nothing");
	vlapic_init(&l, 1, false, &fake_ops, NULL);
	vlapic_virtual_wire(&l);
	ok(!vlapic_accepts_pic_intr(&l), "virtual wire on an AP leaves LINT0 masked");
}

int main(void)
{
	test_reset_state();
	test_register_masks();
	test_esr();
	test_priority();
	test_eoi_order();
	test_timer_oneshot();
	test_timer_periodic();
	test_timer_mode_change();
	test_timer_tsc_deadline();
	test_base_transitions();
	test_x2apic_msrs();
	test_icr_messages();
	test_match_dest();
	test_init_sipi();
	test_pic_intr();
	return tap_done();
}
