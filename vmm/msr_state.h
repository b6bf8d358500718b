/*
 * The MSRs vmm/msr.c keeps for a vCPU itself because neither the VMCB nor
 * the VMCS has a home for them: the MTRRs (Intel SDM Vol 3A 11.11, AMD APM
 * Vol 2 7.7) and IA32_MISC_ENABLE.  One per vCPU (struct vcpu's msrs),
 * zero at vcpu_init: every field is stored XOR its reset value, so zero
 * reads as the state pagoda's "firmware" leaves (MTRRs enabled, default
 * type write-back, nothing else set).
 */
#ifndef PAGODA_MSR_STATE_H
#define PAGODA_MSR_STATE_H

#include "lib/types.h"

#define MTRR_NR_VAR 8    /* variable ranges (MTRRcap VCNT) */
#define MTRR_NR_FIXED 11 /* fixed-range MSRs: 0x250, 0x258, 0x259, 0x268-0x26f */

struct vcpu_msrs {
	u64 mtrr_def_xor;            /* IA32_MTRR_DEF_TYPE XOR MTRR_DEF_RESET */
	u64 mtrr_fixed[MTRR_NR_FIXED]; /* fixed-range MTRRs in the order above (reset 0) */
	u64 mtrr_var[2 * MTRR_NR_VAR]; /* PHYSBASEn, PHYSMASKn pairs (reset 0: all invalid) */
	u64 misc_enable_xor;         /* IA32_MISC_ENABLE XOR MISC_ENABLE_RESET */
};

#endif
