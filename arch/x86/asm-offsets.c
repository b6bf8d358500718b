/*
 * Struct offsets for the assembly, generated at build time: the Makefile
 * compiles this file to assembly and turns each "@@OFFSET NAME value" line
 * into "%define NAME value" in build/asm-offsets.inc.  Never type an offset
 * into a .asm file by hand.
 */
#include "arch/x86/regs.h"

#define OFFSET(name, type, member) \
	__asm__ volatile("\n@@OFFSET " #name " %0" ::"i"(offsetof(type, member)))

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(REGS_RAX, struct vcpu_regs, rax);
	OFFSET(REGS_RBX, struct vcpu_regs, rbx);
	OFFSET(REGS_RCX, struct vcpu_regs, rcx);
	OFFSET(REGS_RDX, struct vcpu_regs, rdx);
	OFFSET(REGS_RSI, struct vcpu_regs, rsi);
	OFFSET(REGS_RDI, struct vcpu_regs, rdi);
	OFFSET(REGS_RBP, struct vcpu_regs, rbp);
	OFFSET(REGS_RSP, struct vcpu_regs, rsp);
	OFFSET(REGS_R8, struct vcpu_regs, r8);
	OFFSET(REGS_R9, struct vcpu_regs, r9);
	OFFSET(REGS_R10, struct vcpu_regs, r10);
	OFFSET(REGS_R11, struct vcpu_regs, r11);
	OFFSET(REGS_R12, struct vcpu_regs, r12);
	OFFSET(REGS_R13, struct vcpu_regs, r13);
	OFFSET(REGS_R14, struct vcpu_regs, r14);
	OFFSET(REGS_R15, struct vcpu_regs, r15);
}
