/*
 * Intercepted instructions with prefixes: CPUID as `66 0f a2`, `f3 0f a2`
 * and `48 0f a2` (REX.W), RDMSR of EFER as `66 0f 32`.  The VMM must step
 * over the whole instruction: without NRIP save (QEMU's TCG) it counts the
 * prefixes itself; stepping over only the opcode's 2 bytes would run the
 * last byte as the next instruction.  Each is followed by a marker the
 * guest checks it reached with the right results.  Also an intercepted
 * 32-bit IN, which like any 32-bit register write must zero RAX[63:32].
 */
#include "guest/lib/guest.h"

const char guest_name[] = "prefixes";

/* CPUID leaf 0 through PREFIX (a string of bytes); returns EAX, and the
 * marker after the instruction in *REACHED. */
#define CPUID_WITH(prefix, eax, reached)                                         \
	__asm__ volatile("xor %%ecx, %%ecx\n\t"                                   \
			 "mov $1, %%r8d\n\t"                                     \
			 ".byte " prefix ", 0x0f, 0xa2\n\t"                      \
			 "mov $2, %%r8d\n\t"                                     \
			 "mov %%r8d, %1"                                         \
			 : "+a"(eax), "=m"(reached)                              \
			 :                                                       \
			 : "rbx", "rcx", "rdx", "r8", "memory")

void main(const char *cmdline)
{
	(void)cmdline;
	u32 r[4];
	cpuid(0, 0, r);
	const char *names[3] = {"66 0f a2 (operand size)", "f3 0f a2 (REP)", "48 0f a2 (REX.W)"};
	for (unsigned i = 0; i < 3; i++) {
		u32 eax = 0, reached = 0;
		if (i == 0)
			CPUID_WITH("0x66", eax, reached);
		else if (i == 1)
			CPUID_WITH("0xf3", eax, reached);
		else
			CPUID_WITH("0x48", eax, reached);
		expect(eax == r[0] && reached == 2, "CPUID as %s: leaf 0 answered, the next "
		       "instruction ran (eax %#x, marker %u)", names[i], eax, reached);
	}
	u32 lo = 0, reached = 0;
	__asm__ volatile("mov $0xc0000080, %%ecx\n\t"
			 "mov $1, %%r8d\n\t"
			 ".byte 0x66, 0x0f, 0x32\n\t"
			 "mov $2, %%r8d\n\t"
			 "mov %%r8d, %1"
			 : "=a"(lo), "=m"(reached)
			 :
			 : "rcx", "rdx", "r8", "memory");
	expect((lo & (1u << 8)) && reached == 2, "RDMSR EFER as 66 0f 32: LME set, the next "
	       "instruction ran (eax %#x, marker %u)", lo, reached);
	u64 rax = ~0ULL;
	__asm__ volatile("mov $0x1234, %%dx\n\tin (%%dx), %%eax" : "+a"(rax) : : "rdx");
	expect_eq(rax, 0xffffffffULL, "32-bit IN from an unassigned port: EAX all ones, RAX[63:32] zero");
	report_done();
}
