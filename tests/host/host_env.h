/* Host-side stand-ins for what the VMM gives mm/, plus test helpers. */
#ifndef PAGODA_HOST_ENV_H
#define PAGODA_HOST_ENV_H

#include "mm/tdp_fmt.h"
#include "lib/types.h"

extern const struct tdp_fmt tdp_fmt_test_npt, tdp_fmt_test_ept;

/* Log lines at or below this level go to stderr (env PAGODA_LOG=0..3, default 1). */
extern int host_log_level;

/*
 * Map BYTES of anonymous memory aligned to ALIGN (a power of two, >= 4K),
 * untouched (MAP_NORESERVE): it stands in for physical memory.
 */
void *host_map(u64 bytes, u64 align);
/* The whole file PATH in a malloc'ed buffer (*SIZE bytes), or NULL when it
 * cannot be read or is empty. */
u8 *host_read_file(const char *path, size_t *size);
/* pmm_init() and hand it BYTES of fresh memory aligned to 2 MiB; returns its base. */
u64 host_pmm_setup(u64 bytes);
/* Whether the 4 KiB page at PA (a host address standing in for a frame) is all zero. */
bool host_page_is_zero(u64 pa);

#endif
