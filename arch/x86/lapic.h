/* The local APIC timer, used as the host's preemption timer on AMD. */
#ifndef PAGODA_LAPIC_H
#define PAGODA_LAPIC_H

#include "lib/types.h"

#define LAPIC_TIMER_VECTOR 0x20
#define LAPIC_SPURIOUS_VECTOR 0xff

/* Enable the xAPIC, calibrate its timer against the TSC.  0 or -E_NODEV. */
int lapic_init(void);
/* Arm a one-shot timer interrupt NS nanoseconds from now (0 disarms). */
void lapic_timer_oneshot(u64 ns);
void lapic_eoi(void);

#endif
