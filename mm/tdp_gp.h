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
