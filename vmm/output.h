/*
 * Guest output to the log: bytes a guest writes to its console (UART or
 * the console-write hypercall) are gathered per vCPU into lines and
 * written as one log line each, prefixed with the guest's name ("guest
 * demo: hello", or "guest demo/2: ..." for vCPU 2), so that vCPUs
 * preempted mid-line never mix their bytes.  Non-printing bytes become '.'.
 */
#ifndef PAGODA_OUTPUT_H
#define PAGODA_OUTPUT_H

#include "lib/types.h"

struct vcpu;
struct guest;

/* N bytes written by V to its console. */
void guest_output(struct vcpu *v, const char *s, size_t n);
/* Emit the partial lines left in G's vCPUs (at guest end). */
void guest_output_flush(struct guest *g);

#endif
