/*
 * guest/lib/hypercall.h -- pagoda's hypercalls (vmm/hypercall.c): VMMCALL
 * on AMD, VMCALL on Intel, chosen from the CPUID vendor; number in RAX,
 * arguments in RDI, RSI, RDX, result in RAX.  CPL 0 only.  Without a
 * hypervisor both instructions raise #UD, which hypercall_safe() reports.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "lib/types.h"

/* The numbers and the version, as vmm/policy.h defines them. */
#define HC_VERSION 0       /* () -> PAGODA_VERSION */
#define HC_CONSOLE_WRITE 1 /* (gpa, len) -> len, or -14 (bad address), -34 (len > 4096) */
#define HC_EXIT 2          /* (status) -> does not return */
#define HC_VCPU_START 3    /* (vcpu id, 32-bit entry, EBX value) -> 0 or -errno */
#define HC_ENOSYS (-38)    /* what an unknown number returns */
#define PAGODA_VERSION 0x00010000

/* Pick VMMCALL ("AuthenticAMD", "HygonGenuine") or VMCALL (all others).
 * Called once by guest_start(). */
void hypercall_init(void);
/* "vmmcall" or "vmcall": the instruction hypercall_safe() uses. */
const char *hypercall_insn(void);
/* True on AMD and Hygon CPUs (SVM, VMMCALL), false on the others (VMX,
 * VMCALL), as hypercall_init() found. */
bool cpu_is_svm_vendor(void);
/* Hypercall NR(A0, A1, A2): returns NO_EXCEPTION (exception.h) with the
 * result in *RET, or the vector the instruction raised (#UD: no
 * hypervisor). */
int hypercall_safe(u64 nr, u64 a0, u64 a1, u64 a2, s64 *ret);

#endif
