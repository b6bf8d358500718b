/* What a guest sees of the CPU: CPUID filtering, MSR policy, hypercalls. */
#ifndef PAGODA_POLICY_H
#define PAGODA_POLICY_H

#include "vmm/vm.h"

#define PAGODA_VERSION 0x00010000 /* 1.0, as HC_VERSION and CPUID 0x40000001 report */

/* Hypercall numbers (RAX); arguments in RDI, RSI, RDX; result in RAX. */
#define HC_VERSION 0       /* -> PAGODA_VERSION */
#define HC_CONSOLE_WRITE 1 /* (gpa, len) -> len written, or -E_FAULT */
#define HC_EXIT 2          /* (status) -> does not return */
#define HC_VCPU_START 3    /* (vcpu id, 32-bit entry, arg) -> 0 or -E_INVAL/-E_BUSY: the vCPU
			      starts in 32-bit protected mode, paging off, EAX = id, EBX = arg */
#define HC_MAX_WRITE 4096

/* Fill the CPUID result the guest sees for LEAF/SUBLEAF. */
void cpuid_guest(u32 leaf, u32 subleaf, u32 out[4]);
/* The guest's physical-address width (CPUID 0x80000008 EAX[7:0]; 36 when
 * the leaf is missing), read once. */
unsigned cpuid_guest_maxphyaddr(void);
/* RDMSR / WRMSR by the guest: true when allowed (value in *VAL), false -> #GP. */
bool msr_guest_read(struct vcpu *v, u32 msr, u64 *val);
bool msr_guest_write(struct vcpu *v, u32 msr, u64 val);
/* Handle the hypercall in V's registers; false when the guest ended. */
bool hypercall_handle(struct vcpu *v);

#endif
