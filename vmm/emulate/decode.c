/*
 * The instruction decoder of the MMIO emulator (interface and the list of
 * instructions in decode.h).  Encodings follow the Intel SDM Vol 2
 * (325383-081): 2.1 (instruction format, prefixes), 2.1.5 with Tables 2-1
 * to 2-3 (16- and 32-bit ModRM/SIB addressing), 2.2.1 (REX, RIP-relative
 * addressing), 3.3 operand/address-size attributes (Vol 1 Table 3-4 for
 * 64-bit mode), and the opcode maps of Appendix A.
 */
#include "vmm/emulate/decode.h"

/* The bytes being decoded and how far decoding got. */
struct cursor {
	const u8 *bytes; /* the instruction */
	unsigned n;      /* bytes available */
	unsigned pos;    /* next byte to read */
};

/* Read the next byte into *B.  0, or -E_RANGE past N or past 15 bytes. */
static int next_byte(struct cursor *c, u8 *b)
{
	if (c->pos >= c->n || c->pos >= INSN_MAX_LEN)
		return -E_RANGE;
	*b = c->bytes[c->pos++];
	return 0;
}

/* Read a little-endian SIZE-byte value (1, 2, 4 or 8), sign-extended to 64
 * bits into *V when SIGNED.  0 or -E_RANGE. */
static int next_value(struct cursor *c, unsigned size, bool is_signed, u64 *v)
{
	u64 x = 0;
	for (unsigned i = 0; i < size; i++) {
		u8 b;
		int r = next_byte(c, &b);
		if (r)
			return r;
		x |= (u64)b << (8 * i);
	}
	if (is_signed && size < 8 && (x & BIT(8 * size - 1)))
		x |= ~0ULL << (8 * size);
	*v = x;
	return 0;
}

/*
 * Decode the ModRM byte MODRM (already read) and what follows it (SIB,
 * displacement) into IN->mem and IN->reg.  Refuses the register form
 * (mod == 3): nothing would touch memory.  SEG_OVR is the segment override
 * prefix seen, or -1.  0, -E_RANGE or -E_NOSYS.
 */
static int decode_modrm(struct cursor *c, struct insn *in, u8 modrm, int seg_ovr)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;
	bool rex_r = in->rex & 4, rex_x = in->rex & 2, rex_b = in->rex & 1;
	struct insn_mem *m = &in->mem;
	u64 disp = 0;
	int r;

	in->reg = ((modrm >> 3) & 7) | (rex_r ? 8 : 0);
	if (mod == 3)
		return -E_NOSYS;
	in->has_mem = true;
	m->base = m->index = INSN_NO_REG;
	m->scale = 1;
	m->seg = SEG_DS;

	if (in->addr_size == 2) {
		/* SDM Vol 2 Table 2-1: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI]
		 * [BP] (disp16 alone with mod 0) [BX]; BP-based ones use SS. */
		static const u8 base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
		static const u8 index16[8] = {6, 7, 6, 7, INSN_NO_REG, INSN_NO_REG, INSN_NO_REG,
					      INSN_NO_REG};
		if (mod == 0 && rm == 6) {
			r = next_value(c, 2, false, &disp);
		} else {
			m->base = base16[rm];
			m->index = index16[rm];
			if (m->base == 5)
				m->seg = SEG_SS;
			r = mod == 1 ? next_value(c, 1, true, &disp) :
			    mod == 2 ? next_value(c, 2, true, &disp) : 0;
		}
		if (r)
			return r;
		m->disp = (s64)disp;
	} else {
		/* SDM Vol 2 Tables 2-2 and 2-3, with REX extending base and index
		 * (2.2.1.2) and mod 0 rm 5 meaning RIP-relative in 64-bit mode
		 * (2.2.1.6). */
		bool disp32 = false;
		if (rm == 4) {
			u8 sib;
			if ((r = next_byte(c, &sib)))
				return r;
			unsigned idx = ((sib >> 3) & 7) | (rex_x ? 8 : 0);
			if (idx != 4)
				m->index = idx;
			m->scale = 1 << (sib >> 6);
			if ((sib & 7) == 5 && mod == 0)
				disp32 = true;
			else
				m->base = (sib & 7) | (rex_b ? 8 : 0);
		} else if (rm == 5 && mod == 0) {
			disp32 = true;
			m->rip_rel = in->mode == 8;
		} else {
			m->base = rm | (rex_b ? 8 : 0);
		}
		/* rSP and rBP as base default to SS (SDM Vol 1 3.7.4); R12/R13 do not. */
		if (m->base == 4 || m->base == 5)
			m->seg = SEG_SS;
		r = (mod == 1) ? next_value(c, 1, true, &disp) :
		    (mod == 2 || disp32) ? next_value(c, 4, true, &disp) : 0;
		if (r)
			return r;
		m->disp = (s64)disp;
	}
	/* In 64-bit mode only FS and GS overrides take effect (Vol 1 3.3.7.1). */
	if (seg_ovr >= 0 && (in->mode != 8 || seg_ovr >= SEG_FS))
		m->seg = (u8)seg_ovr;
	return 0;
}

/* Read a ModRM byte and decode the memory operand behind it.  With
 * REG_OPERAND the reg field is a register operand (IN->reg, AH..BH when a
 * byte operand has no REX); else it stays in IN->reg as an opcode
 * extension for the caller.  0, -E_RANGE or -E_NOSYS. */
static int modrm_operands(struct cursor *c, struct insn *in, int seg_ovr, bool reg_operand)
{
	u8 modrm;
	int r = next_byte(c, &modrm);
	if (r)
		return r;
	if ((r = decode_modrm(c, in, modrm, seg_ovr)))
		return r;
	in->has_reg = reg_operand;
	in->reg_high8 = reg_operand && in->op_size == 1 && !in->rex && in->reg >= 4 &&
			in->reg < 8;
	return 0;
}

/* Read an immediate of SIZE bytes (at most 4), sign-extended to 64 bits,
 * as the source operand.  0 or -E_RANGE. */
static int immediate(struct cursor *c, struct insn *in, unsigned size)
{
	in->has_imm = true;
	return next_value(c, size, true, &in->imm);
}

/* The "iz" immediate size of SDM Vol 2 A.2.2: 2 with a 16-bit operand, else 4. */
static unsigned imm_z(const struct insn *in)
{
	return in->op_size == 2 ? 2 : 4;
}

/* The ModRM reg field as an opcode extension (the /digit of SDM Vol 2
 * 3.1.1.1), for opcodes whose reg field names no register. */
static unsigned ext_digit(const struct insn *in)
{
	return in->reg & 7;
}

/* May LOCK precede IN?  SDM Vol 2 "LOCK": only read-modify-write
 * instructions with a memory destination (XCHG is locked anyway). */
static bool lock_allowed(const struct insn *in)
{
	switch (in->op) {
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR:
	case INSN_NOT: case INSN_NEG: case INSN_XCHG:
	case INSN_BTS: case INSN_BTR: case INSN_BTC:
		return in->mem_dst;
	default:
		return false;
	}
}

int insn_decode(const u8 *bytes, unsigned n, unsigned mode, struct insn *out)
{
	struct cursor c = {.bytes = bytes, .n = n};
	struct insn in = {0};
	int seg_ovr = -1;
	bool f2 = false, f3 = false;
	u8 b;
	int r;

	if (mode != 2 && mode != 4 && mode != 8)
		return -E_NOSYS;
	in.mode = (u8)mode;

	/* Legacy prefixes in any order; a REX counts only when it comes last
	 * (SDM Vol 2 2.2.1: a REX followed by another prefix is ignored). */
	for (;;) {
		if ((r = next_byte(&c, &b)))
			return r;
		switch (b) {
		case 0xf0: in.lock = true; in.rex = 0; continue;
		case 0xf2: f2 = true; in.rep = REP_NE; in.rex = 0; continue;
		case 0xf3: f3 = true; in.rep = REP_E; in.rex = 0; continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/* ES CS SS DS (the sreg number is in bits 4:3): no-ops in
			 * 64-bit mode, where they do not undo an FS or GS one. */
			if (mode != 8)
				seg_ovr = (b >> 3) & 3;
			in.rex = 0;
			continue;
		case 0x64: seg_ovr = SEG_FS; in.rex = 0; continue;
		case 0x65: seg_ovr = SEG_GS; in.rex = 0; continue;
		case 0x66: in.opsize_prefix = true; in.rex = 0; continue;
		case 0x67: in.addrsize_prefix = true; in.rex = 0; continue;
		default:
			break;
		}
		if (mode == 8 && (b & 0xf0) == 0x40) {
			in.rex = b;
			continue;
		}
		break;
	}
	if (f2 && f3)
		return -E_NOSYS; /* which one wins differs between CPUs */

	/* Operand and address size (SDM Vol 1 3.6 and Table 3-4). */
	if (mode == 8) {
		in.op_size = (in.rex & 8) ? 8 : in.opsize_prefix ? 2 : 4;
		in.addr_size = in.addrsize_prefix ? 4 : 8;
	} else {
		bool big = (mode == 4) != in.opsize_prefix;
		in.op_size = big ? 4 : 2;
		in.addr_size = ((mode == 4) != in.addrsize_prefix) ? 4 : 2;
	}
	unsigned osz = in.op_size;

	in.opcode = b;
	if (b == 0x0f) {
		in.twobyte = true;
		if ((r = next_byte(&c, &b)))
			return r;
		in.opcode = b;
		switch (b) {
		case 0xb6: case 0xb7: case 0xbe: case 0xbf:
			in.op = (b & 8) ? INSN_MOVSX : INSN_MOVZX;
			in.src_size = (b & 1) ? 2 : 1;
			r = modrm_operands(&c, &in, seg_ovr, true);
			in.reg_high8 = false; /* the register is op_size wide, never a byte */
			break;
		case 0xa3: case 0xab: case 0xb3: case 0xbb: {
			static const enum insn_op bt_ops[4] = {INSN_BT, INSN_BTS, INSN_BTR, INSN_BTC};
			in.op = bt_ops[(b >> 3) & 3];
			in.mem_dst = true;
			r = modrm_operands(&c, &in, seg_ovr, true);
			break;
		}
		case 0xba:
			in.mem_dst = true;
			if ((r = modrm_operands(&c, &in, seg_ovr, false)))
				break;
			if (ext_digit(&in) < 4)
				return -E_NOSYS;
			in.op = INSN_BT + (ext_digit(&in) - 4);
			r = next_value(&c, 1, false, &in.imm);
			in.has_imm = true;
			break;
		default:
			return -E_NOSYS;
		}
	} else if (b < 0x40 && (b & 7) < 4) {
		/* The eight ALU ops, Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev (Appendix A Table A-2). */
		in.op = INSN_ADD + (b >> 3);
		if (!(b & 1))
			in.op_size = 1;
		in.mem_dst = !(b & 2);
		r = modrm_operands(&c, &in, seg_ovr, true);
	} else {
		switch (b) {
		case 0x63:
			/* ARPL outside 64-bit mode.  MOVSXD with a 16-bit operand
			 * reads 16 bits by the SDM, 32 by Zydis: refused, no OS uses it. */
			if (mode != 8 || osz == 2)
				return -E_NOSYS;
			in.op = INSN_MOVSX;
			in.src_size = MIN(osz, 4);
			r = modrm_operands(&c, &in, seg_ovr, true);
			break;
		case 0x80: case 0x81: case 0x83:
			if (b == 0x80)
				in.op_size = 1;
			in.mem_dst = true;
			if ((r = modrm_operands(&c, &in, seg_ovr, false)))
				break;
			in.op = INSN_ADD + ext_digit(&in);
			r = immediate(&c, &in, b == 0x81 ? imm_z(&in) : 1);
			break;
		case 0x84: case 0x85:
			in.op = INSN_TEST;
			in.op_size = b == 0x84 ? 1 : osz;
			in.mem_dst = true;
			r = modrm_operands(&c, &in, seg_ovr, true);
			break;
		case 0x86: case 0x87:
			in.op = INSN_XCHG;
			in.op_size = b == 0x86 ? 1 : osz;
			in.mem_dst = true;
			r = modrm_operands(&c, &in, seg_ovr, true);
			break;
		case 0x88: case 0x89: case 0x8a: case 0x8b:
			in.op = INSN_MOV;
			in.op_size = (b & 1) ? osz : 1;
			in.mem_dst = !(b & 2);
			r = modrm_operands(&c, &in, seg_ovr, true);
			break;
		case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
			/* MOV with a moffs: the offset is address-size wide, no ModRM. */
			u64 off;
			in.op = INSN_MOV;
			in.op_size = (b & 1) ? osz : 1;
			in.mem_dst = b & 2;
			in.has_mem = in.has_reg = true;
			in.reg = 0;
			in.mem.base = in.mem.index = INSN_NO_REG;
			in.mem.scale = 1;
			in.mem.seg = (seg_ovr >= 0 && (mode != 8 || seg_ovr >= SEG_FS)) ? seg_ovr :
												  SEG_DS;
			if ((r = next_value(&c, in.addr_size, false, &off)))
				break;
			in.mem.disp = (s64)off;
			break;
		}
		case 0xa4: case 0xa5: case 0xaa: case 0xab:
		case 0x6c: case 0x6d: case 0x6e: case 0x6f:
			in.op = b >= 0xaa ? INSN_STOS : b >= 0xa4 ? INSN_MOVS :
				b >= 0x6e ? INSN_OUTS : INSN_INS;
			in.op_size = (b & 1) ? osz : 1;
			if (b < 0x70 && in.op_size == 8)
				in.op_size = 4; /* INS/OUTS stop at doublewords */
			/* The source of MOVS and OUTS is seg:rSI (DS unless overridden,
			 * FS/GS only in 64-bit mode); ES:rDI cannot be overridden. */
			in.mem.seg = (in.op == INSN_MOVS || in.op == INSN_OUTS) &&
					     seg_ovr >= 0 && (mode != 8 || seg_ovr >= SEG_FS) ?
				     seg_ovr : (in.op == INSN_MOVS || in.op == INSN_OUTS) ? SEG_DS :
											SEG_ES;
			in.mem.base = in.mem.index = INSN_NO_REG;
			in.mem.scale = 1;
			in.mem_dst = in.op != INSN_OUTS;
			r = 0;
			break;
		case 0xc6: case 0xc7:
			in.op = INSN_MOV;
			in.op_size = b == 0xc6 ? 1 : osz;
			in.mem_dst = true;
			if ((r = modrm_operands(&c, &in, seg_ovr, false)))
				break;
			if (ext_digit(&in) != 0)
				return -E_NOSYS;
			r = immediate(&c, &in, b == 0xc6 ? 1 : imm_z(&in));
			break;
		case 0xf6: case 0xf7:
			in.op_size = b == 0xf6 ? 1 : osz;
			in.mem_dst = true;
			if ((r = modrm_operands(&c, &in, seg_ovr, false)))
				break;
			switch (ext_digit(&in)) {
			case 0:
				in.op = INSN_TEST;
				r = immediate(&c, &in, b == 0xf6 ? 1 : imm_z(&in));
				break;
			case 2: in.op = INSN_NOT; break;
			case 3: in.op = INSN_NEG; break;
			default: return -E_NOSYS; /* /1 undocumented TEST, MUL, DIV... */
			}
			break;
		default:
			return -E_NOSYS;
		}
	}
	if (r)
		return r;
	if (!in.src_size)
		in.src_size = in.op_size;
	if (in.lock && !lock_allowed(&in))
		return -E_NOSYS; /* #UD on the CPU */
	in.len = (u8)c.pos;
	*out = in;
	return 0;
}

const char *insn_op_name(enum insn_op op)
{
	static const char *const names[] = {
		[INSN_MOV] = "mov", [INSN_MOVZX] = "movzx", [INSN_MOVSX] = "movsx",
		[INSN_STOS] = "stos", [INSN_MOVS] = "movs", [INSN_INS] = "ins",
		[INSN_OUTS] = "outs", [INSN_ADD] = "add", [INSN_OR] = "or", [INSN_ADC] = "adc",
		[INSN_SBB] = "sbb", [INSN_AND] = "and", [INSN_SUB] = "sub", [INSN_XOR] = "xor",
		[INSN_CMP] = "cmp", [INSN_TEST] = "test", [INSN_NOT] = "not", [INSN_NEG] = "neg",
		[INSN_XCHG] = "xchg", [INSN_BT] = "bt", [INSN_BTS] = "bts", [INSN_BTR] = "btr",
		[INSN_BTC] = "btc",
	};
	return (unsigned)op < ARRAY_SIZE(names) && names[op] ? names[op] : "?";
}
