/*
 * The instruction decoder of the MMIO emulator: pure (no vCPU, no log), so
 * the host tests run it against Zydis.  It knows only the instructions an
 * OS uses on device memory, each with a memory operand (Intel SDM Vol 2,
 * order number 325383-081, chapters 2 and 3; Appendix A opcode maps):
 *
 *   MOV 88/89/8A/8B/C6 /0/C7 /0, MOV moffs A0-A3, MOVZX 0F B6/B7,
 *   MOVSX 0F BE/BF, MOVSXD 63 (64-bit mode), STOS AA/AB, MOVS A4/A5,
 *   INS 6C/6D, OUTS 6E/6F (string forms with REP),
 *   ADD OR ADC SBB AND SUB XOR CMP (00-3B r/m forms, 80/81/83 group 1),
 *   TEST 84/85 and F6/F7 /0, NOT F6/F7 /2, NEG F6/F7 /3, XCHG 86/87,
 *   BT BTS BTR BTC (0F A3/AB/B3/BB, 0F BA /4-/7).
 *
 * Everything else, a register-only ModRM (mod == 3) included, is refused
 * with an error, as is anything longer than 15 bytes.
 */
#ifndef PAGODA_EMULATE_DECODE_H
#define PAGODA_EMULATE_DECODE_H

#include "lib/types.h"

#define INSN_MAX_LEN 15 /* SDM Vol 2 2.1: longer is #GP (we refuse) */

/* What the instruction does; the emulator switches on it. */
enum insn_op {
	INSN_MOV,    /* dst <- src */
	INSN_MOVZX,  /* reg <- zero-extended mem (src_size bytes) */
	INSN_MOVSX,  /* reg <- sign-extended mem (src_size bytes), MOVSXD too */
	INSN_STOS,   /* ES:[rDI] <- AL/AX/EAX/RAX */
	INSN_MOVS,   /* ES:[rDI] <- seg:[rSI] */
	INSN_INS,    /* ES:[rDI] <- port DX */
	INSN_OUTS,   /* port DX <- seg:[rSI] */
	INSN_ADD, INSN_OR, INSN_ADC, INSN_SBB, INSN_AND, INSN_SUB, INSN_XOR,
	INSN_CMP,    /* group 1 in its encoding order (the /digit of 80-83) */
	INSN_TEST,   /* AND for the flags only */
	INSN_NOT, INSN_NEG,
	INSN_XCHG,   /* reg <-> mem */
	INSN_BT, INSN_BTS, INSN_BTR, INSN_BTC, /* bit test (and set/reset/complement) */
};

/* The segment registers in their encoding order (SDM Vol 2 Appendix B.1.4.8, the sreg
 * field: ES 0, CS 1, SS 2, DS 3, FS 4, GS 5); the same order as enum hv_seg. */
enum insn_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

#define INSN_NO_REG 0xff /* base or index absent */

/* REP prefixes (F3 REP/REPE, F2 REPNE); string MOVS/STOS/INS/OUTS repeat
 * under either. */
enum insn_rep { REP_NONE, REP_E, REP_NE };

/* A memory operand: seg:[base + index * scale + disp], or rIP-relative. */
struct insn_mem {
	u8 seg;      /* enum insn_seg, override applied (64-bit mode: only FS/GS
			override, the others mean base 0 anyway) */
	u8 base;     /* GPR number 0-15 (RAX..R15), or INSN_NO_REG */
	u8 index;    /* GPR number 0-15, or INSN_NO_REG */
	u8 scale;    /* 1, 2, 4 or 8 */
	s64 disp;    /* sign-extended displacement (moffs: the offset, zero-extended) */
	bool rip_rel; /* 64-bit mode RIP-relative: add the next instruction's rIP */
};

/* One decoded instruction. */
struct insn {
	enum insn_op op;
	u8 len;        /* bytes, prefixes included (<= 15) */
	u8 mode;       /* code size the decode assumed: 2, 4 or 8 bytes */
	u8 op_size;    /* operand size in bytes: 1, 2, 4 or 8 (string: element size) */
	u8 src_size;   /* MOVZX/MOVSX: bytes read from memory (1, 2 or 4); else op_size */
	u8 addr_size;  /* address size in bytes: 2, 4 or 8 */
	bool mem_dst;  /* the memory operand comes first (the destination position);
			  CMP, TEST and BT only read it.  String forms: ES:rDI is written */
	bool has_mem;  /* mem describes the operand (not for INS/OUTS/STOS/MOVS, which
			  address through rSI/rDI: there only mem.seg, rSI's segment) */
	struct insn_mem mem;
	bool has_reg;  /* reg is an operand */
	u8 reg;        /* GPR number 0-15; with op_size 1 and no REX, 4-7 are AH/CH/DH/BH */
	bool reg_high8; /* reg names AH, CH, DH or BH (byte register 4-7 without REX) */
	bool has_imm;  /* imm is the source operand (or the bit offset of BT ib) */
	u64 imm;       /* sign-extended to 64 bits (BT ib: zero-extended) */
	enum insn_rep rep;
	bool lock;     /* F0 */
	bool opsize_prefix, addrsize_prefix; /* 66, 67 seen */
	u8 rex;        /* the REX byte in effect (0 when none) */
	u8 opcode;     /* the opcode byte (after 0F for two-byte ones) */
	bool twobyte;  /* opcode came after 0F */
};

/*
 * Decode the instruction in BYTES[0..N) for a CPU whose code size is MODE
 * bytes (2: real mode or 16-bit CS, 4: 32-bit CS, 8: 64-bit mode) into
 * *OUT.  Returns 0, -E_RANGE when the bytes ran out before the instruction
 * ended (N too small, or longer than 15 bytes), or -E_NOSYS for an
 * instruction the emulator does not handle (including LOCK where it would
 * be #UD).  Never reads past BYTES[N - 1].
 */
int insn_decode(const u8 *bytes, unsigned n, unsigned mode, struct insn *out);

/* A short name of OP for logs ("mov", "add", ...). */
const char *insn_op_name(enum insn_op op);

#endif
