/*
 * The CMOS RTC of a PC, after the Motorola MC146818A datasheet:
 *   - Registers 0, 2, 4: seconds, minutes, hours; 6 day of week (1 =
 *     Sunday); 7 day of month; 8 month; 9 year within the century; 1, 3, 5
 *     the alarms (kept as RAM here).  Register B bit 2 (DM) selects binary
 *     (1) or BCD (0) for all of them; bit 1 (24/12) 24-hour (1) or 12-hour
 *     (0), where bit 7 of the hours byte means PM.
 *   - Register A: bit 7 UIP (update in progress, read-only), bits 6:4 the
 *     time base divider (010 = 32.768 kHz, running), 3:0 the rate select.
 *   - Register B: bit 7 SET (stop updates while the time is written; setting
 *     it clears UIE), 6 PIE, 5 AIE, 4 UIE, 3 SQWE, 2 DM, 1 24/12, 0 DSE.
 *   - Register C: interrupt flags, cleared by reading.  Register D: bit 7
 *     VRT (valid RAM and time), read-only.
 * UIP is modelled: it reads 1 during the last 244 us before each second
 * (the datasheet's update-cycle warning time) while the clock runs.  The
 * PC adds the century at 0x32 (BCD/binary like the year) and the BIOS
 * memory fields of rtc_init(); daylight saving (DSE) is ignored, writes to
 * the day of week are ignored (it is computed from the date).
 */
#include "vmm/dev/rtc.h"
#include "vmm/dev/bus.h"
#include "lib/time.h"

#define SECS_PER_DAY 86400ULL
#define RTC_UIP_NS 244000ULL /* UIP is set this long before each update */

enum {
	RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
	RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

#define RTC_B_SET 0x80
#define RTC_B_UIE 0x10
#define RTC_B_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_A_UIP 0x80

/* True when YEAR (Gregorian) has a 29th of February. */
static bool is_leap(u64 year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days in MONTH (1-12) of YEAR. */
static unsigned month_days(u64 year, unsigned month)
{
	static const u8 days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[month - 1] + (month == 2 && is_leap(year));
}

void rtc_date_of(u64 seconds, struct rtc_date *d)
{
	u64 days = seconds / SECS_PER_DAY, rest = seconds % SECS_PER_DAY;
	d->hour = (u8)(rest / 3600);
	d->minute = (u8)(rest / 60 % 60);
	d->second = (u8)(rest % 60);
	d->weekday = (u8)((days + 4) % 7 + 1); /* 1970-01-01 was a Thursday */
	u64 year = 1970;
	/* Whole 400-year cycles (146097 days) first, then single years. */
	year += days / 146097 * 400;
	days %= 146097;
	while (days >= 365u + is_leap(year)) {
		days -= 365u + is_leap(year);
		year++;
	}
	unsigned month = 1;
	while (days >= month_days(year, month)) {
		days -= month_days(year, month);
		month++;
	}
	d->year = (u32)year;
	d->month = (u8)month;
	d->day = (u8)(days + 1);
}

/* The Unix time R shows at NOW_NS, and (through FRAC, if not NULL) the
 * nanoseconds into that second. */
static u64 rtc_now(const struct rtc *r, u64 now_ns, u64 *frac)
{
	u64 ns = (r->frozen || now_ns < r->base_ns) ? 0 : now_ns - r->base_ns;
	if (frac)
		*frac = ns % NS_PER_SEC;
	return r->base_seconds + ns / NS_PER_SEC;
}

/* V (0-99) in the guest's chosen encoding: BCD unless register B DM. */
static u8 rtc_encode(const struct rtc *r, unsigned v)
{
	if (r->ram[RTC_REG_B] & RTC_B_BINARY)
		return (u8)v;
	return (u8)((v / 10) << 4 | v % 10);
}

/* B decoded from the guest's chosen encoding. */
static unsigned rtc_decode(const struct rtc *r, u8 b)
{
	if (r->ram[RTC_REG_B] & RTC_B_BINARY)
		return b;
	return (b >> 4) * 10u + (b & 0x0f);
}

/* Register REG (a time register or the century) at NOW_NS, encoded. */
static u8 rtc_read_time(const struct rtc *r, u64 now_ns, unsigned reg)
{
	struct rtc_date d;
	rtc_date_of(rtc_now(r, now_ns, NULL), &d);
	switch (reg) {
	case RTC_SEC: return rtc_encode(r, d.second);
	case RTC_MIN: return rtc_encode(r, d.minute);
	case RTC_HOUR:
		if (r->ram[RTC_REG_B] & RTC_B_24H)
			return rtc_encode(r, d.hour);
		/* 12-hour: 12, 1..11 AM then 12, 1..11 PM (bit 7). */
		return (u8)(rtc_encode(r, d.hour % 12 ? d.hour % 12 : 12) | (d.hour >= 12 ? 0x80 : 0));
	case RTC_WDAY: return rtc_encode(r, d.weekday);
	case RTC_MDAY: return rtc_encode(r, d.day);
	case RTC_MONTH: return rtc_encode(r, d.month);
	case RTC_YEAR: return rtc_encode(r, d.year % 100);
	default: return rtc_encode(r, d.year / 100 % 100); /* century */
	}
}

/* The guest writes B to time register REG at NOW_NS: the field changes,
 * the others keep their value, the second starts afresh. */
static void rtc_write_time(struct rtc *r, u64 now_ns, unsigned reg, u8 b)
{
	struct rtc_date d;
	rtc_date_of(rtc_now(r, now_ns, NULL), &d);
	unsigned v = rtc_decode(r, reg == RTC_HOUR ? b & 0x7f : b);
	switch (reg) {
	case RTC_SEC: d.second = (u8)MIN(v, 59u); break;
	case RTC_MIN: d.minute = (u8)MIN(v, 59u); break;
	case RTC_HOUR:
		if (!(r->ram[RTC_REG_B] & RTC_B_24H))
			v = v % 12 + (b & 0x80 ? 12 : 0);
		d.hour = (u8)MIN(v, 23u);
		break;
	case RTC_MDAY: d.day = (u8)(v ? v : 1); break;
	case RTC_MONTH: d.month = (u8)(v >= 1 && v <= 12 ? v : 1); break;
	case RTC_YEAR: d.year = d.year / 100 * 100 + v % 100; break;
	case RTC_CENTURY: d.year = v * 100 + d.year % 100; break;
	default: return; /* day of week: computed from the date */
	}
	if (d.year < 1970)
		d.year = 1970;
	if (d.day > month_days(d.year, d.month))
		d.day = (u8)month_days(d.year, d.month);
	r->base_seconds = time_date_to_unix(d.year, d.month, d.day, d.hour, d.minute, d.second);
	r->base_ns = now_ns;
}

/* Store the 16-bit V little-endian at NVRAM offset AT. */
static void rtc_put16(struct rtc *r, unsigned at, u64 v)
{
	r->ram[at] = (u8)v;
	r->ram[at + 1] = (u8)(v >> 8);
}

void rtc_init(struct rtc *r, u64 unix_seconds, u64 now_ns, u64 ram_below_4g, u64 ram_above_4g)
{
	*r = (struct rtc){.base_seconds = unix_seconds, .base_ns = now_ns};
	r->ram[RTC_REG_A] = 0x26;
	r->ram[RTC_REG_B] = RTC_B_24H;
	r->ram[RTC_REG_D] = 0x80;
	r->ram[0x10] = 0;    /* no floppy drives */
	r->ram[0x14] = 0x02; /* equipment: FPU present, no floppy, VGA-class display */
	rtc_put16(r, 0x15, 640); /* base memory, KiB */
	u64 ext = ram_below_4g > MiB(1) ? (ram_below_4g - MiB(1)) >> 10 : 0;
	rtc_put16(r, 0x17, MIN(ext, 0xffffu)); /* extended memory above 1 MiB, KiB */
	rtc_put16(r, 0x30, MIN(ext, 0xffffu));
	u64 above16 = ram_below_4g > MiB(16) ? (ram_below_4g - MiB(16)) >> 16 : 0;
	rtc_put16(r, 0x34, MIN(above16, 0xffffu)); /* 16 MiB..4 GiB, 64 KiB units */
	u64 high = ram_above_4g >> 16; /* above 4 GiB, 64 KiB units, 24 bits */
	r->ram[0x5b] = (u8)high;
	r->ram[0x5c] = (u8)(high >> 8);
	r->ram[0x5d] = (u8)(high >> 16);
	/* The standard checksum of bytes 0x10-0x2d, big-endian at 0x2e. */
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += r->ram[i];
	r->ram[0x2e] = (u8)(sum >> 8);
	r->ram[0x2f] = (u8)sum;
}

/* The value of register REG read at NOW_NS (with its side effects). */
static u8 rtc_read(struct rtc *r, u64 now_ns, unsigned reg)
{
	u64 frac;
	switch (reg) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
	case RTC_MDAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return rtc_read_time(r, now_ns, reg);
	case RTC_REG_A:
		rtc_now(r, now_ns, &frac);
		if (!r->frozen && (r->ram[RTC_REG_A] & 0x70) == 0x20 &&
		    frac >= NS_PER_SEC - RTC_UIP_NS)
			return r->ram[RTC_REG_A] | RTC_A_UIP;
		return r->ram[RTC_REG_A];
	case RTC_REG_C:
		return 0; /* no interrupt flag is ever raised; reading clears */
	default:
		return r->ram[reg];
	}
}

/* The guest writes B to register REG at NOW_NS. */
static void rtc_write(struct rtc *r, u64 now_ns, unsigned reg, u8 b)
{
	switch (reg) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
	case RTC_MDAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		rtc_write_time(r, now_ns, reg, b);
		break;
	case RTC_REG_A:
		r->ram[RTC_REG_A] = b & 0x7f; /* UIP is read-only */
		break;
	case RTC_REG_B:
		if (b & RTC_B_SET) {
			if (!r->frozen) {
				r->base_seconds = rtc_now(r, now_ns, NULL);
				r->base_ns = now_ns;
				r->frozen = true;
			}
			b &= ~RTC_B_UIE;
		} else if (r->frozen) {
			r->frozen = false;
			r->base_ns = now_ns;
		}
		r->ram[RTC_REG_B] = b;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		r->ram[reg] = b;
		break;
	}
}

void rtc_io(struct rtc *r, u64 now_ns, u16 port, bool in, u32 *val)
{
	if (port == 0x70) {
		if (in) {
			*val = 0xff; /* the index register cannot be read back */
		} else {
			r->index = (u8)*val & 0x7f;
			r->nmi_masked = *val & 0x80;
		}
		return;
	}
	if (port != 0x71) {
		if (in)
			*val = 0xff;
		return;
	}
	if (in)
		*val = rtc_read(r, now_ns, r->index);
	else
		rtc_write(r, now_ns, r->index, (u8)*val);
}

/* Bus handler: byte accesses of any vCPU to the RTC at OPAQUE. */
static void rtc_bus_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	(void)v;
	(void)size;
	rtc_io(opaque, time_ns(), port, in, val);
	if (in)
		*val &= 0xff;
}

static const struct dev_ops rtc_dev_ops = {.name = "rtc", .io = rtc_bus_io};

int rtc_add(struct bus *b, struct rtc *r)
{
	return bus_add_io(b, &rtc_dev_ops, r, 0x70, 2);
}
