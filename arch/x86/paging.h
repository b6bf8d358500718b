/* The VMM's own page tables: an identity map of all physical memory. */
#ifndef PAGODA_PAGING_H
#define PAGODA_PAGING_H

#include "lib/types.h"

/*
 * Build an identity map of [0, max(4 GiB, MAX_PHYS)) with 2 MiB pages (1 GiB
 * pages where the CPU has them) from pmm pages and load it into CR3.
 * 0 or -E_NOMEM.  Returns the number of table pages used in *PAGES.
 */
int paging_init(u64 max_phys, u64 *pages);

#endif
