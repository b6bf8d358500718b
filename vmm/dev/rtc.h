/*
 * The PC's CMOS real-time clock and NVRAM (a Motorola MC146818A) at ports
 * 0x70 (index, bit 7 = NMI mask) and 0x71 (data) (vmm/dev/rtc.c).
 *
 * A pure model: the date is the Unix time given at rtc_init() plus the
 * time elapsed on the caller's clock (now_ns, lib/time.h time_ns()).  No
 * interrupt is raised (IRQ8: periodic, alarm and update-ended interrupts
 * are not modelled; register C reads 0).  The caller serialises calls.
 */
#ifndef PAGODA_DEV_RTC_H
#define PAGODA_DEV_RTC_H

#include "lib/types.h"

struct bus;

/* A calendar date and time (UTC), the fields as people write them. */
struct rtc_date {
	u32 year;   /* e.g. 2026 */
	u8 month;   /* 1-12 */
	u8 day;     /* 1-31 */
	u8 hour;    /* 0-23 */
	u8 minute;  /* 0-59 */
	u8 second;  /* 0-59 */
	u8 weekday; /* 1 = Sunday .. 7 = Saturday (the MC146818 numbering) */
};

struct rtc {
	u8 ram[128];       /* NVRAM; bytes 0-0x0d and 0x32 are served from the clock */
	u8 index;          /* port 0x70 bits 6:0: the register selected */
	bool nmi_masked;   /* port 0x70 bit 7 as last written */
	u64 base_seconds;  /* Unix time at base_ns */
	u64 base_ns;       /* the caller's clock when base_seconds held */
	bool frozen;       /* register B SET: the clock does not advance */
};

/* Power-on state: the clock reads UNIX_SECONDS at NOW_NS; register A 0x26
 * (32.768 kHz time base, 1024 Hz rate), B 0x02 (BCD, 24 h), D 0x80 (valid
 * RAM and time); the memory sizes of a PC with RAM_BELOW_4G bytes below
 * 4 GiB and RAM_ABOVE_4G above, laid out as QEMU and SeaBIOS do. */
void rtc_init(struct rtc *r, u64 unix_seconds, u64 now_ns, u64 ram_below_4g, u64 ram_above_4g);
/* One byte IN (fill *VAL) or OUT (consume *VAL) at PORT (0x70, 0x71) at
 * time NOW_NS.  Other ports read 0xff. */
void rtc_io(struct rtc *r, u64 now_ns, u16 port, bool in, u32 *val);
/* The date of Unix time SECONDS (the weekday included). */
void rtc_date_of(u64 seconds, struct rtc_date *d);
/* Put R's ports (0x70, 0x71) on bus B; the handler reads time_ns().  0, or
 * negative from bus_add_io. */
int rtc_add(struct bus *b, struct rtc *r);

#endif
