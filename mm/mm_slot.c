/*
 * Per-CPU slots of execution contexts (see mm_env.h): dealt round-robin,
 * one per context, the first time a context asks for its slot.
 */
#include "mm/mm_env.h"

static u32 next_slot; /* slots dealt so far (atomic) */

/*
 * Give context ME (the caller's own record) the next slot and return it.
 * Only ME writes its record, so a plain store; the counter is shared, but
 * each context touches it once in its life.
 */
unsigned mm_slot_assign(struct mm_ctx *me)
{
	u32 n = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % MM_NSLOTS;
	me->slot1 = n + 1;
	return n;
}
