/* Time since VMM start, from the TSC calibrated by boot/. */
#ifndef PAGODA_TIME_H
#define PAGODA_TIME_H

#include "lib/types.h"

#define NS_PER_SEC 1000000000ULL

/* Record the TSC at VMM start and its frequency (0 until calibrated). */
void time_init(u64 tsc_start, u64 tsc_khz);
void time_set_khz(u64 tsc_khz);
u64 time_tsc_khz(void);
/* Microseconds since VMM start (0 while uncalibrated). */
u64 time_us(void);
/* Nanoseconds since VMM start (0 while uncalibrated): the clock of the
 * guests' virtual timers (vmm/dev/). */
u64 time_ns(void);
/* Convert a TSC delta to microseconds. */
u64 time_tsc_to_us(u64 delta);
/* Seconds since 1970-01-01 00:00 UTC of a civil date (Y >= 1970, M 1-12,
 * D 1-31; 0 for a date outside that): days before year Y (leap years
 * every 4th, not every 100th, every 400th), then the days of the months
 * before M.  Inline so that pure code (the RTC model) uses it without
 * the TSC clock below. */
static inline u64 time_date_to_unix(unsigned y, unsigned m, unsigned d, unsigned hh,
				    unsigned mm, unsigned ss)
{
	static const unsigned short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273,
						  304, 334};
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return 0;
	u64 days = 0;
	for (unsigned k = 1970; k < y; k++)
		days += (k % 4 == 0 && (k % 100 != 0 || k % 400 == 0)) ? 366 : 365;
	days += before[m - 1] + d - 1;
	if (m > 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		days++;
	return ((days * 24 + hh) * 60 + mm) * 60 + ss;
}
/* The wall clock: set once at boot from the firmware's clock (the Unix
 * time at VMM time 0), 0 when the firmware gave none. */
void time_set_unix_at_start(u64 unix_seconds);
u64 time_unix(void);
/* Busy-wait about US microseconds. */
void time_delay_us(u64 us);

#endif
