/*
 * What mm/ needs from the world around it, and nothing more.  The VMM
 * provides these through lib/ (TSC time) and its identity map; the
 * host-side tests provide them in tests/host/ (clock_gettime, pages that are
 * ordinary heap memory whose addresses stand in for physical addresses).
 */
#ifndef PAGODA_MM_ENV_H
#define PAGODA_MM_ENV_H

#include "lib/types.h"

/* Time: lib/time.h's time_us() (the host tests give their own). */
#include "lib/time.h"

/*
 * The VMM runs with all usable memory identity-mapped, so a physical address
 * is also a pointer.  Host tests allocate "physical" pages from the heap, so
 * the same holds there.
 */
static inline void *phys_to_virt(u64 pa) { return (void *)(uintptr_t)pa; }
static inline u64 virt_to_phys(const void *va) { return (u64)(uintptr_t)va; }

/*
 * Execution contexts.  mm/ code runs in one context at a time per CPU in
 * the VMM (it is never entered from an interrupt handler, and VMM code is
 * never preempted, so a CPU is one context), and in one per thread in the
 * host tests, whose threads stand in for CPUs.  mm/ keeps a small record
 * per context, for itself: which MMU lock the context holds and how
 * (mm_lock.h), so that functions can assert the lock mode they need.  "The
 * lock is held" says nothing useful when another CPU may be the holder.
 *
 * The environment gives every context its own record, zeroed before the
 * context first enters mm/, and mm_ctx_self() returns the caller's: in the
 * VMM inline, below, from the running CPU's per-CPU area, which holds it
 * (arch/x86/percpu.h; a call there cost every fault several lookups under
 * an emulator); in the host tests from tests/host/host_env.c (a
 * thread-local).  The result never changes while a context runs, hence
 * __attribute__((const)): the compiler may keep it in a register across a
 * function instead of asking again (glibc declares __errno_location the
 * same way for the same reason).
 */
struct mm_rwlock;

struct mm_ctx {
	uintptr_t held; /* the MMU lock this context holds: its address with the mode
			   (MM_HELD_READ or MM_HELD_WRITE, mm_lock.h) in the low bits; 0
			   when it holds none */
	u32 slot1;      /* 1 + the context's per-CPU slot (below), 0 until first asked */
};

#ifdef PAGODA_VMM
#include "lib/cpu_local.h"
static inline __attribute__((const)) struct mm_ctx *mm_ctx_self(void)
{
	return (struct mm_ctx *)(cpu_local_area() + CPU_LOCAL_MM_CTX);
}
#else
struct mm_ctx *mm_ctx_self(void) __attribute__((const));
#endif

/*
 * Per-CPU slots.  What many CPUs would otherwise write in one place on
 * every fault (the MMU lock's reader count, counters, pmm's lock) is kept
 * in MM_NSLOTS copies, each on its own cache line, and a context works on
 * the copy of its slot: two CPUs faulting at once then write no line in
 * common.  A context gets its slot the first time it asks (mm_slot.c deals
 * them round-robin) and keeps it; with more contexts than slots, some
 * share one, which costs speed, never correctness (every slot is updated
 * atomically or under its own lock).
 */
#define MM_NSLOTS 8
#define MM_CACHELINE 64

unsigned mm_slot_assign(struct mm_ctx *me);

/* The per-CPU slot of context ME (its own record, from mm_ctx_self()). */
static inline unsigned mm_ctx_slot(struct mm_ctx *me)
{
	return me->slot1 ? me->slot1 - 1 : mm_slot_assign(me);
}

/* The calling context's per-CPU slot. */
static inline unsigned mm_slot_self(void) { return mm_ctx_slot(mm_ctx_self()); }

#endif
