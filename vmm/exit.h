/* Exit dispatch (vmm/exit.c). */
#ifndef PAGODA_EXIT_H
#define PAGODA_EXIT_H

#include "lib/types.h"
#include "vmm/hv.h"

struct guest;
struct vcpu;

/* Handle exit E of V (vcpu_enter filled it) with the guest's lock held:
 * true when the guest goes on, false when it has ended (with its reason
 * logged). */
bool exit_handle(struct vcpu *v, struct vm_exit *e);
/* The part of exit handling that needs no guest lock: a nested page fault
 * that maps memory (mm/ locks for itself).  true when E is handled;
 * false when exit_handle must see it (any other exit, MMIO, an error,
 * which it then meets again and reports).  Inline, so that the other
 * exits (most of them) make no call. */
bool exit_handle_tdp_unlocked(struct vcpu *v, struct vm_exit *e);
static inline bool exit_handle_unlocked(struct vcpu *v, struct vm_exit *e)
{
	return (e->kind == VM_EXIT_TDP_FAULT || e->kind == VM_EXIT_TDP_MISCONFIG) &&
	       exit_handle_tdp_unlocked(v, e);
}

/* The debug mode that counts the VMM's instructions from each exit to the
 * next entry (arch/x86/irq.h): on or off, and whether it is on. */
void exit_count_set(bool on);
bool exit_count_on(void);
/* Into BUF (N bytes): the line `exitpath name=G kind=P:MEAN:MAX:PAGES ...`
 * with every exit kind of G's vCPUs that has counted paths: P paths, their
 * mean and longest instruction counts, their mean distinct code pages. */
void exit_count_format(const struct guest *g, char *buf, size_t n);

#endif
