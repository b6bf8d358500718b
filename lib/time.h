/* Time since VMM start, from the TSC calibrated by boot/. */
#ifndef PAGODA_TIME_H
#define PAGODA_TIME_H

#include "lib/types.h"

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
 * D 1-31), and the wall clock: set once at boot from the firmware's clock
 * (the Unix time at VMM time 0), 0 when the firmware gave none. */
u64 time_date_to_unix(unsigned y, unsigned m, unsigned d, unsigned hh, unsigned mm, unsigned ss);
void time_set_unix_at_start(u64 unix_seconds);
u64 time_unix(void);
/* Busy-wait about US microseconds. */
void time_delay_us(u64 us);

#endif
