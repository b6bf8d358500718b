/*
 * The guest page walk: a guest-virtual (linear) address to a
 * guest-physical one through the guest's own page tables, in every paging
 * mode, with the checks and the #PF error code of the Intel SDM Vol 3A
 * (325384-081) chapter 4.  Pure: the tables are read through a callback,
 * so the host tests build tables in a buffer.
 *
 * Accessed and dirty bits are NOT set (an emulated access leaves them as
 * they were; the guest's next hardware access to the page sets them).
 * SMAP is not checked; SMEP is.
 */
#ifndef PAGODA_EMULATE_GVA_H
#define PAGODA_EMULATE_GVA_H

#include "lib/types.h"

/* The control state that decides the paging mode (SDM Vol 3A 4.1.1). */
struct gva_cpu {
	u64 cr0, cr3, cr4, efer;
	u8 maxphyaddr; /* physical-address width (CPUID 0x80000008 EAX[7:0]); 0 means 52 */
};

/* What an access is (GVA_WRITE and GVA_FETCH exclusive). */
#define GVA_WRITE BIT(0) /* a data write */
#define GVA_USER BIT(1)  /* at CPL 3 */
#define GVA_FETCH BIT(2) /* an instruction fetch */

/* The #PF error code (SDM Vol 3A 4.7, Figure 4-12). */
#define PFEC_P BIT(0)    /* 0: not present; 1: protection violation */
#define PFEC_W BIT(1)    /* the access was a write */
#define PFEC_U BIT(2)    /* the access was in user mode */
#define PFEC_RSVD BIT(3) /* a reserved bit was set in a paging entry */
#define PFEC_I BIT(4)    /* an instruction fetch (with NX or SMEP in use) */

/* Read the 4- or 8-byte paging entry at GPA into *VAL.  0 or negative. */
typedef int (*gva_read_fn)(void *opaque, u64 gpa, unsigned size, u64 *val);

/*
 * Translate GVA for an access ACCESS (GVA_* bits) by a CPU in state CPU,
 * reading the tables through READ(OPAQUE, ...).  Returns 0 with *GPA set;
 * -E_FAULT with *PFEC the #PF error code the CPU would report (CR2 = GVA);
 * -E_RANGE for a non-canonical address in long mode (the CPU gives #GP);
 * or the callback's error when a table could not be read.  With paging off
 * (CR0.PG = 0) *GPA = GVA truncated to 32 bits; outside long mode GVA is
 * truncated to 32 bits first.
 */
int gva_translate(const struct gva_cpu *cpu, u64 gva, unsigned access, gva_read_fn read,
		  void *opaque, u64 *gpa, u32 *pfec);

#endif
