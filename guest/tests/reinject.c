/*
 * Exceptions whose frame lands on a page the guest never touched: pagoda
 * backs guest memory at first touch, so the CPU's push of the frame takes
 * a nested page fault (NPF / EPT violation).  A single-step #DB (a trap,
 * checked by its RIP: right after the first instruction) and INT3's #BP
 * must each be delivered exactly once, on that stack; so must the #UD the
 * VMM injects for VMRUN (AMD) or VMXON (Intel).  For that one the exit
 * reports the interrupted delivery (EXITINTINFO / IDT-vectoring
 * information) and the VMM must inject it again: the test asserts on
 * `stats` (reinjected=) that it did.  (The emulators take the nested fault
 * of the guest's own #DB and #BP before starting their delivery, so those
 * two never reach the re-injection.)
 */
#include "guest/lib/guest.h"

const char guest_name[] = "reinject";

#define RFLAGS_TF (1ULL << 8)
#define FRESH_DB 0x600000ULL /* pages nothing else touches (8M guest, image at 1M) */
#define FRESH_BP 0x680000ULL
#define FRESH_UD 0x700000ULL

static volatile unsigned db_hits, bp_hits, ud_hits;
static volatile u64 db_rsp, bp_rsp, db_rip;

/* #DB: count, note the stack, stop single-stepping. */
static void on_db(struct exc_frame *f)
{
	db_hits++;
	db_rsp = (u64)(uintptr_t)f;
	db_rip = f->rip;
	f->rflags &= ~RFLAGS_TF;
}

static unsigned ud_len; /* length of the instruction that raises it */

/* #UD of a virtualization instruction: count, step over it. */
static void on_ud(struct exc_frame *f)
{
	ud_hits++;
	f->rip += ud_len;
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
	/* A #UD the VMM injects (VMRUN / VMXON, which the guest may not run),
	 * delivered onto a never-touched page: the delivery itself takes the
	 * nested fault, the exit reports the interrupted #UD, and the VMM must
	 * inject it again. */
	exc_set_handler(EXC_UD, on_ud);
	bool amd = cpu_is_svm_vendor();
	ud_len = amd ? 3 : 4;
	if (amd)
		__asm__ volatile("mov %%rsp, %%rbx\n\t"
				 "mov %0, %%rsp\n\t"
				 "xor %%eax, %%eax\n\t"
				 ".byte 0x0f, 0x01, 0xd8\n\t" /* VMRUN */
				 "mov %%rbx, %%rsp"
				 :
				 : "r"(FRESH_UD + 0x1000)
				 : "rax", "rbx", "memory");
	else
		__asm__ volatile("mov %%rsp, %%rbx\n\t"
				 "mov %0, %%rsp\n\t"
				 "mov %%rbx, %%rax\n\t"
				 ".byte 0xf3, 0x0f, 0xc7, 0x30\n\t" /* VMXON [rax] */
				 "mov %%rbx, %%rsp"
				 :
				 : "r"(FRESH_UD + 0x1000)
				 : "rax", "rbx", "memory");
	expect_eq(ud_hits, 1, "the #UD the VMM injected for %s, its frame on an untouched page, "
		  "delivered once", amd ? "VMRUN" : "VMXON");
	report_done();
}
