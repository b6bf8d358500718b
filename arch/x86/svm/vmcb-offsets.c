/*
 * VMCB offsets for arch/x86/svm's assembly, generated at build time as
 * arch/x86/asm-offsets.c generates its own (the Makefile turns each
 * "@@OFFSET NAME value" line into "%define NAME value", here in
 * build/vmcb-offsets.inc); kept in the vendor's directory, since nothing
 * outside it may include vendor code.  Only the EXIT_FLOOR build of
 * vmrun.asm uses them today.
 */
#include "arch/x86/svm/vmcb.h"

#define OFFSET(name, type, member) \
	__asm__ volatile("\n@@OFFSET " #name " %0" ::"i"(offsetof(type, member)))
#define CONSTANT(name, value) __asm__ volatile("\n@@OFFSET " #name " %0" ::"i"(value))

void vmcb_offsets(void);
void vmcb_offsets(void)
{
	OFFSET(VMCB_EXIT_CODE, struct vmcb, ctl.exit_code);
	OFFSET(VMCB_TLB_CONTROL, struct vmcb, ctl.tlb_control);
	OFFSET(VMCB_EVENT_INJ, struct vmcb, ctl.event_inj);
	OFFSET(VMCB_RIP, struct vmcb, save.rip);
	OFFSET(VMCB_RAX, struct vmcb, save.rax);
	CONSTANT(VMCB_EXIT_CPUID, SVM_EXIT_CPUID);
}
