/*
 * Speculative-execution defences at the world switch: which ones this CPU
 * needs, decided from what CPUID and IA32_ARCH_CAPABILITIES report.  Pure
 * (no CPU access): arch/x86/spec.c reads the CPU and applies the choice;
 * tests/host/t_spec.c checks the decisions on Linux.
 */
#ifndef PAGODA_SPEC_CHOICE_H
#define PAGODA_SPEC_CHOICE_H

#include "lib/types.h"

/* IA32_ARCH_CAPABILITIES (MSR 0x10a) bits used (Intel SDM Vol 4 2-2). */
#define ARCH_CAP_RDCL_NO BIT(0)            /* not affected by Meltdown / L1TF */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY BIT(3) /* no L1D flush needed at VM entry */
#define ARCH_CAP_MDS_NO BIT(5)             /* not affected by MDS */
#define ARCH_CAP_TAA_NO BIT(8)             /* not affected by TSX async abort */

/* What the CPU reports. */
struct spec_cpu {
	bool intel, amd;      /* CPUID vendor */
	bool ibpb;            /* IA32_PRED_CMD.IBPB: CPUID 7.0:EDX[26] (Intel) or
	                         0x80000008:EBX[12] (AMD) */
	bool l1d_flush;       /* IA32_FLUSH_CMD.L1D_FLUSH: CPUID 7.0:EDX[28] */
	bool md_clear;        /* VERW clears CPU buffers: CPUID 7.0:EDX[10] */
	bool has_arch_caps;   /* IA32_ARCH_CAPABILITIES exists: CPUID 7.0:EDX[29] */
	u64 spec_ctrl_bits;   /* IA32_SPEC_CTRL bits the CPU has: IBRS (0), STIBP (1),
	                         SSBD (2), from CPUID 7.0:EDX[26,27,31] (Intel) or
	                         0x80000008:EBX[14,15,24] (AMD); 0: no such MSR */
	u64 arch_caps;        /* its value (0 when it does not exist) */
};

/* What to do at the world switch. */
enum spec_l1d { SPEC_L1D_NOT_AFFECTED, SPEC_L1D_FLUSH, SPEC_L1D_VULNERABLE };
enum spec_mds { SPEC_MDS_NOT_AFFECTED, SPEC_MDS_VERW, SPEC_MDS_BY_L1D_FLUSH,
		SPEC_MDS_VULNERABLE };

struct spec_choice {
	bool ibpb_on_guest_switch; /* IBPB when a CPU runs another guest than before
	                              (Spectre v2 between guests) */
	bool rsb_fill_on_exit;     /* overwrite the return stack buffer after every
	                              exit (guest-planted return predictions) */
	enum spec_l1d l1d;         /* L1TF: flush L1D before VM entry */
	enum spec_mds mds;         /* MDS/TAA: VERW before VM entry */
	u64 guest_spec_ctrl;       /* SPEC_CTRL bits a guest may set in its own copy of
	                              the MSR, switched at entry and exit (0: the MSR and
	                              its CPUID bits are hidden from guests) */
	bool guest_ibpb;           /* guests may write IBPB to IA32_PRED_CMD */
};

#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)

/* Decide from IN.  Every field of OUT is set. */
void spec_choose(const struct spec_cpu *in, struct spec_choice *out);

/* "mitigations: ..." for the boot log, into BUF of SIZE bytes (always
 * NUL-terminated).  Returns BUF. */
char *spec_describe(const struct spec_choice *c, char *buf, size_t size);

#endif
