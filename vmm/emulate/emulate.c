/*
 * Execution of one decoded instruction (interface in emulate.h).  The
 * semantics and flags follow the instruction pages of the Intel SDM Vol 2
 * (325383-081, chapters 3 and 4: ADD, ADC, AND, BT, BTC, BTR, BTS, CMP,
 * INS, MOV, MOVS, MOVSX/MOVSXD, MOVZX, NEG, NOT, OR, OUTS, REP, SBB, STOS,
 * SUB, TEST, XCHG, XOR) and Vol 1 3.4.3 (the status flags).
 */
#include "vmm/emulate/emulate.h"

/* All ones in the low SIZE bytes. */
static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

/* The sign bit of a SIZE-byte value. */
static u64 sign_bit(unsigned size)
{
	return BIT(8 * size - 1);
}

/* X (SIZE bytes) sign-extended to 64 bits. */
static u64 sign_extend(u64 x, unsigned size)
{
	x &= size_mask(size);
	return (x & sign_bit(size)) ? x | ~size_mask(size) : x;
}

/* Where GPR N (encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15)
 * lives in struct vcpu_regs, whose order is the world switch's. */
static u64 *gpr(struct vcpu_regs *r, unsigned n)
{
	switch (n & 15) {
	case 0: return &r->rax;
	case 1: return &r->rcx;
	case 2: return &r->rdx;
	case 3: return &r->rbx;
	case 4: return &r->rsp;
	case 5: return &r->rbp;
	case 6: return &r->rsi;
	case 7: return &r->rdi;
	default: return &r->r8 + ((n & 15) - 8);
	}
}

u64 emul_get_reg(const struct vcpu_regs *regs, unsigned n, unsigned size, bool high8)
{
	if (high8)
		return (*gpr((struct vcpu_regs *)regs, n - 4) >> 8) & 0xff;
	return *gpr((struct vcpu_regs *)regs, n) & size_mask(size);
}

void emul_set_reg(struct vcpu_regs *regs, unsigned n, unsigned size, bool high8, u64 val)
{
	if (high8) {
		u64 *p = gpr(regs, n - 4);
		*p = (*p & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	u64 *p = gpr(regs, n);
	if (size >= 4)
		*p = val & size_mask(size); /* a 32-bit write zero-extends */
	else
		*p = (*p & ~size_mask(size)) | (val & size_mask(size));
}

/* The linear base of SEG for IN: in 64-bit mode ES, CS, SS and DS have
 * base 0 whatever the register holds (SDM Vol 3A 3.4.4). */
static u64 seg_base_of(const struct insn *in, const struct emul_ops *ops, unsigned seg)
{
	if (in->mode == 8 && seg < SEG_FS)
		return 0;
	return ops->seg_base(ops->ctx, seg);
}

/* Segment base plus offset, truncated to 32 bits outside 64-bit mode. */
static u64 linear(const struct insn *in, u64 base, u64 offset)
{
	u64 la = base + (offset & size_mask(in->addr_size));
	return in->mode == 8 ? la : (u32)la;
}

u64 emul_operand_la(const struct insn *in, const struct vcpu_regs *regs, u64 seg_base)
{
	const struct insn_mem *m = &in->mem;
	u64 ea = (u64)m->disp;
	if (m->base != INSN_NO_REG)
		ea += emul_get_reg(regs, m->base, 8, false);
	if (m->index != INSN_NO_REG)
		ea += emul_get_reg(regs, m->index, 8, false) * m->scale;
	if (m->rip_rel)
		ea += regs->rip + in->len;
	return linear(in, seg_base, ea);
}

/* PF: set when the low byte of RES has an even number of ones. */
static bool parity_even(u64 res)
{
	u8 x = (u8)res;
	x ^= x >> 4;
	x ^= x >> 2;
	x ^= x >> 1;
	return !(x & 1);
}

/* Replace the arithmetic flags of *RFLAGS with CF/OF/AF as given and
 * ZF/SF/PF computed from RES (SIZE bytes). */
static void set_flags(u64 *rflags, u64 res, unsigned size, bool cf, bool of, bool af)
{
	u64 f = *rflags & ~RFLAGS_ARITH;
	res &= size_mask(size);
	if (cf)
		f |= RFLAGS_CF;
	if (of)
		f |= RFLAGS_OF;
	if (af)
		f |= RFLAGS_AF;
	if (!res)
		f |= RFLAGS_ZF;
	if (res & sign_bit(size))
		f |= RFLAGS_SF;
	if (parity_even(res))
		f |= RFLAGS_PF;
	*rflags = f;
}

/*
 * The group-1 operation OP (or TEST, NEG) of A and B, SIZE bytes, setting
 * the arithmetic flags in *RFLAGS.  Returns the result (meaningless for
 * CMP and TEST, which the caller does not store).  Carry out of an add is
 * the majority function of the top bits, borrow out of a subtract its
 * complement's (the usual identities); OF compares the operand and result
 * signs; AF is the carry into bit 4.
 */
static u64 alu(enum insn_op op, u64 a, u64 b, unsigned size, u64 *rflags)
{
	u64 mask = size_mask(size), sign = sign_bit(size), res;
	u64 carry_in = (*rflags & RFLAGS_CF) ? 1 : 0;
	a &= mask;
	b &= mask;
	switch (op) {
	case INSN_ADD:
	case INSN_ADC: {
		u64 c = op == INSN_ADC ? carry_in : 0;
		res = (a + b + c) & mask;
		bool cf = (((a & b) | ((a | b) & ~res)) & sign) != 0;
		bool of = (((a ^ res) & (b ^ res)) & sign) != 0;
		set_flags(rflags, res, size, cf, of, ((a ^ b ^ res) & 0x10) != 0);
		return res;
	}
	case INSN_SUB:
	case INSN_SBB:
	case INSN_CMP:
	case INSN_NEG: {
		if (op == INSN_NEG) {
			b = a;
			a = 0;
		}
		u64 c = op == INSN_SBB ? carry_in : 0;
		res = (a - b - c) & mask;
		bool cf = (((~a & b) | ((~a | b) & res)) & sign) != 0;
		bool of = (((a ^ b) & (a ^ res)) & sign) != 0;
		set_flags(rflags, res, size, cf, of, ((a ^ b ^ res) & 0x10) != 0);
		return res;
	}
	case INSN_AND:
	case INSN_TEST:
		res = a & b;
		break;
	case INSN_OR:
		res = a | b;
		break;
	case INSN_XOR:
		res = a ^ b;
		break;
	default:
		return 0;
	}
	set_flags(rflags, res, size, false, false, false);
	return res;
}

/* Move rIP past IN, wrapping at the code size (IP, EIP or RIP). */
static void advance_rip(const struct insn *in, struct vcpu_regs *regs)
{
	regs->rip = (regs->rip + in->len) & size_mask(in->mode);
}

/* Read SIZE bytes at LA into *VAL (zero-extended). */
static int mem_read(const struct emul_ops *ops, u64 la, unsigned size, u64 *val)
{
	*val = 0;
	return ops->read(ops->ctx, la, val, size);
}

/* Write the low SIZE bytes of VAL at LA. */
static int mem_write(const struct emul_ops *ops, u64 la, unsigned size, u64 val)
{
	return ops->write(ops->ctx, la, &val, size);
}

/*
 * The string instructions: one element per iteration, rSI/rDI stepping by
 * the element size (down when DF is set), rCX counting down under REP (its
 * address-size part, SDM Vol 2 "REP").  At most EMUL_REP_BUDGET iterations:
 * rIP advances only once rCX reached zero.
 */
static int emulate_string(const struct insn *in, struct vcpu_regs *regs,
			  const struct emul_ops *ops)
{
	unsigned size = in->op_size, asz = in->addr_size;
	u64 amask = size_mask(asz);
	bool rep = in->rep != REP_NONE;
	u64 count = rep ? regs->rcx & amask : 1;
	u64 step = (regs->rflags & RFLAGS_DF) ? -(u64)size : size;
	u64 es = seg_base_of(in, ops, SEG_ES), src = seg_base_of(in, ops, in->mem.seg);
	u16 port = (u16)regs->rdx;

	for (unsigned done = 0; count && done < EMUL_REP_BUDGET; done++) {
		u64 val = 0;
		u32 v32 = 0;
		int r = 0;
		switch (in->op) {
		case INSN_STOS:
			r = mem_write(ops, linear(in, es, regs->rdi), size, regs->rax);
			break;
		case INSN_MOVS:
			r = mem_read(ops, linear(in, src, regs->rsi), size, &val);
			if (!r)
				r = mem_write(ops, linear(in, es, regs->rdi), size, val);
			break;
		case INSN_INS:
			r = ops->pio(ops->ctx, port, size, true, &v32);
			if (!r)
				r = mem_write(ops, linear(in, es, regs->rdi), size, v32);
			break;
		case INSN_OUTS:
			r = mem_read(ops, linear(in, src, regs->rsi), size, &val);
			v32 = (u32)val;
			if (!r)
				r = ops->pio(ops->ctx, port, size, false, &v32);
			break;
		default:
			return -E_NOSYS;
		}
		if (r)
			return r;
		if (in->op != INSN_STOS && in->op != INSN_INS)
			emul_set_reg(regs, 6, asz, false, regs->rsi + step);
		if (in->op != INSN_OUTS)
			emul_set_reg(regs, 7, asz, false, regs->rdi + step);
		count--;
		if (rep)
			emul_set_reg(regs, 1, asz, false, count);
	}
	if (!count)
		advance_rip(in, regs);
	return 0;
}

/*
 * BT, BTS, BTR, BTC on memory.  With a register offset the bit string may
 * extend beyond the operand: the offset is signed and selects the
 * op_size-wide word at EA + op_size * (offset div width) (SDM Vol 2 "BT");
 * an immediate offset is taken modulo the width.  CF gets the bit; the
 * other flags are left as they were (the SDM leaves OF SF AF PF undefined).
 */
static int emulate_bt(const struct insn *in, struct vcpu_regs *regs, const struct emul_ops *ops,
		      u64 la)
{
	unsigned size = in->op_size, width = 8 * size;
	s64 off;
	if (in->has_imm) {
		off = (s64)(in->imm & (width - 1));
	} else {
		off = (s64)sign_extend(emul_get_reg(regs, in->reg, size, in->reg_high8), size);
		s64 word = off >= 0 ? off / (s64)width : -((-off + width - 1) / width);
		la += (u64)(word * (s64)size);
		if (in->mode != 8)
			la = (u32)la;
		off -= word * (s64)width;
	}
	u64 val;
	int r = mem_read(ops, la, size, &val);
	if (r)
		return r;
	u64 bit = BIT(off);
	if (val & bit)
		regs->rflags |= RFLAGS_CF;
	else
		regs->rflags &= ~RFLAGS_CF;
	switch (in->op) {
	case INSN_BTS: val |= bit; break;
	case INSN_BTR: val &= ~bit; break;
	case INSN_BTC: val ^= bit; break;
	default: return 0;
	}
	return mem_write(ops, la, size, val);
}

int emulate_insn(const struct insn *in, struct vcpu_regs *regs, const struct emul_ops *ops)
{
	unsigned size = in->op_size;
	int r;

	switch (in->op) {
	case INSN_STOS: case INSN_MOVS: case INSN_INS: case INSN_OUTS:
		return emulate_string(in, regs, ops);
	default:
		break;
	}
	if (!in->has_mem)
		return -E_NOSYS;
	u64 la = emul_operand_la(in, regs, seg_base_of(in, ops, in->mem.seg));
	/* The non-memory operand: the immediate, else the register. */
	u64 other = in->has_imm ? in->imm :
		    in->has_reg ? emul_get_reg(regs, in->reg, size, in->reg_high8) : 0;
	u64 val;

	switch (in->op) {
	case INSN_MOV:
		if (in->mem_dst) {
			r = mem_write(ops, la, size, other);
		} else {
			if (!(r = mem_read(ops, la, size, &val)))
				emul_set_reg(regs, in->reg, size, in->reg_high8, val);
		}
		break;
	case INSN_MOVZX:
	case INSN_MOVSX:
		if ((r = mem_read(ops, la, in->src_size, &val)))
			break;
		if (in->op == INSN_MOVSX)
			val = sign_extend(val, in->src_size);
		emul_set_reg(regs, in->reg, size, false, val);
		break;
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR: case INSN_CMP: case INSN_TEST: {
		if ((r = mem_read(ops, la, size, &val)))
			break;
		u64 a = in->mem_dst ? val : other, b = in->mem_dst ? other : val;
		u64 res = alu(in->op, a, b, size, &regs->rflags);
		if (in->op == INSN_CMP || in->op == INSN_TEST)
			break;
		if (in->mem_dst)
			r = mem_write(ops, la, size, res);
		else
			emul_set_reg(regs, in->reg, size, in->reg_high8, res);
		break;
	}
	case INSN_NOT:
	case INSN_NEG:
		if ((r = mem_read(ops, la, size, &val)))
			break;
		val = in->op == INSN_NOT ? ~val : alu(INSN_NEG, val, 0, size, &regs->rflags);
		r = mem_write(ops, la, size, val);
		break;
	case INSN_XCHG:
		if ((r = mem_read(ops, la, size, &val)))
			break;
		if ((r = mem_write(ops, la, size, other)))
			break;
		emul_set_reg(regs, in->reg, size, in->reg_high8, val);
		break;
	case INSN_BT: case INSN_BTS: case INSN_BTR: case INSN_BTC:
		r = emulate_bt(in, regs, ops, la);
		break;
	default:
		return -E_NOSYS;
	}
	if (!r)
		advance_rip(in, regs);
	return r;
}
