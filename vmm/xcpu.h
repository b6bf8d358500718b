/*
 * The cross-CPU handshakes of vmm/ (header only, no other vmm/ type, so
 * tests/host/t_xcpu_tsan.c runs them on threads under ThreadSanitizer).
 * Three of them pair as in Dekker's algorithm: each side writes its own
 * word, then reads the other's, both sequentially consistent, so at least
 * one of the two sees the other.
 *
 *  - Owner of a vCPU: a word holding the owning CPU's number + 1 (0: none),
 *    taken with a compare-and-exchange (xcpu_claim).
 *  - Guest mode and TLB flushes: each CPU's counter is odd while it is in
 *    guest mode.  The entering CPU raises it, then takes the vCPU's
 *    flush flag (xcpu_enter_guest); a shootdown sets the flag, then reads
 *    the counter (xcpu_post_flush, xcpu_in_guest): either the CPU flushes
 *    before its entry, or the shootdown waits for the counter to move
 *    (xcpu_left_guest).
 *  - References to a guest: a CPU raises the count, then reads the guest's
 *    state (xcpu_ref_raise and a sequentially consistent load); stop and
 *    destroy store the state, then wait for the count (xcpu_refs_gone).
 *  - Idle CPUs: a CPU about to halt sets its idle word, then looks for
 *    work; a waker makes work, then takes an idle word (xcpu_idle_take)
 *    and kicks that CPU.
 */
#ifndef PAGODA_XCPU_H
#define PAGODA_XCPU_H

#include "lib/types.h"

/* Claim the object whose owner word is OWNER for CPU: true when it had
 * none (CPU owns it now). */
static inline bool xcpu_claim(u32 *owner, unsigned cpu)
{
	u32 none = 0;
	if (__atomic_load_n(owner, __ATOMIC_RELAXED))
		return false;
	return __atomic_compare_exchange_n(owner, &none, cpu + 1, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_RELAXED);
}

/* Give the claim up (everything done under it is visible to the next). */
static inline void xcpu_unclaim(u32 *owner) { __atomic_store_n(owner, 0, __ATOMIC_RELEASE); }

/* The CPU number + 1 owning it now, 0 for none. */
static inline u32 xcpu_owner(const u32 *owner) { return __atomic_load_n(owner, __ATOMIC_ACQUIRE); }

/* This CPU (counter SEQ) enters guest mode with the vCPU whose flush flag
 * is FLUSH: true when the vCPU must flush its translations first. */
static inline bool xcpu_enter_guest(u64 *seq, bool *flush)
{
	__atomic_add_fetch(seq, 1, __ATOMIC_SEQ_CST);
	return __atomic_exchange_n(flush, false, __ATOMIC_SEQ_CST);
}

/* This CPU (counter SEQ) left guest mode. */
static inline void xcpu_leave_guest(u64 *seq) { __atomic_add_fetch(seq, 1, __ATOMIC_RELEASE); }

/* A shootdown: the vCPU whose flag is FLUSH flushes before its next entry. */
static inline void xcpu_post_flush(bool *flush) { __atomic_store_n(flush, true, __ATOMIC_SEQ_CST); }

/* Is the CPU with counter SEQ in guest mode (after xcpu_post_flush)?  Its
 * counter goes to *SEEN. */
static inline bool xcpu_in_guest(const u64 *seq, u64 *seen)
{
	*seen = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
	return *seen & 1;
}

/* Has that CPU left the guest-mode stay it was in when SEEN was read? */
static inline bool xcpu_left_guest(const u64 *seq, u64 seen)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE) != seen;
}

/* Raise a reference count USERS; the caller then reads the state it
 * depends on with a sequentially consistent load, and drops the reference
 * (xcpu_ref_put) if it does not like it. */
static inline void xcpu_ref_raise(u32 *users) { __atomic_add_fetch(users, 1, __ATOMIC_SEQ_CST); }
static inline void xcpu_ref_put(u32 *users) { __atomic_sub_fetch(users, 1, __ATOMIC_RELEASE); }

/* After the state was stored (sequentially consistent): is no reference
 * left?  Once true, no holder comes back until the state is running again. */
static inline bool xcpu_refs_gone(const u32 *users)
{
	return __atomic_load_n(users, __ATOMIC_SEQ_CST) == 0;
}

/* A CPU idles (ON, before it looks for work a last time and halts) or
 * not. */
static inline void xcpu_idle_set(u32 *idle, bool on) { __atomic_store_n(idle, on, __ATOMIC_SEQ_CST); }

/* After making work: take an idle CPU's word (true: the caller kicks it;
 * no other waker will). */
static inline bool xcpu_idle_take(u32 *idle)
{
	u32 one = 1;
	/* A read-modify-write, not a plain load: on x86 its LOCK prefix also
	 * drains the caller's earlier stores (the work it made, written under
	 * a lock) before the idle word is read. */
	return __atomic_fetch_add(idle, 0, __ATOMIC_SEQ_CST) &&
	       __atomic_compare_exchange_n(idle, &one, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

#endif
