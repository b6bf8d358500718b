/*
 * Host test of vmm/emulate/decode.c: (a) hand-written encodings with the
 * decode expected of each; (b) a differential test against Zydis 4 over
 * random byte strings biased towards the opcodes the decoder knows, in
 * 16-, 32- and 64-bit mode: whenever ours accepts, Zydis must agree on the
 * length, the mnemonic, the memory operand (segment, base, index, scale,
 * displacement, RIP-relative), the register operand and the immediate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "tests/host/tap.h"
#include "vmm/emulate/decode.h"

#define N_RANDOM 200000

/* ---- (a) the table ---- */

struct known {
	const char *what;
	unsigned mode;
	u8 bytes[16];
	unsigned n;
	int result;        /* 0, -E_NOSYS, -E_RANGE */
	enum insn_op op;
	unsigned len, op_size, addr_size;
	u8 seg, base, index, scale;
	s64 disp;
	bool rip_rel;
	int reg;           /* -1: no register operand */
	u64 imm;           /* checked when nonzero */
	bool mem_dst;
};

#define NR INSN_NO_REG
static const struct known table[] = {
	{"mov [rax],ecx", 8, {0x89, 0x08}, 2, 0, INSN_MOV, 2, 4, 8, SEG_DS, 0, NR, 1, 0, 0, 1, 0, 1},
	{"mov r9,[r12+r13*4+0x10]", 8, {0x4f, 0x8b, 0x4c, 0xac, 0x10}, 5, 0, INSN_MOV, 5, 8, 8,
	 SEG_DS, 12, 13, 4, 0x10, 0, 9, 0, 0},
	{"mov eax,[rip+0x1000]", 8, {0x8b, 0x05, 0x00, 0x10, 0, 0}, 6, 0, INSN_MOV, 6, 4, 8,
	 SEG_DS, NR, NR, 1, 0x1000, 1, 0, 0, 0},
	{"mov ax,[bp+si-2] (16-bit)", 2, {0x8b, 0x42, 0xfe}, 3, 0, INSN_MOV, 3, 2, 2, SEG_SS, 5, 6,
	 1, -2, 0, 0, 0, 0},
	{"mov [0x1234],bl (16-bit disp16)", 2, {0x88, 0x1e, 0x34, 0x12}, 4, 0, INSN_MOV, 4, 1, 2,
	 SEG_DS, NR, NR, 1, 0x1234, 0, 3, 0, 1},
	{"mov ah,[ebx] (32-bit: AH)", 4, {0x8a, 0x23}, 2, 0, INSN_MOV, 2, 1, 4, SEG_DS, 3, NR, 1, 0,
	 0, 4, 0, 0},
	{"mov dword fs:[esp+8],0x11223344", 4, {0x64, 0xc7, 0x44, 0x24, 0x08, 0x44, 0x33, 0x22, 0x11},
	 9, 0, INSN_MOV, 9, 4, 4, SEG_FS, 4, NR, 1, 8, 0, -1, 0x11223344, 1},
	{"mov qword [rbx],-1 (imm32 sign-extended)", 8, {0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff},
	 7, 0, INSN_MOV, 7, 8, 8, SEG_DS, 3, NR, 1, 0, 0, -1, ~0ULL, 1},
	{"mov rax,[moffs64]", 8, {0x48, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8}, 10, 0, INSN_MOV, 10, 8, 8,
	 SEG_DS, NR, NR, 1, 0x0807060504030201LL, 0, 0, 0, 0},
	{"mov [moffs32],al (32-bit)", 4, {0xa2, 0x00, 0x00, 0xe0, 0xfe}, 5, 0, INSN_MOV, 5, 1, 4,
	 SEG_DS, NR, NR, 1, 0xfee00000LL, 0, 0, 0, 1},
	{"movzx eax,word [rdi]", 8, {0x0f, 0xb7, 0x07}, 3, 0, INSN_MOVZX, 3, 4, 8, SEG_DS, 7, NR, 1,
	 0, 0, 0, 0, 0},
	{"movsxd rdx,[rsi]", 8, {0x48, 0x63, 0x16}, 3, 0, INSN_MOVSX, 3, 8, 8, SEG_DS, 6, NR, 1, 0,
	 0, 2, 0, 0},
	{"lock add [rax],edx", 8, {0xf0, 0x01, 0x10}, 3, 0, INSN_ADD, 3, 4, 8, SEG_DS, 0, NR, 1, 0,
	 0, 2, 0, 1},
	{"cmp byte [rbp+4],0x80 (SS)", 8, {0x80, 0x7d, 0x04, 0x80}, 4, 0, INSN_CMP, 4, 1, 8, SEG_SS,
	 5, NR, 1, 4, 0, -1, ~0x7fULL, 1},
	{"and word [eax],0x1234 (67 66 in 64-bit)", 8, {0x67, 0x66, 0x81, 0x20, 0x34, 0x12}, 6, 0,
	 INSN_AND, 6, 2, 4, SEG_DS, 0, NR, 1, 0, 0, -1, 0x1234, 1},
	{"rex then 66: rex ignored", 8, {0x48, 0x66, 0x89, 0x08}, 4, 0, INSN_MOV, 4, 2, 8, SEG_DS,
	 0, NR, 1, 0, 0, 1, 0, 1},
	{"rep movsd (32-bit)", 4, {0xf3, 0xa5}, 2, 0, INSN_MOVS, 2, 4, 4, SEG_DS, NR, NR, 1, 0, 0,
	 -1, 0, 1},
	{"rep stosb (16-bit, 67: 32-bit addresses)", 2, {0x67, 0xf3, 0xaa}, 3, 0, INSN_STOS, 3, 1,
	 4, SEG_ES, NR, NR, 1, 0, 0, -1, 0, 1},
	{"bts dword [rcx],5", 8, {0x0f, 0xba, 0x29, 0x05}, 4, 0, INSN_BTS, 4, 4, 8, SEG_DS, 1, NR,
	 1, 0, 0, -1, 5, 1},
	{"xchg [r8],r9b", 8, {0x45, 0x86, 0x08}, 3, 0, INSN_XCHG, 3, 1, 8, SEG_DS, 8, NR, 1, 0, 0,
	 9, 0, 1},
	{"test dword [rax],0x8000", 8, {0xf7, 0x00, 0x00, 0x80, 0, 0}, 6, 0, INSN_TEST, 6, 4, 8,
	 SEG_DS, 0, NR, 1, 0, 0, -1, 0x8000, 1},
	{"neg qword [rsp]", 8, {0x48, 0xf7, 0x1c, 0x24}, 4, 0, INSN_NEG, 4, 8, 8, SEG_SS, 4, NR, 1,
	 0, 0, -1, 0, 1},
	{"register form refused: mov eax,ecx", 8, {0x89, 0xc8}, 2, -E_NOSYS, .reg = -1},
	{"lock mov refused", 8, {0xf0, 0x89, 0x08}, 3, -E_NOSYS, .reg = -1},
	{"lock cmp refused", 8, {0xf0, 0x39, 0x08}, 3, -E_NOSYS, .reg = -1},
	{"ARPL refused in 32-bit", 4, {0x63, 0x08}, 2, -E_NOSYS, .reg = -1},
	{"cpuid refused", 8, {0x0f, 0xa2}, 2, -E_NOSYS, .reg = -1},
	{"truncated disp32", 8, {0x8b, 0x80, 0x00, 0x10}, 4, -E_RANGE, .reg = -1},
	{"16 bytes of prefixes: too long", 8,
	 {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x80,
	  0}, 16, -E_RANGE, .reg = -1},
};

static void check_table(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
		const struct known *k = &table[i];
		struct insn in;
		int r = insn_decode(k->bytes, k->n, k->mode, &in);
		if (k->result) {
			is_u64((u64)r, (u64)k->result, "%s: refused", k->what);
			continue;
		}
		bool good = r == 0 && in.op == k->op && in.len == k->len &&
			    in.op_size == k->op_size && in.addr_size == k->addr_size &&
			    in.mem.seg == k->seg && in.mem.base == k->base &&
			    in.mem.index == k->index && in.mem.scale == k->scale &&
			    in.mem.disp == k->disp && in.mem.rip_rel == k->rip_rel &&
			    in.mem_dst == k->mem_dst &&
			    (k->reg < 0 ? !in.has_reg : in.has_reg && in.reg == k->reg) &&
			    (!k->imm || (in.has_imm && in.imm == k->imm));
		ok(good, "%s", k->what);
		if (!good)
			diag("r=%d op=%d len=%u osz=%u asz=%u seg=%u base=%u idx=%u sc=%u disp=%lld "
			     "rip=%d reg=%d/%u imm=%#llx dst=%d", r, in.op, in.len, in.op_size,
			     in.addr_size, in.mem.seg, in.mem.base, in.mem.index, in.mem.scale,
			     (long long)in.mem.disp, in.mem.rip_rel, in.has_reg, in.reg,
			     (unsigned long long)in.imm, in.mem_dst);
	}
	/* The AH/SPL distinction: with any REX, byte register 4 is SPL. */
	struct insn in;
	const u8 spl[] = {0x40, 0x88, 0x20}, ah[] = {0x88, 0x20};
	ok(insn_decode(spl, 3, 8, &in) == 0 && in.reg == 4 && !in.reg_high8, "REX: reg 4 is SPL");
	ok(insn_decode(ah, 2, 8, &in) == 0 && in.reg == 4 && in.reg_high8, "no REX: reg 4 is AH");
}

/* ---- (b) the differential test against Zydis ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic across runs. */
static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* The opcodes the decoder knows (two-byte ones as 0x0fXX). */
static const u16 opcodes[] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19,
	0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33,
	0x38, 0x39, 0x3a, 0x3b, 0x63, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
	0x8a, 0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0x6c, 0x6d, 0x6e, 0x6f,
	0xc6, 0xc7, 0xf6, 0xf7, 0x0fb6, 0x0fb7, 0x0fbe, 0x0fbf, 0x0fa3, 0x0fab, 0x0fb3,
	0x0fbb, 0x0fba,
	/* neighbours the decoder must refuse */
	0x04, 0x05, 0x82, 0x8c, 0x8d, 0x8e, 0xa6, 0xa7, 0xac, 0xad, 0xae, 0xaf, 0x0fb8, 0x0fbc,
	0x0fa2, 0x0fb0, 0x0fb1, 0xfe, 0xff,
};
static const u8 prefixes[] = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};

/* Fill BUF (16 bytes) with a random candidate for MODE; returns its length. */
static unsigned make_candidate(u8 *buf, unsigned mode)
{
	unsigned n = 0;
	for (unsigned i = 0; i < 16; i++)
		buf[i] = (u8)rnd();
	if (rnd() % 16 == 0)
		return 16; /* wholly random */
	unsigned np = rnd() % 4;
	for (unsigned i = 0; i < np; i++)
		buf[n++] = prefixes[rnd() % sizeof(prefixes)];
	if (mode == 8 && rnd() % 2)
		buf[n++] = 0x40 | (rnd() & 15);
	u16 op = opcodes[rnd() % ARRAY_SIZE(opcodes)];
	if (op > 0xff)
		buf[n++] = 0x0f;
	buf[n++] = (u8)op;
	/* ModRM: mostly a memory form */
	if (rnd() % 8 != 0)
		buf[n] = (u8)((buf[n] & 0x3f) | ((rnd() % 3) << 6));
	return 16;
}

/* The Zydis register for our GPR N of SIZE bytes (HIGH8: AH..BH; REX: with
 * a REX prefix, byte registers 4-7 are SPL..DIL). */
static ZydisRegister zreg(unsigned n, unsigned size, bool high8)
{
	switch (size) {
	case 1:
		if (high8)
			return ZYDIS_REGISTER_AH + (n - 4);
		if (n < 4)
			return ZYDIS_REGISTER_AL + n;
		if (n < 8)
			return ZYDIS_REGISTER_SPL + (n - 4);
		return ZYDIS_REGISTER_R8B + (n - 8);
	case 2: return ZYDIS_REGISTER_AX + n;
	case 4: return ZYDIS_REGISTER_EAX + n;
	default: return ZYDIS_REGISTER_RAX + n;
	}
}

/* Our op as a Zydis mnemonic (string ops by element size). */
static ZydisMnemonic zmnemonic(const struct insn *in)
{
	static const ZydisMnemonic movs[] = {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW,
		ZYDIS_MNEMONIC_MOVSD, ZYDIS_MNEMONIC_MOVSQ};
	static const ZydisMnemonic stos[] = {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW,
		ZYDIS_MNEMONIC_STOSD, ZYDIS_MNEMONIC_STOSQ};
	static const ZydisMnemonic ins[] = {ZYDIS_MNEMONIC_INSB, ZYDIS_MNEMONIC_INSW,
		ZYDIS_MNEMONIC_INSD, ZYDIS_MNEMONIC_INVALID};
	static const ZydisMnemonic outs[] = {ZYDIS_MNEMONIC_OUTSB, ZYDIS_MNEMONIC_OUTSW,
		ZYDIS_MNEMONIC_OUTSD, ZYDIS_MNEMONIC_INVALID};
	unsigned sz = in->op_size == 1 ? 0 : in->op_size == 2 ? 1 : in->op_size == 4 ? 2 : 3;
	switch (in->op) {
	case INSN_MOV: return ZYDIS_MNEMONIC_MOV;
	case INSN_MOVZX: return ZYDIS_MNEMONIC_MOVZX;
	case INSN_MOVSX: return in->opcode == 0x63 ? ZYDIS_MNEMONIC_MOVSXD : ZYDIS_MNEMONIC_MOVSX;
	case INSN_STOS: return stos[sz];
	case INSN_MOVS: return movs[sz];
	case INSN_INS: return ins[sz];
	case INSN_OUTS: return outs[sz];
	case INSN_ADD: return ZYDIS_MNEMONIC_ADD;
	case INSN_OR: return ZYDIS_MNEMONIC_OR;
	case INSN_ADC: return ZYDIS_MNEMONIC_ADC;
	case INSN_SBB: return ZYDIS_MNEMONIC_SBB;
	case INSN_AND: return ZYDIS_MNEMONIC_AND;
	case INSN_SUB: return ZYDIS_MNEMONIC_SUB;
	case INSN_XOR: return ZYDIS_MNEMONIC_XOR;
	case INSN_CMP: return ZYDIS_MNEMONIC_CMP;
	case INSN_TEST: return ZYDIS_MNEMONIC_TEST;
	case INSN_NOT: return ZYDIS_MNEMONIC_NOT;
	case INSN_NEG: return ZYDIS_MNEMONIC_NEG;
	case INSN_XCHG: return ZYDIS_MNEMONIC_XCHG;
	case INSN_BT: return ZYDIS_MNEMONIC_BT;
	case INSN_BTS: return ZYDIS_MNEMONIC_BTS;
	case INSN_BTR: return ZYDIS_MNEMONIC_BTR;
	case INSN_BTC: return ZYDIS_MNEMONIC_BTC;
	}
	return ZYDIS_MNEMONIC_INVALID;
}

static unsigned long quirks; /* decodes where a known Zydis divergence was let through */

static u64 mask_of(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* Compare our decode IN of BUF with Zydis's ZI/ZO; on a difference put a
 * reason in WHY and return false. */
static bool same(const struct insn *in, const ZydisDecodedInstruction *zi,
		 const ZydisDecodedOperand *zo, const char **why)
{
	if (zi->length != in->len)
		return *why = "length", false;
	if (zi->mnemonic != zmnemonic(in))
		return *why = "mnemonic", false;
	const ZydisDecodedOperand *mem = NULL, *reg = NULL, *imm = NULL;
	bool string = in->op == INSN_MOVS || in->op == INSN_STOS || in->op == INSN_INS ||
		      in->op == INSN_OUTS;
	for (unsigned i = 0; i < zi->operand_count; i++) {
		const ZydisDecodedOperand *o = &zo[i];
		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.type == ZYDIS_MEMOP_TYPE_MEM) {
			/* string ops: the rSI operand is the one with a free segment */
			if (!string || !mem || o->mem.base == zreg(6, in->addr_size, false))
				mem = o;
		} else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			   o->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT) {
			reg = o;
		} else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			imm = o;
		}
	}
	if (!mem)
		return *why = "zydis has no memory operand", false;
	ZydisRegister seg = ZYDIS_REGISTER_ES + in->mem.seg;
	/* In 64-bit mode the segment of ES/CS/SS/DS makes no difference (base
	 * 0); Zydis names the override it saw, we the default: compare FS/GS. */
	if (in->mode != 8 || in->mem.seg >= SEG_FS || mem->mem.segment >= ZYDIS_REGISTER_FS)
		if (mem->mem.segment != seg)
			return *why = "segment", false;
	if (string) {
		if (mem->mem.base != zreg(in->op == INSN_STOS || in->op == INSN_INS ? 7 : 6,
					  in->addr_size, false))
			return *why = "string address register", false;
		if (in->op == INSN_INS || in->op == INSN_STOS ? !in->mem_dst : false)
			return *why = "string direction", false;
		return true;
	}
	ZydisRegister base = in->mem.rip_rel ? (in->addr_size == 8 ? ZYDIS_REGISTER_RIP :
								     ZYDIS_REGISTER_EIP) :
			     in->mem.base == INSN_NO_REG ? ZYDIS_REGISTER_NONE :
							   zreg(in->mem.base, in->addr_size, false);
	ZydisRegister index = in->mem.index == INSN_NO_REG ? ZYDIS_REGISTER_NONE :
			      zreg(in->mem.index, in->addr_size, false);
	/* Zydis 4.0 reads SIB base 101 with mod 00 under REX.B and a 67 prefix
	 * in 64-bit mode as R13D; SDM Vol 2 Table 2-5 says no base there (REX.B
	 * is "don't care"), as Zydis itself does with 64-bit addresses; it
	 * then reports displacement 0 though the length counts the disp32. */
	bool zydis_quirk = in->mode == 8 && in->addr_size == 4 && (in->rex & 1) &&
			   base == ZYDIS_REGISTER_NONE && mem->mem.base == ZYDIS_REGISTER_R13D;
	if (zydis_quirk)
		quirks++;
	if (mem->mem.base != base && !zydis_quirk)
		return *why = "base", false;
	if (mem->mem.index != index)
		return *why = "index", false;
	if (index != ZYDIS_REGISTER_NONE && mem->mem.scale != in->mem.scale)
		return *why = "scale", false;
	u64 am = mask_of(in->addr_size);
	if (((u64)mem->mem.disp.value & am) != ((u64)in->mem.disp & am) && !zydis_quirk)
		return *why = "displacement", false;
	if (mem->size != 8 * in->src_size)
		return *why = "memory operand size", false;
	if (in->has_reg) {
		bool a_moffs = in->opcode >= 0xa0 && in->opcode <= 0xa3 && !in->twobyte;
		if (a_moffs) {
			/* Zydis marks AL/eAX of a moffs MOV implicit */
			reg = NULL;
			for (unsigned i = 0; i < zi->operand_count; i++)
				if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
				    zo[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
					reg = &zo[i];
		}
		if (!reg || reg->reg.value != zreg(in->reg, in->op_size, in->reg_high8))
			return *why = "register operand", false;
		/* operand order: the memory operand first iff mem_dst */
		if ((zo[0].type == ZYDIS_OPERAND_TYPE_MEMORY) != in->mem_dst)
			return *why = "operand order", false;
	} else if (reg) {
		return *why = "zydis has a register operand", false;
	}
	if (in->has_imm) {
		u64 m = mask_of(in->op >= INSN_BT ? 1 : in->op_size);
		if (!imm || ((imm->imm.value.u ^ in->imm) & m))
			return *why = "immediate", false;
		/* our immediate is sign-extended (BT's zero-extended) to 64 bits */
		u64 want = in->op >= INSN_BT ? imm->imm.value.u & 0xff :
			   (u64)(imm->imm.is_signed ? imm->imm.value.s :
						      (s64)(imm->imm.value.u & mask_of(in->op_size)));
		if (in->op < INSN_BT && (in->imm & mask_of(in->op_size)) != (want & mask_of(in->op_size)))
			return *why = "immediate extension", false;
	} else if (imm) {
		return *why = "zydis has an immediate", false;
	}
	return true;
}

static void differential(void)
{
	static const struct { unsigned mode; ZydisMachineMode zm; ZydisStackWidth sw; } modes[] = {
		{2, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16},
		{4, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},
		{8, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},
	};
	ok(ZydisGetVersion() >> 48 == 4, "Zydis major version 4 (%#llx)",
	   (unsigned long long)ZydisGetVersion());
	for (unsigned m = 0; m < ARRAY_SIZE(modes); m++) {
		ZydisDecoder dec;
		ZydisDecoderInit(&dec, modes[m].zm, modes[m].sw);
		unsigned long accepted = 0, refused = 0, compared = 0, mismatched = 0, zrefused = 0;
		unsigned long per_op[INSN_BTC + 1] = {0}, cut_wrong = 0;
		for (unsigned t = 0; t < N_RANDOM; t++) {
			u8 buf[16];
			unsigned n = make_candidate(buf, modes[m].mode);
			struct insn in;
			if (insn_decode(buf, n, modes[m].mode, &in)) {
				refused++;
				continue;
			}
			accepted++;
			per_op[in.op]++;
			/* Cut short, in a heap block of exactly that size (ASan
			 * catches a read past it), the same bytes must be refused
			 * as incomplete. */
			unsigned cut = rnd() % in.len;
			u8 *heap = malloc(cut ? cut : 1);
			memcpy(heap, buf, cut);
			struct insn partial;
			if (insn_decode(heap, cut, modes[m].mode, &partial) != -E_RANGE)
				cut_wrong++;
			free(heap);
			ZydisDecodedInstruction zi;
			ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
			const char *why = NULL;
			if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, n, &zi, zo))) {
				zrefused++;
				why = "zydis refused";
			} else {
				compared++;
				if (same(&in, &zi, zo, &why))
					continue;
			}
			if (mismatched++ < 10) {
				char hex[64] = "";
				for (unsigned i = 0; i < in.len && i < 15; i++)
					sprintf(hex + 3 * i, "%02x ", buf[i]);
				diag("mode %u: %s differs (%s): %s", modes[m].mode * 8, hex, why,
				     insn_op_name(in.op));
			}
		}
		diag("%u-bit: %lu candidates, %lu accepted, %lu refused, %lu compared, "
		     "%lu refused by zydis, %lu with the Zydis R13D quirk", modes[m].mode * 8,
		     (unsigned long)N_RANDOM, accepted, refused, compared, zrefused, quirks);
		quirks = 0;
		ok(mismatched == 0, "%u-bit: every accepted decode agrees with Zydis (%lu differ)",
		   modes[m].mode * 8, mismatched);
		ok(cut_wrong == 0, "%u-bit: every accepted instruction cut short is refused as "
		   "incomplete, without reading past the bytes (%lu not)", modes[m].mode * 8, cut_wrong);
		unsigned missing = 0;
		for (unsigned op = 0; op <= INSN_BTC; op++)
			if (!per_op[op])
				missing++;
		ok(missing == 0 && accepted > N_RANDOM / 4,
		   "%u-bit: every instruction class was accepted and compared", modes[m].mode * 8);
	}
}

int main(void)
{
	check_table();
	differential();
	return tap_done();
}
