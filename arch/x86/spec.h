/*
 * Speculative-execution defences at the world switch (arch/x86/spec.c),
 * chosen once at boot by spec_choice.c from CPUID and
 * IA32_ARCH_CAPABILITIES and logged ("mitigations: ...").
 */
#ifndef PAGODA_SPEC_H
#define PAGODA_SPEC_H

#include "lib/types.h"

/* Read the CPU, choose, log.  Called once on the boot CPU. */
void spec_init(void);
/* This CPU is about to run a vCPU of another guest than the last one it
 * ran: IBPB, when chosen. */
void spec_guest_switch(void);
/* Right before VM entry: L1D flush or VERW, when chosen. */
void spec_before_entry(void);
/* Non-zero: the world-switch code fills the RSB after every exit
 * (spec.inc's FILL_RSB, in both vmrun.asm). */
extern u8 spec_rsb_fill;

#endif
