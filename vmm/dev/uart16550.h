/* A 16550 UART for a guest (vmm/dev/uart16550.c). */
#ifndef PAGODA_DEV_UART16550_H
#define PAGODA_DEV_UART16550_H

#include "lib/types.h"

struct bus;

/* Add a UART at ports BASE..BASE+7 to bus B.  0 or negative. */
int uart16550_add(struct bus *b, u16 base);

#endif
