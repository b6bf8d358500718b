/*
 * Exit dispatch: what happens after every VM exit, switched on the
 * vendor-neutral kind only (vmm/hv.h).  Each handler either lets the guest
 * go on (returns true) or ends it with a logged reason (returns false).
 */
#include "arch/x86/irq.h"
#include "mm/pmm.h"
#include "vmm/exit.h"
#include "vmm/emulate/mmio.h"
#include "vmm/intr.h"
#include "vmm/vm.h"
#include "lib/log.h"
#include "vmm/policy.h"
#include "lib/string.h"

#define X86_UD 6
#define X86_GP 13

/* Queue hardware exception VECTOR (with error code ERROR when HAS_ERROR)
 * for V's next entry. */
static void inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	struct hv_event ev = {.valid = true, .type = HV_EVENT_EXCEPTION, .vector = vector,
			      .has_error = has_error, .error = error};
	int r = vcpu_inject_event(v, &ev);
	if (r)
		pr_err("exit", "guest %s: exception %u not injected (%d)", v->guest->name, vector, r);
}

/* Log every register of V and the vendor's view (for exits we cannot handle). */
static void dump_guest(struct vcpu *v)
{
	struct vcpu_regs *r = &v->hw.regs;
	const char *n = v->guest->name;
	pr_err("exit", "guest %s: rip=0x%lx rflags=0x%lx rsp=0x%lx", n, r->rip, r->rflags, r->rsp);
	pr_err("exit", "guest %s: rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx", n, r->rax, r->rbx,
	       r->rcx, r->rdx);
	pr_err("exit", "guest %s: rsi=0x%lx rdi=0x%lx rbp=0x%lx r8=0x%lx", n, r->rsi, r->rdi,
	       r->rbp, r->r8);
	pr_err("exit", "guest %s: r9=0x%lx r10=0x%lx r11=0x%lx r12=0x%lx", n, r->r9, r->r10,
	       r->r11, r->r12);
	pr_err("exit", "guest %s: r13=0x%lx r14=0x%lx r15=0x%lx", n, r->r13, r->r14, r->r15);
	hv->dump(&v->hw);
}

/*
 * An exception the backend intercepts only so that its delivery cannot
 * loop inside the CPU with no exit (#AC, CVE-2015-5307; #DB on SVM,
 * CVE-2015-8104): it goes back into the guest unchanged.  Both are benign
 * (SDM Vol 3A Table 6-5), so when one hit while another event was being
 * delivered, the hardware would deliver the new one and drop the old: the
 * interrupted exception or software event is not injected again (an
 * external interrupt or NMI would be, but no guest has a source of those
 * yet).  Each round of a recursive delivery is now one exit, so the
 * scheduler's deadline and the console get their turn.
 */
static bool reflect_exception(struct vcpu *v, struct vm_exit *e)
{
	if (v->interrupted.valid && v->interrupted.type != HV_EVENT_EXT_INTR &&
	    v->interrupted.type != HV_EVENT_NMI)
		v->interrupted.valid = false;
	inject_exception(v, e->exc.vector, e->exc.has_error, e->exc.error);
	return true;
}

static bool handle_io(struct vcpu *v, struct vm_exit *e)
{
	struct guest *g = v->guest;
	if (e->io.string)
		return emulate_string_io(v, e); /* INS/OUTS: from the instruction bytes */
	u32 mask = e->io.size == 4 ? 0xffffffff : (1u << (e->io.size * 8)) - 1;
	u32 val = e->io.in ? 0 : (u32)v->hw.regs.rax & mask;
	bus_io(&g->bus, v, e->io.port, e->io.size, e->io.in, &val);
	if (g->state != GUEST_RUNNING)
		return false; /* the device ended the guest (debug exit) */
	/* An 8- or 16-bit IN merges into RAX; a 32-bit one is a 32-bit register
	 * write, which zeroes RAX[63:32] (Intel SDM vol 1 3.4.1.1). */
	if (e->io.in && e->io.size == 4)
		v->hw.regs.rax = val;
	else if (e->io.in)
		v->hw.regs.rax = (v->hw.regs.rax & ~(u64)mask) | (val & mask);
	hv->skip_insn(&v->hw, e);
	return true;
}

/*
 * A nested page fault.  Fill the vCPU's page cache outside the MMU lock,
 * then let the TDP MMU install the entry.  A GPA outside every memslot is
 * emulated (vmm/emulate/mmio.c): a device row's, or unassigned, which
 * reads as all ones and ignores writes as on a PC.
 */
static bool handle_tdp_fault(struct vcpu *v, struct vm_exit *e)
{
	struct guest *g = v->guest;
	if (tdp_mmu_cache_topup(&v->mmu_cache)) {
		guest_crash(g, "host out of memory (%lu pages free) at gpa 0x%lx", pmm_free_count(),
			    e->tdp.gpa);
		return false;
	}
	switch (tdp_mmu_page_fault(g->mmu, &v->mmu_cache, e->tdp.gpa, e->tdp.access)) {
	case TDP_FAULT_MAPPED:
	case TDP_FAULT_SPURIOUS:
		return true;
	case TDP_FAULT_NOMEM:
		guest_crash(g, "host out of memory (%lu pages free) at gpa 0x%lx", pmm_free_count(),
			    e->tdp.gpa);
		return false;
	case TDP_FAULT_WRITE_PROT:
		guest_crash(g, "write to read-only memory at gpa 0x%lx", e->tdp.gpa);
		return false;
	case TDP_FAULT_MMIO:
		break;
	}
	return emulate_mmio(v, e->tdp.gpa);
}

/* exit_handle_unlocked (vmm/exit.h) for a TDP exit E. */
bool exit_handle_tdp_unlocked(struct vcpu *v, struct vm_exit *e)
{
	if (tdp_mmu_cache_topup(&v->mmu_cache))
		return false;
	enum tdp_fault_result r =
		tdp_mmu_page_fault(v->guest->mmu, &v->mmu_cache, e->tdp.gpa, e->tdp.access);
	return r == TDP_FAULT_MAPPED || r == TDP_FAULT_SPURIOUS;
}

/* CPUID: the filtered answer (vmm/cpuid.c), with the local APIC's part. */
static bool handle_cpuid(struct vcpu *v, struct vm_exit *e)
{
	u32 out[4];
	cpuid_guest((u32)v->hw.regs.rax, (u32)v->hw.regs.rcx, out);
	intr_cpuid(v, (u32)v->hw.regs.rax, (u32)v->hw.regs.rcx, out);
	v->hw.regs.rax = out[0];
	v->hw.regs.rbx = out[1];
	v->hw.regs.rcx = out[2];
	v->hw.regs.rdx = out[3];
	hv->skip_insn(&v->hw, e);
	return true;
}

bool exit_handle(struct vcpu *v, struct vm_exit *e)
{
	struct guest *g = v->guest;

	/* The most frequent kind first, before the switch's indirect jump
	 * (each costs an emulator a lookup of its target). */
	if (e->kind == VM_EXIT_CPUID)
		return handle_cpuid(v, e);
	switch (e->kind) {
	case VM_EXIT_NONE:
	case VM_EXIT_PREEMPT:
		return true;
	case VM_EXIT_IRQ_WINDOW:
		/* The guest can take an interrupt now: intr_inject() gives it
		 * at the next entry.  The backend withdrew the window. */
		v->window_irq = false;
		return true;
	case VM_EXIT_NMI_WINDOW:
		v->nmi_window = true;
		v->window_nmi = false;
		return true;
	case VM_EXIT_IO:
		return handle_io(v, e);
	case VM_EXIT_CPUID:
		return handle_cpuid(v, e);
	case VM_EXIT_MSR_READ: {
		u64 val;
		if (!msr_guest_read(v, e->msr.index, &val)) {
			inject_exception(v, X86_GP, true, 0);
			return true;
		}
		v->hw.regs.rax = (u32)val;
		v->hw.regs.rdx = val >> 32;
		hv->skip_insn(&v->hw, e);
		return true;
	}
	case VM_EXIT_MSR_WRITE:
		if (!msr_guest_write(v, e->msr.index, e->msr.value)) {
			inject_exception(v, X86_GP, true, 0);
			return true;
		}
		hv->skip_insn(&v->hw, e);
		return true;
	case VM_EXIT_HLT:
		/* The vCPU sleeps until an event it can take (vmm/intr.c);
		 * the guest ends when none of its vCPUs could ever wake. */
		hv->skip_insn(&v->hw, e);
		return intr_halt(v);
	case VM_EXIT_HYPERCALL:
		hv->skip_insn(&v->hw, e);
		return hypercall_handle(v);
	case VM_EXIT_TDP_FAULT:
	case VM_EXIT_TDP_MISCONFIG:
		return handle_tdp_fault(v, e);
	case VM_EXIT_VIRT_INSN: {
		u8 vec = e->insn.vector ? e->insn.vector : X86_UD;
		pr_info("exit", "guest %s: %s at rip=0x%lx -> %s", g->name, e->insn.name,
			v->hw.regs.rip, vec == X86_GP ? "#GP" : "#UD");
		inject_exception(v, vec, vec == X86_GP, 0);
		return true;
	}
	case VM_EXIT_EXCEPTION:
		return reflect_exception(v, e);
	case VM_EXIT_TRIPLE_FAULT:
		dump_guest(v); /* the state it faulted in: what was being delivered, where */
		guest_crash(g, "triple fault at rip=0x%lx", v->hw.regs.rip);
		return false;
	case VM_EXIT_INVALID:
		dump_guest(v);
		guest_crash(g, "VM entry failed: invalid guest state");
		return false;
	case VM_EXIT_UNHANDLED:
		pr_err("exit", "guest %s: unhandled exit code 0x%lx info1=0x%lx info2=0x%lx", g->name,
		       e->raw_code, e->raw_info1, e->raw_info2);
		dump_guest(v);
		guest_crash(g, "unhandled exit 0x%lx", e->raw_code);
		return false;
	}
	guest_crash(g, "bad exit kind %d", e->kind);
	return false;
}

/* Short names of the exit kinds, for the exitpath line (vmm/hv.h's order). */
static const char *const exit_kind_names[VM_EXIT_KINDS] = {
	[VM_EXIT_NONE] = "none", [VM_EXIT_IO] = "io", [VM_EXIT_CPUID] = "cpuid",
	[VM_EXIT_MSR_READ] = "rdmsr", [VM_EXIT_MSR_WRITE] = "wrmsr", [VM_EXIT_HLT] = "hlt",
	[VM_EXIT_HYPERCALL] = "hypercall", [VM_EXIT_TDP_FAULT] = "tdp_fault",
	[VM_EXIT_TDP_MISCONFIG] = "tdp_mmio", [VM_EXIT_VIRT_INSN] = "virt_insn",
	[VM_EXIT_TRIPLE_FAULT] = "triple_fault", [VM_EXIT_PREEMPT] = "preempt",
	[VM_EXIT_IRQ_WINDOW] = "irq_window", [VM_EXIT_NMI_WINDOW] = "nmi_window",
	[VM_EXIT_INVALID] = "invalid", [VM_EXIT_EXCEPTION] = "exception",
	[VM_EXIT_UNHANDLED] = "unhandled",
};

void exit_count_set(bool on) { irq_step_set_mode(on); }
bool exit_count_on(void) { return irq_step_mode; }

void exit_count_format(const struct guest *g, char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "exitpath name=%s", g->name);
	for (unsigned k = 0; k < VM_EXIT_KINDS && len < n; k++) {
		u64 paths = 0, insns = 0, max = 0, pages = 0;
		for (unsigned i = 0; i < g->nr_vcpus; i++) {
			paths += g->vcpus[i].step_exits[k];
			insns += g->vcpus[i].step_insns[k];
			max = MAX(max, g->vcpus[i].step_max[k]);
			pages += g->vcpus[i].step_pages[k];
		}
		if (paths)
			len += (size_t)snprintf(buf + len, n - len, " %s=%lu:%lu:%lu:%lu",
						exit_kind_names[k], paths, insns / paths, max,
						pages / paths);
	}
}
