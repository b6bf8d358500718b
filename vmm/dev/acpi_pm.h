/*
 * The ACPI fixed hardware a PC guest's FADT describes (vmm/acpi_tables.h):
 * the PM1a event block at ACPI_PM1A_EVT_PORT (PM1a_STS, PM1a_EN) and the
 * PM1a control block at ACPI_PM1A_CNT_PORT, whose SLP_EN with the S5
 * SLP_TYP powers the guest's machine off (vmm/dev/acpi_pm.c).
 */
#ifndef PAGODA_DEV_ACPI_PM_H
#define PAGODA_DEV_ACPI_PM_H

#include "lib/types.h"

struct bus;

/* Add the PM1a event and control ports to bus B (state in B's arena).
 * 0 or negative. */
int acpi_pm_add(struct bus *b);

#endif
