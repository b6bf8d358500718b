/*
 * What the VMM adds to a Linux guest's kernel command line (pure, host
 * tested), about the guest's TSC, in Linux's own parameters
 * (arch/x86/kernel/tsc.c, Documentation/admin-guide/kernel-parameters.txt):
 *
 *  - `tsc_early_khz=KHZ`: the TSC rate pagoda measured at boot, for a
 *    guest whose CPUID gives no frequency (AMD parts have no leaf 0x15).
 *    Linux otherwise calibrates against the PIT and the ACPI PM timer by
 *    reading them in tight loops between TSC reads; under an emulator
 *    every such read is a VM exit of tens of microseconds, both
 *    calibrations fail ("Unable to calibrate against PIT", "HPET/PMTIMER
 *    calibration failed") and the kernel goes without its TSC.
 *  - `tsc=reliable`: what pagoda guarantees of the TSC, which Linux would
 *    otherwise check with its clocksource watchdog and its warp test
 *    between CPUs: it runs at one constant rate (the host's invariant TSC
 *    plus an offset) and agrees on every vCPU of a guest (the same offset,
 *    0, for each).  VMware and Hyper-V tell their guests the same through
 *    their own CPUID leaves.  Without it the watchdog, early in boot,
 *    compares the TSC with jiffies, which fall behind whenever the vCPU
 *    runs late and timer ticks coalesce (as under TCG), and throws the
 *    TSC away ("Marking TSC unstable due to clocksource watchdog").
 *
 * Words the user gave win: nothing is added for a parameter already there.
 */
#ifndef PAGODA_LOADER_LINUX_CMDLINE_H
#define PAGODA_LOADER_LINUX_CMDLINE_H

#include "lib/types.h"

/* What linux_cmdline_add_tsc() added. */
#define LINUX_CMDLINE_TSC_KHZ BIT(0)      /* tsc_early_khz=KHZ */
#define LINUX_CMDLINE_TSC_RELIABLE BIT(1) /* tsc=reliable */

/*
 * Write CMDLINE into OUT (LEN bytes, NUL included, LEN >= 1) followed by
 * " tsc_early_khz=KHZ" unless KHZ is 0 or CMDLINE has a tsc_early_khz=
 * word, then " tsc=reliable" unless CMDLINE has a tsc= word; each only if
 * it still fits (CMDLINE itself is truncated to LEN - 1 bytes if it must
 * be).  Returns the LINUX_CMDLINE_* bits of what was added.
 */
unsigned linux_cmdline_add_tsc(char *out, size_t len, const char *cmdline, u64 khz);

#endif
