/*
 * Host test of vmm/dev/pit8254.c against a fake clock: the ns <-> clock
 * conversions, modes 0, 2 and 3 (counts, OUT, IRQ0 edges and deadlines,
 * coalescing), latch and read-back, the RW byte modes, and port 0x61 (gate
 * 2, OUT2, refresh) as Linux's TSC calibration loops use it.
 */
#include <stdlib.h>

#include "tests/host/tap.h"
#include "vmm/dev/bus.h"
#include "vmm/dev/pit8254.h"

static u16 row_base[4], row_count[4];
static unsigned nr_rows;

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	(void)b;
	(void)ops;
	(void)opaque;
	row_base[nr_rows] = base;
	row_count[nr_rows++] = count;
	return 0;
}

u64 time_ns(void)
{
	return 0;
}

/* IRQ0 as driven: rising and falling edges counted. */
static int irq_rises, irq_falls;
static bool irq_level;

static void on_irq0(void *ctx, bool level)
{
	(void)ctx;
	if (level && !irq_level)
		irq_rises++;
	if (!level && irq_level)
		irq_falls++;
	irq_level = level;
}

static const struct pit_ops ops = {.irq0 = on_irq0};

static void out(struct pit8254 *p, u64 t, u16 port, u8 v)
{
	u32 val = v;
	pit_io(p, t, port, false, &val);
}

static u8 in(struct pit8254 *p, u64 t, u16 port)
{
	u32 val = 0xdead;
	pit_io(p, t, port, true, &val);
	return (u8)val;
}

/* The 16-bit count of counter I read LSB then MSB at T (RW = 3). */
static u16 read16(struct pit8254 *p, u64 t, unsigned i)
{
	u8 lo = in(p, t, (u16)(0x40 + i));
	return (u16)(lo | in(p, t, (u16)(0x40 + i)) << 8);
}

/* Time of clock K after T0. */
static u64 at(u64 t0, u64 k)
{
	return t0 + pit_ticks_to_ns(k);
}

static void test_conversions(void)
{
	is_u64(pit_ns_to_ticks(1000000000ULL), 1193182, "1 s = 1193182 clocks");
	is_u64(pit_ns_to_ticks(838), 0, "838 ns: not yet one clock");
	is_u64(pit_ns_to_ticks(839), 1, "839 ns: one clock");
	is_u64(pit_ticks_to_ns(1), 839, "clock 1 is reached at 839 ns");
	u64 big = ~0ULL;
	unsigned __int128 want = (unsigned __int128)big * 1193182 / 1000000000ULL;
	is_u64(pit_ns_to_ticks(big), (u64)want, "exact at 2^64-1 ns (584 years)");
	int bad = 0;
	u64 x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		u64 ns = i < 10000 ? x % (1ULL << 50) : x >> 4;
		u64 k = pit_ns_to_ticks(ns);
		unsigned __int128 w = (unsigned __int128)ns * 1193182 / 1000000000ULL;
		if (k != (u64)w)
			bad++;
		u64 t = pit_ticks_to_ns(k);
		if (t > ns || pit_ns_to_ticks(t) != k || (t && pit_ns_to_ticks(t - 1) != k - 1))
			bad++;
	}
	is_u64(bad, 0, "20000 random times: floor and the inverse ceiling agree with 128-bit math");
}

static void test_mode0(void)
{
	struct pit8254 p;
	u64 t0 = 5000000000ULL;
	irq_rises = irq_falls = 0;
	irq_level = false;
	pit_init(&p, &ops, NULL, 0);
	is_u64(pit_next_deadline(&p), 0, "power-on: no deadline");
	out(&p, t0, 0x43, 0x30); /* counter 0, LSB/MSB, mode 0 */
	out(&p, t0, 0x43, 0xe2); /* read-back status of counter 0 */
	is_u64(in(&p, t0, 0x40), 0x70, "status after the control word: OUT low, null count, RW 3, mode 0");
	out(&p, t0, 0x40, 0x00);
	is_u64(pit_next_deadline(&p), 0, "LSB alone loads nothing");
	out(&p, t0, 0x40, 0x10); /* 4096 */
	is_u64(pit_next_deadline(&p), at(t0, 4096), "deadline at clock 4096");
	is_u64(read16(&p, at(t0, 100), 0), 4096 - 100, "live count after 100 clocks");
	pit_update(&p, at(t0, 4096) - 1);
	is_u64(irq_rises, 0, "no IRQ0 before terminal count");
	out(&p, at(t0, 4095), 0x43, 0xe2);
	is_u64(in(&p, at(t0, 4095), 0x40) & 0xc0, 0x00, "OUT still low at clock 4095");
	pit_update(&p, at(t0, 4096));
	ok(irq_rises == 1 && irq_falls == 1 && !irq_level, "one IRQ0 pulse at terminal count");
	is_u64(pit_next_deadline(&p), 0, "mode 0: no further deadline");
	pit_update(&p, at(t0, 100000));
	is_u64(irq_rises, 1, "and no second edge");
	out(&p, at(t0, 5000), 0x43, 0xe2);
	is_u64(in(&p, at(t0, 5000), 0x40) & 0xc0, 0x80, "OUT high after terminal count, count loaded");
	is_u64(read16(&p, at(t0, 5000), 0), (u16)(4096 - 5000), "counter wraps on after 0");
}

static void test_mode2(void)
{
	struct pit8254 p;
	u64 t0 = 123456789;
	irq_rises = irq_falls = 0;
	irq_level = false;
	pit_init(&p, &ops, NULL, 0);
	out(&p, t0, 0x43, 0x34); /* counter 0, LSB/MSB, mode 2 */
	out(&p, t0, 0x40, 1193 & 0xff);
	out(&p, t0, 0x40, 1193 >> 8);
	is_u64(pit_next_deadline(&p), at(t0, 1193), "first period ends at clock 1193");
	pit_update(&p, at(t0, 1193));
	is_u64(irq_rises, 1, "one edge per period");
	is_u64(pit_next_deadline(&p), at(t0, 2 * 1193), "next at 2 periods");
	pit_update(&p, at(t0, 2 * 1193) - 1);
	is_u64(irq_rises, 1, "not early");
	pit_update(&p, at(t0, 10 * 1193 + 5));
	is_u64(irq_rises, 2, "missed periods coalesce into one edge");
	is_u64(pit_next_deadline(&p), at(t0, 11 * 1193), "deadline stays on the period grid");
	is_u64(read16(&p, at(t0, 11 * 1193 + 3), 0), 1193 - 3, "mode 2 count reloads each period");
	out(&p, at(t0, 1193 * 11 + 1192), 0x43, 0xe2);
	is_u64(in(&p, 0, 0x40) & 0x80, 0, "OUT low for the clock at count 1");
	out(&p, at(t0, 1193 * 12), 0x43, 0xe2);
	is_u64(in(&p, 0, 0x40) & 0x80, 0x80, "OUT high again after reload");
	/* Count 0 is 65536; the control word stops the timer. */
	out(&p, t0, 0x43, 0x34);
	is_u64(pit_next_deadline(&p), 0, "a control word cancels the deadline");
	out(&p, t0, 0x40, 0);
	out(&p, t0, 0x40, 0);
	is_u64(pit_next_deadline(&p), at(t0, 65536), "count 0 means 65536");
	/* RW = LSB only and MSB only. */
	out(&p, t0, 0x43, 0x14);
	out(&p, t0, 0x40, 100);
	is_u64(pit_next_deadline(&p), at(t0, 100), "RW LSB: count 100");
	is_u64(in(&p, at(t0, 30), 0x40), 70, "RW LSB: one read gives the LSB");
	out(&p, t0, 0x43, 0x24);
	out(&p, t0, 0x40, 2);
	is_u64(pit_next_deadline(&p), at(t0, 512), "RW MSB: count 0x200");
	is_u64(in(&p, at(t0, 256), 0x40), 1, "RW MSB: one read gives the MSB");
}

static void test_mode3(void)
{
	struct pit8254 p;
	u64 t0 = 1000;
	irq_rises = irq_falls = 0;
	irq_level = false;
	pit_init(&p, &ops, NULL, 0);
	out(&p, t0, 0x43, 0x36); /* counter 0, LSB/MSB, mode 3 */
	out(&p, t0, 0x40, 100);
	out(&p, t0, 0x40, 0);
	out(&p, at(t0, 10), 0x43, 0xe2);
	is_u64(in(&p, 0, 0x40), 0x80 | 0x30 | 3 << 1, "mode 3 status: OUT high in the first half");
	is_u64(read16(&p, at(t0, 10), 0), 80, "mode 3 counts down by two");
	out(&p, at(t0, 60), 0x43, 0xe2);
	is_u64(in(&p, 0, 0x40) & 0x80, 0, "OUT low in the second half");
	pit_update(&p, at(t0, 100));
	pit_update(&p, at(t0, 200));
	pit_update(&p, at(t0, 250));
	is_u64(irq_rises, 2, "one rising edge per period");
	is_u64(pit_next_deadline(&p), at(t0, 300), "next at the third period");
	out(&p, 0, 0x43, 0x76); /* counter 1, mode 3 */
	is_u64(pit_next_deadline(&p), at(t0, 300), "counter 1 leaves IRQ0 alone");
}

/* Mode 4 on channel 0 (Linux's one-shot clockevent programs 0x38) and
 * mode 1 on channel 2 (gate-triggered one-shot). */
static void test_mode4_mode1(void)
{
	struct pit8254 p;
	u64 t0 = 999;
	irq_rises = irq_falls = 0;
	irq_level = false;
	pit_init(&p, &ops, NULL, 0);
	out(&p, t0, 0x43, 0x38);
	out(&p, t0, 0x40, 1000 & 0xff);
	out(&p, t0, 0x40, 1000 >> 8);
	is_u64(pit_next_deadline(&p), at(t0, 1001), "mode 4: the edge ends the strobe, clock N + 1");
	out(&p, at(t0, 1000), 0x43, 0xe2);
	is_u64(in(&p, 0, 0x40) & 0x80, 0, "mode 4: OUT low for the clock at terminal count");
	pit_update(&p, at(t0, 1001));
	pit_update(&p, at(t0, 100000));
	ok(irq_rises == 1 && pit_next_deadline(&p) == 0, "mode 4: one IRQ0 edge, then none");

	out(&p, t0, 0x43, 0xb2); /* channel 2, mode 1 */
	out(&p, t0, 0x42, 50);
	out(&p, t0, 0x42, 0);
	ok(in(&p, at(t0, 100), 0x61) & 0x20, "mode 1 before a trigger: OUT2 high");
	is_u64(read16(&p, at(t0, 100), 2), 50, "and the count waits");
	u64 tg = at(t0, 200);
	out(&p, tg, 0x61, 0x01);
	ok(!(in(&p, at(tg, 10), 0x61) & 0x20), "gate rising: OUT2 low while counting");
	is_u64(read16(&p, at(tg, 10), 2), 40, "counting from the trigger");
	out(&p, at(tg, 20), 0x61, 0x00);
	is_u64(read16(&p, at(tg, 30), 2), 20, "mode 1 keeps counting with the gate low");
	ok(in(&p, at(tg, 50), 0x61) & 0x20, "OUT2 high at terminal count");
	out(&p, at(tg, 60), 0x61, 0x01);
	ok(!(in(&p, at(tg, 61), 0x61) & 0x20), "a new gate edge retriggers");
}

static void test_latch(void)
{
	struct pit8254 p;
	pit_init(&p, NULL, NULL, 0);
	out(&p, 0, 0x43, 0x34);
	out(&p, 0, 0x40, 0x00);
	out(&p, 0, 0x40, 0x80); /* 0x8000 */
	out(&p, at(0, 0x100), 0x43, 0x00); /* latch counter 0 */
	out(&p, at(0, 0x200), 0x43, 0x00); /* ignored: already latched */
	is_u64(read16(&p, at(0, 0x1000), 0), 0x8000 - 0x100, "latched count survives time and a second latch");
	is_u64(read16(&p, at(0, 0x1000), 0), 0x8000 - 0x1000, "after reading it, the live count again");
	/* Read-back: status and count of counters 0 and 2. */
	out(&p, 0, 0x43, 0xb0);
	out(&p, 0, 0x42, 0x34);
	out(&p, 0, 0x42, 0x12);
	out(&p, at(0, 0x10), 0x43, 0xc0 | 0x08 | 0x02);
	is_u64(in(&p, at(0, 0x20), 0x40), 0xb4, "read-back: status of counter 0 first (OUT high, mode 2)");
	is_u64(read16(&p, at(0, 0x20), 0), 0x8000 - 0x10, "then its count, as latched");
	u8 st = in(&p, at(0, 0x20), 0x42);
	is_u64(st, 0x30, "counter 2 status: gate low, OUT low (mode 0), RW 3, mode 0, loaded");
	is_u64(read16(&p, at(0, 0x20), 2), 0x1234, "counter 2 count, gate low: not counting");
	out(&p, 0, 0x43, 0xd0 | 0x02); /* read-back, count only */
	out(&p, at(0, 0x40), 0x43, 0xe0 | 0x02); /* status only */
	is_u64(in(&p, at(0, 0x50), 0x40), 0xb4, "status latched after the count is read first");
	is_u64(read16(&p, at(0, 0x50), 0), 0x8000, "count latched at its read-back");
	is_u64(in(&p, 0, 0x43), 0xff, "the control port reads 0xff");
	/* rw=3 alternates on live reads (Linux's quick_pit_calibrate). */
	out(&p, 0, 0x43, 0x30);
	out(&p, 0, 0x40, 0xff);
	out(&p, 0, 0x40, 0xff);
	in(&p, at(0, 0x300), 0x40);
	is_u64(in(&p, at(0, 0x300), 0x40), 0xfc, "live MSB read after the LSB");
	in(&p, at(0, 0x1000), 0x40);
	is_u64(in(&p, at(0, 0x1000), 0x40), 0xef, "MSB falls with time");
}

static void test_port61(void)
{
	struct pit8254 p;
	u64 t0 = 777777;
	pit_init(&p, NULL, NULL, 0);
	u8 a = in(&p, t0, 0x61), b = in(&p, t0, 0x61);
	is_u64((a ^ b) & 0x10, 0x10, "refresh bit 4 flips between reads");
	is_u64(a & 0x21, 0x00, "gate 2 low, OUT2 low at power-on (mode 0 unloaded)");
	/* Linux pit_calibrate_tsc: gate on, speaker off, mode 0, 50 ms. */
	u16 latch = 1193182 / 20;
	out(&p, t0, 0x61, (u8)((in(&p, t0, 0x61) & ~0x02) | 0x01));
	is_u64(in(&p, t0, 0x61) & 0x0f, 0x01, "port 0x61: gate bit stored, speaker bit clear");
	out(&p, t0, 0x43, 0xb0);
	out(&p, t0, 0x42, latch & 0xff);
	out(&p, t0, 0x42, latch >> 8);
	u64 t = t0, loops = 0;
	while (!(in(&p, t, 0x61) & 0x20) && loops < 100000000) {
		t += 997; /* a poll every ~1 us */
		loops++;
	}
	ok(t >= at(t0, latch) && t < at(t0, latch) + 997, "OUT2 rises at clock %u: %llu ns after the load",
	   latch, (unsigned long long)(t - t0));
	ok(t - t0 >= 49999000 && t - t0 <= 50001000, "which is 50 ms");
	ok(in(&p, t + 1000000000ULL, 0x61) & 0x20, "OUT2 stays high");
	/* Gate low pauses mode 0; gate high resumes. */
	out(&p, t0, 0x43, 0xb0);
	out(&p, t0, 0x42, 0x00);
	out(&p, t0, 0x42, 0x10);
	out(&p, at(t0, 0x100), 0x61, 0x00);
	is_u64(read16(&p, at(t0, 0x800), 2), 0x1000 - 0x100, "gate low: counting paused");
	out(&p, at(t0, 0x800), 0x61, 0x01);
	is_u64(read16(&p, at(t0, 0x900), 2), 0x1000 - 0x200, "gate high: counting resumes");
	ok(!(in(&p, at(t0, 0x800 + 0xeff), 0x61) & 0x20), "OUT2 low one clock early (pause included)");
	ok(in(&p, at(t0, 0x800 + 0xf00), 0x61) & 0x20, "OUT2 high at terminal count");
	/* Mode 2 on counter 2: a rising gate reloads, a low gate forces OUT high. */
	out(&p, t0, 0x43, 0xb4);
	out(&p, t0, 0x42, 100);
	out(&p, t0, 0x42, 0);
	out(&p, at(t0, 1000), 0x61, 0x00);
	ok(in(&p, at(t0, 1099), 0x61) & 0x20, "mode 2 with gate low: OUT2 high");
	u64 tg = at(t0, 2000);
	out(&p, tg, 0x61, 0x01);
	is_u64(read16(&p, at(tg, 30), 2), 70, "gate rising edge reloads the count");
	ok(in(&p, at(tg, 98), 0x61) & 0x20, "OUT2 high at count 2");
	ok(!(in(&p, at(tg, 99), 0x61) & 0x20), "OUT2 low at count 1");
	ok(in(&p, at(tg, 100), 0x61) & 0x20, "OUT2 high again after the reload");
	nr_rows = 0;
	is_u64(pit_add(NULL, &p), 0, "pit_add succeeds");
	ok(nr_rows == 2 && row_base[0] == 0x40 && row_count[0] == 4 && row_base[1] == 0x61 &&
		   row_count[1] == 1, "rows 0x40/4 and 0x61/1");
}

int main(void)
{
	test_conversions();
	test_mode0();
	test_mode2();
	test_mode3();
	test_mode4_mode1();
	test_latch();
	test_port61();
	return tap_done();
}
