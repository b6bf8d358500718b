/*
 * Locks for mm/, built on the GCC __atomic builtins (no libc, no OS).
 *
 * mm_spinlock: test-and-test-and-set.  Used by pmm and the grace-period
 * queue, whose critical sections are a few list operations.
 *
 * mm_rwlock: the MMU lock.  Many readers (vCPUs handling faults) or one
 * writer (teardown, memslot changes).  A writer that cannot get in at once
 * raises WAIT, which stops new readers from entering, so a steady stream of
 * faults cannot starve a teardown.  Readers that already hold the lock are
 * never blocked by WAIT (the lock is not recursive anyway: nobody may take
 * it twice).
 *
 * All acquire operations use __ATOMIC_ACQUIRE and all releases
 * __ATOMIC_RELEASE, so everything written inside a critical section is
 * visible to the next holder.  None of these locks disable interrupts: mm/
 * is never entered from an interrupt handler.
 */
#ifndef PAGODA_MM_LOCK_H
#define PAGODA_MM_LOCK_H

#include "mm/mm_env.h"
#include "lib/types.h"

struct mm_spinlock {
	u32 locked; /* 0 free, 1 held */
};

static inline void mm_spin_lock(struct mm_spinlock *l)
{
	for (;;) {
		if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

static inline bool mm_spin_trylock(struct mm_spinlock *l)
{
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
		return false;
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void mm_spin_unlock(struct mm_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool mm_spin_is_locked(struct mm_spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#define MM_RW_WRITER 0x80000000u /* held for write */
#define MM_RW_WAIT   0x40000000u /* a writer is waiting: no new readers */
#define MM_RW_READERS 0x3fffffffu /* count of readers */

struct mm_rwlock {
	u32 state; /* MM_RW_WRITER | MM_RW_WAIT | reader count */
};

static inline void mm_read_lock(struct mm_rwlock *l)
{
	for (;;) {
		u32 v = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
		if (!(v & (MM_RW_WRITER | MM_RW_WAIT)) &&
		    __atomic_compare_exchange_n(&l->state, &v, v + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		cpu_relax();
	}
}

static inline void mm_read_unlock(struct mm_rwlock *l)
{
	__atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
}

static inline void mm_write_lock(struct mm_rwlock *l)
{
	for (;;) {
		u32 v = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
		if ((v & ~MM_RW_WAIT) == 0) {
			/* Free (maybe with our own or another writer's WAIT): take it. */
			if (__atomic_compare_exchange_n(&l->state, &v, MM_RW_WRITER, true,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return;
		} else if (!(v & MM_RW_WAIT)) {
			/* Raise WAIT again: a writer that got in before us cleared it. */
			__atomic_fetch_or(&l->state, MM_RW_WAIT, __ATOMIC_RELAXED);
		}
		cpu_relax();
	}
}

static inline void mm_write_unlock(struct mm_rwlock *l)
{
	__atomic_fetch_and(&l->state, ~MM_RW_WRITER, __ATOMIC_RELEASE);
}

/* Held in some mode by somebody (we cannot tell who: the lock has no owner). */
static inline bool mm_rwlock_is_held(struct mm_rwlock *l)
{
	return (__atomic_load_n(&l->state, __ATOMIC_RELAXED) & (MM_RW_WRITER | MM_RW_READERS)) != 0;
}

static inline bool mm_rwlock_is_write_held(struct mm_rwlock *l)
{
	return (__atomic_load_n(&l->state, __ATOMIC_RELAXED) & MM_RW_WRITER) != 0;
}

static inline bool mm_rwlock_is_read_held(struct mm_rwlock *l)
{
	return (__atomic_load_n(&l->state, __ATOMIC_RELAXED) & MM_RW_READERS) != 0;
}

#endif
