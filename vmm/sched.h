/*
 * The scheduler (vmm/sched.c): every host CPU runs the guests' runnable
 * vCPUs round robin, one time slice each; a vCPU runs on one CPU at a
 * time, a guest's vCPUs on several at once.
 */
#ifndef PAGODA_SCHED_H
#define PAGODA_SCHED_H

#include "lib/types.h"

/*
 * Run one time slice of the next runnable vCPU this CPU may claim (on the
 * boot CPU, after writing the guests' queued output and ticking their
 * timers).  The slice ends early when CUT (if not NULL) returns true after
 * an exit: the caller's way to keep its own work (console input) waiting
 * no longer than one exit.  Returns false when no vCPU was runnable.
 */
bool sched_step(bool (*cut)(void));
/* An AP's loop after start-up: slices while there is work, HLT (woken by
 * a kick) when there is none.  Guests run there after sched_start_aps. */
void sched_ap_loop(void);
/* Let the APs run guests from now on (ON), or only the boot CPU (slices
 * already running on an AP end as usual). */
void sched_set_aps(bool on);
/* Whether the APs run guests. */
bool sched_aps_on(void);
void sched_set_slice_us(u64 us);
u64 sched_slice_us(void);

#endif
