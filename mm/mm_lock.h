/*
 * Locks for mm/, built on the GCC __atomic builtins (no libc, no OS).
 *
 * mm_spinlock: test-and-test-and-set.  Used by pmm and the grace-period
 * queue, whose critical sections are a few list operations.
 *
 * mm_rwlock: the MMU lock.  Many readers (vCPUs handling faults) or one
 * writer (teardown, memslot changes).  Reader-scalable: each per-CPU slot
 * (mm_env.h) counts its own readers on its own cache line, so CPUs taking
 * the lock for read at once write no line in common (one shared count
 * bounced between them on every fault).  A writer raises one word, which
 * stops new readers, then waits for every slot's count to drop to zero: a
 * steady stream of faults cannot starve a teardown.  The lock is not
 * recursive: nobody may take it twice.  Each execution context records which MMU lock it holds and
 * how (see "Who holds the lock" below), so functions assert the mode they
 * need at entry.
 *
 * Every acquire has at least __ATOMIC_ACQUIRE semantics (the MMU lock's
 * reader/writer handshake is sequentially consistent, see below) and every
 * release __ATOMIC_RELEASE, so everything written inside a critical
 * section is visible to the next holder.  None of these locks disable interrupts: mm/
 * is never entered from an interrupt handler.
 */
#ifndef PAGODA_MM_LOCK_H
#define PAGODA_MM_LOCK_H

#include "mm/mm_debug.h"
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

/* How a context holds an MMU lock (struct mm_ctx, mm_env.h). */
#define MM_HELD_READ  1u
#define MM_HELD_WRITE 2u

/* One per-CPU slot of the MMU lock: the readers that entered through it. */
struct mm_rwlock_slot {
	u32 readers;                      /* contexts of this slot holding the lock for read,
					     plus readers briefly counted while backing off */
	u8 pad[MM_CACHELINE - sizeof(u32)]; /* alone on its cache line */
} __attribute__((aligned(MM_CACHELINE)));

struct mm_rwlock {
	u32 writer;                         /* 1 while a writer holds the lock or waits for
					       its readers to leave: no new readers */
	u8 pad[MM_CACHELINE - sizeof(u32)]; /* readers only read this line */
	struct mm_rwlock_slot slot[MM_NSLOTS]; /* reader counts, one line per CPU slot */
} __attribute__((aligned(MM_CACHELINE)));
_Static_assert(_Alignof(struct mm_rwlock) >= 4, "the mode fits below a lock's address");

/*
 * Who holds the lock, and how.  The lock word counts readers but cannot
 * say which contexts they are, and "somebody holds it" is no check at all
 * once several CPUs run mm/: the holder may be another CPU.  So each
 * context records in its own struct mm_ctx the MMU lock it holds and the
 * mode, in one word (the lock's address, 4-aligned, with the mode in the
 * low bits), written only by itself (no shared cache line, no atomic): set
 * after the lock is taken, cleared before it is released.  The checks
 * below compare that word: "the caller holds L for read" is then a
 * statement about the caller, as lockdep's is in Linux.
 *
 * A context holds at most one MMU lock at a time: every mm/ operation works
 * on one guest, and nobody may take the lock twice (a reader that takes it
 * again behind a waiting writer would deadlock).  Taking a second one, or
 * releasing one in a mode the context does not hold it in, trips an
 * assertion instead of hanging or corrupting the count.
 */
/* The record's word for "holds L in MODE" (MM_HELD_READ or MM_HELD_WRITE). */
static inline uintptr_t mm_held_word(struct mm_rwlock *l, unsigned mode)
{
	return (uintptr_t)l | mode;
}

/* Before taking an MMU lock: the caller's record, which must show none held. */
static inline struct mm_ctx *mm_rwlock_taker(void)
{
	struct mm_ctx *me = mm_ctx_self();
	MM_ASSERT(!me->held);
	return me;
}

/* Before releasing L: the caller must hold it in MODE; it then holds none. */
static inline void mm_rwlock_note_release(struct mm_rwlock *l, unsigned mode)
{
	struct mm_ctx *me = mm_ctx_self();
	MM_ASSERT(me->held == mm_held_word(l, mode));
	me->held = 0;
}

/*
 * The read side touches only the caller's slot and reads the writer word
 * (a line readers never write, so it stays cached on every CPU).  The
 * protocol is Dekker's: a reader counts itself, then looks for a writer; a
 * writer raises its word, then looks for readers.  Both steps are
 * sequentially consistent atomics, so at least one side sees the other: a
 * reader that sees the writer leaves again and waits, and a writer waits
 * for every reader it sees.  Writers take the word with a
 * compare-and-exchange, so they exclude each other; raising it first also
 * stops new readers, so a stream of faults cannot starve a teardown.
 */
/* Take L for read.  The calling context holds no MMU lock. */
static inline void mm_read_lock(struct mm_rwlock *l)
{
	struct mm_ctx *me = mm_rwlock_taker();
	u32 *readers = &l->slot[mm_ctx_slot(me)].readers;
	for (;;) {
		__atomic_fetch_add(readers, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&l->writer, __ATOMIC_SEQ_CST))
			break;
		/* A writer is in or waiting: leave, wait for it, come again. */
		__atomic_fetch_sub(readers, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&l->writer, __ATOMIC_RELAXED))
			cpu_relax();
	}
	me->held = mm_held_word(l, MM_HELD_READ);
}

/* Release L, which the calling context holds for read. */
static inline void mm_read_unlock(struct mm_rwlock *l)
{
	struct mm_ctx *me = mm_ctx_self();
	mm_rwlock_note_release(l, MM_HELD_READ);
	__atomic_fetch_sub(&l->slot[mm_ctx_slot(me)].readers, 1, __ATOMIC_RELEASE);
}

/* Take L for write.  The calling context holds no MMU lock. */
static inline void mm_write_lock(struct mm_rwlock *l)
{
	struct mm_ctx *me = mm_rwlock_taker();
	for (;;) {
		u32 free = 0;
		if (__atomic_compare_exchange_n(&l->writer, &free, 1, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			break;
		cpu_relax();
	}
	/* No new reader gets in now; wait for those already in to leave. */
	for (unsigned i = 0; i < MM_NSLOTS; i++)
		while (__atomic_load_n(&l->slot[i].readers, __ATOMIC_SEQ_CST))
			cpu_relax();
	me->held = mm_held_word(l, MM_HELD_WRITE);
}

/* Release L, which the calling context holds for write. */
static inline void mm_write_unlock(struct mm_rwlock *l)
{
	mm_rwlock_note_release(l, MM_HELD_WRITE);
	__atomic_store_n(&l->writer, 0, __ATOMIC_RELEASE);
}

/*
 * Context ME (the caller's own record, from mm_ctx_self()) holds L in MODE.
 * For paths that check once per entry: they take ME once per operation
 * rather than calling mm_ctx_self() each time (a call would also cost them
 * the register saves their common path otherwise does without).
 */
static inline bool mm_ctx_holds(const struct mm_ctx *me, struct mm_rwlock *l, unsigned mode)
{
	return me->held == mm_held_word(l, mode);
}

/* The calling context holds L for read. */
static inline bool mm_rwlock_held_read(struct mm_rwlock *l)
{
	return mm_ctx_holds(mm_ctx_self(), l, MM_HELD_READ);
}

/* The calling context holds L for write. */
static inline bool mm_rwlock_held_write(struct mm_rwlock *l)
{
	return mm_ctx_holds(mm_ctx_self(), l, MM_HELD_WRITE);
}

/* The calling context holds L, in either mode. */
static inline bool mm_rwlock_held(struct mm_rwlock *l)
{
	return (mm_ctx_self()->held & ~(uintptr_t)3) == (uintptr_t)l;
}

/* The calling context holds no MMU lock at all. */
static inline bool mm_rwlock_none_held(void) { return !mm_ctx_self()->held; }

/*
 * Lock-mode assertions for the top of functions (as Linux's
 * lockdep_assert_held_read / _write): the calling context holds L for
 * read, for write, in either mode, or in the mode SHARED says (read when
 * true); or, for functions that must run outside the lock (quiescent
 * points, allocations the lock must not wait for), no MMU lock at all.
 */
#define MM_ASSERT_NONE_HELD()   MM_ASSERT(mm_rwlock_none_held())
#define MM_ASSERT_HELD_READ(l)  MM_ASSERT(mm_rwlock_held_read(l))
#define MM_ASSERT_HELD_WRITE(l) MM_ASSERT(mm_rwlock_held_write(l))
#define MM_ASSERT_HELD(l)       MM_ASSERT(mm_rwlock_held(l))
#define MM_ASSERT_HELD_MODE(l, shared) \
	MM_ASSERT((shared) ? mm_rwlock_held_read(l) : mm_rwlock_held_write(l))

#endif
