/*
 * The VMX instructions as inline functions (SDM Vol 3C chapter 30).
 *
 * Every VMX instruction reports failure in RFLAGS (30.2): CF=1 is
 * VMfailInvalid (no current VMCS, or a bad operand), ZF=1 is VMfailValid
 * (the reason is in the VM-instruction error field 0x4400 of the current
 * VMCS).  Each helper returns true on success; "setna" captures CF|ZF.
 * VMLAUNCH/VMRESUME live in vmrun.asm because they change every register.
 */
#ifndef PAGODA_VMX_INSN_H
#define PAGODA_VMX_INSN_H

#include "lib/types.h"

static inline bool vmxon(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static inline bool vmclear(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static inline bool vmptrld(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

/* VMREAD of FIELD from the current VMCS; 0 when the read fails. */
static inline u64 vmread(u64 field)
{
	u64 val;
	u8 fail;
	__asm__ volatile("vmread %2, %1; setna %0" : "=qm"(fail), "=rm"(val) : "r"(field) : "cc");
	return fail ? 0 : val;
}

static inline bool vmwrite_ok(u64 field, u64 val)
{
	u8 fail;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"(field), "rm"(val) : "cc");
	return !fail;
}

/* The 128-bit descriptors of INVEPT and INVVPID (SDM 30.3). */
struct invept_desc {
	u64 eptp, reserved;
};
struct invvpid_desc {
	u64 vpid, gla;
};

static inline bool invept(u64 type, u64 eptp)
{
	struct invept_desc d = {eptp, 0};
	u8 fail;
	__asm__ volatile("invept %1, %2; setna %0" : "=qm"(fail) : "m"(d), "r"(type) : "cc", "memory");
	return !fail;
}

static inline bool invvpid(u64 type, u16 vpid)
{
	struct invvpid_desc d = {vpid, 0};
	u8 fail;
	__asm__ volatile("invvpid %1, %2; setna %0" : "=qm"(fail) : "m"(d), "r"(type) : "cc", "memory");
	return !fail;
}

#endif
