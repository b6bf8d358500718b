/*
 * MSR policy: every MSR access exits (the permission maps are all ones) and
 * is denied with #GP unless listed here.  EFER is the one MSR a Multiboot
 * guest needs (to enter long mode); the vendor keeps the bits the hardware
 * needs (SVME on AMD) and the guest sees only its own.
 */
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "vmm/policy.h"

bool msr_guest_read(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_EFER:
		*val = hv->get_efer(&v->hw);
		return true;
	case MSR_PAT:
		*val = 0x0007040600070406ULL;
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
	}
	pr_debug("msr", "guest %s: WRMSR 0x%x <- 0x%lx denied (#GP)", v->guest->name, msr, val);
	return false;
}
