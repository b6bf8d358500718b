/*
 * What mm/ needs from the world around it, and nothing more.  The VMM
 * provides these through lib/ (TSC time) and its identity map; the
 * host-side tests provide them in tests/host/ (clock_gettime, pages that are
 * ordinary heap memory whose addresses stand in for physical addresses).
 */
#ifndef PAGODA_MM_ENV_H
#define PAGODA_MM_ENV_H

#include "lib/types.h"

/* Time: lib/time.h's time_us() (the host tests give their own). */
#include "lib/time.h"

/*
 * The VMM runs with all usable memory identity-mapped, so a physical address
 * is also a pointer.  Host tests allocate "physical" pages from the heap, so
 * the same holds there.
 */
static inline void *phys_to_virt(u64 pa) { return (void *)(uintptr_t)pa; }
static inline u64 virt_to_phys(const void *va) { return (u64)(uintptr_t)va; }

#endif
