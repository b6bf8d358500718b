/*
 * A guest's local APIC (vmm/dev/lapic.c): one per vCPU, embedded in the
 * vCPU by the core.  A pure model: it holds the registers of Intel SDM Vol
 * 3A chapter 11, is driven by register accesses (xAPIC MMIO or x2APIC
 * MSRs), by messages the router hands it (vlapic_deliver) and by the time
 * the caller passes in (now_ns, the VMM clock of lib/time.h); it reaches
 * the rest of the machine only through struct vlapic_ops.
 *
 * The timer counts a fixed 1 GHz input clock: one count per nanosecond
 * before the divider of the divide configuration register.
 *
 * Prefix vlapic_: the host's own local APIC driver is arch/x86/lapic.c.
 */
#ifndef PAGODA_DEV_VLAPIC_H
#define PAGODA_DEV_VLAPIC_H

#include "lib/types.h"
#include "vmm/dev/apic_msg.h"

/* IA32_APIC_BASE (MSR 0x1b) bits, SDM 11.4.4 figure 11-5 and 11.12.1. */
#define VLAPIC_BASE_BSP BIT(8)     /* this is the bootstrap processor (read-only) */
#define VLAPIC_BASE_EXTD BIT(10)   /* x2APIC mode */
#define VLAPIC_BASE_EN BIT(11)     /* APIC globally enabled */
#define VLAPIC_DEFAULT_BASE 0xfee00000ULL /* the base after reset */
#define VLAPIC_DEFAULT_PHYS_BITS 36       /* MAXPHYADDR until vlapic_set_phys_bits */

/* The timer's input clock before the divider, counts per second. */
#define VLAPIC_TIMER_HZ 1000000000ULL

/* The first and last x2APIC MSR (SDM 11.12.1.2, table 11-6). */
#define VLAPIC_X2APIC_MSR_FIRST 0x800
#define VLAPIC_X2APIC_MSR_LAST 0x8ff

/* Indexes into struct vlapic's lvt[]: the local vector table entries in
 * the order of their xAPIC offsets 0x320..0x370 (SDM 11.5.1, figure 11-8). */
enum vlapic_lvt {
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_NR_LVT
};

/* What the model asks of the machine around it. */
struct vlapic_ops {
	/* A message from an ICR write (any shorthand, self included): the
	 * router delivers it to every local APIC it targets. */
	void (*send)(void *ctx, const struct apic_msg *m);
	/* The guest ended a level-triggered interrupt (its TMR bit was set):
	 * the I/O APIC clears the remote IRR of entries with VECTOR. */
	void (*eoi)(void *ctx, u8 vector);
};

struct vlapic {
	const struct vlapic_ops *ops; /* callbacks, may be NULL or have NULL members */
	void *ctx;                    /* their first argument */
	u64 base;                     /* IA32_APIC_BASE: address | EN | EXTD | BSP */
	u32 apic_id;                  /* initial APIC ID: x2APIC ID, xAPIC ID = low 8 bits */
	u8 phys_bits;                 /* the guest's MAXPHYADDR: base bits from it up are reserved */
	u32 tpr;                      /* task priority, bits 7:0 (SDM 11.8.3) */
	u32 ldr;                      /* logical destination (xAPIC: bits 31:24) */
	u32 dfr;                      /* destination format, model in bits 31:28 */
	u32 svr;                      /* spurious vector register: vector, enable bit 8, focus bit 9 */
	u32 esr;                      /* error status as last latched by an ESR write (what reads see) */
	u32 esr_pending;              /* errors seen since the last ESR write (SDM 11.5.3) */
	u32 lvt[VLAPIC_NR_LVT];       /* local vector table, indexed by enum vlapic_lvt */
	u32 icr_lo, icr_hi;           /* interrupt command register as last written */
	u32 timer_initial;            /* timer initial count */
	u32 timer_dcr;                /* divide configuration, bits 0, 1, 3 */
	u32 irr[8], isr[8], tmr[8];   /* 256-bit request, in-service, trigger-mode sets */
	bool timer_armed;             /* the timer counts towards timer_next_ns */
	u64 timer_start_ns;           /* when the current count last equalled the initial count */
	u64 timer_next_ns;            /* absolute time of the next expiry (when armed) */
	u64 tsc_deadline;             /* IA32_TSC_DEADLINE as the guest wrote it; 0 disarmed */
	bool nmi_pending;             /* an NMI was accepted and not yet taken */
	bool init_pending;            /* an INIT was accepted and not yet taken */
	int sipi_vector;              /* vector of an accepted start-up IPI, or -1 */
};

/* Power-on reset (SDM 11.4.7.1): APIC_BASE = 0xfee00000 | EN (| BSP),
 * xAPIC mode, software-disabled (SVR 0xff), every LVT masked. */
void vlapic_init(struct vlapic *l, u32 apic_id, bool bsp, const struct vlapic_ops *ops,
		 void *ctx);
/* An INIT was delivered and taken: the INIT reset of SDM 11.4.7.3 (the
 * power-on state except APIC ID and IA32_APIC_BASE, x2APIC mode kept). */
void vlapic_init_signal(struct vlapic *l);
/* What a BIOS does for the MP specification's virtual wire mode: software
 * enable (SVR 0x1ff), LINT0 ExtINT unmasked, LINT1 NMI.  For guests booted
 * without firmware that expect the 8259's interrupts to reach the CPU. */
void vlapic_virtual_wire(struct vlapic *l);

/* IA32_APIC_BASE.  Setting it: 0, or -E_INVAL for reserved bits (7:0,
 * 9, MAXPHYADDR and up) or a transition the state diagram of SDM 11.12.5
 * forbids (the caller injects #GP).  BSP is kept as it is.  The base may
 * move to any page: the caller routes the xAPIC page by vlapic_get_base. */
u64 vlapic_get_base(const struct vlapic *l);
int vlapic_set_base(struct vlapic *l, u64 val);
bool vlapic_hw_enabled(const struct vlapic *l);
bool vlapic_sw_enabled(const struct vlapic *l);
bool vlapic_x2apic_mode(const struct vlapic *l);
/* The guest's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]), for the reserved
 * bits of IA32_APIC_BASE; VLAPIC_DEFAULT_PHYS_BITS until called. */
void vlapic_set_phys_bits(struct vlapic *l, u8 bits);

/* A guest access to the xAPIC page at OFFSET (0..0xfff), SIZE bytes (1,
 * 2 or 4; else -E_INVAL).  0.  While the APIC is hardware-disabled or in
 * x2APIC mode the page is not there: reads see all ones, writes vanish. */
int vlapic_mmio(struct vlapic *l, u64 now_ns, u32 offset, u8 size, bool write, u32 *val);
/* RDMSR / WRMSR of an x2APIC MSR (0x800..0x8ff).  0, or -E_INVAL: the
 * caller injects #GP. */
int vlapic_msr_read(struct vlapic *l, u64 now_ns, u32 msr, u64 *val);
int vlapic_msr_write(struct vlapic *l, u64 now_ns, u32 msr, u64 val);

/* Whether message M targets L; SRC is the sending local APIC (for the
 * shorthands), NULL for a message from an I/O APIC. */
bool vlapic_match_dest(const struct vlapic *l, const struct apic_msg *m,
		       const struct vlapic *src);
/* Accept M, which targets L. */
void vlapic_deliver(struct vlapic *l, const struct apic_msg *m);
/* The processor priority (SDM 11.8.3.1), also the arbitration priority a
 * router may use to pick the target of a lowest-priority message. */
u8 vlapic_ppr(const struct vlapic *l);

/* The vector the vCPU should take now, or -1. */
int vlapic_pending_vector(const struct vlapic *l);
/* The vCPU takes VECTOR (the INTA cycle): IRR -> ISR. */
void vlapic_accept_vector(struct vlapic *l, u8 vector);
/* Consume a pending NMI / INIT (true if there was one) / SIPI (its vector
 * or -1). */
bool vlapic_take_nmi(struct vlapic *l);
bool vlapic_take_init(struct vlapic *l);
int vlapic_take_sipi(struct vlapic *l);
/* An edge on local interrupt pin LINT0 (PIN 0) or LINT1 (1): delivered as
 * its LVT entry says (fixed, NMI, INIT) unless masked; ExtINT is left to
 * the 8259 path (vlapic_accepts_pic_intr). */
void vlapic_lint_edge(struct vlapic *l, unsigned pin);
/* Whether the 8259's INTR reaches the CPU through this APIC. */
bool vlapic_accepts_pic_intr(const struct vlapic *l);

/* CR8, the TPR's priority class (SDM 11.8.6.1). */
/* CR8[3:0] is TPR[7:4]; writing CR8 zeroes TPR[3:0] (11.8.6.1). */
static inline u8 vlapic_get_cr8(const struct vlapic *l) { return (u8)((l->tpr >> 4) & 0xf); }
static inline void vlapic_set_cr8(struct vlapic *l, u8 cr8) { l->tpr = (u32)(cr8 & 0xf) << 4; }

/* Fire the timer if it is due by NOW_NS. */
void vlapic_timer_update(struct vlapic *l, u64 now_ns);
/* Absolute time of the next expiry that would raise an interrupt, or 0.
 * Inline: the scheduler asks at every exit. */
#define VLAPIC_LVT_MASKED BIT(16) /* the mask bit of every LVT entry */
static inline u64 vlapic_timer_deadline(const struct vlapic *l)
{
	if (!l->timer_armed || (l->lvt[VLAPIC_LVT_TIMER] & VLAPIC_LVT_MASKED))
		return 0;
	return l->timer_next_ns ? l->timer_next_ns : 1;
}
/* IA32_TSC_DEADLINE: TSC_VALUE as the guest wrote it, DEADLINE_NS the
 * same moment on the VMM clock.  Ignored unless the LVT timer is in
 * TSC-deadline mode; 0 disarms.  Reads 0 once fired or in other modes. */
void vlapic_write_tsc_deadline(struct vlapic *l, u64 tsc_value, u64 deadline_ns);
u64 vlapic_read_tsc_deadline(const struct vlapic *l);

#endif
