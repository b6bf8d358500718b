/* Exit dispatch (vmm/exit.c). */
#ifndef PAGODA_EXIT_H
#define PAGODA_EXIT_H

#include "lib/types.h"
#include "vmm/hv.h"

struct vcpu;

/* Handle exit E of V (vcpu_enter filled it): true when the guest goes on,
 * false when it has ended (with its reason logged). */
bool exit_handle(struct vcpu *v, struct vm_exit *e);

#endif
