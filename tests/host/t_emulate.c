/*
 * Host test of vmm/emulate/emulate.c (with decode.c): instructions given
 * as bytes are decoded and executed against a flat test memory.  The ALU
 * flags are checked against the host CPU running the same operation on a
 * host buffer (inline assembly), over edge values and random ones; the
 * rest (MOV forms, MOVZX/MOVSX, XCHG, BT*, REP string instructions with DF
 * and 16/32/64-bit addresses, INS/OUTS, a fault in the middle of a REP)
 * against values worked out by hand from the SDM.
 */
#include <stdio.h>
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/emulate/emulate.h"

/* ---- the test machine: 64 KiB of memory at linear MEM_BASE ---- */

#define MEM_BASE 0x10000ULL
#define MEM_SIZE 0x10000ULL

static u8 mem[MEM_SIZE];
static u64 seg_bases[6];
static long fail_after = -1; /* writes allowed before a write fails (-1: never) */
static u32 port_in_next;     /* what the next IN returns (then incremented) */
static u32 port_out[64];     /* values OUTs wrote */
static unsigned port_outs;
static u16 last_port;

static u64 t_seg_base(void *ctx, unsigned seg)
{
	(void)ctx;
	return seg_bases[seg];
}

static int t_read(void *ctx, u64 la, void *buf, unsigned len)
{
	(void)ctx;
	if (la < MEM_BASE || la + len > MEM_BASE + MEM_SIZE)
		return -E_FAULT;
	memcpy(buf, mem + (la - MEM_BASE), len);
	return 0;
}

static int t_write(void *ctx, u64 la, const void *buf, unsigned len)
{
	(void)ctx;
	if (la < MEM_BASE || la + len > MEM_BASE + MEM_SIZE)
		return -E_FAULT;
	if (fail_after == 0)
		return -E_FAULT;
	if (fail_after > 0)
		fail_after--;
	memcpy(mem + (la - MEM_BASE), buf, len);
	return 0;
}

static int t_pio(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	(void)ctx;
	(void)size;
	last_port = port;
	if (in)
		*val = port_in_next++;
	else if (port_outs < 64)
		port_out[port_outs++] = *val;
	return 0;
}

static const struct emul_ops ops = {
	.seg_base = t_seg_base, .read = t_read, .write = t_write, .pio = t_pio};

/* Decode BYTES (N of them) for MODE and execute on R.  Returns emulate's
 * result, or 1000 + decode's error. */
static int run(const u8 *bytes, unsigned n, unsigned mode, struct vcpu_regs *r)
{
	struct insn in;
	int e = insn_decode(bytes, n, mode, &in);
	if (e)
		return 1000 + e;
	return emulate_insn(&in, r, &ops);
}
#define RUN(r, mode, ...)                                                    \
	({                                                                   \
		static const u8 b_[] = {__VA_ARGS__};                       \
		run(b_, sizeof(b_), mode, r);                                \
	})

static u64 rd64(u64 la)
{
	u64 v;
	memcpy(&v, mem + (la - MEM_BASE), 8);
	return v;
}

static void wr64(u64 la, u64 v)
{
	memcpy(mem + (la - MEM_BASE), &v, 8);
}

/* ---- the host CPU as the reference for the ALU flags ---- */

#define FLAGS_OUT (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Run "OP src, (p)" (memory destination) and "OP (p), src" (register
 * destination) natively with the flags FIN; the red zone is stepped over
 * before the pushes. */
#define NATIVE(op, T, sfx)                                                                \
	static u64 native_m_##op##sfx(u64 *p, u64 src, u64 fin)                          \
	{                                                                                 \
		u64 fo;                                                                   \
		T s = (T)src;                                                             \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\t" #op #sfx \
				 " %[s], (%[p])\n\tpushf\n\tpop %[fo]\n\tlea 128(%%rsp), %%rsp" \
				 : [fo] "=&r"(fo)                                         \
				 : [s] "r"(s), [p] "r"(p), [fin] "r"(fin)                 \
				 : "cc", "memory");                                       \
		return fo;                                                                \
	}                                                                                 \
	__attribute__((unused)) static u64 native_r_##op##sfx(u64 *p, u64 *reg, u64 fin)  \
	{                                                                                 \
		u64 fo;                                                                   \
		T s = (T)*reg;                                                            \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\t" #op #sfx \
				 " (%[p]), %[s]\n\tpushf\n\tpop %[fo]\n\tlea 128(%%rsp), %%rsp" \
				 : [fo] "=&r"(fo), [s] "+r"(s)                            \
				 : [p] "r"(p), [fin] "r"(fin)                             \
				 : "cc", "memory");                                       \
		/* a 32-bit register write zero-extends, narrower ones merge */   \
		*reg = sizeof(T) == 4 ? (u64)s : (*reg & ~(u64)(T)~0ULL) | (u64)s;         \
		return fo;                                                                \
	}
#define NATIVE_ALL(op) NATIVE(op, u8, b) NATIVE(op, u16, w) NATIVE(op, u32, l) NATIVE(op, u64, q)
NATIVE_ALL(add) NATIVE_ALL(or) NATIVE_ALL(adc) NATIVE_ALL(sbb) NATIVE_ALL(and) NATIVE_ALL(sub)
NATIVE_ALL(xor) NATIVE_ALL(cmp) NATIVE_ALL(test)

#define NEG(T, sfx)                                                                       \
	static u64 native_neg##sfx(u64 *p, u64 fin)                                       \
	{                                                                                 \
		u64 fo;                                                                   \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\tneg" #sfx \
				 " (%[p])\n\tpushf\n\tpop %[fo]\n\tlea 128(%%rsp), %%rsp"  \
				 : [fo] "=&r"(fo)                                         \
				 : [p] "r"(p), [fin] "r"(fin)                             \
				 : "cc", "memory");                                       \
		return fo;                                                                \
	}
NEG(u8, b) NEG(u16, w) NEG(u32, l) NEG(u64, q)

typedef u64 (*native_m_fn)(u64 *, u64, u64);
typedef u64 (*native_r_fn)(u64 *, u64 *, u64);
#define ROW(op) {native_m_##op##b, native_m_##op##w, native_m_##op##l, native_m_##op##q}
#define ROWR(op) {native_r_##op##b, native_r_##op##w, native_r_##op##l, native_r_##op##q}
/* Indexed by the group-1 number (ADD OR ADC SBB AND SUB XOR CMP), then TEST. */
static const native_m_fn native_m[9][4] = {ROW(add), ROW(or), ROW(adc), ROW(sbb), ROW(and),
					    ROW(sub), ROW(xor), ROW(cmp), ROW(test)};
static const native_r_fn native_r[8][4] = {ROWR(add), ROWR(or), ROWR(adc), ROWR(sbb),
					    ROWR(and), ROWR(sub), ROWR(xor), ROWR(cmp)};
static u64 (*const native_neg[4])(u64 *, u64) = {native_negb, native_negw, native_negl,
						 native_negq};

static u64 rng = 0x2545f4914f6cdd1dULL;
static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x9e3779b97f4a7c15ULL;
}

/* An operand value: edges (0, 1, the sign bit, all ones, ...) half the time. */
static u64 operand(void)
{
	static const u64 edges[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
				    0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
				    0x8000000000000000ULL, ~0ULL, 0x0f, 0x10};
	return rnd() % 2 ? edges[rnd() % ARRAY_SIZE(edges)] : rnd();
}

/* Encode "OP [rax], rcx" (MEM_DST) or "OP rcx, [rax]" of SIZE bytes into
 * B (group-1 number OP 0-7, or 8 for TEST); returns the length. */
static unsigned encode_alu(u8 *b, unsigned op, unsigned size, bool mem_dst)
{
	unsigned n = 0;
	if (size == 2)
		b[n++] = 0x66;
	if (size == 8)
		b[n++] = 0x48;
	u8 opc = op == 8 ? 0x84 : (u8)(op << 3) | (mem_dst ? 0 : 2);
	b[n++] = opc | (size == 1 ? 0 : 1);
	b[n++] = 0x08; /* mod 00, reg rcx, rm [rax] */
	return n;
}

static void alu_vs_host(void)
{
	static const unsigned sizes[4] = {1, 2, 4, 8};
	unsigned long checked = 0, bad = 0;
	u64 *host = (u64 *)(mem + 0x100); /* the native run's operand */
	for (unsigned iter = 0; iter < 20000; iter++) {
		unsigned op = rnd() % 10, si = rnd() % 4, size = sizes[si];
		bool mem_dst = op >= 8 || rnd() % 2;
		u64 a = operand(), b = operand();
		u64 fin = 0x2 | ((rnd() % 2) ? RFLAGS_CF : 0) | ((rnd() % 2) ? RFLAGS_ZF : 0);
		u64 la = MEM_BASE + 0x200;
		struct vcpu_regs r = {.rax = la, .rcx = b, .rflags = fin, .rip = 0x1000};
		wr64(la, a);
		u64 want_flags, want_mem = a, want_rcx = b;
		int e;
		u8 bytes[8];
		if (op == 9) {
			/* NEG [rax] */
			unsigned n = 0;
			if (size == 2)
				bytes[n++] = 0x66;
			if (size == 8)
				bytes[n++] = 0x48;
			bytes[n++] = size == 1 ? 0xf6 : 0xf7;
			bytes[n++] = 0x18;
			*host = a;
			want_flags = native_neg[si](host, fin);
			want_mem = *host;
			e = run(bytes, n, 8, &r);
		} else {
			unsigned n = encode_alu(bytes, op, size, mem_dst);
			*host = a;
			if (mem_dst) {
				want_flags = native_m[op][si](host, b, fin);
			} else {
				want_flags = native_r[op][si](host, &want_rcx, fin);
				if (op == 7)
					want_rcx = b; /* CMP writes no register */
			}
			want_mem = *host;
			e = run(bytes, n, 8, &r);
		}
		/* AF is undefined after AND OR XOR TEST: not compared. */
		u64 fmask = (op == 1 || op == 4 || op == 6 || op == 8) ? FLAGS_OUT & ~RFLAGS_AF :
									  FLAGS_OUT;
		checked++;
		if (e || (r.rflags & fmask) != (want_flags & fmask) || rd64(la) != want_mem ||
		    r.rcx != want_rcx || r.rip != 0x1000u + 2 + (size == 2 || size == 8)) {
			if (bad++ < 8)
				diag("op %u size %u %s a=%#llx b=%#llx cf=%d: flags %#llx want %#llx "
				     "mem %#llx want %#llx rcx %#llx want %#llx e=%d", op, size,
				     mem_dst ? "mem-dst" : "reg-dst", (unsigned long long)a,
				     (unsigned long long)b, (int)(fin & 1),
				     (unsigned long long)(r.rflags & fmask),
				     (unsigned long long)(want_flags & fmask),
				     (unsigned long long)rd64(la), (unsigned long long)want_mem,
				     (unsigned long long)r.rcx, (unsigned long long)want_rcx, e);
		}
	}
	diag("%lu ALU operations run against the host CPU", checked);
	ok(bad == 0, "ADD OR ADC SBB AND SUB XOR CMP TEST NEG: results and flags as the host CPU's "
	   "(%lu differ)", bad);
}

/* ---- the rest, by hand ---- */

static void movs_and_friends(void)
{
	struct vcpu_regs r;
	u64 la = MEM_BASE + 0x1000;

	/* mov [rax], ecx; mov edx, [rax] zero-extends */
	r = (struct vcpu_regs){.rax = la, .rcx = 0xaabbccdd11223344ULL, .rdx = ~0ULL, .rip = 0x100};
	wr64(la, 0);
	ok(RUN(&r, 8, 0x89, 0x08) == 0 && rd64(la) == 0x11223344 && r.rip == 0x102,
	   "mov [rax],ecx stores 4 bytes, rip += 2");
	ok(RUN(&r, 8, 0x8b, 0x10) == 0 && r.rdx == 0x11223344, "mov edx,[rax] zero-extends");
	r.rdx = 0x1111111111111111ULL;
	ok(RUN(&r, 8, 0x66, 0x8b, 0x10) == 0 && r.rdx == 0x1111111111113344ULL,
	   "mov dx,[rax] merges 16 bits");
	ok(RUN(&r, 8, 0x8a, 0x30) == 0 && r.rdx == 0x1111111111114444ULL,
	   "mov dh,[rax] writes bits 15:8");
	ok(RUN(&r, 8, 0x40, 0x8a, 0x30) == 0 && r.rsi == 0x44, "with REX, reg 6 is SIL");
	/* moffs and RIP-relative */
	wr64(la, 0x0102030405060708ULL);
	r = (struct vcpu_regs){.rip = 0x200};
	ok(RUN(&r, 8, 0x48, 0xa1, 0x00, 0x10, 0x01, 0, 0, 0, 0, 0) == 0 &&
	   r.rax == 0x0102030405060708ULL && r.rip == 0x20a, "mov rax,[moffs64]");
	r.rax = 0x99;
	ok(RUN(&r, 8, 0xa2, 0x08, 0x10, 0x01, 0, 0, 0, 0, 0) == 0 && mem[0x1008] == 0x99,
	   "mov [moffs64],al");
	r = (struct vcpu_regs){.rip = MEM_BASE + 0x0ffa}; /* next rip = base + 0x1000 */
	ok(RUN(&r, 8, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00) == 0 && r.rax == 0x05060708,
	   "mov eax,[rip+0] counts from the next instruction");
	/* 16-bit: [bx+si+disp8] with DS base */
	seg_bases[SEG_DS] = MEM_BASE;
	r = (struct vcpu_regs){.rbx = 0x1000, .rsi = 0x10, .rip = 0xfffe};
	wr64(la + 0x14, 0);
	ok(RUN(&r, 2, 0xc7, 0x40, 0x04, 0x34, 0x12) == 0 && rd64(la + 0x14) == 0x1234 &&
	   r.rip == 0x0003, "16-bit mov word [bx+si+4],0x1234 (DS base added, IP wraps)");
	r = (struct vcpu_regs){.rbx = 0xfff0, .rsi = 0x20};
	ok(RUN(&r, 2, 0xc6, 0x00, 0x77) == 0 && mem[0x10] == 0x77,
	   "16-bit effective address wraps at 64 KiB");
	seg_bases[SEG_DS] = 0;
	seg_bases[SEG_FS] = MEM_BASE;
	r = (struct vcpu_regs){.rax = 0x2000};
	ok(RUN(&r, 8, 0x64, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12) == 0 &&
	   (u32)rd64(MEM_BASE + 0x2000) == 0x12345678, "fs: override adds the FS base in 64-bit mode");
	seg_bases[SEG_ES] = 0x5000; /* ignored in 64-bit mode */
	r = (struct vcpu_regs){.rax = la};
	ok(RUN(&r, 8, 0x26, 0xc6, 0x00, 0x5a) == 0 && mem[0x1000] == 0x5a,
	   "es: base is 0 in 64-bit mode");
	seg_bases[SEG_ES] = 0;

	/* MOVZX / MOVSX / MOVSXD */
	wr64(la, 0x80ff);
	r = (struct vcpu_regs){.rax = la, .rcx = ~0ULL};
	ok(RUN(&r, 8, 0x0f, 0xb6, 0x08) == 0 && r.rcx == 0xff, "movzx ecx,byte [rax]");
	ok(RUN(&r, 8, 0x48, 0x0f, 0xbe, 0x08) == 0 && r.rcx == ~0ULL, "movsx rcx,byte [rax]");
	ok(RUN(&r, 8, 0x0f, 0xbf, 0x08) == 0 && r.rcx == 0xffff80ff, "movsx ecx,word [rax]");
	wr64(la, 0x80000000);
	ok(RUN(&r, 8, 0x48, 0x63, 0x08) == 0 && r.rcx == 0xffffffff80000000ULL, "movsxd rcx,[rax]");

	/* XCHG */
	wr64(la, 0x1111);
	r = (struct vcpu_regs){.rax = la, .rbx = 0x2222};
	ok(RUN(&r, 8, 0x66, 0x87, 0x18) == 0 && rd64(la) == 0x2222 && r.rbx == 0x1111,
	   "xchg [rax],bx");
	/* ALU with an immediate, sign-extended */
	wr64(la, 5);
	r = (struct vcpu_regs){.rax = la, .rflags = 2};
	ok(RUN(&r, 8, 0x48, 0x83, 0x00, 0xfb) == 0 && rd64(la) == 0 &&
	   (r.rflags & (RFLAGS_ZF | RFLAGS_CF)) == (RFLAGS_ZF | RFLAGS_CF),
	   "add qword [rax],-5: 0, ZF and CF");
	ok(RUN(&r, 8, 0x81, 0x38, 0x00, 0x00, 0x00, 0x80) == 0 && rd64(la) == 0 &&
	   (r.rflags & RFLAGS_CF), "cmp dword [rax],0x80000000: borrow, memory untouched");
	wr64(la, 0x00ff);
	ok(RUN(&r, 8, 0xf6, 0x10) == 0 && rd64(la) == 0, "not byte [rax]");
	/* BT family */
	wr64(la, 0);
	wr64(la + 8, 0);
	r = (struct vcpu_regs){.rax = la, .rflags = 2};
	ok(RUN(&r, 8, 0x0f, 0xba, 0x28, 0x23) == 0 && rd64(la) == 8 && !(r.rflags & RFLAGS_CF),
	   "bts dword [rax],35: immediate taken mod 32 -> bit 3");
	r.rcx = 67;
	ok(RUN(&r, 8, 0x0f, 0xab, 0x08) == 0 && rd64(la + 8) == 8, "bts [rax],ecx=67: bit 3 of "
	   "the dword at +8");
	ok(RUN(&r, 8, 0x0f, 0xa3, 0x08) == 0 && (r.rflags & RFLAGS_CF), "bt finds it: CF");
	r.rcx = (u64)-30; /* bit 2 of the dword at -4 */
	r.rax = la + 4;
	ok(RUN(&r, 8, 0x0f, 0xbb, 0x08) == 0 && rd64(la) == 0xc && !(r.rflags & RFLAGS_CF),
	   "btc [rax],ecx=-30: negative offsets reach below");
	ok(RUN(&r, 8, 0x0f, 0xb3, 0x08) == 0 && rd64(la) == 0x8 && (r.rflags & RFLAGS_CF),
	   "btr clears it again, CF=1");
}

static void strings(void)
{
	struct vcpu_regs r;
	u64 la = MEM_BASE + 0x3000;
	memset(mem + 0x3000, 0, 0x1000);

	/* rep stosd, DF=0 */
	r = (struct vcpu_regs){.rax = 0xdeadbeef, .rdi = la, .rcx = 4, .rflags = 2, .rip = 0x10};
	ok(RUN(&r, 8, 0xf3, 0xab) == 0 && r.rcx == 0 && r.rdi == la + 16 && r.rip == 0x12 &&
	   (u32)rd64(la + 12) == 0xdeadbeef && rd64(la + 16) == 0, "rep stosd: 4 dwords, rdi += 16");
	/* rep movsb backwards (DF=1) */
	memcpy(mem + 0x3100, "abcdef", 6);
	r = (struct vcpu_regs){.rsi = la + 0x105, .rdi = la + 0x205, .rcx = 6,
			       .rflags = 2 | RFLAGS_DF};
	ok(RUN(&r, 8, 0xf3, 0xa4) == 0 && !memcmp(mem + 0x3200, "abcdef", 6) &&
	   r.rsi == la + 0xff && r.rdi == la + 0x1ff, "rep movsb with DF: copies downwards");
	/* rep with rcx = 0: nothing, rip advances */
	r = (struct vcpu_regs){.rdi = la, .rcx = 0, .rip = 0x20};
	ok(RUN(&r, 8, 0xf3, 0xaa) == 0 && r.rip == 0x22 && r.rdi == la, "rep with rcx=0 does nothing");
	/* 16-bit addressing: DI wraps at 64 KiB, CX counts in 16 bits */
	seg_bases[SEG_ES] = MEM_BASE;
	r = (struct vcpu_regs){.rax = 0x41, .rdi = 0xffff, .rcx = 0xabcd0002, .rip = 0x5};
	ok(RUN(&r, 2, 0xf3, 0xaa) == 0 && mem[0xffff] == 0x41 && mem[0] == 0x41 && r.rdi == 1 &&
	   r.rcx == 0xabcd0000 && r.rip == 0x7, "16-bit rep stosb: DI wraps, CX[31:16] kept");
	/* 32-bit addresses in 64-bit mode (67): ESI/EDI, upper halves cleared */
	seg_bases[SEG_ES] = 0;
	memcpy(mem + 0x3300, "xyz", 3);
	r = (struct vcpu_regs){.rsi = 0xffffffff00000000ULL | (la + 0x300),
			       .rdi = 0x1234567800000000ULL | (la + 0x400), .rcx = 3};
	ok(RUN(&r, 8, 0x67, 0xf3, 0xa4) == 0 && !memcmp(mem + 0x3400, "xyz", 3) &&
	   r.rsi == la + 0x303 && r.rdi == la + 0x403, "67 rep movsb: 32-bit addresses");
	/* the budget: more than EMUL_REP_BUDGET iterations stop with rip unchanged */
	r = (struct vcpu_regs){.rdi = la, .rcx = EMUL_REP_BUDGET + 3, .rip = 0x30};
	ok(RUN(&r, 8, 0xf3, 0xaa) == 0 && r.rcx == 3 && r.rip == 0x30 &&
	   r.rdi == la + EMUL_REP_BUDGET, "rep past the budget: rcx left, rip unchanged");
	ok(RUN(&r, 8, 0xf3, 0xaa) == 0 && r.rcx == 0 && r.rip == 0x32, "and the rerun finishes");
	/* a fault in the middle: two iterations done, then the error */
	fail_after = 2;
	r = (struct vcpu_regs){.rdi = la, .rcx = 5, .rip = 0x40};
	int e = RUN(&r, 8, 0xf3, 0x48, 0xab);
	fail_after = -1;
	ok(e == -E_FAULT && r.rcx == 3 && r.rdi == la + 16 && r.rip == 0x40,
	   "fault in rep stosq: 2 done, rcx=3, rip unchanged");
	/* INS / OUTS */
	port_in_next = 0x100;
	r = (struct vcpu_regs){.rdx = 0x3ff, .rdi = la + 0x500, .rcx = 3};
	ok(RUN(&r, 8, 0x66, 0xf3, 0x6d) == 0 && last_port == 0x3ff &&
	   rd64(la + 0x500) == 0x0000010201010100ULL && r.rdi == la + 0x506,
	   "rep insw: three words from port dx");
	port_outs = 0;
	r = (struct vcpu_regs){.rdx = 0x80, .rsi = la + 0x500, .rcx = 2};
	ok(RUN(&r, 8, 0xf3, 0x6f) == 0 && port_outs == 2 && port_out[0] == 0x01010100 &&
	   port_out[1] == 0x0102 && last_port == 0x80, "rep outsd: two dwords to port dx");
}

int main(void)
{
	alu_vs_host();
	movs_and_friends();
	strings();
	return tap_done();
}
