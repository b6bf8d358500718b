/*
 * Execution of one decoded instruction (decode.h) against the guest's
 * registers and a set of callbacks that reach memory and ports: pure, so
 * the host tests run it (and compare its flags with the host CPU's).  The
 * caller maps linear addresses to guest-physical ones and on to RAM or a
 * device (vmm/emulate/mmio.c).
 */
#ifndef PAGODA_EMULATE_EMULATE_H
#define PAGODA_EMULATE_EMULATE_H

#include "arch/x86/regs.h"
#include "lib/types.h"
#include "vmm/emulate/decode.h"

/* RFLAGS bits the emulator reads or writes (SDM Vol 1 3.4.3). */
#define RFLAGS_CF BIT(0)
#define RFLAGS_PF BIT(2)
#define RFLAGS_AF BIT(4)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_SF BIT(7)
#define RFLAGS_DF BIT(10)
#define RFLAGS_OF BIT(11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* REP string instructions run at most this many iterations per call; the
 * rest is left in rCX with rIP unchanged, so the guest executes the
 * instruction again (and can take an interrupt in between, as on a CPU). */
#define EMUL_REP_BUDGET 4096

/*
 * How the emulator reaches what is outside the registers.  Each returns 0,
 * or a negative error that stops the instruction where it is (a page fault
 * the callback has recorded, a device that ended the guest): registers
 * keep every iteration already done, rIP is not advanced.
 */
struct emul_ops {
	void *ctx; /* passed back to every callback */
	/* The linear base of segment SEG (enum insn_seg). */
	u64 (*seg_base)(void *ctx, unsigned seg);
	/* LEN (1-8) bytes at linear address LA, little endian, into / from BUF. */
	int (*read)(void *ctx, u64 la, void *buf, unsigned len);
	int (*write)(void *ctx, u64 la, const void *buf, unsigned len);
	/* Port I/O of SIZE bytes (INS: IN fills *VAL; OUTS: OUT consumes it). */
	int (*pio)(void *ctx, u16 port, unsigned size, bool in, u32 *val);
};

/*
 * Execute IN (decoded at REGS->rip) on REGS through OPS.  On success rIP
 * moves past the instruction (unless a REP ran out of its budget) and the
 * arithmetic flags are set as the SDM's instruction pages say; flags the
 * SDM leaves undefined get a fixed choice (AF clear after logic ops, BT*
 * change CF only).  Returns 0, the callback's negative error, or -E_NOSYS
 * for an operation it cannot do.
 */
int emulate_insn(const struct insn *in, struct vcpu_regs *regs, const struct emul_ops *ops);

/* The linear address of IN's memory operand (not the string forms) for a
 * vCPU in REGS, segment base SEG_BASE added and truncated to the address
 * size.  RIP-relative operands count from the end of the instruction. */
u64 emul_operand_la(const struct insn *in, const struct vcpu_regs *regs, u64 seg_base);

/* Read / write GPR N (0-15, RAX..R15) of REGS as SIZE bytes (HIGH8: AH..BH).
 * A 4-byte write zeroes bits 63:32, 1- and 2-byte writes merge (SDM Vol 1
 * 3.4.1.1). */
u64 emul_get_reg(const struct vcpu_regs *regs, unsigned n, unsigned size, bool high8);
void emul_set_reg(struct vcpu_regs *regs, unsigned n, unsigned size, bool high8, u64 val);

#endif
