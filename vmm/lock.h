/*
 * The per-guest lock of vmm/ (struct guest.lock): a test-and-test-and-set
 * spinlock.  The VMM runs with interrupts off but for short windows
 * (irq_window, the idle HLT), and no interrupt handler takes a guest lock
 * (the kick and call IPIs only wake or run mm-free functions), so taking
 * one needs no interrupt masking of its own.  Not recursive.
 */
#ifndef PAGODA_VMM_LOCK_H
#define PAGODA_VMM_LOCK_H

#include "lib/types.h"

struct vlock {
	u32 held; /* 0 free, 1 held (atomic) */
};

/* Take L, spinning (reads only) while another CPU holds it. */
static inline void vlock_take(struct vlock *l)
{
	for (;;) {
		if (!__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
			return;
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

/* Give L back: everything written while it was held is visible to the
 * next holder. */
static inline void vlock_give(struct vlock *l) { __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE); }

#endif
