/*
 * The ways a PC guest resets its machine without firmware
 * (vmm/dev/pc_reset.c): the reset control register at port 0xcf9 and the
 * keyboard controller's pulse-reset command at port 0x64.
 */
#ifndef PAGODA_DEV_PC_RESET_H
#define PAGODA_DEV_PC_RESET_H

#include "lib/types.h"

struct bus;

/* Add port 0xcf9 and the keyboard controller's ports 0x60 and 0x64 to bus
 * B.  0 or negative. */
int pc_reset_add(struct bus *b);

#endif
