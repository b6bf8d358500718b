/*
 * guest/lib/hypercall.c -- the hypercall instruction (see hypercall.h).
 */
#include "guest/lib/hypercall.h"
#include "guest/lib/cpu.h"
#include "guest/lib/exception.h"
#include "lib/string.h"

static bool use_vmmcall;

/* True when CPUID leaf 0's vendor string (EBX, EDX, ECX) is VENDOR. */
static bool vendor_is(const u32 r[4], const char *vendor)
{
	return !memcmp(&r[1], vendor, 4) && !memcmp(&r[3], vendor + 4, 4) &&
	       !memcmp(&r[2], vendor + 8, 4);
}

/* See hypercall.h. */
void hypercall_init(void)
{
	u32 r[4];
	cpuid(0, 0, r);
	use_vmmcall = vendor_is(r, "AuthenticAMD") || vendor_is(r, "HygonGenuine");
}

/* See hypercall.h. */
bool cpu_is_svm_vendor(void) { return use_vmmcall; }

/* See hypercall.h. */
const char *hypercall_insn(void)
{
	return use_vmmcall ? "vmmcall" : "vmcall";
}

/* See hypercall.h.  RAX carries the number in and the result out. */
int hypercall_safe(u64 nr, u64 a0, u64 a1, u64 a2, s64 *ret)
{
	u64 rax = nr;
	if (use_vmmcall)
		__asm__ volatile(ASM_SAFE("vmmcall")
				 : "+a"(rax) : "D"(a0), "S"(a1), "d"(a2) : "r11", "memory");
	else
		__asm__ volatile(ASM_SAFE("vmcall")
				 : "+a"(rax) : "D"(a0), "S"(a1), "d"(a2) : "r11", "memory");
	if (exc_fixup.vector == NO_EXCEPTION)
		*ret = (s64)rax;
	return (int)exc_fixup.vector;
}
