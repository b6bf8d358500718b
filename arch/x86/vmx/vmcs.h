/*
 * VMCS field encodings, control bits, exit reasons and the capability MSRs
 * of Intel VMX.  Everything here is from the Intel SDM Vol 3C:
 *   Appendix B   field encodings (bits 14:13 width, 11:10 type, 9:1 index),
 *   24.6-24.8    execution / exit / entry controls,
 *   Appendix A   the capability MSRs (IA32_VMX_*),
 *   Appendix C   basic exit reasons,
 *   30.4         VM-instruction error numbers.
 * Only what pagoda uses is named.
 */
#ifndef PAGODA_VMCS_H
#define PAGODA_VMCS_H

#include "lib/types.h"

/* --- capability MSRs (SDM Appendix A) ------------------------------------ */
#define MSR_IA32_VMX_BASIC 0x480            /* A.1: revision, region size, true ctls (bit 55) */
#define MSR_IA32_VMX_PINBASED_CTLS 0x481    /* A.3.1 */
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482   /* A.3.2 */
#define MSR_IA32_VMX_EXIT_CTLS 0x483        /* A.4 */
#define MSR_IA32_VMX_ENTRY_CTLS 0x484       /* A.5 */
#define MSR_IA32_VMX_MISC 0x485             /* A.6: preemption timer rate, LMA store */
#define MSR_IA32_VMX_CR0_FIXED0 0x486       /* A.7 */
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488       /* A.8 */
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b  /* A.3.3 */
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c     /* A.10 */
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

#define VMX_BASIC_32BIT_ADDR BIT(48)        /* VMXON/VMCS/bitmaps below 4 GiB only */
#define VMX_BASIC_TRUE_CTLS BIT(55)

#define VMX_MISC_LMA_TO_ENTRY BIT(5)        /* exits store EFER.LMA in "IA-32e mode guest" */

/* IA32_FEATURE_CONTROL (MSR 0x3a, SDM 23.7) */
#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMX_IN_SMX BIT(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10) */
#define EPT_CAP_WALK_4 BIT(6)
#define EPT_CAP_WB BIT(14)
#define EPT_CAP_2M BIT(16)
#define EPT_CAP_1G BIT(17)
#define EPT_CAP_INVEPT BIT(20)
#define EPT_CAP_AD BIT(21)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)
#define VPID_CAP_INVVPID BIT(32)
#define VPID_CAP_INVVPID_SINGLE BIT(41)
#define VPID_CAP_INVVPID_ALL BIT(42)

/* EPTP (SDM 24.6.11) */
#define EPTP_MT_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3)             /* page-walk length minus one */
#define EPTP_AD BIT(6)

/* INVEPT / INVVPID types (SDM 30.3) */
#define INVEPT_SINGLE 1
#define INVEPT_ALL 2
#define INVVPID_SINGLE 1
#define INVVPID_ALL 2

/* --- control bits (SDM 24.6.1-24.6.2, 24.7.1, 24.8.1) --------------------- */
#define PIN_EXTINT_EXITING BIT(0)
#define PIN_NMI_EXITING BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define PIN_PREEMPT_TIMER BIT(6)

#define CPU_USE_TSC_OFFSETTING BIT(3)   /* RDTSC/RDTSCP add the TSC offset (25.3) */
#define CPU_INTR_WINDOW_EXITING BIT(2)  /* exit when the guest can take an interrupt (25.2) */
#define CPU_HLT_EXITING BIT(7)
#define CPU_INVLPG_EXITING BIT(9)
#define CPU_MWAIT_EXITING BIT(10)
#define CPU_RDPMC_EXITING BIT(11)
#define CPU_RDTSC_EXITING BIT(12)
#define CPU_CR3_LOAD_EXITING BIT(15)
#define CPU_CR3_STORE_EXITING BIT(16)
#define CPU_CR8_LOAD_EXITING BIT(19)
#define CPU_CR8_STORE_EXITING BIT(20)
#define CPU_NMI_WINDOW_EXITING BIT(22)   /* exit when virtual-NMI blocking is off (25.2) */
#define CPU_MOV_DR_EXITING BIT(23)
#define CPU_UNCOND_IO_EXITING BIT(24)
#define CPU_USE_IO_BITMAPS BIT(25)
#define CPU_USE_MSR_BITMAPS BIT(28)
#define CPU_MONITOR_EXITING BIT(29)
#define CPU_SECONDARY_CTLS BIT(31)

#define CPU2_ENABLE_EPT BIT(1)
#define CPU2_RDTSCP BIT(3)
#define CPU2_ENABLE_VPID BIT(5)
#define CPU2_UNRESTRICTED_GUEST BIT(7)
#define CPU2_PAUSE_LOOP_EXITING BIT(10)
#define CPU2_INVPCID BIT(12)

#define EXIT_SAVE_DEBUG_CTLS BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE BIT(9)    /* host is in 64-bit mode after exit */
#define EXIT_ACK_INTR_ON_EXIT BIT(15)
#define EXIT_SAVE_EFER BIT(20)
#define EXIT_LOAD_EFER BIT(21)
#define EXIT_SAVE_PREEMPT_TIMER BIT(22)

#define ENTRY_LOAD_DEBUG_CTLS BIT(2)
#define ENTRY_IA32E_MODE_GUEST BIT(9)
#define ENTRY_LOAD_EFER BIT(15)

/* --- VMCS field encodings (SDM Appendix B) --------------------------------- */
/* 16-bit control, guest and host fields (B.1) */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SEL 0x0800              /* ES, CS, SS, DS, FS, GS, LDTR, TR: +2 each */
#define VMCS_GUEST_CS_SEL 0x0802
#define VMCS_GUEST_SS_SEL 0x0804
#define VMCS_GUEST_DS_SEL 0x0806
#define VMCS_GUEST_FS_SEL 0x0808
#define VMCS_GUEST_GS_SEL 0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL 0x080e
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c
/* 64-bit fields (B.2) */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_EPT_POINTER 0x201a
#define VMCS_GUEST_PHYS_ADDR 0x2400          /* read-only: GPA of an EPT violation/misconfig */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a /* PDPTE1..3 follow at +2 each (64-bit fields) */
#define VMCS_HOST_EFER 0x2c02
/* 32-bit fields (B.3) */
#define VMCS_PIN_CTLS 0x4000
#define VMCS_CPU_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERR_MASK 0x4006
#define VMCS_PF_ERR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXC_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PLE_GAP 0x4020
#define VMCS_PLE_WINDOW 0x4022
#define VMCS_CPU_CTLS2 0x401e
#define VMCS_INSN_ERROR 0x4400                /* read-only data fields (B.3.2) */
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_ES_LIMIT 0x4800            /* ES..TR limits: +2 each, then GDTR, IDTR */
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814               /* ES..TR access rights: +2 each */
#define VMCS_GUEST_CS_AR 0x4816
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPT_TIMER 0x482e
#define VMCS_HOST_SYSENTER_CS 0x4c00
/* natural-width fields (B.4) */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUAL 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806             /* ES..TR bases: +2 each, then GDTR, IDTR */
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14                  /* written by vmx_enter (vmrun.asm) */
#define VMCS_HOST_RIP 0x6c16

/* Guest interruptibility state (SDM 24.4.2, Table 24-3) */
#define INTR_STATE_STI BIT(0)
#define INTR_STATE_MOV_SS BIT(1)
#define INTR_STATE_NMI BIT(3)                 /* blocking by NMI (virtual-NMI blocking) */

/* Segment register index for the ES..TR runs of fields above. */
enum vmx_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* Guest segment access rights (SDM 24.4.1, Table 24-2) */
#define AR_TYPE(t) (t)
#define AR_S BIT(4)                 /* code/data (not system) */
#define AR_P BIT(7)
#define AR_L BIT(13)
#define AR_DB BIT(14)
#define AR_G BIT(15)
#define AR_UNUSABLE BIT(16)

/* Interruption-information fields (SDM 24.8.3, 24.9.2) */
#define INTR_INFO_VALID BIT(31)
#define INTR_INFO_ERR_VALID BIT(11)
#define INTR_TYPE_EXT_INTR (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXC (3u << 8)
#define INTR_TYPE_SW_INT (4u << 8)
#define INTR_TYPE_PRIV_SW_EXC (5u << 8)
#define INTR_TYPE_SW_EXC (6u << 8)
#define INTR_TYPE_MASK (7u << 8)

/* --- basic exit reasons (SDM Appendix C) ------------------------------------ */
#define EXIT_REASON_EXCEPTION_NMI 0
#define EXIT_REASON_EXT_INTR 1
#define EXIT_REASON_TRIPLE_FAULT 2
#define EXIT_REASON_INTR_WINDOW 7
#define EXIT_REASON_NMI_WINDOW 8
#define EXIT_REASON_CPUID 10
#define EXIT_REASON_GETSEC 11
#define EXIT_REASON_HLT 12
#define EXIT_REASON_INVD 13
#define EXIT_REASON_VMCALL 18
#define EXIT_REASON_VMCLEAR 19
#define EXIT_REASON_VMLAUNCH 20
#define EXIT_REASON_VMPTRLD 21
#define EXIT_REASON_VMPTRST 22
#define EXIT_REASON_VMREAD 23
#define EXIT_REASON_VMRESUME 24
#define EXIT_REASON_VMWRITE 25
#define EXIT_REASON_VMXOFF 26
#define EXIT_REASON_VMXON 27
#define EXIT_REASON_RDPMC 15
#define EXIT_REASON_CR_ACCESS 28
#define EXIT_REASON_IO 30
#define EXIT_REASON_RDMSR 31
#define EXIT_REASON_WRMSR 32
#define EXIT_REASON_INVALID_STATE 33
#define EXIT_REASON_MSR_LOADING 34
#define EXIT_REASON_MWAIT 36
#define EXIT_REASON_MONITOR 39
#define EXIT_REASON_PAUSE 40
#define EXIT_REASON_MACHINE_CHECK 41
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_EPT_MISCONFIG 49
#define EXIT_REASON_INVEPT 50
#define EXIT_REASON_PREEMPT_TIMER 52
#define EXIT_REASON_INVVPID 53
#define EXIT_REASON_XSETBV 55
#define EXIT_REASON_VMFUNC 59
#define EXIT_REASON_ENTRY_FAIL BIT(31)        /* in the full exit-reason field */

/* I/O exit qualification (SDM 27.2.1, Table 27-5) */
#define IO_QUAL_SIZE(q) (((q) & 7) + 1)
#define IO_QUAL_IN BIT(3)
#define IO_QUAL_STRING BIT(4)
#define IO_QUAL_REP BIT(5)
#define IO_QUAL_PORT(q) (((q) >> 16) & 0xffff)

/* EPT violation exit qualification (SDM 27.2.1, Table 27-7) */
#define EPT_QUAL_READ BIT(0)
#define EPT_QUAL_WRITE BIT(1)
#define EPT_QUAL_FETCH BIT(2)
#define EPT_QUAL_PERMS (BIT(3) | BIT(4) | BIT(5)) /* the entry allowed R/W/X: it was present */
#define EPT_QUAL_NMI_UNBLOCK BIT(12)          /* NMI unblocking due to IRET (27.2.3) */

/* Control-register access exit qualification (SDM 27.2.1, Table 27-3) */
#define CR_QUAL_CR(q) ((q) & 0xf)
#define CR_QUAL_TYPE(q) (((q) >> 4) & 3)    /* 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
#define CR_QUAL_GPR(q) (((q) >> 8) & 0xf)

#endif
