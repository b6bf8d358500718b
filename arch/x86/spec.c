/*
 * Speculative-execution defences at the world switch: the CPU side of
 * spec_choice.c's decisions.  What the CPU reports is read once (CPUID
 * leaves 0, 7 and 0x80000008; IA32_ARCH_CAPABILITIES when CPUID 7.0:EDX[29]
 * says it exists), the choice is logged, and three hooks apply it:
 * spec_guest_switch (IBPB: IA32_PRED_CMD bit 0, Intel SDM Vol 4 / AMD
 * "Indirect Branch Control"), spec_before_entry (IA32_FLUSH_CMD bit 0
 * L1D_FLUSH, or VERW of a writable data selector, which clears the CPU
 * buffers on MD_CLEAR parts) and spec_rsb_fill for the asm.
 */
#include "arch/x86/spec.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/spec_choice.h"
#include "lib/log.h"
#include "lib/string.h"

#define MSR_ARCH_CAPABILITIES 0x10a
#define PRED_CMD_IBPB BIT(0)
#define MSR_FLUSH_CMD 0x10b
#define FLUSH_CMD_L1D BIT(0)

u8 spec_rsb_fill;
u8 spec_entry_work;
static struct spec_choice choice;
static u64 host_spec_ctrl; /* the VMM's own SPEC_CTRL, back after every exit */
static const u16 verw_sel = GDT_KERNEL_DS; /* VERW's operand: a writable data segment */

void spec_init(void)
{
	struct spec_cpu in = {0};
	struct cpuid_regs r = cpuid(0);
	u32 max = r.eax;
	in.intel = r.ebx == 0x756e6547 && r.edx == 0x49656e69 && r.ecx == 0x6c65746e; /* GenuineIntel */
	in.amd = r.ebx == 0x68747541 && r.edx == 0x69746e65 && r.ecx == 0x444d4163;   /* AuthenticAMD */
	if (max >= 7) {
		struct cpuid_regs l7 = cpuid_count(7, 0);
		in.ibpb = in.intel && (l7.edx & BIT(26));
		in.l1d_flush = l7.edx & BIT(28);
		in.md_clear = l7.edx & BIT(10);
		in.has_arch_caps = l7.edx & BIT(29);
		if (in.intel)
			in.spec_ctrl_bits = ((l7.edx & BIT(26)) ? SPEC_CTRL_IBRS : 0) |
					    ((l7.edx & BIT(27)) ? SPEC_CTRL_STIBP : 0) |
					    ((l7.edx & BIT(31)) ? SPEC_CTRL_SSBD : 0);
	}
	if (in.amd && cpuid(0x80000000).eax >= 0x80000008) {
		u32 b = cpuid(0x80000008).ebx;
		in.ibpb = b & BIT(12);
		in.spec_ctrl_bits = ((b & BIT(14)) ? SPEC_CTRL_IBRS : 0) |
				    ((b & BIT(15)) ? SPEC_CTRL_STIBP : 0) |
				    ((b & BIT(24)) ? SPEC_CTRL_SSBD : 0);
	}
	if (in.has_arch_caps)
		in.arch_caps = rdmsr(MSR_ARCH_CAPABILITIES);
	spec_choose(&in, &choice);
	if (in.spec_ctrl_bits)
		host_spec_ctrl = rdmsr(MSR_SPEC_CTRL);
	spec_rsb_fill = choice.rsb_fill_on_exit;
	spec_entry_work = (choice.l1d == SPEC_L1D_FLUSH || choice.mds == SPEC_MDS_VERW ? SPEC_WORK_FLUSH : 0) |
			  (choice.guest_spec_ctrl ? SPEC_WORK_CTRL : 0);
	char line[128];
	pr_info("spec", "%s", spec_describe(&choice, line, sizeof(line)));
}

void spec_guest_switch(void)
{
	if (choice.ibpb_on_guest_switch)
		wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
}

void spec_before_entry_slow(void)
{
	if (choice.l1d == SPEC_L1D_FLUSH)
		wrmsr(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
	else if (choice.mds == SPEC_MDS_VERW)
		__asm__ volatile("verw %0" : : "m"(verw_sel) : "cc");
}

u64 spec_guest_spec_ctrl_bits(void) { return choice.guest_spec_ctrl; }

bool spec_guest_ibpb(void) { return choice.guest_ibpb; }

void spec_ctrl_enter_slow(u64 guest)
{
	if (guest != host_spec_ctrl)
		wrmsr(MSR_SPEC_CTRL, guest);
}

void spec_ctrl_exit_slow(u64 guest)
{
	if (guest != host_spec_ctrl)
		wrmsr(MSR_SPEC_CTRL, host_spec_ctrl);
}

void spec_guest_ibpb_now(void) { wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB); }
