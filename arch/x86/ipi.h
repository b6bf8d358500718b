/*
 * Inter-processor interrupts between host CPUs (arch/x86/ipi.c): a
 * fixed-vector IPI to one CPU by number, a "kick" that only wakes it (an
 * interrupt in guest mode also forces a VM exit), and "run this function
 * there and wait for it", the base of remote TLB shootdown and kicks.
 */
#ifndef PAGODA_IPI_H
#define PAGODA_IPI_H

#include "lib/types.h"

#define IPI_CALL_VECTOR 0xf1 /* smp_call_on(): run the posted function */
#define IPI_KICK_VECTOR 0xf2 /* wake the CPU (and leave guest mode), nothing else */

/* Register the handlers of the two vectors (once, on the boot CPU, after
 * lapic_init()). */
void ipi_init(void);
/* Send a fixed IPI of VECTOR to online CPU number CPU.  0, -E_NOENT (no
 * such CPU online) or lapic_send_ipi()'s error. */
int ipi_send(unsigned cpu, u8 vector);
/*
 * Run FN(ARG) on online CPU number CPU, from its IPI handler (interrupts
 * off there: FN must be short and must not take locks the caller may
 * hold), and wait up to TIMEOUT_US for it to finish; on the calling CPU
 * itself FN runs directly.  Returns 0; -E_NOENT (CPU not online);
 * -E_BUSY when CPU did not finish in time: it is then taken offline
 * (never called again) and FN may still run later, so ARG must outlive
 * the call.  One call at a time per target CPU; callers wait their turn,
 * serving calls posted to their own CPU meanwhile (so two CPUs may call
 * each other, interrupts on or off).
 */
int smp_call_on(unsigned cpu, void (*fn)(void *arg), void *arg, u64 timeout_us);

#endif
