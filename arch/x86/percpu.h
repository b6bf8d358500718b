/*
 * Per-CPU data, for now in its simplest form: code that keeps something per
 * CPU holds a static array of MAX_CPUS entries and indexes it with
 * this_cpu().  Only the boot CPU runs the VMM yet, so this_cpu() is 0; when
 * the APs come up, a per-CPU area reached through GS replaces this and
 * this_cpu() reads the number from there.
 */
#ifndef PAGODA_PERCPU_H
#define PAGODA_PERCPU_H

#include "lib/types.h"

#define MAX_CPUS 64

/* The number of the calling CPU, 0..MAX_CPUS-1.  Always 0 until the APs
 * run the VMM (the boot CPU is the only one). */
static inline unsigned this_cpu(void)
{
	return 0;
}

#endif
