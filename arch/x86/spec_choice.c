/*
 * The choice of speculative-execution defences (spec_choice.h), after the
 * rules Linux applies in arch/x86/kernel/cpu/bugs.c for a hypervisor:
 *  - IBPB on a switch between guests whenever the CPU has it (Spectre v2:
 *    one guest's branch-target training must not steer another's).
 *  - RSB fill after every exit, on every CPU (a guest may leave return
 *    predictions the host's first RETs would follow; cheap).
 *  - L1TF is an Intel-only bug: not affected with RDCL_NO, and no flush
 *    needed with SKIP_L1DFL_VMENTRY; else flush L1D before each entry when
 *    IA32_FLUSH_CMD exists, or report the CPU vulnerable.
 *  - MDS/TAA (Intel only): not affected with MDS_NO and TAA_NO; else VERW
 *    before entry when MD_CLEAR says it clears the buffers - unless the
 *    L1D flush runs anyway, which clears them too on MD_CLEAR parts; a
 *    CPU without MD_CLEAR microcode is reported vulnerable.
 * AMD parts are affected by neither L1TF nor MDS.
 */
#include "arch/x86/spec_choice.h"
#include "lib/string.h"

void spec_choose(const struct spec_cpu *in, struct spec_choice *out)
{
	u64 caps = in->has_arch_caps ? in->arch_caps : 0;

	out->ibpb_on_guest_switch = in->ibpb;
	out->rsb_fill_on_exit = true;
	/* A guest gets its own SPEC_CTRL (the bits the CPU has) and IBPB when
	 * the CPU has them: its kernel defends its own processes, as on bare
	 * metal; the VMM switches the MSR when the guest's value differs. */
	out->guest_spec_ctrl = in->spec_ctrl_bits & (SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD);
	out->guest_ibpb = in->ibpb;

	if (!in->intel || (caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY)))
		out->l1d = SPEC_L1D_NOT_AFFECTED;
	else if (in->l1d_flush)
		out->l1d = SPEC_L1D_FLUSH;
	else
		out->l1d = SPEC_L1D_VULNERABLE;

	if (!in->intel || ((caps & ARCH_CAP_MDS_NO) && (caps & ARCH_CAP_TAA_NO)))
		out->mds = SPEC_MDS_NOT_AFFECTED;
	else if (!in->md_clear)
		out->mds = SPEC_MDS_VULNERABLE;
	else if (out->l1d == SPEC_L1D_FLUSH)
		out->mds = SPEC_MDS_BY_L1D_FLUSH;
	else
		out->mds = SPEC_MDS_VERW;
}

char *spec_describe(const struct spec_choice *c, char *buf, size_t size)
{
	static const char *const l1d[] = {"not-affected", "flush-before-entry", "VULNERABLE"};
	static const char *const mds[] = {"not-affected", "verw-before-entry", "by-l1d-flush",
					  "VULNERABLE"};
	char sc[32];
	if (c->guest_spec_ctrl)
		snprintf(sc, sizeof(sc), "guest-owned(0x%lx)", (unsigned long)c->guest_spec_ctrl);
	else
		snprintf(sc, sizeof(sc), "unavailable");
	snprintf(buf, size, "mitigations: ibpb=%s rsb=%s l1tf=%s mds=%s spec_ctrl=%s",
		 c->ibpb_on_guest_switch ? "guest-switch" : "unavailable",
		 c->rsb_fill_on_exit ? "fill-on-exit" : "off", l1d[c->l1d], mds[c->mds], sc);
	return buf;
}
