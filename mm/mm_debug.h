/*
 * Debug assertions for mm/.
 *
 * MM_ASSERT(cond) checks an invariant that, when broken, means the tables or
 * the allocator are already corrupt: going on would hand a guest someone
 * else's memory.  It logs the condition and the place, then executes ud2
 * (__builtin_trap): in the VMM that is an invalid-opcode exception the IDT
 * reports with registers; in a host test it is SIGILL, which ends the test
 * program (and the sanitizers print the stack).  mm/ has no libc, so there
 * is no abort() to call.
 */
#ifndef PAGODA_MM_DEBUG_H
#define PAGODA_MM_DEBUG_H

#include "lib/log.h"

__noreturn static inline void mm_assert_fail(const char *cond, const char *file, int line,
					     const char *func)
{
	pr_err("mm", "assertion failed: %s at %s:%d in %s()", cond, file, line, func);
	__builtin_trap();
}

#define MM_ASSERT(cond)                                                        \
	do {                                                                   \
		if (unlikely(!(cond)))                                         \
			mm_assert_fail(#cond, __FILE__, __LINE__, __func__);   \
	} while (0)

#define MM_BUG(msg) mm_assert_fail(msg, __FILE__, __LINE__, __func__)

#endif
