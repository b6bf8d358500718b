/*
 * Interrupt routing and delivery for a guest (vmm/intr.h).
 *
 * Where an event waits: a local APIC vector in its IRR, an NMI in the
 * vCPU's nmi_pending, an 8259 request in the PIC's IRR, INIT and SIPI in
 * the local APIC until intr_apic_send() acts on them.  Nothing here runs
 * in a device model: the models call back (send, eoi, irq line) and this
 * file turns the callbacks into wake-ups and, at the next entry, into an
 * injected event.
 *
 * Several host CPUs run a guest's vCPUs at once.  Everything here runs
 * under the guest's lock (struct guest.lock), taken by the scheduler
 * around exit handling and intr_inject/intr_tick, and by the console for
 * intr_console_input.  The rule for a vCPU's local APIC: any vCPU of the
 * guest may write into it under that lock (an IPI sets an IRR bit, an
 * INIT or SIPI is latched), but only the CPU that runs the vCPU acts on
 * it: it injects at its next entry (intr_inject), and INIT/SIPI change
 * the vCPU's state only there (apic_signal), since the vendor state
 * belongs to that CPU.  So a sender posts and then kicks the target's CPU
 * (vcpu_kick: it leaves guest mode and sees the post), or wakes an idle
 * CPU when the target was asleep (guest_wake_cpus).
 */
#include "vmm/intr.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"
#include "vmm/dev/bus.h"
#include "vmm/dev/ioapic.h"
#include "vmm/dev/lapic.h"
#include "vmm/dev/pic8259.h"
#include "vmm/dev/pit8254.h"
#include "vmm/dev/uart16550.h"
#include "vmm/vcpu_state.h"
#include "vmm/policy.h"
#include "vmm/vm.h"

#define X86_NMI 2
#define LAPIC_MMIO_BASE 0xfee00000ULL
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* --- callbacks of the local APIC model ------------------------------------ */

/* An ICR write of V's local APIC. */
static void lapic_send_cb(void *ctx, const struct apic_msg *m)
{
	struct vcpu *v = ctx;
	intr_apic_send(v->guest, v, m);
}

/* An EOI of a level-triggered vector: the I/O APIC's remote IRR. */
static void lapic_eoi_cb(void *ctx, u8 vector)
{
	struct vcpu *v = ctx;
	if (v->guest->intr.ioapic)
		ioapic_eoi(v->guest->intr.ioapic, vector);
}

static const struct vlapic_ops vcpu_lapic_ops = {.send = lapic_send_cb, .eoi = lapic_eoi_cb};

/* The BSP's LINT0 in ExtINT mode, as PC firmware leaves it (and QEMU and
 * KVM at reset): the 8259's interrupts reach a guest that never touches
 * its local APIC. */
void intr_vcpu_init(struct vcpu *v)
{
	vlapic_init(&v->lapic, v->id, v->id == 0, &vcpu_lapic_ops, v);
	/* IA32_APIC_BASE's reserved bits start at the guest's MAXPHYADDR. */
	vlapic_set_phys_bits(&v->lapic, cpuid_guest_maxphyaddr());
	if (v->id == 0)
		vlapic_virtual_wire(&v->lapic);
}

/* --- wake-ups, INIT and SIPI ---------------------------------------------- */

/* Would V take an external interrupt now, or wake from HLT for one?
 * A vector of its local APIC above the PPR, or (vCPU 0) the 8259's INTR
 * when LINT0 passes it. */
static bool extint_pending(struct vcpu *v)
{
	if (vlapic_pending_vector(&v->lapic) >= 0)
		return true;
	struct pic8259 *pic = v->guest->intr.pic;
	return v->id == 0 && pic && pic_intr(pic) && vlapic_accepts_pic_intr(&v->lapic);
}

bool intr_pending(struct vcpu *v)
{
	if (v->nmi_pending)
		return true;
	return (v->hw.regs.rflags & RFLAGS_IF) && extint_pending(v);
}

void intr_wake(struct vcpu *v)
{
	if (v->halted && intr_pending(v)) {
		v->halted = false;
		v->runnable = true;
		guest_wake_cpus(v->guest);
	}
}

/*
 * INIT and SIPI V's local APIC has accepted, on the CPU that runs V
 * (intr_apic_signals).  INIT: the vCPU stops and
 * waits for a SIPI, its local APIC reset (SDM Vol 3A 9.4.4.1, 11.4.7.3).
 * SIPI, only while waiting: real mode at vector * 0x100:0, running
 * (later SIPIs are ignored, as on hardware).
 */
void intr_apic_signals(struct vcpu *v)
{
	v->apic_signal = false;
	struct guest *g = v->guest;
	if (vlapic_take_init(&v->lapic)) {
		vlapic_init_signal(&v->lapic);
		v->wait_sipi = true;
		v->halted = false;
		v->runnable = false;
		v->nmi_pending = 0;
		pr_info("intr", "guest %s: vcpu %u: INIT, waiting for SIPI", g->name, v->id);
	}
	int vec = vlapic_take_sipi(&v->lapic);
	if (vec >= 0 && v->wait_sipi) {
		struct vcpu_state st;
		vcpu_state_real_mode(&st, (u16)(vec << 8), 0);
		vcpu_set_state(v, &st);
		v->wait_sipi = false;
		v->started = true;
		v->runnable = true;
		pr_info("intr", "guest %s: vcpu %u: SIPI, starting in real mode at 0x%x:0", g->name,
			v->id, vec << 8);
	}
}

void intr_apic_send(struct guest *g, struct vcpu *src, const struct apic_msg *m)
{
	const struct vlapic *from = src ? &src->lapic : NULL;
	for (unsigned i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *t = &g->vcpus[i];
		if (!vlapic_match_dest(&t->lapic, m, from))
			continue;
		if (m->delivery == APIC_DM_NMI) {
			t->nmi_pending = 1; /* a second one while one waits is lost, as on hardware */
		} else {
			vlapic_deliver(&t->lapic, m);
			if (t == src) {
				intr_apic_signals(t); /* its own CPU: act now */
			} else if (m->delivery == APIC_DM_INIT || m->delivery == APIC_DM_SIPI) {
				t->apic_signal = true; /* for its own CPU */
				guest_wake_cpus(g);
			}
		}
		intr_wake(t);
		vcpu_kick(t); /* on another CPU: it leaves guest mode and takes the event */
		/* Lowest priority: one target (the first that matches). */
		if (m->delivery == APIC_DM_LOWEST)
			break;
	}
}

/* --- lines: PIC, I/O APIC ----------------------------------------------- */

void intr_set_gsi(struct guest *g, unsigned gsi, bool level)
{
	struct guest_intr *gi = &g->intr;
	if (gsi >= INTR_NR_GSI)
		return;
	if (gsi < 16 && gi->pic)
		pic_set_irq(gi->pic, gsi, level);
	/* The PC's wiring (and the interrupt source override every MADT of a
	 * PC declares): ISA IRQ 0, the PIT, is I/O APIC pin 2. */
	if (gi->ioapic)
		ioapic_set_irq(gi->ioapic, gsi == 0 ? 2 : gsi, level);
	/* The PIC's INTR reaches vCPU 0 only. */
	if (g->nr_vcpus)
		intr_wake(&g->vcpus[0]);
}

/* --- console input ---------------------------------------------------------- */

size_t intr_console_input(struct guest *g, const u8 *buf, size_t n)
{
	struct guest_intr *gi = &g->intr;
	vlock_take(&g->lock);
	size_t k = MIN(n, (size_t)(INTR_INPUT_MAX - gi->input_len));
	memcpy(gi->input + gi->input_len, buf, k);
	gi->input_len += (u32)k;
	vlock_give(&g->lock);
	return k;
}

/* Move what G's COM1 has room for from the input queue into its FIFO
 * (which raises its receive interrupt when the guest enabled it). */
static void console_input_drain(struct guest *g)
{
	struct guest_intr *gi = &g->intr;
	if (!gi->input_len || !gi->com1)
		return;
	size_t k = uart16550_input(gi->com1, gi->input, gi->input_len);
	if (!k)
		return;
	memmove(gi->input, gi->input + k, gi->input_len - k);
	gi->input_len -= (u32)k;
}

/* --- timers --------------------------------------------------------------- */

void intr_tick(struct guest *g, u64 now_ns)
{
	console_input_drain(g);
	if (g->intr.pit)
		pit_update(g->intr.pit, now_ns);
	for (unsigned i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];
		vlapic_timer_update(&v->lapic, now_ns);
		intr_wake(v);
	}
}

u64 intr_next_deadline(struct vcpu *v)
{
	u64 d = vlapic_timer_deadline(&v->lapic);
	if (v->id == 0 && v->guest->intr.pit) {
		u64 p = pit_next_deadline(v->guest->intr.pit);
		if (p && (!d || p < d))
			d = p;
	}
	return d;
}

/* --- delivery at entry ------------------------------------------------------ */

void intr_inject(struct vcpu *v)
{
	bool want_irq = false, want_nmi = false;
	vcpu_make_loaded(v);
	/* The backend reported an interrupted delivery at the last exit (an
	 * exception whose IDT or stack page faulted in the nested tables, an
	 * interrupt cut by an exit): it goes in again first, unless the exit
	 * handler queued an event of its own (-E_BUSY). */
	if (v->interrupted.valid) {
		int r = vcpu_inject_event(v, &v->interrupted);
		if (r)
			pr_err("vmm", "guest %s: vcpu %u: interrupted event (vector %u) not re-injected "
			       "(%d)", v->guest->name, v->id, v->interrupted.vector, r);
		else
			v->reinjected++;
		v->interrupted.valid = false;
	}
	v->hw.cr8 = vlapic_get_cr8(&v->lapic);
	/* Cheap checks first: with the guest's interrupts off, nothing to
	 * re-inject, no NMI, and an interrupt window already asked for (it
	 * stays open in the backend until it is reported as VM_EXIT_IRQ_WINDOW,
	 * which needs IF=1), the slow path below could only ask for it
	 * again; an interrupt that went away meanwhile costs at most one
	 * spurious window exit. */
	if (v->window_irq && !v->window_nmi && !v->nmi_pending && !v->interrupted.valid &&
	    !(v->hw.regs.rflags & RFLAGS_IF))
		return;
	if (v->nmi_pending) {
		if (v->nmi_window && !v->event_queued) {
			struct hv_event ev = {.valid = true, .type = HV_EVENT_NMI, .vector = X86_NMI};
			if (vcpu_inject_event(v, &ev) == 0)
				v->nmi_pending = 0;
			v->nmi_window = false;
		} else {
			want_nmi = true;
		}
	}
	if (extint_pending(v)) {
		bool can = (v->hw.regs.rflags & RFLAGS_IF) && !v->event_queued &&
			   !hv->get_interrupt_shadow(&v->hw);
		int vec = -1;
		if (can) {
			vec = vlapic_pending_vector(&v->lapic);
			if (vec >= 0)
				vlapic_accept_vector(&v->lapic, (u8)vec);
			else
				vec = pic_intack(v->guest->intr.pic);
		}
		if (vec >= 0) {
			struct hv_event ev = {.valid = true, .type = HV_EVENT_EXT_INTR,
					      .vector = (u8)vec};
			vcpu_inject_event(v, &ev);
		}
		/* Another may wait behind it: its window comes after this one's
		 * delivery (or whenever the guest can take it). */
		want_irq = extint_pending(v);
	}
	/* Withdrawing a request nobody made is skipped: the common entry,
	 * nothing pending, ends here. */
	if (want_irq || want_nmi || v->window_irq || v->window_nmi) {
		hv->request_window(&v->hw, want_irq, want_nmi);
		v->window_irq = want_irq;
		v->window_nmi = want_nmi;
	}
}

bool intr_halt(struct vcpu *v)
{
	struct guest *g = v->guest;
	if (intr_pending(v))
		return true;
	v->halted = true;
	v->runnable = false;
	bool if_off = !(v->hw.regs.rflags & RFLAGS_IF);
	if (if_off)
		pr_info("exit", "guest %s: vcpu %u halted", g->name, v->id);
	/* Can anything wake the guest?  A vCPU that runs or sleeps with
	 * interrupts enabled can; vCPUs halted with them disabled (or never
	 * started) have no source left: nothing in the guest runs to send
	 * an NMI or INIT. */
	for (unsigned i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *o = &g->vcpus[i];
		if (o->runnable || o->apic_signal || (o->halted && (o->hw.regs.rflags & RFLAGS_IF)))
			return true;
	}
	guest_crash(g, "HLT with interrupts disabled on every vCPU at rip=0x%lx (the guest would "
		    "sleep forever)", v->hw.regs.rip);
	return false;
}

/* --- the xAPIC page ------------------------------------------------------- */

/* An access to 0xfee00000-0xfee00fff by V: its own local APIC, while
 * that is enabled in xAPIC mode; otherwise the page is not there (reads
 * all ones, writes ignored), as with a disabled or x2APIC-mode APIC. */
static int lapic_mmio(struct vcpu *v, void *opaque, u64 gpa, u8 size, bool write, u64 *val)
{
	(void)opaque;
	struct vlapic *l = &v->lapic;
	if (!vlapic_hw_enabled(l) || vlapic_x2apic_mode(l)) {
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	if ((gpa & ~0xfffULL) != (vlapic_get_base(l) & ~0xfffULL)) {
		/* Another vCPU moved the page; this one's is elsewhere. */
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	u32 v32 = (u32)*val;
	int r = vlapic_mmio(l, time_ns(), (u32)(gpa & 0xfff), size, write, &v32);
	if (!write)
		*val = v32;
	return r;
}

static const struct dev_ops lapic_mmio_ops = {.name = "lapic", .mmio = lapic_mmio};

int intr_add_lapic_mmio(struct guest *g)
{
	return bus_add_mmio(&g->bus, &lapic_mmio_ops, NULL, LAPIC_MMIO_BASE, 0x1000);
}

/* --- MSRs ----------------------------------------------------------------- */

/* The guest's TSC now (what RDTSC returns it). */
static u64 guest_tsc(struct vcpu *v)
{
	return rdtsc() + hv->get_tsc_offset(&v->hw);
}

bool intr_msr_read(struct vcpu *v, u32 msr, u64 *val, bool *handled)
{
	*handled = true;
	if (msr == MSR_APIC_BASE) {
		*val = vlapic_get_base(&v->lapic);
		return true;
	}
	if (msr == MSR_TSC_DEADLINE) {
		*val = vlapic_read_tsc_deadline(&v->lapic);
		return true;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_read(&v->lapic, time_ns(), msr, val) == 0;
	*handled = false;
	return false;
}

bool intr_msr_write(struct vcpu *v, u32 msr, u64 val, bool *handled)
{
	*handled = true;
	if (msr == MSR_APIC_BASE) {
		u64 old = vlapic_get_base(&v->lapic) & ~0xfffULL;
		if (vlapic_set_base(&v->lapic, val))
			return false;
		/* A relocated page (kvm-unit-tests moves it): the guest's xAPIC
		 * row follows the vCPU that moved it. */
		u64 now = vlapic_get_base(&v->lapic) & ~0xfffULL;
		if (now != old && bus_move_mmio(&v->guest->bus, &lapic_mmio_ops, now))
			pr_warn("intr", "guest %s: vcpu %u: local APIC page at 0x%lx overlaps a device: "
				"not moved", v->guest->name, v->id, now);
		return true;
	}
	if (msr == MSR_TSC_DEADLINE) {
		/* The guest's TSC value to the VMM clock: now plus the TSC
		 * cycles still to go (none if it is in the past). */
		u64 now = time_ns(), tsc = guest_tsc(v), khz = time_tsc_khz();
		u64 ns = now;
		if (val > tsc && khz)
			ns += (val - tsc) / khz * 1000000 + (val - tsc) % khz * 1000000 / khz;
		vlapic_write_tsc_deadline(&v->lapic, val, ns);
		return true;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_write(&v->lapic, time_ns(), msr, val) == 0;
	*handled = false;
	return false;
}

/* --- CPUID ---------------------------------------------------------------- */

void intr_cpuid(struct vcpu *v, u32 leaf, u32 subleaf, u32 out[4])
{
	if (leaf == 1) {
		/* EBX[31:24] initial APIC ID; ECX: x2APIC (21) and TSC-deadline
		 * timer (24), both of the local APIC here; EDX: APIC (9). */
		out[1] = (out[1] & 0x00ffffff) | (v->id << 24);
		out[2] |= BIT(21) | BIT(24);
		/* EDX.APIC follows IA32_APIC_BASE.EN, as on hardware. */
		if (vlapic_hw_enabled(&v->lapic))
			out[3] |= BIT(9);
		else
			out[3] &= ~BIT(9);
	} else if (leaf == 0xb || leaf == 0x1f) {
		/* No topology is described (EBX = 0 ends the enumeration at
		 * once), only the x2APIC ID in EDX (SDM Vol 2A, CPUID 0BH). */
		out[0] = out[1] = 0;
		out[2] = subleaf & 0xff;
		out[3] = v->id;
	}
}

