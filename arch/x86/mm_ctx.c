/*
 * The execution contexts of mm/ in the VMM (mm/mm_env.h): one per CPU.
 *
 * mm/ keeps in a context's record which MMU lock the context holds and how,
 * so its functions can assert their lock mode (mm/mm_lock.h).  VMM code on a
 * CPU is one context: it is never preempted, and mm/ is never entered from
 * an interrupt handler.  The record is the running CPU's (this_cpu()), a
 * function of the CPU alone, as mm_env.h's __attribute__((const)) wants.
 */
#include "arch/x86/percpu.h"
#include "mm/mm_env.h"

static struct mm_ctx cpu_mm_ctx[MAX_CPUS];

struct mm_ctx *mm_ctx_self(void) { return &cpu_mm_ctx[this_cpu()]; }
