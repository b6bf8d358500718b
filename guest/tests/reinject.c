/*
 * Exceptions whose frame lands on a page the guest never touched: pagoda
 * backs guest memory at first touch, so the CPU's push of the frame takes
 * a nested page fault (NPF / EPT violation).  A single-step #DB (a trap,
 * checked by its RIP: right after the first instruction) and INT3's #BP
 * must each be delivered exactly once, on that stack.  Under QEMU's TCG and
 * Bochs the emulated CPU takes the nested fault before it starts the
 * delivery (no EXITINTINFO / IDT-vectoring information is reported), so
 * this checks delivery on lazily backed stacks, not the VMM's re-injection
 * of an interrupted event, which hardware needs.
 */
#include "guest/lib/guest.h"

const char guest_name[] = "reinject";

#define RFLAGS_TF (1ULL << 8)
#define FRESH_DB 0x600000ULL /* pages nothing else touches (8M guest, image at 1M) */
#define FRESH_BP 0x680000ULL

static volatile unsigned db_hits, bp_hits;
static volatile u64 db_rsp, bp_rsp, db_rip;

/* #DB: count, note the stack, stop single-stepping. */
static void on_db(struct exc_frame *f)
{
	db_hits++;
	db_rsp = (u64)(uintptr_t)f;
	db_rip = f->rip;
	f->rflags &= ~RFLAGS_TF;
}

static void on_bp(struct exc_frame *f)
{
	bp_hits++;
	bp_rsp = (u64)(uintptr_t)f;
}

void main(const char *cmdline)
{
	(void)cmdline;
	exc_set_handler(EXC_DB, on_db);
	exc_set_handler(EXC_BP, on_bp);
	/* Stack at the top of a fresh page; TF on (POPFQ), one NOP, #DB after
	 * it; the old stack back. */
	u64 after_first;
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %1, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq %2, (%%rsp)\n\t"
			 "popfq\n\t"
			 "nop\n"
			 "1:\tnop\n\t"
			 "nop\n\t"
			 "mov %%rbx, %%rsp\n\t"
			 "lea 1b(%%rip), %0"
			 : "=r"(after_first)
			 : "r"(FRESH_DB + 0x1000), "i"(RFLAGS_TF)
			 : "rbx", "memory", "cc");
	expect_eq(db_hits, 1, "single-step #DB delivered once, its frame on an untouched page");
	expect_eq(db_rip, after_first, "... for the first instruction, not the next (not lost)");
	expect(db_rsp > FRESH_DB && db_rsp < FRESH_DB + 0x1000, "the #DB frame is on that page");
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %0, %%rsp\n\t"
			 "int3\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : "r"(FRESH_BP + 0x1000)
			 : "rbx", "memory");
	expect_eq(bp_hits, 1, "INT3's #BP delivered once, its frame on an untouched page");
	expect(bp_rsp > FRESH_BP && bp_rsp < FRESH_BP + 0x1000, "the #BP frame is on that page");
	report_done();
}
