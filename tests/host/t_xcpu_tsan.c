/*
 * The cross-CPU handshakes of vmm/xcpu.h on threads, under
 * ThreadSanitizer (threads stand for host CPUs):
 *
 *  1. Claims and shootdowns.  CPU threads claim vCPUs at random, enter
 *     "guest mode" (flushing when the vCPU's flag says so or it last ran on
 *     another CPU, as the backends do on a move), stay a while, reading
 *     the generation they cached, and leave; a flusher thread makes a new
 *     generation, shoots down (flags, then the counters of the CPUs in
 *     guest mode, kicked and waited for), and then declares the older
 *     generations freed.  No CPU may ever be in guest mode with a freed
 *     generation cached, and no vCPU may be claimed by two CPUs at once
 *     (its plain fields are written under the claim: TSan sees a race if
 *     the claim does not order them).
 *  2. References.  CPU threads take references to a "guest" while it runs;
 *     a stopper stores a stopped state, waits for the references to go,
 *     and checks that nobody is inside, many times over.
 *  3. Idle and wake.  A worker idles when it finds no work and waits for
 *     a kick; a waker makes work and kicks it if it took its idle word.
 *     No wake-up may be lost (a lost one shows as a worker waiting 2 s).
 */
#include "vmm/xcpu.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NCPU 4
#define NVCPU 6
#define ENTRIES 2000     /* per CPU thread, at least */
#define SHOOTDOWNS 300   /* while the CPU threads run */

/* --- 1. claims and shootdowns -------------------------------------------- */

static u32 owner[NVCPU];          /* xcpu claim words */
static bool flush_flag[NVCPU];    /* xcpu flush flags */
static unsigned last_cpu[NVCPU];  /* plain: written under the claim only */
static u64 slices[NVCPU];         /* plain: likewise */
static u64 seq[NCPU];             /* guest-mode counters */
static int kick[NCPU];            /* atomic: "an IPI" to that CPU */
static u64 gen = 1;               /* atomic: the current generation of the tables */
static u64 freed;                 /* atomic: generations below it are freed */
static int stale_uses, double_claims, shooting = 1;
static int inside[NVCPU];         /* atomic: CPUs holding the claim */

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void *cpu_thread(void *arg)
{
	unsigned cpu = (unsigned)(unsigned long)arg, r = cpu * 7919 + 1;
	u64 tlb[NVCPU] = {0}; /* the generation this CPU cached per vCPU */
	for (int n = 0; n < ENTRIES || __atomic_load_n(&shooting, __ATOMIC_RELAXED); n++) {
		unsigned v = rnd(&r) % NVCPU;
		if (!xcpu_claim(&owner[v], cpu))
			continue;
		if (__atomic_add_fetch(&inside[v], 1, __ATOMIC_RELAXED) != 1)
			__atomic_add_fetch(&double_claims, 1, __ATOMIC_RELAXED);
		slices[v]++;
		for (int e = 0; e < 3; e++) {
			bool must = xcpu_enter_guest(&seq[cpu], &flush_flag[v]);
			if (must || last_cpu[v] != cpu)
				tlb[v] = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
			last_cpu[v] = cpu;
			for (int spin = 0; spin < 50 && !__atomic_load_n(&kick[cpu], __ATOMIC_ACQUIRE);
			     spin++)
				if (tlb[v] < __atomic_load_n(&freed, __ATOMIC_ACQUIRE))
					__atomic_add_fetch(&stale_uses, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&kick[cpu], 0, __ATOMIC_RELAXED);
			xcpu_leave_guest(&seq[cpu]);
		}
		__atomic_sub_fetch(&inside[v], 1, __ATOMIC_RELAXED);
		xcpu_unclaim(&owner[v]);
	}
	return NULL;
}

static void *flusher_thread(void *arg)
{
	(void)arg;
	for (int n = 0; n < SHOOTDOWNS; n++) {
		u64 g = __atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
		u64 seen[NCPU];
		bool wait[NCPU] = {false};
		for (unsigned v = 0; v < NVCPU; v++)
			xcpu_post_flush(&flush_flag[v]);
		for (unsigned v = 0; v < NVCPU; v++) {
			u32 on = xcpu_owner(&owner[v]);
			if (on && !wait[on - 1] && xcpu_in_guest(&seq[on - 1], &seen[on - 1])) {
				wait[on - 1] = true;
				__atomic_store_n(&kick[on - 1], 1, __ATOMIC_RELEASE);
			}
		}
		for (unsigned c = 0; c < NCPU; c++)
			while (wait[c] && !xcpu_left_guest(&seq[c], seen[c]))
				;
		__atomic_store_n(&freed, g, __ATOMIC_RELEASE); /* older tables go now */
	}
	__atomic_store_n(&shooting, 0, __ATOMIC_RELAXED);
	return NULL;
}

/* --- 2. references ---------------------------------------------------------- */

#define RUNNING 1
#define STOPPED 2
static u32 users;                 /* xcpu reference count */
static u32 state = RUNNING;       /* atomic */
static int in_guest_obj;          /* atomic: holders inside */
static int ref_violations, refs_taken, ref_rounds_left = 2000;

static void *ref_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&ref_rounds_left, __ATOMIC_RELAXED) > 0) {
		xcpu_ref_raise(&users);
		if (__atomic_load_n(&state, __ATOMIC_SEQ_CST) == RUNNING) {
			__atomic_add_fetch(&in_guest_obj, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&refs_taken, 1, __ATOMIC_RELAXED);
			for (volatile int i = 0; i < 20; i++)
				;
			__atomic_sub_fetch(&in_guest_obj, 1, __ATOMIC_RELAXED);
		}
		xcpu_ref_put(&users);
	}
	return NULL;
}

static void *stopper_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&ref_rounds_left, __ATOMIC_RELAXED) > 0) {
		__atomic_store_n(&state, STOPPED, __ATOMIC_SEQ_CST);
		while (!xcpu_refs_gone(&users))
			;
		/* Quiesced: nobody may be inside now, nor come in. */
		for (int i = 0; i < 50; i++)
			if (__atomic_load_n(&in_guest_obj, __ATOMIC_RELAXED))
				__atomic_add_fetch(&ref_violations, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&state, RUNNING, __ATOMIC_SEQ_CST);
		for (volatile int i = 0; i < 200; i++)
			;
		__atomic_sub_fetch(&ref_rounds_left, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* --- 3. idle and wake ---------------------------------------------------------- */

#define WAKES 3000
static u32 idle_word;
static int work, kicked, lost, consumed; /* atomics */

static u64 now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void *worker_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&consumed, __ATOMIC_RELAXED) < WAKES) {
		xcpu_idle_set(&idle_word, true);
		if (!__atomic_load_n(&work, __ATOMIC_SEQ_CST)) {
			u64 until = now_ms() + 2000; /* "HLT" until a kick */
			while (!__atomic_load_n(&kicked, __ATOMIC_ACQUIRE) && now_ms() < until)
				;
			if (!__atomic_exchange_n(&kicked, 0, __ATOMIC_ACQ_REL) &&
			    !__atomic_load_n(&work, __ATOMIC_SEQ_CST))
				__atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
		}
		xcpu_idle_set(&idle_word, false);
		if (__atomic_exchange_n(&work, 0, __ATOMIC_ACQ_REL))
			__atomic_add_fetch(&consumed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *waker_thread(void *arg)
{
	(void)arg;
	for (int n = 0; n < WAKES; n++) {
		while (__atomic_load_n(&work, __ATOMIC_ACQUIRE))
			;
		__atomic_store_n(&work, 1, __ATOMIC_SEQ_CST);
		if (xcpu_idle_take(&idle_word))
			__atomic_store_n(&kicked, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NCPU + 1];
	for (unsigned c = 0; c < NCPU; c++)
		pthread_create(&t[c], NULL, cpu_thread, (void *)(unsigned long)c);
	pthread_create(&t[NCPU], NULL, flusher_thread, NULL);
	pthread_join(t[NCPU], NULL);
	for (unsigned c = 0; c < NCPU; c++)
		pthread_join(t[c], NULL);
	u64 total = 0;
	for (unsigned v = 0; v < NVCPU; v++)
		total += slices[v];
	ok(double_claims == 0, "no vCPU claimed by two CPUs at once (%llu slices)",
	   (unsigned long long)total);
	ok(stale_uses == 0, "no CPU in guest mode with a freed generation cached (%d seen; %llu "
	   "shootdowns)", stale_uses, (unsigned long long)__atomic_load_n(&gen, __ATOMIC_RELAXED) - 1);
	is_u64(__atomic_load_n(&freed, __ATOMIC_RELAXED), SHOOTDOWNS + 1,
	       "every shootdown finished while the CPU threads ran");

	pthread_t r[4];
	for (int i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, ref_thread, NULL);
	pthread_create(&r[3], NULL, stopper_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(r[i], NULL);
	ok(ref_violations == 0 && refs_taken > 0,
	   "after a stop no reference holder is inside (%d violations, %d references in 2000 "
	   "stops)", ref_violations, refs_taken);

	pthread_t w[2];
	pthread_create(&w[0], NULL, worker_thread, NULL);
	pthread_create(&w[1], NULL, waker_thread, NULL);
	pthread_join(w[0], NULL);
	pthread_join(w[1], NULL);
	ok(lost == 0 && consumed == WAKES, "no wake-up lost (%d of %d consumed, %d lost)", consumed,
	   WAKES, lost);
	return tap_done();
}
