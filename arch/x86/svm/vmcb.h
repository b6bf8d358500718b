/*
 * The VMCB (AMD APM Vol 2, Appendix B "Layout of VMCB"): a 4 KiB page, the
 * control area at 0x000 and the state-save area at 0x400.  Only the fields
 * pagoda uses are named; the offsets are checked at compile time against
 * Table B-1 and B-2 of the APM.
 */
#ifndef PAGODA_VMCB_H
#define PAGODA_VMCB_H

#include "lib/types.h"

struct vmcb_seg {
	u16 selector;
	u16 attrib; /* descriptor bits 40..47 in attrib[7:0], bits 52..55 in attrib[11:8] */
	u32 limit;
	u64 base;
} __packed;

struct vmcb_control {
	u32 intercept_cr;      /* 0x000: CR0-15 reads [15:0], writes [31:16] */
	u32 intercept_dr;      /* 0x004: DR0-15 reads [15:0], writes [31:16] */
	u32 intercept_exc;     /* 0x008: exception vectors 0-31 */
	u32 intercept_misc1;   /* 0x00c: INTR .. SHUTDOWN (SVM_INTERCEPT_*) */
	u32 intercept_misc2;   /* 0x010: VMRUN .. (SVM_INTERCEPT2_*) */
	u32 intercept_misc3;   /* 0x014: INVLPGB etc. */
	u8 reserved1[0x3c - 0x18];
	u16 pause_filter_thresh; /* 0x03c */
	u16 pause_filter_count;  /* 0x03e */
	u64 iopm_base_pa;      /* 0x040: I/O permission map, 12 KiB, 4K aligned */
	u64 msrpm_base_pa;     /* 0x048: MSR permission map, 8 KiB, 4K aligned */
	u64 tsc_offset;        /* 0x050 */
	u32 asid;              /* 0x058: guest ASID, never 0 */
	u8 tlb_control;        /* 0x05c: 0 nothing, 1 flush all, 3 flush this ASID */
	u8 reserved2[3];
	u64 int_ctl;           /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING
	                          (SVM_INT_CTL_*); V_INTR_VECTOR in bits 39:32 */
	u64 int_shadow;        /* 0x068: guest in an interrupt shadow (bit 0) */
	u64 exit_code;         /* 0x070 */
	u64 exit_info1;        /* 0x078 */
	u64 exit_info2;        /* 0x080 */
	u64 exit_int_info;     /* 0x088: event being delivered when the exit hit */
	u64 np_enable;         /* 0x090: bit 0 nested paging */
	u8 reserved3[0xa8 - 0x98];
	u64 event_inj;         /* 0x0a8: event to inject at VMRUN */
	u64 n_cr3;             /* 0x0b0: nested page table root */
	u64 lbr_virt;          /* 0x0b8 */
	u32 clean_bits;        /* 0x0c0: VMCB clean bits (0 = reload all) */
	u32 reserved4;
	u64 next_rip;          /* 0x0c8: NRIP save (not emulated by QEMU TCG) */
	u8 insn_len;           /* 0x0d0: decode assists */
	u8 insn_bytes[15];
	u8 reserved5[0x400 - 0xe0];
} __packed;

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x450 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x490 */
	u8 reserved1[0x4cb - 0x4a0];
	u8 cpl;                /* 0x4cb */
	u32 reserved2;
	u64 efer;              /* 0x4d0 */
	u8 reserved3[0x548 - 0x4d8];
	u64 cr4;               /* 0x548 */
	u64 cr3;               /* 0x550 */
	u64 cr0;               /* 0x558 */
	u64 dr7;               /* 0x560 */
	u64 dr6;               /* 0x568 */
	u64 rflags;            /* 0x570 */
	u64 rip;               /* 0x578 */
	u8 reserved4[0x5d8 - 0x580];
	u64 rsp;               /* 0x5d8 */
	u8 reserved5[0x5f8 - 0x5e0];
	u64 rax;               /* 0x5f8 */
	u64 star;              /* 0x600 */
	u64 lstar;             /* 0x608 */
	u64 cstar;             /* 0x610 */
	u64 sfmask;            /* 0x618 */
	u64 kernel_gs_base;    /* 0x620 */
	u64 sysenter_cs;       /* 0x628 */
	u64 sysenter_esp;      /* 0x630 */
	u64 sysenter_eip;      /* 0x638 */
	u64 cr2;               /* 0x640 */
	u8 reserved6[0x668 - 0x648];
	u64 g_pat;             /* 0x668 */
	u8 reserved7[0x1000 - 0x670];
} __packed;

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
} __packed;

_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(offsetof(struct vmcb, ctl.iopm_base_pa) == 0x040, "IOPM_BASE_PA");
_Static_assert(offsetof(struct vmcb, ctl.asid) == 0x058, "ASID");
_Static_assert(offsetof(struct vmcb, ctl.int_ctl) == 0x060, "V_INTR");
_Static_assert(offsetof(struct vmcb, ctl.int_shadow) == 0x068, "INTERRUPT_SHADOW");
_Static_assert(offsetof(struct vmcb, ctl.exit_int_info) == 0x088, "EXITINTINFO");
_Static_assert(offsetof(struct vmcb, ctl.exit_code) == 0x070, "EXITCODE");
_Static_assert(offsetof(struct vmcb, ctl.np_enable) == 0x090, "NP_ENABLE");
_Static_assert(offsetof(struct vmcb, ctl.event_inj) == 0x0a8, "EVENTINJ");
_Static_assert(offsetof(struct vmcb, ctl.n_cr3) == 0x0b0, "N_CR3");
_Static_assert(offsetof(struct vmcb, ctl.next_rip) == 0x0c8, "nRIP");
_Static_assert(offsetof(struct vmcb, save.gdtr) == 0x460, "GDTR");
_Static_assert(offsetof(struct vmcb, save.idtr) == 0x480, "IDTR");
_Static_assert(offsetof(struct vmcb, save.tr) == 0x490, "TR");
_Static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb, "CPL");
_Static_assert(offsetof(struct vmcb, save.efer) == 0x4d0, "EFER");
_Static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "CR4");
_Static_assert(offsetof(struct vmcb, save.rip) == 0x578, "RIP");
_Static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8, "RSP");
_Static_assert(offsetof(struct vmcb, save.rax) == 0x5f8, "RAX");
_Static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "CR2");
_Static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "G_PAT");

/* intercept_misc1 (APM Vol 2 B-1, offset 0x00c) */
#define SVM_INTERCEPT_INTR BIT(0)
#define SVM_INTERCEPT_NMI BIT(1)
#define SVM_INTERCEPT_SMI BIT(2)
#define SVM_INTERCEPT_INIT BIT(3)
#define SVM_INTERCEPT_VINTR BIT(4)   /* a virtual interrupt (V_IRQ) is about to be taken */
#define SVM_INTERCEPT_RDPMC BIT(15)
#define SVM_INTERCEPT_CPUID BIT(18)
#define SVM_INTERCEPT_IRET BIT(20)
#define SVM_INTERCEPT_INVD BIT(22)
#define SVM_INTERCEPT_PAUSE BIT(23)
#define SVM_INTERCEPT_HLT BIT(24)
#define SVM_INTERCEPT_INVLPGA BIT(26)
#define SVM_INTERCEPT_IOIO_PROT BIT(27)
#define SVM_INTERCEPT_MSR_PROT BIT(28)
#define SVM_INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 (offset 0x010) */
#define SVM_INTERCEPT2_VMRUN BIT(0)
#define SVM_INTERCEPT2_VMMCALL BIT(1)
#define SVM_INTERCEPT2_VMLOAD BIT(2)
#define SVM_INTERCEPT2_VMSAVE BIT(3)
#define SVM_INTERCEPT2_STGI BIT(4)
#define SVM_INTERCEPT2_CLGI BIT(5)
#define SVM_INTERCEPT2_SKINIT BIT(6)
#define SVM_INTERCEPT2_MONITOR BIT(10)
#define SVM_INTERCEPT2_MWAIT BIT(11)
#define SVM_INTERCEPT2_MWAIT_COND BIT(12)
#define SVM_INTERCEPT2_XSETBV BIT(13)
/* intercept_cr (offset 0x000): writes of CRn are bit 16 + n */
#define SVM_INTERCEPT_CR_WRITE(n) BIT(16 + (n))
/* intercept_exc (offset 0x008): vector n is bit n */
#define SVM_INTERCEPT_EXC(n) BIT(n)

/* EXITCODE values (APM Vol 2 Appendix C) */
#define SVM_EXIT_WRITE_CR4 0x014
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_RDPMC 0x06f
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_PAUSE 0x077
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_MWAIT_COND 0x08c
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID ((u64)-1)

/* int_ctl (APM Vol 2 15.21.4 "Injecting Virtual (INTR) Interrupts", B-1 offset 0x060) */
#define SVM_INT_CTL_V_IRQ BIT(8)                  /* a virtual interrupt is pending */
#define SVM_INT_CTL_V_INTR_PRIO(p) ((u64)(p) << 16) /* its priority, bits 19:16 */
#define SVM_INT_CTL_V_INTR_PRIO_MASK (0xfULL << 16)
#define SVM_INT_CTL_V_IGN_TPR BIT(20)             /* ... taken whatever V_TPR says */
#define SVM_INT_CTL_V_INTR_MASKING BIT(24)        /* guest IF masks only virtual interrupts */

/* MOV-to-CR EXITINFO1 with decode assists (15.8.1): bit 63 says the
 * instruction was a MOV CRn, bits 3:0 name its GPR. */
#define SVM_CR_INFO_MOV BIT(63)
#define SVM_CR_INFO_GPR(i) ((unsigned)(i) & 15)

/* int_shadow (15.21.5 "Interrupt Shadows", offset 0x068) */
#define SVM_INT_SHADOW BIT(0)

/* EVENTINJ and EXITINTINFO, one format (APM Vol 2 15.20, 15.7.2): vector
 * [7:0], type [10:8], EV [11], V [31], error code [63:32] */
#define SVM_EVTINJ_VALID BIT(31)
#define SVM_EVTINJ_ERR_VALID BIT(11)
#define SVM_EVTINJ_TYPE_INTR (0ULL << 8)
#define SVM_EVTINJ_TYPE_NMI (2ULL << 8)
#define SVM_EVTINJ_TYPE_EXCEPTION (3ULL << 8)
#define SVM_EVTINJ_TYPE_SOFT (4ULL << 8)          /* INTn */
#define SVM_EVTINJ_TYPE_MASK (7ULL << 8)

/* IOIO EXITINFO1 (APM Vol 2 15.10.2) */
#define SVM_IOIO_IN BIT(0)
#define SVM_IOIO_STR BIT(2)
#define SVM_IOIO_REP BIT(3)
#define SVM_IOIO_SZ8 BIT(4)
#define SVM_IOIO_SZ16 BIT(5)
#define SVM_IOIO_SZ32 BIT(6)

/* NPF EXITINFO1: a #PF-style error code (APM Vol 2 15.25.6) */
#define SVM_NPF_P BIT(0)
#define SVM_NPF_W BIT(1)
#define SVM_NPF_U BIT(2)
#define SVM_NPF_RSVD BIT(3)
#define SVM_NPF_FETCH BIT(4)
#define SVM_NPF_FINAL BIT(32)
#define SVM_NPF_WALK BIT(33)

#endif
