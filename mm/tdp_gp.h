/*
 * Grace periods for page-table pages removed under the shared MMU lock.
 *
 * A table unlinked while other CPUs hold the MMU lock for read may still be
 * read by them (they loaded the parent entry before it changed), and, until
 * the TLB flush that follows the zap, by the hardware of CPUs in guest mode.
 * So its page goes on a deferred list and returns to pmm only after every
 * CPU that takes part in running guests has passed a quiescent point
 * (tdp_mmu_quiescent(), called on every VM exit outside any MMU lock) after
 * the list was closed.  See tdp_gp.c.
 */
#ifndef PAGODA_TDP_GP_H
#define PAGODA_TDP_GP_H

#include "lib/types.h"

#define GP_MAX_CPUS 64

/* ---- For the VMM (through mm/tdp_mmu.h) ---- */

/*
 * CPU passes a quiescent point: it holds no MMU lock and is not in guest
 * mode (the VMM calls this on every VM exit).  CPU < GP_MAX_CPUS.  A CPU
 * must call it before it first takes an MMU lock or enters a guest; from
 * then on it takes part in grace periods.
 */
void tdp_mmu_quiescent(unsigned cpu);
/*
 * CPU stops taking part: it will neither take an MMU lock nor enter a
 * guest until its next tdp_mmu_quiescent(), and no longer holds up grace
 * periods (an idle CPU should be offline).
 */
void tdp_mmu_cpu_offline(unsigned cpu);
/* Free deferred table pages whose grace period is over; returns pages still waiting. */
u64 tdp_mmu_gp_drain(void);
/* Table pages leaked for want of a deferred-list page (should stay 0). */
u64 tdp_mmu_gp_leaked(void);

/* ---- For mm/ only ---- */

/*
 * Queue the table page at PA (from tdp_pt_alloc) to be freed, with its
 * presence map, by tdp_pt_free() after a grace period.
 */
void gp_defer_free(u64 pa);
/* A remover is at work: do not close the open list until gp_release(). */
void gp_hold(void);
void gp_release(void);
/* Keep a spare list page so gp_defer_free() rarely allocates (call outside locks). */
void gp_reserve(void);

#endif
