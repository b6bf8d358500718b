/*
 * What the VMM adds to a Linux guest's kernel command line (pure, host
 * tested): the TSC rate pagoda measured at boot as `tsc_early_khz=`,
 * Linux's parameter for a TSC frequency it should take instead of
 * calibrating (arch/x86/kernel/tsc.c, Documentation/admin-guide/
 * kernel-parameters.txt).  A guest whose CPUID gives no frequency (AMD
 * parts have no leaf 0x15) calibrates against the PIT and the ACPI PM
 * timer by reading them in tight loops between TSC reads; under an
 * emulator every such read is a VM exit of tens of microseconds, and both
 * calibrations fail ("Unable to calibrate against PIT", "HPET/PMTIMER
 * calibration failed"), leaving the kernel without its TSC.
 */
#ifndef PAGODA_LOADER_LINUX_CMDLINE_H
#define PAGODA_LOADER_LINUX_CMDLINE_H

#include "lib/types.h"

/*
 * Write CMDLINE followed by " tsc_early_khz=KHZ" into OUT (LEN bytes, NUL
 * included) and return true; or, when KHZ is 0, when CMDLINE already has
 * a tsc_early_khz= word (the user's choice wins) or when the result would
 * not fit in LEN, copy CMDLINE unchanged (truncated to LEN - 1 bytes if
 * it must be) and return false.  LEN must be at least 1.
 */
bool linux_cmdline_add_tsc_khz(char *out, size_t len, const char *cmdline, u64 khz);

#endif
