/*
 * The machine pagoda owns: power-off and reset.  The firmware's own
 * ResetSystem (a UEFI runtime service, handed over by boot/) is tried
 * first; then the chipset ports of the PCs pagoda is tested on.
 */
#ifndef PAGODA_PLATFORM_H
#define PAGODA_PLATFORM_H

#include "lib/types.h"

/* Firmware power-off / reset entry points (NULL: none); each returns only
 * when it failed. */
void platform_set_firmware(void (*poweroff)(void), void (*reset)(void));
/* Power the machine off; halts for good if nothing worked. */
__noreturn void platform_poweroff(void);
/* Reset the machine; halts for good if nothing worked. */
__noreturn void platform_reset(void);

#endif
