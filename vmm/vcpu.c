/*
 * vCPUs (vmm/vcpu.h): their vendor state and tags, the trip into the guest,
 * the lazy x87/SSE and debug-register switch, re-injection of interrupted
 * events, and their console lines.
 */
#include "vmm/vcpu.h"
#include "arch/x86/ipi.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "arch/x86/spec.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"
#include "mm/pmm.h"
#include "vmm/vm.h"
#include "vmm/xcpu.h"

/* ASID/VPID tags (hv_vcpu.tag): the users of each tag 1..N, N the smaller
 * of hv->max_tags() and the table.  A vCPU takes a free tag, or when none
 * is free the least shared one (the backend flushes a tag's TLB entries
 * whenever another of its users runs). */
static u8 tag_users[GUEST_MAX * GUEST_MAX_VCPUS + 1];

/* A tag for a new vCPU, in 1..hv->max_tags(): the lowest free one, else
 * the one with the fewest users. */
static u32 tag_alloc(void)
{
	u32 n = MIN(hv->max_tags(), (u32)ARRAY_SIZE(tag_users) - 1), best = 1;
	for (u32 t = 1; t <= n; t++) {
		if (!tag_users[t]) {
			best = t;
			break;
		}
		if (tag_users[t] < tag_users[best])
			best = t;
	}
	tag_users[best]++;
	return best;
}

static void tag_free(u32 tag)
{
	if (tag && tag < ARRAY_SIZE(tag_users) && tag_users[tag])
		tag_users[tag]--;
}

/* vcpu_make_loaded() when another vCPU (or none) is loaded on CPU. */
void vcpu_switch_loaded(struct vcpu *v, unsigned cpu)
{
	struct vcpu_cpu *vc = vcpu_cpu_here();
	if (vc->loaded)
		hv->vcpu_put(&vc->loaded->hw);
	hv->vcpu_load(&v->hw, cpu);
	vc->loaded = v;
}

void vcpu_unload(struct vcpu *v)
{
	struct vcpu_cpu *vc = vcpu_cpu_here();
	if (vc->fpu_owner == v) {
		fxsave(&v->fpu);
		debug_regs_save(&v->dbg);
		vc->fpu_owner = NULL;
	}
	if (vc->loaded == v) {
		hv->vcpu_put(&v->hw);
		vc->loaded = NULL;
	}
}

bool vcpu_claim(struct vcpu *v)
{
	if (!xcpu_claim(&v->running_on, this_cpu()))
		return false;
	v->ran_on |= BIT(this_cpu());
	v->last_cpu = this_cpu();
	return true;
}

void vcpu_unclaim(struct vcpu *v)
{
	vcpu_unload(v);
	xcpu_unclaim(&v->running_on);
}

void vcpu_kick(struct vcpu *v)
{
	u32 on = xcpu_owner(&v->running_on);
	if (on && on - 1 != this_cpu())
		ipi_send(on - 1, IPI_KICK_VECTOR);
}

/*
 * The shootdown side of the guest-mode handshake (vmm/xcpu.h): every flag
 * is set before any counter is read.  A CPU in guest mode holds no lock
 * and leaves at the kick, so the wait is bounded.
 */
void vcpu_flush_all(struct vcpu *vs, unsigned n)
{
	unsigned me = this_cpu();
	_Static_assert(MAX_CPUS <= 64, "one bit per CPU");
	u64 seen[MAX_CPUS];
	u64 wait_mask = 0;
	for (unsigned i = 0; i < n; i++)
		xcpu_post_flush(&vs[i].flush_pending);
	for (unsigned i = 0; i < n; i++) {
		u32 on = xcpu_owner(&vs[i].running_on);
		if (!on || on - 1 == me || (wait_mask & BIT(on - 1)))
			continue;
		if (!xcpu_in_guest(&vcpu_cpu_of(on - 1)->guest_seq, &seen[on - 1]))
			continue; /* out of guest mode: it takes the flag before entering */
		wait_mask |= BIT(on - 1);
		ipi_send(on - 1, IPI_KICK_VECTOR);
	}
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (wait_mask & BIT(c))
			while (!xcpu_left_guest(&vcpu_cpu_of(c)->guest_seq, seen[c]) && percpu_online(c))
				cpu_relax();
}

/*
 * The upcall of vmm/hv.h: LEN bytes of guest-physical memory at GPA of the
 * guest HW belongs to, into BUF.  0, -E_FAULT outside guest RAM, or
 * -E_NOMEM when backing a page failed.
 */
int hv_read_guest(struct hv_vcpu *hw, u64 gpa, void *buf, size_t len)
{
	struct vcpu *v = container_of(hw, struct vcpu, hw);
	return tdp_read_guest(v->guest->mmu, gpa, buf, len);
}

/*
 * The upcall of vmm/hv.h: host address of the page of HW's guest memory
 * holding GPA, or NULL (no backing yet, or not RAM).  It stays valid while
 * the guest exists: vm.c adds its one memslot at create and deletes it only
 * in guest_release, after releasing every vCPU.
 */
const void *hv_guest_page(struct hv_vcpu *hw, u64 gpa)
{
	struct vcpu *v = container_of(hw, struct vcpu, hw);
	return tdp_guest_page(v->guest->mmu, gpa >> PAGE_SHIFT);
}

void vcpu_init(struct vcpu *v, struct guest *g, unsigned id)
{
	memset(v, 0, sizeof(*v));
	v->guest = g;
	v->id = id;
	fxsave_init(&v->fpu);
	v->dbg.dr6 = 0xffff0ff0; /* the power-on value */
}

int vcpu_inject_event(struct vcpu *v, const struct hv_event *ev)
{
	int r = hv->inject_event(&v->hw, ev);
	if (r == 0)
		v->event_queued = true;
	return r;
}

void vcpu_set_state(struct vcpu *v, const struct vcpu_state *st)
{
	vcpu_make_loaded(v);
	hv->set_state(&v->hw, st);
	v->interrupted.valid = false;
	/* A new state drops the backend's windows (at worst one stays: a
	 * spurious window exit), so intr_inject asks afresh. */
	v->window_irq = v->window_nmi = false;
}

int vcpu_create(struct vcpu *v, const struct vcpu_state *st, u64 tdp_root)
{
	v->hw.tag = tag_alloc();
	v->hw.id = v->id;
	vcpu_make_loaded(v);
	int r = hv->vcpu_create(&v->hw, st, tdp_root);
	/* Created here, run anywhere: the vendor state leaves this CPU. */
	if (r == 0)
		vcpu_unload(v);
	return r;
}

void vcpu_release(struct vcpu *v)
{
	struct vcpu_cpu *vc = vcpu_cpu_here();
	if (vc->fpu_owner == v)
		vc->fpu_owner = NULL;
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct vcpu_cpu *other = vcpu_cpu_of(c);
		if (other->last_guest == v->guest)
			other->last_guest = NULL;
	}
	if (v->hw.arch) {
		vcpu_make_loaded(v);
		hv->vcpu_destroy(&v->hw);
	}
	if (vc->loaded == v) {
		hv->vcpu_put(&v->hw);
		vc->loaded = NULL;
	}
	tag_free(v->hw.tag);
	v->hw.tag = 0;
	tdp_mmu_cache_free(&v->mmu_cache);
}

int vcpu_enter(struct vcpu *v, struct vm_exit *e)
{
	struct vcpu_cpu *vc = vcpu_cpu_here();
	vcpu_make_loaded(v);
	/*
	 * VM entry and exit switch neither x87/SSE state nor DR0-3 (nor DR6
	 * on VMX), and the VMM itself never touches them (it is built
	 * -mgeneral-regs-only and sets no breakpoints), so the registers hold
	 * the state of the vCPU that ran last here: switch it lazily when
	 * another vCPU runs, so no guest sees or changes another's.
	 */
	struct vcpu *owner = vc->fpu_owner;
	if (owner != v) {
		if (owner) {
			fxsave(&owner->fpu);
			debug_regs_save(&owner->dbg);
		}
		fxrstor(&v->fpu);
		debug_regs_load(&v->dbg);
		vc->fpu_owner = v;
	}
	/* In guest mode from here on for vcpu_flush_all (the counter goes
	 * odd before the flag is read). */
	if (xcpu_enter_guest(&vc->guest_seq, &v->flush_pending))
		hv->flush_tlb(&v->hw);
	if (vc->last_guest != v->guest) {
		spec_guest_switch();
		vc->last_guest = v->guest;
	}
	v->guest->cur = v;
	spec_ctrl_enter(v->spec_ctrl);
	int r = hv->vcpu_run(&v->hw, e);
	spec_ctrl_exit(v->spec_ctrl);
	xcpu_leave_guest(&vc->guest_seq);
	v->event_queued = false;
	tdp_mmu_quiescent(this_cpu());
	if (r)
		return r;
	v->exits++;
	v->exits_by_kind[e->kind]++;
	u64 insns;
	unsigned pages;
	if (irq_step_take(&insns, &pages)) {
		/* The path from V's previous exit to this entry (the
		 * scheduler stops counting at the end of each slice, so it
		 * is always one of V's own). */
		v->step_exits[v->step_kind]++;
		v->step_insns[v->step_kind] += insns;
		v->step_max[v->step_kind] = MAX(v->step_max[v->step_kind], insns);
		v->step_pages[v->step_kind] += pages;
	}
	v->step_kind = (u8)e->kind;
	v->interrupted = e->interrupted;
	return 0;
}

void vcpu_set_preempt_ns(struct vcpu *v, u64 ns)
{
	vcpu_make_loaded(v);
	hv->set_preempt_ns(&v->hw, ns);
}

void vcpu_console_flush(struct vcpu *v)
{
	if (!v->out_len)
		return;
	guest_output_line(v->guest, v->id, v->out_line, v->out_len);
	v->out_len = 0;
}

void vcpu_console_write(struct vcpu *v, const char *s, size_t n)
{
	if (v->guest->attached) {
		guest_output_raw(v->guest, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			if (!v->out_len)
				v->out_line[v->out_len++] = ' ';
			vcpu_console_flush(v);
			continue;
		}
		if (c == '\r')
			continue;
		/* Keep the console readable: non-printing bytes become '.' */
		if ((u8)c < 0x20 || (u8)c >= 0x7f)
			c = '.';
		v->out_line[v->out_len++] = c;
		if (v->out_len == VCPU_LINE_MAX)
			vcpu_console_flush(v);
	}
	/* For the partial-line flush (vmm/vm.c guest_output_drain). */
	v->out_last_ns = time_ns();
	v->out_last_exits = v->exits;
}
