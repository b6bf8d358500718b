/*
 * Host tests of the speculative-execution defence choice
 * (arch/x86/spec_choice.c): each rule on the CPUs it separates, and the
 * boot log line.
 */
#include "arch/x86/spec_choice.h"

#include <string.h>

#include "tests/host/tap.h"

static struct spec_choice pick(struct spec_cpu in)
{
	struct spec_choice c;
	memset(&c, 0xa5, sizeof(c)); /* every field must be set */
	spec_choose(&in, &c);
	return c;
}

int main(void)
{
	char buf[160];

	/* An old Intel part (Skylake-like): no ARCH_CAPABILITIES, every flush
	 * available. */
	struct spec_choice c = pick((struct spec_cpu){.intel = true, .ibpb = true, .l1d_flush = true,
						      .md_clear = true});
	ok(c.ibpb_on_guest_switch, "Intel with IBPB: IBPB on guest switch");
	ok(c.rsb_fill_on_exit, "RSB filled after every exit");
	is_u64(c.l1d, SPEC_L1D_FLUSH, "Intel without RDCL_NO: L1D flush before entry");
	is_u64(c.mds, SPEC_MDS_BY_L1D_FLUSH, "MDS: the L1D flush clears the buffers, no VERW");
	ok(!strcmp(spec_describe(&c, buf, sizeof(buf)),
		   "mitigations: ibpb=guest-switch rsb=fill-on-exit l1tf=flush-before-entry "
		   "mds=by-l1d-flush spec_ctrl=unavailable"), "log line: %s", buf);
	ok(!c.guest_spec_ctrl && c.guest_ibpb, "no SPEC_CTRL bits: the MSR stays hidden; IBPB is given");

	/* The guest's own SPEC_CTRL: exactly the bits the CPU has. */
	c = pick((struct spec_cpu){.intel = true, .ibpb = true,
				   .spec_ctrl_bits = SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD});
	is_u64(c.guest_spec_ctrl, 7, "IBRS, STIBP, SSBD on the CPU: the guest owns all three");
	ok(strstr(spec_describe(&c, buf, sizeof(buf)), "spec_ctrl=guest-owned(0x7)") != NULL,
	   "log line: %s", buf);
	c = pick((struct spec_cpu){.amd = true, .spec_ctrl_bits = SPEC_CTRL_SSBD | (1u << 7)});
	is_u64(c.guest_spec_ctrl, SPEC_CTRL_SSBD, "AMD with SSBD only: the guest owns SSBD, nothing else");
	ok(!c.guest_ibpb, "no IBPB on the CPU: guests get none");

	/* Same without the L1D flush command (old microcode). */
	c = pick((struct spec_cpu){.intel = true, .ibpb = true, .md_clear = true});
	is_u64(c.l1d, SPEC_L1D_VULNERABLE, "no IA32_FLUSH_CMD: L1TF reported vulnerable");
	is_u64(c.mds, SPEC_MDS_VERW, "... and MDS handled by VERW");

	/* Neither MD_CLEAR nor FLUSH_CMD nor IBPB. */
	c = pick((struct spec_cpu){.intel = true});
	ok(!c.ibpb_on_guest_switch, "no IBPB: none issued");
	is_u64(c.mds, SPEC_MDS_VULNERABLE, "no MD_CLEAR: MDS reported vulnerable");
	spec_describe(&c, buf, sizeof(buf));
	ok(strstr(buf, "ibpb=unavailable") && strstr(buf, "l1tf=VULNERABLE") &&
		   strstr(buf, "mds=VULNERABLE"), "log line names what is missing: %s", buf);

	/* A part that skips the L1D flush at VM entry but has MDS. */
	c = pick((struct spec_cpu){.intel = true, .ibpb = true, .l1d_flush = true, .md_clear = true,
				   .has_arch_caps = true,
				   .arch_caps = ARCH_CAP_SKIP_L1DFL_VMENTRY});
	is_u64(c.l1d, SPEC_L1D_NOT_AFFECTED, "SKIP_L1DFL_VMENTRY: no L1D flush");
	is_u64(c.mds, SPEC_MDS_VERW, "... so MDS needs VERW");

	/* RDCL_NO and MDS_NO but TAA affected. */
	c = pick((struct spec_cpu){.intel = true, .ibpb = true, .l1d_flush = true, .md_clear = true,
				   .has_arch_caps = true,
				   .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO});
	is_u64(c.l1d, SPEC_L1D_NOT_AFFECTED, "RDCL_NO: L1TF not affected");
	is_u64(c.mds, SPEC_MDS_VERW, "MDS_NO without TAA_NO: VERW still");

	/* A recent Intel part: not affected by either. */
	c = pick((struct spec_cpu){.intel = true, .ibpb = true, .l1d_flush = true, .md_clear = true,
				   .has_arch_caps = true,
				   .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO |
						ARCH_CAP_TAA_NO});
	is_u64(c.l1d, SPEC_L1D_NOT_AFFECTED, "recent Intel: L1TF not affected");
	is_u64(c.mds, SPEC_MDS_NOT_AFFECTED, "recent Intel: MDS not affected");

	/* ARCH_CAPABILITIES bits without the MSR are ignored. */
	c = pick((struct spec_cpu){.intel = true, .l1d_flush = true, .md_clear = true,
				   .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO |
						ARCH_CAP_TAA_NO});
	is_u64(c.l1d, SPEC_L1D_FLUSH, "capability bits of a missing MSR are not trusted");

	/* AMD: IBPB and RSB fill only. */
	c = pick((struct spec_cpu){.amd = true, .ibpb = true, .md_clear = true});
	ok(c.ibpb_on_guest_switch && c.rsb_fill_on_exit, "AMD: IBPB on guest switch, RSB fill");
	ok(c.l1d == SPEC_L1D_NOT_AFFECTED && c.mds == SPEC_MDS_NOT_AFFECTED,
	   "AMD: neither L1TF nor MDS");

	/* The line always fits and ends. */
	char small[16];
	spec_describe(&c, small, sizeof(small));
	is_u64(strlen(small), sizeof(small) - 1, "a short buffer gets a truncated, terminated line");

	return tap_done();
}
