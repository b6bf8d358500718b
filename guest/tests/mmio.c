/*
 * guest/tests/mmio.c -- every instruction class of pagoda's MMIO emulator
 * (vmm/emulate/) against the test device, a page of scratch registers at
 * 0xfebf0000 (vmm/dev/mmio_testdev.c: 256 bytes that repeat over the page,
 * reading back what was written).  Each access traps to the VMM, which
 * decodes and executes the instruction; the checks compare with what the
 * CPU itself does on RAM (the ALU results and flags run on both), so a
 * wrong emulation shows as a difference.  Also: an unassigned address
 * reads all ones and ignores writes, and REP INS/OUTS on the UART's
 * scratch register and an unassigned port.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "mmio";

#define DEV 0xfebf0000UL        /* the test device */
#define UNASSIGNED 0xfe800000UL /* nothing there: no RAM, no device */
#define UART_SCR 0x3ff          /* COM1 scratch register */
#define PORT_NONE 0x2f0         /* an unassigned port */

#define FLAGS_ARITH 0x8d5UL     /* CF PF AF ZF SF OF */

static volatile u8 *const dev8 = (volatile u8 *)DEV;

/* ---- MOV ---- */

static void check_mov(void)
{
	u64 v;
	u8 b;
	u16 w;
	u32 d;
	__asm__ volatile("movb %1, (%2)\n\tmovb (%2), %0" : "=q"(b) : "q"((u8)0xa5), "r"(DEV)
			 : "memory");
	expect_eq(b, 0xa5, "mov byte store and load (88 / 8a)");
	__asm__ volatile("movw %1, 2(%2)\n\tmovw 2(%2), %0" : "=r"(w) : "r"((u16)0xbeef), "r"(DEV)
			 : "memory");
	expect_eq(w, 0xbeef, "mov word with disp8 (66 89 / 66 8b)");
	__asm__ volatile("movl %1, 4(%2)\n\tmovl 4(%2), %0" : "=r"(d) : "r"(0xdeadbeefu), "r"(DEV)
			 : "memory");
	expect_eq(d, 0xdeadbeef, "mov dword (89 / 8b)");
	v = 0x0123456789abcdefULL;
	__asm__ volatile("movq %1, 8(%2)\n\tmovq 8(%2), %0" : "=r"(v) : "r"(v), "r"(DEV)
			 : "memory");
	expect_eq(v, 0x0123456789abcdefULL, "mov qword (48 89 / 48 8b)");
	u64 idx = 3;
	__asm__ volatile("movl $0x11223344, 0x10(%1,%2,4)\n\tmovl 0x1c(%1), %k0"
			 : "=r"(v) : "r"(DEV), "r"(idx) : "memory");
	expect_eq(v, 0x11223344, "mov dword imm32 to [base+index*4+disp] (c7 /0, SIB)");
	__asm__ volatile("movq $-2, 0x20(%1)\n\tmovq 0x20(%1), %0" : "=r"(v) : "r"(DEV) : "memory");
	expect_eq(v, (u64)-2, "mov qword imm32 sign-extended (48 c7 /0)");
	__asm__ volatile("movb $0x5a, 0x28(%1)\n\tmovzbl 0x28(%1), %k0" : "=r"(v) : "r"(DEV)
			 : "memory");
	expect_eq(v, 0x5a, "mov byte imm8 (c6 /0)");
	/* moffs: A2 (AL -> [moffs64]) and A1 (RAX <- [moffs64]) */
	u64 rax = 0x77;
	__asm__ volatile("movabs %%al, 0xfebf0030" : : "a"(rax) : "memory");
	__asm__ volatile("movabs 0xfebf0030, %%rax" : "=a"(rax) : : "memory");
	expect_eq(rax & 0xff, 0x77, "mov moffs64 (a2 / 48 a1)");
	__asm__ volatile("movl $0xcafef00d, 0x38(%0)" : : "r"(DEV) : "memory");
	__asm__ volatile("movabs 0xfebf0038, %%eax" : "=a"(d) : : "memory");
	expect_eq(d, 0xcafef00d, "mov eax, moffs64 (a1)");
	/* high byte registers: AH */
	u64 a = 0x1234;
	__asm__ volatile("movb %%ah, 0x3c(%1)\n\tmovb $0, %%ah\n\tmovb 0x3c(%1), %%ah"
			 : "+a"(a) : "b"(DEV) : "memory");
	expect_eq(a, 0x1234, "mov ah to and from the device (no REX: reg 4 is AH)");
}

/* EIP-relative (67 8b 05 disp32 in 64-bit mode): the address wraps at 4
 * GiB, so code at 1 MiB reaches the device.  The instruction is built in
 * RAM at run time with its displacement, followed by RET. */
static u8 rel_code[16] __attribute__((aligned(16)));

static void check_rip_relative(void)
{
	dev8[0x40] = 0x9a;
	dev8[0x41] = 0x78;
	dev8[0x42] = 0x56;
	dev8[0x43] = 0x34;
	u64 next = (u64)rel_code + 7;
	u32 disp = (u32)(DEV + 0x40 - next);
	u8 code[8] = {0x67, 0x8b, 0x05, (u8)disp, (u8)(disp >> 8), (u8)(disp >> 16),
		      (u8)(disp >> 24), 0xc3};
	memcpy(rel_code, code, sizeof(code));
	u32 got;
	__asm__ volatile("call *%1" : "=a"(got) : "r"(rel_code) : "memory", "rcx", "rdx", "rsi",
			 "rdi", "r8", "r9", "r10", "r11");
	expect_eq(got, 0x3456789a, "mov eax,[eip+disp32] (67 8b 05): rIP-relative, 32-bit wrap");
}

/* ---- MOVZX / MOVSX / MOVSXD ---- */

static void check_extend(void)
{
	u64 v;
	dev8[0x50] = 0x80;
	dev8[0x51] = 0x90;
	*(volatile u32 *)(DEV + 0x54) = 0x80000001;
	__asm__ volatile("movzbl 0x50(%1), %k0" : "=r"(v) : "r"(DEV));
	expect_eq(v, 0x80, "movzx r32, byte (0f b6)");
	__asm__ volatile("movsbq 0x50(%1), %0" : "=r"(v) : "r"(DEV));
	expect_eq(v, 0xffffffffffffff80ULL, "movsx r64, byte (48 0f be)");
	__asm__ volatile("movzwl 0x50(%1), %k0" : "=r"(v) : "r"(DEV));
	expect_eq(v, 0x9080, "movzx r32, word (0f b7)");
	__asm__ volatile("movswq 0x50(%1), %0" : "=r"(v) : "r"(DEV));
	expect_eq(v, 0xffffffffffff9080ULL, "movsx r64, word (48 0f bf)");
	__asm__ volatile("movslq 0x54(%1), %0" : "=r"(v) : "r"(DEV));
	expect_eq(v, 0xffffffff80000001ULL, "movsxd r64, dword (48 63)");
}

/* ---- string instructions ---- */

static void check_strings(void)
{
	u32 pattern = 0x5a5aa5a5;
	u64 dst = DEV + 0x80, n = 16;
	__asm__ volatile("cld\n\trep stosl" : "+D"(dst), "+c"(n) : "a"(pattern) : "memory");
	bool all = true;
	for (unsigned i = 0; i < 16; i++)
		all &= *(volatile u32 *)(DEV + 0x80 + 4 * i) == pattern;
	expect(all && n == 0 && dst == DEV + 0xc0, "rep stosd: 16 dwords to the device, rcx 0, "
	       "rdi advanced");

	static char ram_src[32] = "emulated movs, ram to device!";
	static char ram_dst[32];
	u64 s = (u64)ram_src, d = DEV + 0xc0;
	n = 30;
	__asm__ volatile("cld\n\trep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	s = DEV + 0xc0;
	d = (u64)ram_dst;
	n = 30;
	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	expect(!memcmp(ram_src, ram_dst, 30), "rep movsb RAM -> device -> RAM: \"%s\"", ram_dst);

	/* backwards (DF=1), words, device to device */
	s = DEV + 0xc0 + 28;
	d = DEV + 0xe0 + 28;
	n = 15;
	__asm__ volatile("std\n\trep movsw\n\tcld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	bool same = true;
	for (unsigned i = 0; i < 30; i++)
		same &= dev8[0xe0 + i] == dev8[0xc0 + i];
	expect(same && s == DEV + 0xc0 - 2 && d == DEV + 0xe0 - 2,
	       "std; rep movsw device -> device: copied downwards");
}

/* ---- ALU: the device against RAM, same operands, same input flags ---- */

/* "INSN src, (p)" of one width with the flags FIN; returns the flags after. */
#define ALU_PAIR(insn, sfx, T)                                                            \
	static u64 alu_##insn##sfx(volatile void *p, u64 src, u64 fin)                   \
	{                                                                                 \
		u64 fo;                                                                   \
		T s = (T)src;                                                             \
		__asm__ volatile("push %[fin]\n\tpopf\n\t" #insn #sfx " %[s], (%[p])\n\t" \
				 "pushf\n\tpop %[fo]"                                     \
				 : [fo] "=&r"(fo)                                         \
				 : [s] "r"(s), [p] "r"(p), [fin] "r"(fin)                 \
				 : "cc", "memory");                                       \
		return fo;                                                                \
	}
#define ALU_ALL(insn) ALU_PAIR(insn, b, u8) ALU_PAIR(insn, w, u16) ALU_PAIR(insn, l, u32) \
	ALU_PAIR(insn, q, u64)
ALU_ALL(add) ALU_ALL(or) ALU_ALL(adc) ALU_ALL(sbb) ALU_ALL(and) ALU_ALL(sub) ALU_ALL(xor)
ALU_ALL(cmp) ALU_ALL(test)

/* One ALU instruction in its four widths. */
struct alu_op {
	const char *name;
	u64 (*f[4])(volatile void *p, u64 src, u64 fin);
};
#define ALU_ROW(insn) {#insn, {alu_##insn##b, alu_##insn##w, alu_##insn##l, alu_##insn##q}}

static void check_alu(void)
{
	static const struct alu_op ops[] = {ALU_ROW(add), ALU_ROW(or), ALU_ROW(adc), ALU_ROW(sbb),
					    ALU_ROW(and), ALU_ROW(sub), ALU_ROW(xor), ALU_ROW(cmp),
					    ALU_ROW(test)};
	static const u64 vals[][2] = {
		{0, 0}, {1, ~0ULL}, {0x7f, 1}, {0x80, 0x80}, {0x7fff, 1}, {0xffff, 1},
		{0x7fffffff, 1}, {0x80000000, 0x80000000}, {0x7fffffffffffffffULL, 1},
		{0x0f, 0x01}, {0x1234567890abcdefULL, 0xfedcba0987654321ULL},
	};
	static volatile u64 ram;
	volatile u64 *devp = (volatile u64 *)(DEV + 0x100);
	for (unsigned o = 0; o < ARRAY_SIZE(ops); o++) {
		unsigned bad = 0, runs = 0;
		for (unsigned si = 0; si < 4; si++)
			for (unsigned k = 0; k < ARRAY_SIZE(vals); k++)
				for (u64 cf = 0; cf < 2; cf++) {
					u64 fin = 0x2 | cf;
					ram = vals[k][0];
					*devp = vals[k][0];
					u64 fr = ops[o].f[si](&ram, vals[k][1], fin);
					u64 fd = ops[o].f[si](devp, vals[k][1], fin);
					/* AF is undefined after the logic ops */
					u64 m = FLAGS_ARITH & ((o == 1 || o == 4 || o == 6 || o == 8) ?
							       ~0x10UL : ~0UL);
					runs++;
					if ((fr & m) != (fd & m) || ram != *devp) {
						if (!bad)
							diag("%s size %u: %#lx op %#lx: ram %#lx flags "
							     "%#lx, device %#lx flags %#lx", ops[o].name,
							     1u << si, vals[k][0], vals[k][1], ram,
							     fr & m, *devp, fd & m);
						bad++;
					}
				}
		expect(bad == 0, "%s on the device: results and flags as on RAM (%u runs)",
		       ops[o].name, runs);
	}
	/* group 1 with an immediate, and the register-destination form */
	*devp = 5;
	u64 f;
	__asm__ volatile("addq $-5, (%1)\n\tpushf\n\tpop %0" : "=r"(f) : "r"(devp) : "cc", "memory");
	expect(*devp == 0 && (f & 0x41) == 0x41, "add qword [dev],-5 (48 83 /0): 0 with ZF and CF");
	u64 r = 10;
	*devp = 3;
	__asm__ volatile("subq (%2), %0\n\tpushf\n\tpop %1" : "+r"(r), "=r"(f) : "r"(devp)
			 : "cc", "memory");
	expect(r == 7 && !(f & 1), "sub r64, [dev] (48 2b): register destination");
	*devp = 0x0f;
	__asm__ volatile("notb (%0)\n\tnegw 2(%0)" : : "r"(devp) : "memory");
	expect_eq(*devp & 0xffffff, 0xf0, "not byte (f6 /2), neg of a zero word (f7 /3)");
	*devp = 0x8000;
	__asm__ volatile("testl $0x8000, (%1)\n\tpushf\n\tpop %0" : "=r"(f) : "r"(devp) : "cc");
	expect(!(f & 0x40), "test dword [dev],imm32 (f7 /0): ZF clear");
}

/* ---- XCHG and the bit tests ---- */

static void check_xchg_bt(void)
{
	volatile u32 *p = (volatile u32 *)(DEV + 0x180);
	*p = 0x1111;
	u32 r = 0x2222;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(r) : "r"(p) : "memory");
	expect(r == 0x1111 && *p == 0x2222, "xchg [dev], r32 (87)");
	u8 cf;
	*p = 0;
	p[1] = 0;
	__asm__ volatile("btsl $35, (%1)\n\tsetc %0" : "=q"(cf) : "r"(p) : "cc", "memory");
	expect(!cf && *p == 8, "bts dword [dev],35 (0f ba /5): bit 3, CF was 0");
	u64 bit = 40;
	__asm__ volatile("btsq %2, (%1)\n\tsetc %0" : "=q"(cf) : "r"(p), "r"(bit) : "cc", "memory");
	expect(!cf && p[1] == 0x100, "bts qword [dev],r64=40 (48 0f ab): bit 40");
	__asm__ volatile("btl %2, (%1)\n\tsetc %0" : "=q"(cf) : "r"(p), "r"((u32)40) : "cc");
	expect(cf, "bt dword [dev],r32=40 (0f a3): the bit string goes past the dword");
	__asm__ volatile("btrl $3, (%1)\n\tsetc %0" : "=q"(cf) : "r"(p) : "cc", "memory");
	expect(cf && *p == 0, "btr (0f ba /6): CF was 1, cleared");
	__asm__ volatile("btcl $0, (%1)\n\tsetc %0" : "=q"(cf) : "r"(p) : "cc", "memory");
	expect(!cf && *p == 1, "btc (0f ba /7): complemented");
}

/* ---- unassigned MMIO and string I/O ---- */

static void check_unassigned(void)
{
	volatile u32 *p = (volatile u32 *)UNASSIGNED;
	u32 a = *p;
	*p = 0x12345678;
	u32 b = *p;
	u8 c = *(volatile u8 *)(UNASSIGNED + 0x123);
	expect(a == 0xffffffff && b == 0xffffffff && c == 0xff,
	       "unassigned gpa 0x%lx reads all ones, ignores writes", UNASSIGNED);
}

static void check_string_io(void)
{
	static u8 out[4] = {0x11, 0x22, 0x33, 0x44};
	static u8 in[4];
	u64 s = (u64)out, n = 4;
	__asm__ volatile("cld\n\trep outsb" : "+S"(s), "+c"(n) : "d"(UART_SCR) : "memory");
	expect(n == 0 && s == (u64)out + 4, "rep outsb: 4 bytes to the UART scratch register");
	u64 d = (u64)in;
	n = 3;
	__asm__ volatile("rep insb" : "+D"(d), "+c"(n) : "d"(UART_SCR) : "memory");
	expect(in[0] == 0x44 && in[1] == 0x44 && in[2] == 0x44 && in[3] == 0 && d == (u64)in + 3,
	       "rep insb: the scratch register holds the last byte out");
	static u16 w[3];
	d = (u64)w;
	n = 3;
	__asm__ volatile("rep insw" : "+D"(d), "+c"(n) : "d"(PORT_NONE) : "memory");
	expect(w[0] == 0xffff && w[1] == 0xffff && w[2] == 0xffff,
	       "rep insw from an unassigned port: all ones");
	/* INS into the device itself: the port read lands in MMIO */
	d = DEV + 0x1f0;
	n = 2;
	__asm__ volatile("rep insb" : "+D"(d), "+c"(n) : "d"(UART_SCR) : "memory");
	expect(dev8[0x1f0] == 0x44 && dev8[0x1f1] == 0x44, "rep insb into device memory");
}

void main(const char *cmdline)
{
	(void)cmdline;
	check_mov();
	check_rip_relative();
	check_extend();
	check_strings();
	check_alu();
	check_xchg_bt();
	check_unassigned();
	check_string_io();
}
