/*
 * The ACPI fixed hardware a PC guest's FADT describes (vmm/acpi_tables.h):
 * the PM1a event block at ACPI_PM1A_EVT_PORT (PM1a_STS, PM1a_EN) and the
 * PM1a control block at ACPI_PM1A_CNT_PORT, whose SLP_EN with the S5
 * SLP_TYP powers the guest's machine off (vmm/dev/acpi_pm.c), and the
 * PM timer at ACPI_PM_TMR_PORT, a 24-bit counter at ACPI_PM_TIMER_HZ of
 * the VMM's clock (what Linux calibrates its TSC against and may use as a
 * clocksource when the FADT names the port).
 */
#ifndef PAGODA_DEV_ACPI_PM_H
#define PAGODA_DEV_ACPI_PM_H

#include "lib/types.h"

struct bus;

/* The PM timer's rate (ACPI 6.5, 4.8.3.3 "Power Management Timer"):
 * 3.579545 MHz, the NTSC colour burst the PC inherited. */
#define ACPI_PM_TIMER_HZ 3579545ULL
/* Its width without the FADT flag TMR_VAL_EXT: 24 bits, wrapping. */
#define ACPI_PM_TIMER_MASK 0xffffffu

/* The PM timer's value NS nanoseconds into the VMM's clock: the ticks of
 * ACPI_PM_TIMER_HZ in NS, truncated to 24 bits.  Pure. */
u32 acpi_pm_timer_value(u64 ns);

/* Add the PM1a event and control ports and the PM timer port to bus B
 * (state in B's arena).  0 or negative. */
int acpi_pm_add(struct bus *b);

#endif
