/*
 * The local APIC model (Intel SDM Vol 3A chapter 11), one per vCPU.  Both
 * register interfaces reach the same state: the xAPIC page (11.4.1, table
 * 11-1: 32-bit registers at 16-byte aligned offsets) and the x2APIC MSRs
 * (11.12.1.2, table 11-6: MSR 0x800 + offset / 16).  The model reports
 * the version 0x50014 of a modern xAPIC: version 0x14, six LVT entries
 * (max LVT entry 5: no CMCI), no EOI-broadcast suppression.
 *
 * Choices where the manual leaves room:
 *  - the xAPIC ID register is read-only (11.4.6 makes writability model
 *    specific);
 *  - a software-disabled APIC drops fixed and lowest-priority messages but
 *    accepts NMI, INIT and SIPI (11.4.7.2); IRR bits it already holds are
 *    still delivered;
 *  - a hardware-disabled APIC (IA32_APIC_BASE.EN = 0) matches no message
 *    and delivers nothing; disabling it resets its registers (11.4.3);
 *    its page, like the page in x2APIC mode (11.12.1), reads all ones;
 *  - the x2APIC SELF IPI register sets the IRR directly; the ICR's self
 *    shorthand goes through ops->send like every other ICR write.
 */
#include "vmm/dev/lapic.h"
#include "lib/string.h"

/* xAPIC register offsets (SDM table 11-1). */
#define REG_ID 0x020
#define REG_VER 0x030
#define REG_TPR 0x080
#define REG_APR 0x090
#define REG_PPR 0x0a0
#define REG_EOI 0x0b0
#define REG_RRD 0x0c0
#define REG_LDR 0x0d0
#define REG_DFR 0x0e0
#define REG_SVR 0x0f0
#define REG_ISR 0x100 /* 8 registers, 0x100..0x170 */
#define REG_TMR 0x180 /* 0x180..0x1f0 */
#define REG_IRR 0x200 /* 0x200..0x270 */
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT 0x320 /* timer; thermal, perf, LINT0, LINT1, error follow */
#define REG_TMICT 0x380
#define REG_TMCCT 0x390
#define REG_DCR 0x3e0
#define REG_SELF_IPI 0x3f0 /* x2APIC only */

/* Version register (11.4.8): max LVT entry in bits 23:16, version 7:0. */
#define VLAPIC_VERSION (((u32)(VLAPIC_NR_LVT - 1) << 16) | 0x14)

/* SVR bits (11.9, figure 11-23). */
#define SVR_ENABLE BIT(8)
#define SVR_WRITABLE 0x3ffu /* vector, enable, focus-processor checking */

/* LVT bits (11.5.1, figure 11-8). */
#define LVT_MASKED VLAPIC_LVT_MASKED
#define LVT_VECTOR(x) ((u8)((x) & 0xff))
#define LVT_DELIVERY(x) (((x) >> 8) & 7)
#define LVT_LEVEL BIT(15)
#define LVT_TIMER_MODE(x) (((x) >> 17) & 3)
#define TIMER_ONESHOT 0
#define TIMER_PERIODIC 1
#define TIMER_TSC_DEADLINE 2

/* ESR bits (11.5.3, figure 11-9). */
#define ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define ESR_ILLEGAL_REGISTER BIT(7)

/* ICR low bits (11.6.1, figure 11-12): vector, delivery mode, destination
 * mode, level, trigger mode, shorthand; delivery status (12) reads idle. */
#define ICR_LO_WRITABLE 0x000ccfffu
#define ICR_LOGICAL BIT(11)
#define ICR_ASSERT BIT(14)
#define ICR_LEVEL BIT(15)
/* Reserved ICR bits in x2APIC mode (11.12.9, figure 11-28): 31:20, 17:16
 * and 13; bit 12 (delivery status in xAPIC mode) is ignored. */
#define X2APIC_ICR_RESERVED (0xfff00000ULL | BIT(17) | BIT(16) | BIT(13))

/* DFR models (11.6.2.2): bits 31:28. */
#define DFR_FLAT 0xf
#define DFR_CLUSTER 0x0

/* Writable bits of each LVT entry: timer (vector, mask, mode 18:17),
 * thermal and performance (vector, delivery mode, mask), LINT0/1 (also
 * polarity 13 and trigger mode 15), error (vector, mask).  Delivery status
 * (12) and remote IRR (14) read 0: delivery is immediate, and the model
 * has no LINT level inputs. */
static const u32 lvt_writable[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_TIMER] = 0x000700ff,
	[VLAPIC_LVT_THERMAL] = 0x000107ff,
	[VLAPIC_LVT_PERF] = 0x000107ff,
	[VLAPIC_LVT_LINT0] = 0x0001a7ff,
	[VLAPIC_LVT_LINT1] = 0x0001a7ff,
	[VLAPIC_LVT_ERROR] = 0x000100ff,
};

/* Whether bit VEC of the 256-bit set S is set. */
static bool vec_test(const u32 *s, u8 vec)
{
	return s[vec >> 5] & (1u << (vec & 31));
}

static void vec_set(u32 *s, u8 vec)
{
	s[vec >> 5] |= 1u << (vec & 31);
}

static void vec_clear(u32 *s, u8 vec)
{
	s[vec >> 5] &= ~(1u << (vec & 31));
}

/* The highest vector set in S, or -1 when S is empty. */
static int vec_highest(const u32 *s)
{
	for (int i = 7; i >= 0; i--)
		if (s[i])
			return i * 32 + 31 - __builtin_clz(s[i]);
	return -1;
}

bool vlapic_hw_enabled(const struct vlapic *l)
{
	return l->base & VLAPIC_BASE_EN;
}

bool vlapic_sw_enabled(const struct vlapic *l)
{
	return vlapic_hw_enabled(l) && (l->svr & SVR_ENABLE);
}

bool vlapic_x2apic_mode(const struct vlapic *l)
{
	return vlapic_hw_enabled(l) && (l->base & VLAPIC_BASE_EXTD);
}

u64 vlapic_get_base(const struct vlapic *l)
{
	return l->base;
}

/* The register state of a power-on or INIT reset (SDM 11.4.7.1): all
 * zero except DFR (all ones), SVR (0xff) and the LVT mask bits; the timer
 * disarmed.  APIC ID, IA32_APIC_BASE and pending SIPI are untouched. */
static void reset_registers(struct vlapic *l)
{
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	for (int i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = LVT_MASKED;
	l->icr_lo = l->icr_hi = 0;
	l->timer_initial = l->timer_dcr = 0;
	l->timer_armed = false;
	l->timer_start_ns = l->timer_next_ns = 0;
	l->tsc_deadline = 0;
	l->nmi_pending = false;
}

/* Power-on reset; assumes nothing about *L. */
void vlapic_init(struct vlapic *l, u32 apic_id, bool bsp, const struct vlapic_ops *ops,
		 void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops;
	l->ctx = ctx;
	l->apic_id = apic_id;
	l->phys_bits = VLAPIC_DEFAULT_PHYS_BITS;
	l->base = VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN | (bsp ? VLAPIC_BASE_BSP : 0);
	l->sipi_vector = -1;
	reset_registers(l);
}

/* INIT reset (SDM 11.4.7.3): registers as at power-on, but the APIC ID and
 * IA32_APIC_BASE stay (so does x2APIC mode, 11.12.5.1); a pending NMI is
 * dropped with the rest of the processor state. */
void vlapic_init_signal(struct vlapic *l)
{
	reset_registers(l);
}

/* The virtual-wire setup of the MP specification (3.6.2.2), as a BIOS
 * leaves it: only the BSP's LINT0 carries the 8259's ExtINT. */
void vlapic_virtual_wire(struct vlapic *l)
{
	l->svr = SVR_ENABLE | 0xff;
	if (l->base & VLAPIC_BASE_BSP)
		l->lvt[VLAPIC_LVT_LINT0] = (u32)APIC_DM_EXTINT << 8;
	l->lvt[VLAPIC_LVT_LINT1] = (u32)APIC_DM_NMI << 8;
}

void vlapic_set_phys_bits(struct vlapic *l, u8 bits)
{
	l->phys_bits = bits;
}

/* Change IA32_APIC_BASE following the state diagram of SDM 11.12.5
 * (figure 11-27): disabled <-> xAPIC <-> x2APIC, x2APIC -> disabled; never
 * EXTD without EN, never x2APIC -> xAPIC or disabled -> x2APIC directly.
 * Bits 7:0, 9 and MAXPHYADDR..63 are reserved (11.4.4, figure 11-5). */
int vlapic_set_base(struct vlapic *l, u64 val)
{
	bool en = val & VLAPIC_BASE_EN, extd = val & VLAPIC_BASE_EXTD;
	bool was_en = vlapic_hw_enabled(l), was_x2 = vlapic_x2apic_mode(l);

	if (val & 0x2ffULL)
		return -E_INVAL;
	if (l->phys_bits < 64 && (val >> l->phys_bits))
		return -E_INVAL;
	if (extd && !en)
		return -E_INVAL; /* the invalid state */
	if (was_x2 && en && !extd)
		return -E_INVAL; /* x2APIC -> xAPIC */
	if (!was_en && extd)
		return -E_INVAL; /* disabled -> x2APIC */
	l->base = (val & ~(u64)VLAPIC_BASE_BSP) | (l->base & VLAPIC_BASE_BSP);
	if (was_en && !en)
		reset_registers(l);
	return 0;
}

/* The logical destination register: as written in xAPIC mode; in x2APIC
 * mode derived from the ID (11.12.10.2): cluster ID = ID[19:4] in bits
 * 31:16, one bit 1 << ID[3:0] in bits 15:0. */
static u32 ldr(const struct vlapic *l)
{
	if (vlapic_x2apic_mode(l))
		return ((l->apic_id >> 4) << 16) | (1u << (l->apic_id & 0xf));
	return l->ldr;
}

/* PPR (11.8.3.1): the TPR when its class is at least that of the highest
 * in-service vector, else that vector's class. */
u8 vlapic_ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	u8 tpr = (u8)l->tpr;
	if (isrv < 0 || (tpr & 0xf0) >= (isrv & 0xf0))
		return tpr;
	return (u8)(isrv & 0xf0);
}

static void raise_error(struct vlapic *l, u32 bits);

/* Set VECTOR in the IRR with its trigger mode in the TMR, or record a
 * "received illegal vector" error for vectors 0..15 (11.5.3). */
static void accept_fixed(struct vlapic *l, u8 vector, bool level)
{
	if (vector < 16) {
		raise_error(l, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
}

/* Record error BITS in the ESR and signal it through the error LVT
 * (11.5.3).  An illegal vector in the error LVT itself is recorded
 * without signalling it again. */
static void raise_error(struct vlapic *l, u32 bits)
{
	u32 lvt = l->lvt[VLAPIC_LVT_ERROR];
	l->esr_pending |= bits;
	if (lvt & LVT_MASKED)
		return;
	if (LVT_VECTOR(lvt) < 16)
		l->esr_pending |= ESR_RECV_ILLEGAL_VECTOR;
	else
		accept_fixed(l, LVT_VECTOR(lvt), false);
}

/* A local interrupt source fired: deliver what LVT entry IDX says, unless
 * it is masked (11.5.1).  The timer and error entries have no delivery
 * mode field and are always fixed; ExtINT is the 8259's path, not ours. */
static void fire_lvt(struct vlapic *l, enum vlapic_lvt idx)
{
	u32 lvt = l->lvt[idx];
	u32 dm = (idx == VLAPIC_LVT_TIMER || idx == VLAPIC_LVT_ERROR) ? APIC_DM_FIXED
								    : LVT_DELIVERY(lvt);
	if (lvt & LVT_MASKED)
		return;
	switch (dm) {
	case APIC_DM_FIXED:
		accept_fixed(l, LVT_VECTOR(lvt), (idx == VLAPIC_LVT_LINT0 || idx == VLAPIC_LVT_LINT1)
							 && (lvt & LVT_LEVEL));
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DM_INIT:
		l->init_pending = true;
		break;
	default:
		break; /* SMI is not modelled; ExtINT goes through the 8259 */
	}
}

/* --- the timer (SDM 11.5.4) ------------------------------------------------ */

/* The divider of the divide configuration register (figure 11-10): bits
 * 3,1,0 = 000 -> 2, 001 -> 4, ... 110 -> 128, 111 -> 1. */
static u64 timer_divider(const struct vlapic *l)
{
	u32 code = (l->timer_dcr & 3) | ((l->timer_dcr & 8) >> 1);
	return code == 7 ? 1 : 2ULL << code;
}

static u32 timer_mode(const struct vlapic *l)
{
	return LVT_TIMER_MODE(l->lvt[VLAPIC_LVT_TIMER]);
}

/* Nanoseconds from the initial count to zero at the current divider. */
static u64 timer_period(const struct vlapic *l)
{
	return (u64)l->timer_initial * timer_divider(l);
}

/* The current count register at NOW (11.5.4): counts down one per divided
 * clock from the initial count; 0 once a one-shot count ran out, when
 * disarmed, and in TSC-deadline mode.  Assumes the timer is up to date
 * (vlapic_timer_update) for periodic mode. */
static u32 timer_current(const struct vlapic *l, u64 now)
{
	u64 elapsed, counts;
	if (!l->timer_armed || timer_mode(l) == TIMER_TSC_DEADLINE)
		return 0;
	elapsed = now - l->timer_start_ns;
	if (timer_mode(l) == TIMER_PERIODIC)
		elapsed %= timer_period(l);
	counts = elapsed / timer_divider(l);
	return counts >= l->timer_initial ? 0 : l->timer_initial - (u32)counts;
}

/* Fire the timer once if it expired by NOW.  A periodic timer reloads
 * from the moment it was due, skipping the periods NOW is already past:
 * however late the call, one interrupt is raised (the others coalesce). */
void vlapic_timer_update(struct vlapic *l, u64 now_ns)
{
	if (!l->timer_armed || now_ns < l->timer_next_ns)
		return;
	fire_lvt(l, VLAPIC_LVT_TIMER);
	switch (timer_mode(l)) {
	case TIMER_PERIODIC: {
		u64 period = timer_period(l);
		l->timer_start_ns += (now_ns - l->timer_start_ns) / period * period;
		l->timer_next_ns = l->timer_start_ns + period;
		break;
	}
	case TIMER_TSC_DEADLINE:
		l->tsc_deadline = 0;
		l->timer_armed = false;
		break;
	default:
		l->timer_armed = false;
		break;
	}
}

/* A write of the initial count starts counting from it at NOW (a 0 stops
 * the timer); ignored in TSC-deadline mode (11.5.4.1). */
static void timer_write_initial(struct vlapic *l, u64 now, u32 count)
{
	if (timer_mode(l) == TIMER_TSC_DEADLINE)
		return;
	l->timer_initial = count;
	l->timer_armed = count != 0;
	l->timer_start_ns = now;
	l->timer_next_ns = now + timer_period(l);
}

/* A new divider applies from NOW on: the current count is kept and the
 * rest of the count runs at the new rate. */
static void timer_write_dcr(struct vlapic *l, u64 now, u32 dcr)
{
	u32 cur = timer_current(l, now);
	l->timer_dcr = dcr & 0xb;
	if (!l->timer_armed || timer_mode(l) == TIMER_TSC_DEADLINE)
		return;
	/* Unsigned wrap-around is fine: only differences from it are used. */
	l->timer_start_ns = now - (u64)(l->timer_initial - cur) * timer_divider(l);
	l->timer_next_ns = l->timer_start_ns + timer_period(l);
}

void vlapic_write_tsc_deadline(struct vlapic *l, u64 tsc_value, u64 deadline_ns)
{
	if (timer_mode(l) != TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = tsc_value;
	l->timer_armed = tsc_value != 0;
	l->timer_next_ns = deadline_ns;
}

u64 vlapic_read_tsc_deadline(const struct vlapic *l)
{
	return timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

/* --- register accesses ------------------------------------------------------ */

/* Write LVT entry IDX.  A software-disabled APIC keeps every mask bit set
 * (11.4.7.2).  Switching the timer into or out of TSC-deadline mode
 * disarms it (11.5.4.1); one-shot <-> periodic keeps the count running. */
static void write_lvt(struct vlapic *l, enum vlapic_lvt idx, u32 val)
{
	u32 old_mode = timer_mode(l);
	val &= lvt_writable[idx];
	if (!vlapic_sw_enabled(l))
		val |= LVT_MASKED;
	l->lvt[idx] = val;
	if (idx == VLAPIC_LVT_TIMER &&
	    (old_mode == TIMER_TSC_DEADLINE) != (timer_mode(l) == TIMER_TSC_DEADLINE)) {
		l->timer_armed = false;
		l->timer_initial = 0;
		l->tsc_deadline = 0;
	}
}

/* SVR write (11.9): clearing the enable bit masks every LVT entry. */
static void write_svr(struct vlapic *l, u32 val)
{
	l->svr = val & SVR_WRITABLE;
	if (!(l->svr & SVR_ENABLE))
		for (int i = 0; i < VLAPIC_NR_LVT; i++)
			l->lvt[i] |= LVT_MASKED;
}

/* EOI (11.8.5): retire the highest in-service vector; a level-triggered
 * one (TMR set) is also announced to the I/O APICs. */
static void write_eoi(struct vlapic *l)
{
	int v = vec_highest(l->isr);
	if (v < 0)
		return;
	vec_clear(l->isr, (u8)v);
	if (vec_test(l->tmr, (u8)v) && l->ops && l->ops->eoi)
		l->ops->eoi(l->ctx, (u8)v);
}

/* Send what the ICR now holds (11.6.1): the destination is ICR[63:56] in
 * xAPIC mode, ICR[63:32] in x2APIC mode.  A fixed or lowest-priority
 * message with a vector below 16 is not sent; it is a "send illegal
 * vector" error. */
static void send_icr(struct vlapic *l)
{
	struct apic_msg m = {
		.vector = (u8)l->icr_lo,
		.delivery = (l->icr_lo >> 8) & 7,
		.logical = l->icr_lo & ICR_LOGICAL,
		.level = l->icr_lo & ICR_LEVEL,
		.assert = l->icr_lo & ICR_ASSERT,
		.shorthand = (l->icr_lo >> 18) & 3,
		.dest = vlapic_x2apic_mode(l) ? l->icr_hi : l->icr_hi >> 24,
	};
	if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
		raise_error(l, ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (l->ops && l->ops->send)
		l->ops->send(l->ctx, &m);
}

/* Read the register at xAPIC OFFSET (16-byte aligned) into *VAL.  Returns
 * false for an offset no register answers at in the current mode. */
static bool reg_read(struct vlapic *l, u64 now, u32 off, u32 *val)
{
	bool x2 = vlapic_x2apic_mode(l);
	switch (off) {
	case REG_ID: *val = x2 ? l->apic_id : l->apic_id << 24; return true;
	case REG_VER: *val = VLAPIC_VERSION; return true;
	case REG_TPR: *val = l->tpr; return true;
	case REG_PPR: *val = vlapic_ppr(l); return true;
	case REG_LDR: *val = ldr(l); return true;
	case REG_SVR: *val = l->svr; return true;
	case REG_ESR: *val = l->esr; return true;
	case REG_ICR_LO: *val = l->icr_lo; return true;
	case REG_TMICT: *val = l->timer_initial; return true;
	case REG_TMCCT: *val = timer_current(l, now); return true;
	case REG_DCR: *val = l->timer_dcr; return true;
	}
	if (off >= REG_ISR && off < REG_ISR + 0x80) {
		*val = l->isr[(off - REG_ISR) >> 4];
		return true;
	}
	if (off >= REG_TMR && off < REG_TMR + 0x80) {
		*val = l->tmr[(off - REG_TMR) >> 4];
		return true;
	}
	if (off >= REG_IRR && off < REG_IRR + 0x80) {
		*val = l->irr[(off - REG_IRR) >> 4];
		return true;
	}
	if (off >= REG_LVT && off < REG_LVT + VLAPIC_NR_LVT * 0x10) {
		*val = l->lvt[(off - REG_LVT) >> 4];
		return true;
	}
	if (x2)
		return false;
	switch (off) {
	case REG_APR: /* arbitration priority: unused by the model, reads 0 */
	case REG_EOI: /* write-only */
	case REG_RRD: /* remote read: not supported, reads 0 */
		*val = 0;
		return true;
	case REG_DFR: *val = l->dfr; return true;
	case REG_ICR_HI: *val = l->icr_hi; return true;
	}
	return false;
}

/* Write VAL to the register at xAPIC OFFSET; the 32 high bits of the
 * x2APIC ICR come in HI.  Read-only registers ignore the write.  Returns
 * false for an offset no register answers at in the current mode. */
static bool reg_write(struct vlapic *l, u64 now, u32 off, u32 val, u32 hi)
{
	bool x2 = vlapic_x2apic_mode(l);
	switch (off) {
	case REG_TPR: l->tpr = val & 0xff; return true;
	case REG_EOI: write_eoi(l); return true;
	case REG_SVR: write_svr(l, val); return true;
	case REG_ESR: /* latch and clear what accumulated (11.5.3) */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return true;
	case REG_ICR_LO:
		l->icr_lo = val & ICR_LO_WRITABLE;
		if (x2)
			l->icr_hi = hi;
		send_icr(l);
		return true;
	case REG_TMICT: timer_write_initial(l, now, val); return true;
	case REG_DCR: timer_write_dcr(l, now, val); return true;
	}
	if (off >= REG_LVT && off < REG_LVT + VLAPIC_NR_LVT * 0x10) {
		write_lvt(l, (enum vlapic_lvt)((off - REG_LVT) >> 4), val);
		return true;
	}
	if (x2) {
		if (off == REG_SELF_IPI) {
			accept_fixed(l, (u8)val, false);
			return true;
		}
		return false;
	}
	switch (off) {
	case REG_LDR: l->ldr = val & 0xff000000; return true;
	case REG_DFR: l->dfr = val | 0x0fffffff; return true;
	case REG_ICR_HI: l->icr_hi = val & 0xff000000; return true;
	case REG_ID: case REG_VER: case REG_APR: case REG_PPR: case REG_RRD: case REG_TMCCT:
		return true; /* read-only */
	}
	if (off >= REG_ISR && off < REG_IRR + 0x80)
		return true; /* ISR, TMR, IRR: read-only */
	return false;
}

/* xAPIC page access.  A 32-bit access at a 16-byte aligned offset is a
 * register access.  Narrower reads see the low bytes of the register they
 * fall in (0 beyond its first 4 bytes); narrower, wider or misaligned
 * writes are ignored.  An offset no register answers at reads 0, ignores
 * writes, and sets ESR "illegal register address" (11.5.3).  Without the
 * xAPIC (hardware-disabled, or x2APIC mode) the page is unassigned. */
int vlapic_mmio(struct vlapic *l, u64 now_ns, u32 offset, u8 size, bool write, u32 *val)
{
	u32 reg = offset & ~0xfu, byte = offset & 0xf, r = 0;

	if (offset > 0xfff || (size != 1 && size != 2 && size != 4))
		return -E_INVAL;
	if (!vlapic_hw_enabled(l) || vlapic_x2apic_mode(l)) {
		if (!write)
			*val = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
		return 0;
	}
	vlapic_timer_update(l, now_ns);
	if (write) {
		if (size != 4 || byte)
			return 0;
		if (!reg_write(l, now_ns, reg, *val, 0))
			raise_error(l, ESR_ILLEGAL_REGISTER);
		vlapic_timer_update(l, now_ns);
		return 0;
	}
	*val = 0;
	if (!reg_read(l, now_ns, reg, &r)) {
		raise_error(l, ESR_ILLEGAL_REGISTER);
		return 0;
	}
	if (byte + size <= 4)
		*val = (u32)((r >> (byte * 8)) & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1));
	return 0;
}

/* RDMSR of an x2APIC MSR (SDM 11.12.1.2, table 11-6).  #GP (-E_INVAL)
 * outside x2APIC mode, for MSRs without a register, and for the
 * write-only EOI and SELF IPI. */
int vlapic_msr_read(struct vlapic *l, u64 now_ns, u32 msr, u64 *val)
{
	u32 off = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4, lo;

	if (!vlapic_x2apic_mode(l) || msr < VLAPIC_X2APIC_MSR_FIRST ||
	    msr > VLAPIC_X2APIC_MSR_LAST)
		return -E_INVAL;
	vlapic_timer_update(l, now_ns);
	if (!reg_read(l, now_ns, off, &lo))
		return -E_INVAL;
	*val = lo;
	if (off == REG_ICR_LO)
		*val |= (u64)l->icr_hi << 32;
	return 0;
}

/* WRMSR of an x2APIC MSR.  #GP (-E_INVAL) outside x2APIC mode, for MSRs
 * without a register, read-only registers (ID, version, LDR, PPR, ISR,
 * TMR, IRR, current count), bits 63:32 set except in the ICR, a non-zero
 * write to EOI or ESR, SELF IPI bits 31:8, and the ICR's reserved bits. */
int vlapic_msr_write(struct vlapic *l, u64 now_ns, u32 msr, u64 val)
{
	u32 off = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4;

	if (!vlapic_x2apic_mode(l) || msr < VLAPIC_X2APIC_MSR_FIRST ||
	    msr > VLAPIC_X2APIC_MSR_LAST)
		return -E_INVAL;
	if (off != REG_ICR_LO && (val >> 32))
		return -E_INVAL;
	switch (off) {
	case REG_EOI:
	case REG_ESR:
		if (val)
			return -E_INVAL;
		break;
	case REG_SELF_IPI:
		if (val & ~0xffULL)
			return -E_INVAL;
		break;
	case REG_ICR_LO:
		if (val & X2APIC_ICR_RESERVED)
			return -E_INVAL;
		break;
	}
	vlapic_timer_update(l, now_ns);
	if (!reg_write(l, now_ns, off, (u32)val, (u32)(val >> 32)))
		return -E_INVAL;
	vlapic_timer_update(l, now_ns);
	return 0;
}

/* --- messages ----------------------------------------------------------------- */

/* Whether a logical destination DEST selects L (11.6.2.2 for xAPIC flat
 * and cluster models, 11.12.10.2 for x2APIC cluster).  A message from an
 * I/O APIC (8-bit destination) to an x2APIC-mode APIC is compared as a
 * cluster-0 destination. */
static bool match_logical(const struct vlapic *l, u32 dest)
{
	u32 ld = ldr(l);
	if (vlapic_x2apic_mode(l)) {
		if (dest == 0xffffffff)
			return true;
		return (dest >> 16) == (ld >> 16) && (dest & ld & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	ld >>= 24;
	if ((l->dfr >> 28) == DFR_FLAT)
		return dest & ld;
	return (dest >> 4) == (ld >> 4) && (dest & ld & 0xf); /* cluster model */
}

/* Destination matching (11.6.2): shorthands relative to SRC, else the
 * physical ID (0xff, or 0xffffffff in x2APIC mode, is broadcast; a
 * message from an I/O APIC carries 8 bits, 0xff being broadcast in either
 * mode) or the logical destination.  A hardware-disabled APIC matches
 * nothing. */
bool vlapic_match_dest(const struct vlapic *l, const struct apic_msg *m,
		       const struct vlapic *src)
{
	if (!vlapic_hw_enabled(l))
		return false;
	switch (m->shorthand) {
	case APIC_SH_SELF: return l == src;
	case APIC_SH_ALL: return true;
	case APIC_SH_ALL_BUT_SELF: return l != src;
	}
	if (m->logical)
		return match_logical(l, m->dest);
	if (!vlapic_x2apic_mode(l))
		return (m->dest & 0xff) == 0xff || (m->dest & 0xff) == (l->apic_id & 0xff);
	if (!src)
		return (m->dest & 0xff) == 0xff || m->dest == l->apic_id;
	return m->dest == 0xffffffff || m->dest == l->apic_id;
}

/* Accept M (11.6.1 delivery modes): fixed and lowest priority set the IRR
 * (and the TMR for level) unless software-disabled; NMI, INIT and SIPI
 * become pending for the core; an INIT level de-assert, SMI and ExtINT do
 * nothing here, nor does anything to a hardware-disabled APIC. */
void vlapic_deliver(struct vlapic *l, const struct apic_msg *m)
{
	if (!vlapic_hw_enabled(l))
		return;
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (vlapic_sw_enabled(l))
			accept_fixed(l, m->vector, m->level);
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DM_INIT:
		if (!(m->level && !m->assert))
			l->init_pending = true;
		break;
	case APIC_DM_SIPI:
		l->sipi_vector = m->vector;
		break;
	default:
		break;
	}
}

/* The highest requested vector whose class is above the PPR's (11.8.3.1). */
int vlapic_pending_vector(const struct vlapic *l)
{
	int v = vec_highest(l->irr);
	if (!vlapic_hw_enabled(l) || v < 0)
		return -1;
	if ((v & 0xf0) <= (vlapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_accept_vector(struct vlapic *l, u8 vector)
{
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
}

bool vlapic_take_nmi(struct vlapic *l)
{
	bool p = l->nmi_pending;
	l->nmi_pending = false;
	return p;
}

bool vlapic_take_init(struct vlapic *l)
{
	bool p = l->init_pending;
	l->init_pending = false;
	return p;
}

int vlapic_take_sipi(struct vlapic *l)
{
	int v = l->sipi_vector;
	l->sipi_vector = -1;
	return v;
}

void vlapic_lint_edge(struct vlapic *l, unsigned pin)
{
	if (pin <= 1 && vlapic_hw_enabled(l))
		fire_lvt(l, pin ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0);
}

/* The 8259's INTR reaches the core when LINT0 is unmasked in ExtINT mode,
 * or when the APIC is hardware-disabled (then the pin goes straight to
 * the core, 11.4.3). */
bool vlapic_accepts_pic_intr(const struct vlapic *l)
{
	u32 lint0 = l->lvt[VLAPIC_LVT_LINT0];
	if (!vlapic_hw_enabled(l))
		return true;
	return !(lint0 & LVT_MASKED) && LVT_DELIVERY(lint0) == APIC_DM_EXTINT;
}

