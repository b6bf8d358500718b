/*
 * The scheduler (vmm/sched.c): the host CPUs run the guests' runnable
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
/*
 * The boot CPU's wait when sched_step found nothing to run.  When it runs
 * no guests (QEMU's TCG with APs): HLT until the earliest timer of a
 * running guest (as of the last sched_step) or SCHED_IDLE_MAX_NS (1 ms)
 * at the most, so console input and guest output wait no longer.  Else,
 * or when that is too close or its local APIC timer does not count, a
 * plain pause.
 */
void sched_idle(void);
/*
 * One turn of the console's idle loop: a slice when a vCPU wants this CPU
 * (sched_step with CUT), else a batch of free pages zeroed into the
 * pre-zeroed pools (idle time is when they fill), else sched_idle.  The
 * console's waits call sched_step and sched_idle alone: under an emulator
 * a batch can take milliseconds (the first zeroing of a page that held
 * firmware code), and a guest waited for that sleeps until its timer
 * would see that much lateness; `pool wait` fills the pools on purpose.
 */
void sched_boot_turn(bool (*cut)(void));
/* An AP's loop after start-up: slices while there is work, HLT (woken by
 * a kick) when there is none. */
void sched_ap_loop(void);
/*
 * Once the APs are up: choose the host CPUs that run guests among those
 * online, and log them.  Every online CPU, except under QEMU's
 * multi-threaded TCG with APs, where the boot CPU runs none (its guest
 * entries race with the other CPUs' x87 state loads there, see the
 * function).
 */
void sched_cpus_init(void);
/* The host CPUs that run guests now (bit N: CPU N). */
u64 sched_guest_cpus(void);
/*
 * `set smp=on` (ON): guests on the CPUs sched_cpus_init chose, the
 * default; off: on the boot CPU alone (slices already running elsewhere
 * end as usual).  Returns NULL, or the name of a guest whose cpus= list
 * would leave it no CPU (nothing changes then).
 */
const char *sched_set_smp(bool on);
/* MASK (bit N: CPU N) as a list such as "1-3" or "0,2" in BUF (SIZE
 * bytes, cut short if it does not fit). */
void sched_cpu_list(u64 mask, char *buf, size_t size);
void sched_set_slice_us(u64 us);
u64 sched_slice_us(void);

#endif
