/*
 * Host test of vmm/dev/rtc.c: the calendar conversions, the time
 * registers in BCD and binary, 12- and 24-hour modes, rollovers (end of
 * month, leap years, year and century ends), register A's UIP, B's SET,
 * C and D, guest writes to the time, the NMI mask bit, and the BIOS memory
 * fields for several RAM sizes.
 */
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/dev/bus.h"
#include "lib/time.h"
#include "vmm/dev/rtc.h"

#define SEC 1000000000ULL

static u16 row_base, row_count;

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	(void)b;
	(void)ops;
	(void)opaque;
	row_base = base;
	row_count = count;
	return 0;
}

u64 time_ns(void)
{
	return 0;
}

static void out(struct rtc *r, u64 t, u16 port, u8 v)
{
	u32 val = v;
	rtc_io(r, t, port, false, &val);
}

/* CMOS register REG read at time T. */
static u8 cmos(struct rtc *r, u64 t, u8 reg)
{
	u32 val = 0xdead;
	out(r, t, 0x70, reg);
	rtc_io(r, t, 0x71, true, &val);
	return (u8)val;
}

static void cmos_write(struct rtc *r, u64 t, u8 reg, u8 v)
{
	out(r, t, 0x70, reg);
	out(r, t, 0x71, v);
}

/* The date at T as "YYYY-MM-DD hh:mm:ss w" from the registers, decoding
 * BCD (the power-on mode) into DST. */
static void read_date(struct rtc *r, u64 t, char *dst, size_t n)
{
#define B2(x) (((x) >> 4) * 10 + ((x) & 15))
	snprintf(dst, n, "%02u%02u-%02u-%02u %02u:%02u:%02u %u", B2(cmos(r, t, 0x32)),
		 B2(cmos(r, t, 9)), B2(cmos(r, t, 8)), B2(cmos(r, t, 7)), B2(cmos(r, t, 4)),
		 B2(cmos(r, t, 2)), B2(cmos(r, t, 0)), B2(cmos(r, t, 6)));
#undef B2
}

#define is_date(r, t, want, ...)                                                \
	do {                                                                    \
		char got_[40];                                                  \
		read_date(r, t, got_, sizeof(got_));                            \
		if (!ok(strcmp(got_, want) == 0, __VA_ARGS__))                  \
			diag("got \"%s\", expected \"%s\"", got_, (want));      \
	} while (0)

static void test_calendar(void)
{
	struct rtc_date d;
	rtc_date_of(0, &d);
	ok(d.year == 1970 && d.month == 1 && d.day == 1 && d.hour == 0 && d.weekday == 5,
	   "epoch: 1970-01-01, a Thursday");
	rtc_date_of(951782400, &d);
	ok(d.year == 2000 && d.month == 2 && d.day == 29 && d.weekday == 3,
	   "2000-02-29 exists (400-year rule), a Tuesday");
	rtc_date_of(4107499200 + 86400, &d);
	ok(d.year == 2100 && d.month == 3 && d.day == 1, "2100 has no 29 February");
	rtc_date_of(1796054709, &d);
	ok(d.year == 2026 && d.month == 11 && d.day == 30 && d.hour == 16 && d.minute == 5 &&
		   d.second == 9 && d.weekday == 2,
	   "2026-11-30 16:05:09, a Monday");
	int bad = 0;
	for (u64 s = 0; s < 200ULL * 366 * 86400; s += 86400 * 13 + 3671)
		if (rtc_date_of(s, &d),
		    time_date_to_unix(d.year, d.month, d.day, d.hour, d.minute, d.second) != s)
			bad++;
	is_u64(bad, 0, "seconds -> date -> seconds round-trips over two centuries");
	is_u64(time_date_to_unix(2024, 12, 31, 23, 59, 59), 1735689599, "2024-12-31 23:59:59");
}

static void test_registers(void)
{
	struct rtc r;
	u64 t0 = 42 * SEC + 1000;
	rtc_init(&r, 1796012234, t0, MiB(128), 0);
	is_date(&r, t0, "2026-11-30 04:17:14 2", "BCD date at power-on");
	is_date(&r, t0 + 3 * SEC, "2026-11-30 04:17:17 2", "three seconds later");
	is_u64(cmos(&r, t0, 0x0a), 0x26, "register A: 32.768 kHz, 1024 Hz");
	is_u64(cmos(&r, t0, 0x0b), 0x02, "register B: BCD, 24 h");
	is_u64(cmos(&r, t0, 0x0d), 0x80, "register D: VRT");
	cmos_write(&r, t0, 0x0d, 0x00);
	is_u64(cmos(&r, t0, 0x0d), 0x80, "register D is read-only");
	is_u64(cmos(&r, t0, 0x0c), 0x00, "register C: no interrupt flags");
	is_u64(cmos(&r, t0 + SEC / 2, 0x0a) & 0x80, 0, "UIP clear mid-second");
	is_u64(cmos(&r, t0 + SEC - 100000, 0x0a) & 0x80, 0x80, "UIP set in the last 244 us");
	is_u64(cmos(&r, t0 + SEC - 300000, 0x0a) & 0x80, 0, "UIP clear 300 us before");
	cmos_write(&r, t0, 0x0a, 0xa6);
	is_u64(cmos(&r, t0, 0x0a), 0x26, "UIP cannot be written");

	cmos_write(&r, t0, 0x0b, 0x06); /* binary, 24 h */
	ok(cmos(&r, t0, 0) == 14 && cmos(&r, t0, 2) == 17 && cmos(&r, t0, 4) == 4 &&
		   cmos(&r, t0, 7) == 30 && cmos(&r, t0, 8) == 11 && cmos(&r, t0, 9) == 26 &&
		   cmos(&r, t0, 0x32) == 20,
	   "binary mode: 14 s, 17 min, 4 h, day 30, month 11, year 26, century 20");
	cmos_write(&r, t0, 0x0b, 0x04); /* binary, 12 h */
	is_u64(cmos(&r, t0, 4), 4, "12 h binary: 4 AM");
	u64 pm = t0 + (16 - 4) * 3600 * SEC;
	is_u64(cmos(&r, pm, 4), 0x84, "12 h binary: 4 PM has bit 7");
	cmos_write(&r, t0, 0x0b, 0x00); /* BCD, 12 h */
	is_u64(cmos(&r, t0 + (12 - 4) * 3600 * SEC, 4), 0x92, "12 h BCD: noon is 12 PM");
	is_u64(cmos(&r, t0 + (24 - 4) * 3600 * SEC, 4), 0x12, "12 h BCD: midnight is 12 AM");
	is_u64(cmos(&r, t0 + (23 - 4) * 3600 * SEC, 4), 0x91, "12 h BCD: 23 h is 11 PM");

	/* NMI mask bit and scratch RAM. */
	out(&r, t0, 0x70, 0x80 | 0x40);
	ok(r.nmi_masked && r.index == 0x40, "port 0x70 bit 7: NMI mask stored, index 0x40");
	out(&r, t0, 0x71, 0x5a);
	is_u64(cmos(&r, t0, 0x40), 0x5a, "scratch byte 0x40 keeps its value");
	ok(!r.nmi_masked, "NMI mask cleared by an index write without bit 7");
	u32 v = 0;
	rtc_io(&r, t0, 0x70, true, &v);
	is_u64(v, 0xff, "the index port reads 0xff");
	row_count = 0;
	is_u64(rtc_add(NULL, &r), 0, "rtc_add succeeds");
	ok(row_base == 0x70 && row_count == 2, "row 0x70/2");
}

static void test_rollover(void)
{
	static const struct {
		u64 start;
		const char *after; /* one second later */
		const char *what;
	} cases[] = {
		{1709164799, "2024-02-29 00:00:00 5", "leap year: 28 Feb -> 29 Feb"},
		{1709164799 + 86400, "2024-03-01 00:00:00 6", "leap year: 29 Feb -> 1 Mar"},
		{1677628799, "2023-03-01 00:00:00 4", "common year: 28 Feb -> 1 Mar"},
		{1777593599, "2026-05-01 00:00:00 6", "30-day month end"},
		{1798761599, "2027-01-01 00:00:00 6", "year end"},
		{946684799, "2000-01-01 00:00:00 7", "century end (century byte 19 -> 20)"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rtc r;
		rtc_init(&r, cases[i].start, 7, GiB(1), 0);
		is_date(&r, 7 + SEC, cases[i].after, "%s", cases[i].what);
	}
}

static void test_set_time(void)
{
	struct rtc r;
	u64 t0 = 1000;
	rtc_init(&r, 1796012234, t0, GiB(1), 0);
	cmos_write(&r, t0, 0x0b, 0x82 | 0x10); /* SET, UIE, BCD, 24 h */
	is_u64(cmos(&r, t0, 0x0b), 0x82, "SET clears UIE");
	is_date(&r, t0 + 5 * SEC, "2026-11-30 04:17:14 2", "SET: the clock stands still");
	cmos_write(&r, t0, 0x32, 0x19);
	cmos_write(&r, t0, 0x09, 0x99);
	cmos_write(&r, t0, 0x08, 0x12);
	cmos_write(&r, t0, 0x07, 0x31);
	cmos_write(&r, t0, 0x04, 0x23);
	cmos_write(&r, t0, 0x02, 0x59);
	cmos_write(&r, t0, 0x00, 0x58);
	is_date(&r, t0 + 9 * SEC, "1999-12-31 23:59:58 6", "the written date, weekday computed");
	u64 t1 = t0 + 10 * SEC;
	cmos_write(&r, t1, 0x0b, 0x02);
	is_date(&r, t1 + 2 * SEC, "2000-01-01 00:00:00 7", "SET cleared: it runs from the written time");
	/* Writes in binary 12-hour mode while running. */
	cmos_write(&r, t1, 0x0b, 0x04);
	cmos_write(&r, t1, 0x04, 0x80 | 7); /* 7 PM */
	is_u64(cmos(&r, t1, 4), 0x87, "binary 12 h write of 7 PM reads back");
	cmos_write(&r, t1, 0x0b, 0x06);
	is_u64(cmos(&r, t1, 4), 19, "which is 19 h");
	cmos_write(&r, t1, 0x06, 3);
	is_u64(cmos(&r, t1, 6), 6, "day-of-week writes are ignored (1999-12-31 was a Friday)");
}

static void test_memory(void)
{
	static const struct {
		u64 below, above;
		u16 ext, ext16;
		u32 high;
	} cases[] = {
		{MiB(8), 0, 7 * 1024, 0, 0},
		{MiB(64), 0, 63 * 1024, 48 * 16, 0},
		{GiB(1), 0, 0xffff, (1024 - 16) * 16, 0},
		{GiB(3), GiB(5), 0xffff, (3072 - 16) * 16, 5 * 16384},
		{0xe0000000ULL, GiB(60), 0xffff, (3584 - 16) * 16, 60 * 16384},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rtc r;
		rtc_init(&r, 0, 0, cases[i].below, cases[i].above);
		unsigned base = cmos(&r, 0, 0x15) | cmos(&r, 0, 0x16) << 8;
		unsigned ext = cmos(&r, 0, 0x17) | cmos(&r, 0, 0x18) << 8;
		unsigned ext2 = cmos(&r, 0, 0x30) | cmos(&r, 0, 0x31) << 8;
		unsigned ext16 = cmos(&r, 0, 0x34) | cmos(&r, 0, 0x35) << 8;
		unsigned high = cmos(&r, 0, 0x5b) | cmos(&r, 0, 0x5c) << 8 | cmos(&r, 0, 0x5d) << 16;
		ok(base == 640 && ext == cases[i].ext && ext2 == cases[i].ext && ext16 == cases[i].ext16 &&
			   high == cases[i].high,
		   "%llu MiB + %llu MiB: base %u ext %u/%u ext16 %u high %u",
		   (unsigned long long)(cases[i].below >> 20), (unsigned long long)(cases[i].above >> 20),
		   base, ext, ext2, ext16, high);
	}
	struct rtc r;
	rtc_init(&r, 0, 0, MiB(64), 0);
	unsigned sum = 0;
	for (u8 i = 0x10; i <= 0x2d; i++)
		sum += cmos(&r, 0, i);
	ok(cmos(&r, 0, 0x10) == 0 && cmos(&r, 0, 0x14) == 0x02, "no floppy; equipment byte 0x02");
	is_u64(cmos(&r, 0, 0x2e) << 8 | cmos(&r, 0, 0x2f), sum, "checksum of 0x10-0x2d at 0x2e");
}

int main(void)
{
	test_calendar();
	test_registers();
	test_rollover();
	test_set_time();
	test_memory();
	return tap_done();
}
