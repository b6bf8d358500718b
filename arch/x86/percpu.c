/* Per-CPU areas (arch/x86/percpu.h). */
#include "arch/x86/percpu.h"
#include "arch/x86/cpu.h"

static struct percpu areas[MAX_CPUS];

struct percpu *percpu_area(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return NULL;
	struct percpu *pc = &areas[cpu];
	pc->self = pc;
	pc->cpu = cpu;
	return pc;
}

struct percpu *percpu_online(unsigned cpu)
{
	if (cpu >= MAX_CPUS || !__atomic_load_n(&areas[cpu].online, __ATOMIC_ACQUIRE))
		return NULL;
	return &areas[cpu];
}

void percpu_attach(struct percpu *pc) { wrmsr(MSR_GS_BASE, (u64)(uintptr_t)pc); }
