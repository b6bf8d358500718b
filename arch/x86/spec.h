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
/* Non-zero: the world-switch code fills the RSB after every exit
 * (spec.inc's FILL_RSB, in both vmrun.asm). */
extern u8 spec_rsb_fill;
/* What the hooks around each entry have to do (SPEC_WORK_*), set by
 * spec_init: the hooks below are inline tests of it, so an entry with
 * nothing chosen makes no call. */
#define SPEC_WORK_FLUSH 1 /* spec_before_entry: L1D flush or VERW */
#define SPEC_WORK_CTRL  2 /* spec_ctrl_enter/exit: guests have SPEC_CTRL */
extern u8 spec_entry_work;
void spec_before_entry_slow(void);
void spec_ctrl_enter_slow(u64 guest);
void spec_ctrl_exit_slow(u64 guest);
/* Right before VM entry: L1D flush or VERW, when chosen. */
static inline void spec_before_entry(void)
{
	if (spec_entry_work & SPEC_WORK_FLUSH)
		spec_before_entry_slow();
}

/* SPEC_CTRL bits a guest may set in its own copy of the MSR (0: none: the
 * MSR is denied and its CPUID bits hidden); whether it may write IBPB. */
u64 spec_guest_spec_ctrl_bits(void);
bool spec_guest_ibpb(void);
/* Around the world switch: load a vCPU's SPEC_CTRL value GUEST (when it
 * differs from the VMM's) and put the VMM's back.  No-ops without the MSR. */
static inline void spec_ctrl_enter(u64 guest)
{
	if (spec_entry_work & SPEC_WORK_CTRL)
		spec_ctrl_enter_slow(guest);
}
static inline void spec_ctrl_exit(u64 guest)
{
	if (spec_entry_work & SPEC_WORK_CTRL)
		spec_ctrl_exit_slow(guest);
}
/* A guest's IBPB write to IA32_PRED_CMD, done for it. */
void spec_guest_ibpb_now(void);

#endif
