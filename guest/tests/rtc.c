/*
 * The CMOS RTC and NVRAM (MC146818A at ports 0x70/0x71), the way an OS
 * reads them:
 *  - the date and time (waiting for UIP to clear, read until two reads
 *    agree, as Linux's mc146818_get_time does), in the mode register B
 *    says: plausible fields, the day of week matching the date;
 *  - the same time in binary and in 12-hour mode after switching register
 *    B; register D reports valid RAM and time;
 *  - the seconds advance;
 *  - the BIOS memory fields: base memory 640 KiB, extended memory in KiB
 *    (0x17/0x18 and 0x30/0x31, capped at 0xffff), memory above 16 MiB in
 *    64 KiB units (0x34/0x35), above 4 GiB (0x5b-0x5d); with "mem=N" on the
 *    command line (N MiB of RAM, all below 4 GiB) their exact values;
 *  - an NVRAM byte keeps what is written.
 * Passes on plain QEMU (-kernel, "mem=512" with -m 512).
 */
#include "guest/lib/guest.h"

const char guest_name[] = "rtc";

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_write(u8 reg, u8 v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

struct when {
	unsigned sec, min, hour, wday, mday, month, year, century;
};

/* The time registers as they read, raw, after UIP has cleared; two reads
 * in a row must agree. */
static void read_raw(struct when *w)
{
	struct when a;
	for (unsigned tries = 0; tries < 10; tries++) {
		for (unsigned i = 0; i < 1000000 && (cmos(0x0a) & 0x80); i++)
			;
		a = (struct when){cmos(0), cmos(2), cmos(4), cmos(6), cmos(7), cmos(8), cmos(9), cmos(0x32)};
		*w = (struct when){cmos(0), cmos(2), cmos(4), cmos(6), cmos(7), cmos(8), cmos(9), cmos(0x32)};
		if (memcmp(&a, w, sizeof(a)) == 0)
			return;
	}
}

static unsigned bcd(unsigned v)
{
	return (v >> 4) * 10 + (v & 15);
}

/* Day of week (1 = Sunday) of a Gregorian date, by counting days from
 * 1 January 1970 (a Thursday). */
static unsigned weekday(unsigned y, unsigned m, unsigned d)
{
	static const u8 mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	u64 days = 0;
	for (unsigned i = 1970; i < y; i++)
		days += 365 + ((i % 4 == 0 && i % 100 != 0) || i % 400 == 0);
	for (unsigned i = 1; i < m; i++)
		days += mdays[i - 1] + (i == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	days += d - 1;
	return (unsigned)((days + 4) % 7 + 1);
}

/* N from "mem=N" in CMDLINE, or 0. */
static unsigned mem_arg(const char *cmdline)
{
	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && p[0] == 'm' && p[1] == 'e' && p[2] == 'm' && p[3] == '=') {
			unsigned n = 0;
			for (p += 4; *p >= '0' && *p <= '9'; p++)
				n = n * 10 + (unsigned)(*p - '0');
			return n;
		}
	}
	return 0;
}

static void test_date(void)
{
	u8 b = cmos(0x0b);
	expect_eq(cmos(0x0d), 0x80, "register D: valid RAM and time");
	expect_eq(b & 0x06, 0x02, "register B: BCD, 24-hour (as a BIOS leaves it)");
	struct when w;
	read_raw(&w);
	unsigned year = bcd(w.century) * 100 + bcd(w.year), month = bcd(w.month), day = bcd(w.mday);
	unsigned hour = bcd(w.hour), min = bcd(w.min), sec = bcd(w.sec);
	diag("RTC: %u-%02u-%02u %02u:%02u:%02u weekday %u", year, month, day, hour, min, sec,
	     bcd(w.wday));
	expect(year >= 2020 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
		       hour < 24 && min < 60 && sec < 60,
	       "a plausible date and time");
	expect_eq(bcd(w.wday), weekday(year, month, day), "day of week matches the date");

	/* Binary, then 12-hour binary: same fields (retry across a tick). */
	bool same = false;
	struct when bin;
	for (int tries = 0; tries < 3 && !same; tries++) {
		read_raw(&w);
		cmos_write(0x0b, (u8)(b | 0x04));
		read_raw(&bin);
		cmos_write(0x0b, b);
		same = bin.hour == bcd(w.hour) && bin.min == bcd(w.min) && bin.mday == bcd(w.mday) &&
		       bin.month == bcd(w.month) && bin.year == bcd(w.year) && bin.century == bcd(w.century);
	}
	expect(same, "binary mode (B bit 2) gives the same time");
	bool same12 = false;
	u8 h12 = 0, h24 = 0;
	for (int tries = 0; tries < 3 && !same12; tries++) {
		read_raw(&w);
		h24 = (u8)bcd(w.hour);
		cmos_write(0x0b, (u8)((b | 0x04) & ~0x02));
		h12 = cmos(4);
		cmos_write(0x0b, b);
		read_raw(&w);
		same12 = bcd(w.hour) == h24;
	}
	u8 want12 = (u8)((h24 % 12 ? h24 % 12 : 12) | (h24 >= 12 ? 0x80 : 0));
	expect(same12 && h12 == want12, "12-hour binary: %u h reads 0x%x (want 0x%x)", h24, h12, want12);
	expect_eq(cmos(0x0b), b, "register B restored");
}

static void test_ticks(void)
{
	u8 s0 = cmos(0), s1 = s0;
	bool uip = false;
	u64 i;
	for (i = 0; i < 50000000ULL && s1 == s0; i++) {
		if (cmos(0x0a) & 0x80)
			uip = true;
		s1 = cmos(0);
	}
	expect(s1 != s0, "the seconds advance (0x%x -> 0x%x after %lu polls)", s0, s1, i);
	expect_eq((bcd(s0) + 1) % 60, bcd(s1), "by one");
	diag("UIP %s seen before the update", uip ? "was" : "was not");
}

static void test_memory(const char *cmdline)
{
	unsigned base = cmos(0x15) | cmos(0x16) << 8;
	unsigned ext = cmos(0x17) | cmos(0x18) << 8;
	unsigned ext2 = cmos(0x30) | cmos(0x31) << 8;
	unsigned ext16 = cmos(0x34) | cmos(0x35) << 8;
	unsigned high = cmos(0x5b) | cmos(0x5c) << 8 | cmos(0x5d) << 16;
	diag("CMOS memory: base %u KiB, ext %u/%u KiB, above 16M %u x 64K, above 4G %u x 64K",
	     base, ext, ext2, ext16, high);
	expect_eq(base, 640, "base memory 640 KiB");
	expect_eq(ext, ext2, "0x17/0x18 and 0x30/0x31 agree");
	unsigned mib = mem_arg(cmdline);
	if (!mib) {
		expect(ext16 == 0 ? ext < 15 * 1024 + 1 : ext == 0xffff || ext == ext16 * 64 + 15 * 1024,
		       "extended and above-16M fields consistent");
		skip("no mem=N on the command line", "memory sizes exact");
		return;
	}
	unsigned want_ext = (mib - 1) * 1024 > 0xffff ? 0xffff : (mib - 1) * 1024;
	unsigned want16 = mib > 16 ? (mib - 16) * 16 : 0;
	expect_eq(ext, want_ext, "extended memory for %u MiB", mib);
	expect_eq(ext16, want16, "memory above 16 MiB in 64 KiB units");
	expect_eq(high, 0, "nothing above 4 GiB");
}

static void test_nvram(void)
{
	u8 old = cmos(0x48);
	cmos_write(0x48, 0x5a);
	u8 a = cmos(0x48);
	cmos_write(0x48, 0xa5);
	u8 b = cmos(0x48);
	cmos_write(0x48, old);
	expect(a == 0x5a && b == 0xa5, "NVRAM byte 0x48 keeps what is written");
}

void main(const char *cmdline)
{
	test_date();
	test_ticks();
	test_memory(cmdline);
	test_nvram();
}
