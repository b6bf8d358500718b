/*
 * The scheduler (vmm/sched.c): every guest's runnable vCPUs share the CPU
 * round robin, one time slice each.
 */
#ifndef PAGODA_SCHED_H
#define PAGODA_SCHED_H

#include "lib/types.h"

/*
 * Run one time slice of the next runnable vCPU.  The slice ends early when
 * CUT (if not NULL) returns true after an exit: the caller's way to keep
 * its own work (console input) waiting no longer than one exit.  Returns
 * false when no vCPU was runnable.
 */
bool sched_step(bool (*cut)(void));
void sched_set_slice_us(u64 us);
u64 sched_slice_us(void);

#endif
