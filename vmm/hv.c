/*
 * Choose the virtualization backend once at boot from CPUID: AMD SVM or
 * Intel VMX.  One image carries both; there is no #ifdef for the vendor.
 */
#include "arch/x86/cpu.h"
#include "vmm/hv.h"
#include "lib/log.h"
#include "lib/string.h"

const struct hv_ops *hv;

int hv_select(void)
{
	struct cpuid_regs r = cpuid(0);
	char vendor[13];
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = 0;

	const struct hv_ops *cands[2] = {&svm_ops, &vmx_ops};
	for (unsigned i = 0; i < ARRAY_SIZE(cands); i++) {
		if (!cands[i] || cands[i]->probe() != 0)
			continue;
		hv = cands[i];
		pr_info("hv", "CPU vendor %s: using %s", vendor, hv->name);
		return 0;
	}
	pr_err("hv", "CPU vendor %s: no usable hardware virtualization (SVM with NPT or VMX "
	       "with EPT and unrestricted guest)", vendor);
	return -E_NODEV;
}
