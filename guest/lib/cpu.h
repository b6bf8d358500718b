/*
 * guest/lib/cpu.h -- the few x86 instructions the guest library and its
 * tests use, as inline functions.  None of them may fault: the ones that
 * can are in exception.h (rdmsr_safe, read64_safe).
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include "lib/types.h"

/* Write byte V to I/O port PORT. */
static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

/* Read a byte from I/O port PORT. */
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* CPUID leaf LEAF, subleaf SUB: OUT[0..3] = EAX, EBX, ECX, EDX. */
static inline void cpuid(u32 leaf, u32 sub, u32 out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(sub));
}

/* CR2: the linear address of the last page fault. */
static inline u64 read_cr2(void)
{
	u64 v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* Stop this CPU for good (interrupts off, HLT in a loop). */
static inline __noreturn void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

#endif
