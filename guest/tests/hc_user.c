/*
 * Hypercalls are the kernel's, not its user programs': a guest's CPL-3 code
 * must not start vCPUs, end the guest or write to its console.  hc_user.asm
 * makes HC_VERSION and HC_EXIT(42) from CPL 3 at the entry; pagoda refuses
 * both with -EPERM (-1, as KVM does) and the guest goes on.  Then the same
 * HC_VERSION at CPL 0 answers.  Without a hypervisor (QEMU -kernel) the
 * instructions raise #UD at CPL 3 instead: hv=none expects that.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "hc_user";

extern u32 user_version_ret, user_exit_ret, user_ud, user_back;

void main(const char *cmdline)
{
	expect_eq(user_back, 1, "CPL-3 code ran and came back through INT 0x80");
	if (cmdline_has(cmdline, "hv=none")) {
		expect_eq(user_ud, 2, "without a hypervisor both instructions raise #UD");
	} else {
		expect_eq(user_ud, 0, "no #UD at CPL 3");
		expect_eq(user_version_ret, 0xffffffff, "HC_VERSION from CPL 3: -EPERM");
		expect_eq(user_exit_ret, 0xffffffff, "HC_EXIT from CPL 3: -EPERM, the guest goes on");
		s64 ret = 0;
		int v = hypercall_safe(HC_VERSION, 0, 0, 0, &ret);
		expect(v == NO_EXCEPTION && ret == PAGODA_VERSION, "HC_VERSION from CPL 0 answers");
	}
	report_done();
}
