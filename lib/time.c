/* TSC-based time.  boot/ calibrates the TSC with the firmware's Stall(). */
#include "lib/time.h"

static u64 tsc_start_val;
static u64 tsc_khz_val;
static u64 unix_at_start; /* 0: no wall clock */

void time_init(u64 tsc_start, u64 tsc_khz)
{
	tsc_start_val = tsc_start;
	tsc_khz_val = tsc_khz;
}

void time_set_khz(u64 tsc_khz) { tsc_khz_val = tsc_khz; }

u64 time_tsc_khz(void) { return tsc_khz_val; }

u64 time_tsc_to_us(u64 delta)
{
	if (!tsc_khz_val)
		return 0;
	/* delta * 1000 / khz, split to avoid overflow for long deltas */
	return delta / tsc_khz_val * 1000 + (delta % tsc_khz_val) * 1000 / tsc_khz_val;
}

u64 time_ns(void)
{
	u64 d = __builtin_ia32_rdtsc() - tsc_start_val;
	if (!tsc_khz_val)
		return 0;
	return d / tsc_khz_val * 1000000 + (d % tsc_khz_val) * 1000000 / tsc_khz_val;
}

u64 time_us(void) { return time_tsc_to_us(__builtin_ia32_rdtsc() - tsc_start_val); }

void time_delay_us(u64 us)
{
	u64 end = __builtin_ia32_rdtsc() + us * tsc_khz_val / 1000;
	while (__builtin_ia32_rdtsc() < end)
		cpu_relax();
}

void time_set_unix_at_start(u64 unix_seconds) { unix_at_start = unix_seconds; }

u64 time_unix(void)
{
	return unix_at_start ? unix_at_start + time_us() / 1000000 : 0;
}
