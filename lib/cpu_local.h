/*
 * The running CPU's per-CPU area, for code that may not name arch/x86's
 * struct percpu (mm/ reads its context record through this).  In the VMM
 * every CPU's GS base points at its area, whose first word holds the
 * area's own address (arch/x86/percpu.h), so finding it is one load, with
 * no call: under an emulator that flushes its jump cache at every world
 * switch, each call and return on the exit path costs a lookup.
 */
#ifndef PAGODA_CPU_LOCAL_H
#define PAGODA_CPU_LOCAL_H

/* Where in the area arch/x86/percpu.h keeps mm/'s context record (asserted there). */
#define CPU_LOCAL_MM_CTX 8

/* The area of the CPU running this; valid once arch/x86 attached it (percpu_attach). */
static inline char *cpu_local_area(void)
{
	char *p;
	__asm__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
