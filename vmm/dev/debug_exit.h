/* The debug-exit port (vmm/dev/debug_exit.c). */
#ifndef PAGODA_DEV_DEBUG_EXIT_H
#define PAGODA_DEV_DEBUG_EXIT_H

#include "lib/types.h"

struct bus;

/* Add the debug-exit port at PORT to bus B.  0 or negative. */
int debug_exit_add(struct bus *b, u16 port);

#endif
