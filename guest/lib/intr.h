/*
 * guest/lib/intr.h -- what a test guest needs to take interrupts: the
 * interrupt flag, HLT, the TSC, MSRs and MMIO, and small drivers for the
 * interrupt controllers of a PC: the local APIC (xAPIC page at 0xfee00000
 * or x2APIC MSRs), the 8259 pair and the I/O APIC at 0xfec00000.
 *
 * Handlers are installed with exc_set_handler(vector, fn) (exception.h):
 * every vector 0-255 has a gate, an interrupt gate (IF cleared on entry).
 * A handler that services a local APIC interrupt ends with lapic_eoi(),
 * one of a PIC interrupt with pic_eoi(irq).  Register offsets and bits:
 * Intel SDM Vol 3A ch. 11 (APIC), 8259A and 82093AA datasheets.
 */
#ifndef GUEST_INTR_H
#define GUEST_INTR_H

#include "lib/types.h"

#define LAPIC_BASE 0xfee00000ULL
#define IOAPIC_BASE 0xfec00000ULL

/* Local APIC register offsets in the xAPIC page (x2APIC MSR = 0x800 + off/16). */
#define APIC_ID 0x20
#define APIC_LVR 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xa0
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVTT_ONESHOT (0u << 17)
#define APIC_LVTT_PERIODIC (1u << 17)
#define APIC_LVTT_TSCDEADLINE (2u << 17)
#define APIC_ICR_DM_FIXED (0u << 8)
#define APIC_ICR_DM_NMI (4u << 8)
#define APIC_ICR_DM_INIT (5u << 8)
#define APIC_ICR_DM_SIPI (6u << 8)
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_SELF (1u << 18)
#define APIC_ICR_ALL (2u << 18)
#define APIC_ICR_ALL_BUT_SELF (3u << 18)

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
/* STI; HLT: sleep until an interrupt, with no window between the two
 * (STI's interrupt shadow covers HLT). */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)(uintptr_t)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)(uintptr_t)addr = v; }

/* Local APIC: x2APIC when lapic_enable(true) switched it, else xAPIC MMIO. */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
/* Enable the local APIC (APIC_BASE.EN, and EXTD when X2APIC), software-
 * enable it with spurious vector 0xff, TPR 0. */
void lapic_enable(bool x2apic);
/* End of interrupt for the vector being serviced. */
void lapic_eoi(void);
/* Send an IPI: ICR low bits LOW to APIC ID DEST (x2APIC: a 32-bit ID). */
void lapic_send_ipi(u32 dest, u32 low);
/* This CPU's APIC ID. */
u32 lapic_id(void);

/* 8259 pair: ICW1-4 with vectors BASE..BASE+15, cascade on IR2, all masked. */
void pic_init(u8 base);
/* Unmask (MASKED false) or mask IRQ (0-15; unmasking 8-15 unmasks IR2 too). */
void pic_mask(unsigned irq, bool masked);
/* Non-specific EOI for IRQ (to the slave and the master for 8-15). */
void pic_eoi(unsigned irq);

/* I/O APIC: redirection entry of PIN = VECTOR, fixed, physical to APIC
 * ID DEST, edge (LEVEL false) or level, active high, unmasked. */
void ioapic_route(unsigned pin, u8 vector, u8 dest, bool level);
void ioapic_mask(unsigned pin, bool masked);
u32 ioapic_read(u32 reg);
void ioapic_write(u32 reg, u32 v);

#endif
