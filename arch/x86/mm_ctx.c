/*
 * The execution contexts of mm/ in the VMM (mm/mm_env.h): one per CPU.
 *
 * mm/ keeps in a context's record which MMU lock the context holds and how,
 * so its functions can assert their lock mode (mm/mm_lock.h).  VMM code on a
 * CPU is one context: it is never preempted, and mm/ is never entered from
 * an interrupt handler.  pagoda runs on the boot CPU only for now, so there
 * is one record; once APs run guests too, mm_ctx_self() returns the record
 * in the running CPU's per-CPU data instead (it must stay a function of the
 * CPU alone, as mm_env.h declares it __attribute__((const))).
 */
#include "mm/mm_env.h"

static struct mm_ctx boot_cpu_mm_ctx;

/* The record of the CPU running this code (today always the boot CPU). */
struct mm_ctx *mm_ctx_self(void) { return &boot_cpu_mm_ctx; }
