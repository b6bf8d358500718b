/*
 * MSR policy: every MSR access exits (the permission maps are all ones) and
 * is denied with #GP unless listed here.  EFER is the one MSR a Multiboot
 * guest needs (to enter long mode); the vendor keeps the bits the hardware
 * needs (SVME on AMD) and the guest sees only its own.  The guest-owned
 * MSRs (SYSCALL's STAR/LSTAR/CSTAR/SFMASK, SWAPGS's KERNEL_GS_BASE, and
 * TSC_AUX) are each vCPU's own, kept and switched by the backend
 * (hv->get_msr/set_msr); the first five do not even exit (the permission
 * maps let them through), so only TSC_AUX and the checks below come here.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/spec.h"
#include "lib/log.h"
#include "vmm/policy.h"

/* Is VAL a canonical address (48-bit linear addresses: bits 63:47 equal)? */
static bool canonical(u64 val)
{
	return (u64)((s64)(val << 16) >> 16) == val;
}

bool msr_guest_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (hv->get_msr(&v->hw, msr, val))
		return true;
	switch (msr) {
	case MSR_EFER:
		*val = hv->get_efer(&v->hw);
		return true;
	case MSR_PAT:
		*val = 0x0007040600070406ULL;
		return true;
	case MSR_SPEC_CTRL:
		/* The guest's own copy, when the CPU has the MSR (arch/x86/spec.c). */
		if (!spec_guest_spec_ctrl_bits())
			break;
		*val = v->spec_ctrl;
		return true;
	}
	pr_debug("msr", "guest %s: RDMSR 0x%x denied (#GP)", v->guest->name, msr);
	return false;
}

bool msr_guest_write(struct vcpu *v, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_EFER:
		/* Only SCE, LME and NXE are the guest's; anything else is #GP. */
		if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			break;
		hv->set_efer(&v->hw, val);
		return true;
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		/* A non-canonical address is #GP (SDM Vol 4, WRMSR). */
		if (canonical(val) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_STAR:
		if (hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	case MSR_SPEC_CTRL:
		/* Only the bits the CPU has (IBRS, STIBP, SSBD); loaded at entry. */
		if (!spec_guest_spec_ctrl_bits() || (val & ~spec_guest_spec_ctrl_bits()))
			break;
		v->spec_ctrl = val;
		return true;
	case MSR_PRED_CMD:
		/* IBPB (bit 0) is a barrier, done for the guest; other bits #GP. */
		if (!spec_guest_ibpb() || val != 1)
			break;
		spec_guest_ibpb_now();
		return true;
	case MSR_SFMASK:
	case MSR_TSC_AUX:
		/* Bits 63:32 are reserved (#GP when set). */
		if (!(val >> 32) && hv->set_msr(&v->hw, msr, val))
			return true;
		break;
	}
	pr_debug("msr", "guest %s: WRMSR 0x%x <- 0x%lx denied (#GP)", v->guest->name, msr, val);
	return false;
}
