/*
 * Interrupts of a guest (vmm/intr.c): the routing between its interrupt
 * controllers and its vCPUs, and the delivery into them.
 *
 *   device --line--> GSI --+--> 8259 pair (ISA IRQs 0-15) --INTR--> LINT0 of vCPU 0
 *                          +--> I/O APIC pin (ISA IRQ 0 on pin 2, as on a PC)
 *   I/O APIC entry / ICR --apic_msg--> local APIC(s) of the guest's vCPUs
 *   local APIC timer, PIT --> their own deadlines, polled by the scheduler
 *
 * Before each VM entry intr_inject() hands the vCPU the highest-priority
 * event it can take (NMI, then a local APIC vector, then the 8259's), or
 * asks the backend for the window in which it could.  A vCPU halted with
 * interrupts enabled sleeps until intr_wakeup() finds something for it;
 * INIT and SIPI start and restart vCPUs as on hardware.  The device models
 * themselves (vmm/dev/) know nothing of vCPUs or guests.
 */
#ifndef PAGODA_INTR_H
#define PAGODA_INTR_H

#include "lib/types.h"
#include "vmm/dev/apic_msg.h"
#include "vmm/vcpu.h"
#include "vmm/intr_state.h"

struct guest;
struct vcpu;

/* Queue N bytes of BUF for G's COM1 receiver (typed at the console; takes
 * G's lock); they enter its FIFO as it has room, at each tick.  Returns how many
 * were queued (the rest did not fit). */
size_t intr_console_input(struct guest *g, const u8 *buf, size_t n);
/* Set GSI (0-23) of G to LEVEL: ISA lines 0-15 reach the 8259 pair and
 * the I/O APIC, the others the I/O APIC only. */
void intr_set_gsi(struct guest *g, unsigned gsi, bool level);
/* Carry M from SRC's local APIC (NULL: from the I/O APIC) to every local
 * APIC of G it targets, and wake the vCPUs that have something now. */
void intr_apic_send(struct guest *g, struct vcpu *src, const struct apic_msg *m);
/* Set up V's local APIC at power-on (APIC ID = vCPU number; vCPU 0 is
 * the BSP). */
void intr_vcpu_init(struct vcpu *v);
/* Run G's timers up to NOW_NS (PIT, every local APIC timer) and wake
 * the vCPUs that have an event now.  Called by the scheduler. */
void intr_tick(struct guest *g, u64 now_ns);
/* The earliest deadline (ns of the VMM clock) of a timer that may
 * interrupt V: its local APIC timer, and the PIT for vCPU 0; 0 if none. */
u64 intr_next_deadline(struct vcpu *v);
/* On the CPU that runs V (claimed, guest lock held): act on the INIT and
 * SIPI its local APIC latched (INIT: wait for SIPI; SIPI: start in real
 * mode), and clear V->apic_signal. */
void intr_apic_signals(struct vcpu *v);
/* A halted V with an event it can take runs again (a no-op otherwise);
 * an idle CPU that may run it is kicked. */
void intr_wake(struct vcpu *v);
/* Does V have an event it would take now (or that ends its HLT)? */
bool intr_pending(struct vcpu *v);
/* Right before V's entry (V is loaded on this CPU here): the event the
 * last exit cut short goes in again; else the event V can take now, or a
 * request for the window in which it could; the TPR synced into the
 * backend. */
void intr_inject(struct vcpu *v);
/* Right after V's exit: the TPR the guest may have changed (MOV CR8).
 * Written only when it did, so TPR[3:0] (which a CR8 write zeroes) stays
 * what an xAPIC or x2APIC write of the TPR left in it. */
static inline void intr_after_exit(struct vcpu *v)
{
	if (v->hw.cr8 != vlapic_get_cr8(&v->lapic))
		vlapic_set_cr8(&v->lapic, v->hw.cr8);
}
/* V executed HLT (already skipped): sleep until an event, unless one is
 * pending.  false when the whole guest can never wake again (ended). */
bool intr_halt(struct vcpu *v);

/* What CPUID says of V's local APIC, over OUT as vmm/cpuid.c left it:
 * APIC, x2APIC and TSC-deadline present, V's APIC ID (leaves 1, 0xb,
 * 0x1f). */
void intr_cpuid(struct vcpu *v, u32 leaf, u32 subleaf, u32 out[4]);
/* MSRs of the local APIC: IA32_APIC_BASE, TSC_DEADLINE and the x2APIC
 * range 0x800-0x8ff.  true and *VAL / the write done; false for #GP.
 * Other MSRs: *HANDLED false. */
bool intr_msr_read(struct vcpu *v, u32 msr, u64 *val, bool *handled);
bool intr_msr_write(struct vcpu *v, u32 msr, u64 val, bool *handled);
/* Add the local APIC's MMIO page (0xfee00000) to G's bus: a row whose
 * handler reaches the local APIC of the vCPU that made the access. */
int intr_add_lapic_mmio(struct guest *g);

#endif
