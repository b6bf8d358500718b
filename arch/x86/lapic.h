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

/* On an application processor, after lapic_init() ran on the boot CPU:
 * enable its local APIC in the boot CPU's mode (x2APIC when the boot CPU's
 * is, whatever the firmware left here).  0, -E_NODEV (the boot CPU has no
 * local APIC) or -E_INVAL (this one is in x2APIC mode, the boot CPU's not). */
int lapic_ap_enable(void);
/* Then software-enable it and calibrate its timer.  0 or -E_NODEV (the
 * timer does not count). */
int lapic_ap_init(void);
/* lapic_init() found a local APIC (its timer may still not count). */
bool lapic_present(void);
/* This CPU's local APIC ID (0 without a local APIC). */
u32 lapic_id(void);
/* Send the IPI described by LOW (ICR bits 0-19) to APIC ID DEST. */
int lapic_send_ipi(u32 dest, u32 low);
/* ICR low words (SDM Vol 3 11.6.1): delivery mode in bits 10:8 (0 fixed,
 * 5 INIT, 6 start-up), level assert bit 14, trigger mode bit 15. */
#define ICR_FIXED(vec) (0x4000u | (vec))
#define ICR_INIT_ASSERT 0x4500u
#define ICR_STARTUP(page) (0x4600u | ((page) & 0xff))

#endif
