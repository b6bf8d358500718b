/*
 * The MMU lock knows who holds it (mm/mm_lock.h): the lock-mode assertions
 * must fire when the calling context does not hold the lock in the mode
 * asked for, including when another thread (another CPU, in the VMM) holds
 * it.  First the lock's own checks, then the functions that rely on them:
 * the two setters of TDP entries (mm/tdp_internal.h), a memslot lookup, a
 * quiescent point taken under the lock.  Each case that must trap runs in a
 * forked child; the parent expects SIGILL (MM_ASSERT's __builtin_trap) and
 * the assertion's own message on the child's stderr, so a check that
 * silently became a no-op, or a child that died of something else, fails
 * the test.  Every trapping case has a twin that must not trap, so the
 * harness cannot pass by trapping always.
 */
#include "mm/mm_lock.h"
#include "mm/pmm.h"
#include "mm/tdp_internal.h"
#include "mm/tdp_iter.h"
#include "mm/tdp_mmu.h"
#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct mm_rwlock lock;

/*
 * Run FN in a child process with stderr captured.  Returns its wait status;
 * fills ERR (up to LEN - 1 bytes, NUL-terminated) with what it wrote.
 */
static int run_child(void (*fn)(void), char *err, size_t len)
{
	int fd[2];
	if (pipe(fd))
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], 2);
		fn();
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < len - 1 && (r = read(fd[0], err + n, len - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = 0;
	close(fd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

/* FN must die of SIGILL after logging an assertion that mentions WHAT. */
static void traps(void (*fn)(void), const char *what, const char *desc)
{
	char err[1024];
	int st = run_child(fn, err, sizeof(err));
	bool ill = WIFSIGNALED(st) && WTERMSIG(st) == SIGILL;
	ok(ill && strstr(err, "assertion failed") && strstr(err, what), "%s", desc);
	if (!ill)
		diag("child status %#x, stderr: %s", st, err);
}

/* FN must run to its end. */
static void returns(void (*fn)(void), const char *desc)
{
	char err[1024];
	int st = run_child(fn, err, sizeof(err));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", desc);
	if (!WIFEXITED(st))
		diag("child status %#x, stderr: %s", st, err);
}

static void read_unlocked(void) { MM_ASSERT_HELD_READ(&lock); }
static void write_unlocked(void) { MM_ASSERT_HELD_WRITE(&lock); }
static void any_unlocked(void) { MM_ASSERT_HELD(&lock); }

static void read_under_read(void)
{
	mm_read_lock(&lock);
	MM_ASSERT_HELD_READ(&lock);
	MM_ASSERT_HELD(&lock);
	MM_ASSERT_HELD_MODE(&lock, true);
	mm_read_unlock(&lock);
}

static void write_under_write(void)
{
	mm_write_lock(&lock);
	MM_ASSERT_HELD_WRITE(&lock);
	MM_ASSERT_HELD(&lock);
	MM_ASSERT_HELD_MODE(&lock, false);
	mm_write_unlock(&lock);
}

static void write_under_read(void)
{
	mm_read_lock(&lock);
	MM_ASSERT_HELD_WRITE(&lock);
}

static void read_under_write(void)
{
	mm_write_lock(&lock);
	MM_ASSERT_HELD_READ(&lock);
}

static void read_after_unlock(void)
{
	mm_read_lock(&lock);
	mm_read_unlock(&lock);
	MM_ASSERT_HELD_READ(&lock);
}

/* Another thread takes a lock and keeps it; this thread then checks. */
struct holder {
	struct mm_rwlock *l; /* the lock it takes */
	bool write;          /* for write (else for read) */
};
static pthread_barrier_t held;

static void *hold(void *arg)
{
	struct holder *h = arg;
	if (h->write)
		mm_write_lock(h->l);
	else
		mm_read_lock(h->l);
	MM_ASSERT_HELD_MODE(h->l, !h->write); /* the holder itself passes */
	pthread_barrier_wait(&held);
	pause();
	return NULL;
}

/* Start a thread that holds L (for write when WRITE) until the process ends. */
static void other_thread_holds(struct mm_rwlock *l, bool write)
{
	static struct holder h;
	pthread_t t;
	h = (struct holder){ .l = l, .write = write };
	pthread_barrier_init(&held, NULL, 2);
	pthread_create(&t, NULL, hold, &h);
	pthread_barrier_wait(&held);
}

static void write_held_by_other_thread(void)
{
	other_thread_holds(&lock, true);
	MM_ASSERT_HELD_WRITE(&lock);
}

static void read_held_by_other_thread(void)
{
	other_thread_holds(&lock, false);
	MM_ASSERT_HELD(&lock);
}

/* Two readers at once, each sees its own hold. */
static void read_in_two_threads(void)
{
	other_thread_holds(&lock, false);
	mm_read_lock(&lock);
	MM_ASSERT_HELD_READ(&lock);
	mm_read_unlock(&lock);
}

static void read_twice(void)
{
	mm_read_lock(&lock);
	mm_read_lock(&lock);
}

static void unlock_not_held(void) { mm_read_unlock(&lock); }

static void unlock_wrong_mode(void)
{
	mm_read_lock(&lock);
	mm_write_unlock(&lock);
}

/*
 * The setters, on a real MMU: ENTRY is the root entry over one faulted
 * page.  Each sets it to the value it holds, which changes nothing (the
 * change handler returns at once), so the passing twins leave the MMU
 * intact; what matters is the check at the setter's entry.
 */
static struct tdp_mmu *mmu;
static struct tdp_iter entry;

static void set_exclusive(void)
{
	struct zap_ctx ctx = { .me = mm_ctx_self(), .shared = false };
	tdp_mmu_set_spte(mmu, &ctx, entry.sptep, entry.gfn, entry.level, entry.old_spte,
			 entry.old_spte);
}

static bool set_atomic(void)
{
	struct zap_ctx ctx = { .me = mm_ctx_self(), .shared = true };
	struct tdp_iter it = entry;
	return tdp_mmu_set_spte_atomic(mmu, &ctx, &it, it.old_spte);
}

static void exclusive_under_write(void)
{
	mm_write_lock(&mmu->lock);
	set_exclusive();
	mm_write_unlock(&mmu->lock);
}

static void atomic_under_read(void)
{
	mm_read_lock(&mmu->lock);
	MM_ASSERT(set_atomic());
	mm_read_unlock(&mmu->lock);
}

static void exclusive_unlocked(void) { set_exclusive(); }
static void atomic_unlocked(void) { set_atomic(); }

static void exclusive_under_read(void)
{
	mm_read_lock(&mmu->lock);
	set_exclusive();
}

static void atomic_under_write(void)
{
	mm_write_lock(&mmu->lock);
	set_atomic();
}

static void exclusive_while_other_thread_writes(void)
{
	other_thread_holds(&mmu->lock, true);
	set_exclusive();
}

static void memslot_lookup_unlocked(void) { memslots_find(&mmu->slots, 0); }

static void quiescent_under_lock(void)
{
	mm_read_lock(&mmu->lock);
	tdp_mmu_quiescent(0);
}

static void fault_under_lock(void)
{
	struct tdp_mmu_cache c = { 0 };
	tdp_mmu_cache_topup(&c);
	mm_read_lock(&mmu->lock);
	tdp_mmu_page_fault(mmu, &c, 0, TDP_ACC_READ);
}

int main(void)
{
	returns(read_under_read, "read lock: read, any and mode(shared) checks pass");
	returns(write_under_write, "write lock: write, any and mode(exclusive) checks pass");
	returns(read_in_two_threads, "two readers: each one passes its own check");
	traps(read_unlocked, "mm_rwlock_held_read", "no lock: the read check traps");
	traps(write_unlocked, "mm_rwlock_held_write", "no lock: the write check traps");
	traps(any_unlocked, "mm_rwlock_held", "no lock: the either-mode check traps");
	traps(write_under_read, "mm_rwlock_held_write", "read lock: the write check traps");
	traps(read_under_write, "mm_rwlock_held_read", "write lock: the read check traps");
	traps(read_after_unlock, "mm_rwlock_held_read", "after unlock: the read check traps");
	traps(write_held_by_other_thread, "mm_rwlock_held_write",
	      "another thread holds it for write: this thread's write check traps");
	traps(read_held_by_other_thread, "mm_rwlock_held",
	      "another thread holds it for read: this thread's check traps");
	traps(read_twice, "!me->held", "taking the lock twice in one context traps (it could deadlock)");
	traps(unlock_not_held, "me->held == mm_held_word(l, mode)", "releasing a lock not held traps");
	traps(unlock_wrong_mode, "me->held == mm_held_word(l, mode)", "releasing in the wrong mode traps");

	host_pmm_setup(MiB(16));
	struct tdp_mmu_cache c = { 0 };
	mmu = tdp_mmu_create(&tdp_fmt_test_npt);
	tdp_memslot_add(mmu, 0, MiB(2), 0);
	tdp_mmu_cache_topup(&c);
	ok(tdp_mmu_page_fault(mmu, &c, PAGE_SIZE, TDP_ACC_WRITE) == TDP_FAULT_MAPPED,
	   "setters: a page faulted in");
	tdp_mmu_cache_free(&c);
	tdp_iter_start(&entry, tdp_mmu_fmt(mmu), (u64 *)(uintptr_t)tdp_mmu_root_pa(mmu),
		       tdp_mmu_fmt(mmu)->levels, 1, 1, 2);
	returns(exclusive_under_write, "exclusive setter under the write lock passes");
	returns(atomic_under_read, "atomic setter under the read lock passes");
	traps(exclusive_unlocked, "in tdp_mmu_set_spte()", "exclusive setter without the lock traps");
	traps(exclusive_under_read, "in tdp_mmu_set_spte()", "exclusive setter under the read lock traps");
	traps(exclusive_while_other_thread_writes, "in tdp_mmu_set_spte()",
	      "exclusive setter while another thread holds the write lock traps");
	traps(atomic_unlocked, "in tdp_mmu_set_spte_atomic()", "atomic setter without the lock traps");
	traps(atomic_under_write, "in tdp_mmu_set_spte_atomic()",
	      "atomic setter under the write lock traps");
	traps(memslot_lookup_unlocked, "in memslots_find()",
	      "memslot lookup without the lock traps");
	traps(quiescent_under_lock, "in tdp_mmu_quiescent()",
	      "a quiescent point under the MMU lock traps");
	traps(fault_under_lock, "in mm_rwlock_taker()", "a fault taken with the lock already held traps");
	tdp_mmu_destroy(mmu, NULL);
	return tap_done();
}
