/*
 * Intercepted instructions with prefixes: CPUID as `66 0f a2`, `f3 0f a2`
 * and `48 0f a2` (REX.W), RDMSR of EFER as `66 0f 32`.  The VMM must step
 * over the whole instruction: without NRIP save (QEMU's TCG) it counts the
 * prefixes itself; stepping over only the opcode's 2 bytes would run the
 * last byte as the next instruction.  Each is followed by a marker the
 * guest checks it reached with the right results; and CPUID split across
 * a page boundary, after its prefix and inside its opcode, and CPUID at an
 * address whose page the guest remapped.  Also an intercepted
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

/*
 * CPUID leaf 0 split across a page boundary, each entered at the start of
 * its own page and running NOPs to the split: `66 | 48 0f a2` (operand
 * size on the page's last byte, REX.W on the next: the VMM must read on
 * into the next page to count both) and `0f | a2`.  Each returns EAX and stores 2 at *REACHED
 * once the instruction after the CPUID ran (stepping over too few bytes
 * would run A2 as an instruction).  RBX, which CPUID writes, is saved.
 * Bytes before the split: push rbx (1), xor eax (2), xor ecx (2), and in
 * the first one mov $1, r8d (6).
 */
u32 cpuid_prefix_split(u32 *reached);
u32 cpuid_opcode_split(u32 *reached);
__asm__(".pushsection .text.split, \"ax\"\n"
	".balign 4096\n"
	"cpuid_prefix_split:\n"
	"	.skip 4096 - 12, 0x90\n"
	"	push %rbx\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	mov $1, %r8d\n"
	"	.byte 0x66, 0x48, 0x0f, 0xa2\n"
	"	movl $2, (%rdi)\n"
	"	pop %rbx\n"
	"	ret\n"
	".balign 4096\n"
	"cpuid_opcode_split:\n"
	"	.skip 4096 - 6, 0x90\n"
	"	push %rbx\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	.byte 0x0f, 0xa2\n"
	"	movl $2, (%rdi)\n"
	"	pop %rbx\n"
	"	ret\n"
	".popsection");

/*
 * The VMM keeps the page walk of its last instruction fetch and replays it
 * while the entries it read hold their values, so a guest that changes an
 * entry must get a fresh walk.  The same small function is copied to 4 MiB
 * and, with a CS prefix before its CPUID, to 6 MiB; it runs at 4 MiB, then
 * the 2 MiB page at 4 MiB is pointed at 6 MiB and it runs again at the same
 * address.  Decoding the old page's bytes there would step over 2 of the
 * prefixed CPUID's 3 bytes and run A2 as an instruction.  Returns whether
 * both runs answered leaf 0 with LEAF0 and went on past their CPUID.
 */
static bool cpuid_after_remap(u32 leaf0)
{
	static const u8 plain[] = {0x53, 0x31, 0xc0, 0x31, 0xc9, 0x0f, 0xa2, /* push rbx; xor eax;
						 xor ecx; cpuid */
				   0xc7, 0x07, 0x02, 0x00, 0x00, 0x00, 0x5b, 0xc3}; /* movl $2,
						 (rdi); pop rbx; ret */
	static const u8 prefixed[] = {0x53, 0x31, 0xc0, 0x31, 0xc9, 0x2e, 0x0f, 0xa2,
				      0xc7, 0x07, 0x02, 0x00, 0x00, 0x00, 0x5b, 0xc3};
	u8 *at = (u8 *)(uintptr_t)(0x400000 + 0x100), *other = (u8 *)(uintptr_t)(0x600000 + 0x100);
	memcpy(at, plain, sizeof(plain));
	memcpy(other, prefixed, sizeof(prefixed));
	u64 cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	const u64 *pml4 = (const u64 *)(uintptr_t)(cr3 & ~0xfffULL);
	const u64 *pdpt = (const u64 *)(uintptr_t)(pml4[0] & ~0xfffULL);
	volatile u64 *pd0 = (volatile u64 *)(uintptr_t)(pdpt[0] & ~0xfffULL);
	u32 (*fn)(u32 *reached) = (u32 (*)(u32 *))(uintptr_t)at;
	u32 m1 = 0, e1 = fn(&m1);
	u64 old = pd0[2]; /* the 2 MiB page at 4 MiB */
	pd0[2] = 0x600000 | (old & 0xfff);
	__asm__ volatile("invlpg (%0)" : : "r"(at) : "memory");
	u32 m2 = 0, e2 = fn(&m2);
	pd0[2] = old;
	__asm__ volatile("invlpg (%0)" : : "r"(at) : "memory");
	return e1 == leaf0 && m1 == 2 && e2 == leaf0 && m2 == 2;
}

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
	u32 split = 0, eax = cpuid_prefix_split(&split);
	expect(eax == r[0] && split == 2, "CPUID as 66 | 48 0f a2 across a page boundary: "
	       "leaf 0 answered, the next instruction ran (eax %#x, marker %u)", eax, split);
	split = 0;
	eax = cpuid_opcode_split(&split);
	expect(eax == r[0] && split == 2, "CPUID as 0f | a2 across a page boundary: leaf 0 "
	       "answered, the next instruction ran (eax %#x, marker %u)", eax, split);
	expect(cpuid_after_remap(r[0]), "CPUID at the same address after its page was remapped to "
	       "a prefixed copy: both answered, each stepped over whole");
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
