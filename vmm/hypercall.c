/*
 * Hypercalls (VMMCALL on AMD, VMCALL on Intel): number in RAX, arguments in
 * RDI, RSI, RDX, result in RAX.  Unknown numbers return -E_NOSYS and never
 * end the guest.  They are the guest kernel's: from CPL 1-3 every one
 * returns -E_PERM (as KVM's do), so a guest's user programs cannot start
 * vCPUs, end the guest or write to its console.
 */
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "vmm/policy.h"

/* V's current privilege level: 0 in real mode, 3 in virtual-8086 mode,
 * else SS.DPL (which hv_ops keeps equal to the CPL). */
static unsigned guest_cpl(struct vcpu *v)
{
	if (!(hv->get_cr(&v->hw, 0) & CR0_PE))
		return 0;
	if (v->hw.regs.rflags & RFLAGS_VM)
		return 3;
	struct hv_segment ss;
	hv->get_segment(&v->hw, HV_SEG_SS, &ss);
	return (ss.attrib >> 5) & 3;
}

bool hypercall_handle(struct vcpu *v)
{
	struct guest *g = v->guest;
	struct vcpu_regs *r = &v->hw.regs;
	s64 ret;

	unsigned cpl = guest_cpl(v);
	if (cpl) {
		pr_debug("hcall", "guest %s: hypercall %lu from CPL %u refused", g->name, r->rax, cpl);
		r->rax = (u64)(s64)-E_PERM;
		return true;
	}
	switch (r->rax) {
	case HC_VERSION:
		ret = PAGODA_VERSION;
		break;
	case HC_CONSOLE_WRITE: {
		char buf[256];
		u64 gpa = r->rdi, len = r->rsi, done = 0;
		if (len > HC_MAX_WRITE) {
			ret = -E_RANGE;
			break;
		}
		ret = 0;
		while (done < len) {
			u64 n = MIN(len - done, sizeof(buf));
			if (tdp_read_guest(g->mmu, gpa + done, buf, n)) {
				ret = -E_FAULT;
				break;
			}
			vcpu_console_write(v, buf, n);
			done += n;
		}
		if (!ret)
			ret = (s64)len;
		break;
	}
	case HC_VCPU_START:
		ret = guest_vcpu_start(g, (unsigned)MIN(r->rdi, 0xffffffffULL), r->rsi, r->rdx);
		break;
	case HC_EXIT:
		guest_exit(g, (int)r->rdi);
		return false;
	default:
		pr_debug("hcall", "guest %s: unknown hypercall %lu", g->name, r->rax);
		ret = -E_NOSYS;
	}
	r->rax = (u64)ret;
	return true;
}
