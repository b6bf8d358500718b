/*
 * Vector dispatch for the VMM's own IDT (arch/x86/desc.c loads it; every
 * vector's stub in entry.asm saves the registers and calls
 * exception_dispatch()).
 */
#include "arch/x86/irq.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

static void (*irq_handlers[256])(struct exc_frame *f);
static void (*irq_eoi)(void);

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

void irq_set_handler(u8 vector, void (*handler)(struct exc_frame *f))
{
	irq_handlers[vector] = handler;
}

void irq_set_eoi(void (*eoi)(void)) { irq_eoi = eoi; }

bool irq_step_mode;
/* Per CPU: counting runs (TF is set), the instructions counted so far, and
 * DR6 as it was at irq_step_begin (each single-step trap sets DR6.BS, SDM
 * 18.2.3; on VMX the guest's DR6 is in the register while the VMM runs, so
 * the handler puts the old value back). */
static bool step_active[MAX_CPUS];
static u64 step_count[MAX_CPUS];
static u64 step_dr6[MAX_CPUS];
static bool step_kept[MAX_CPUS]; /* irq_step_end kept a count ... */
static u64 step_last[MAX_CPUS];  /* ... this one, for irq_step_take */
/* The distinct 4 KiB code pages the counted instructions ran on (under an
 * emulator, each page a path touches costs a TLB refill after the world
 * switch flushed them): up to STEP_PAGES_MAX kept, the count goes on. */
#define STEP_PAGES_MAX 64
static u64 step_page[MAX_CPUS][STEP_PAGES_MAX];
static unsigned step_npages[MAX_CPUS];
static unsigned step_last_pages[MAX_CPUS]; /* ... and the kept count's */

void irq_step_set_mode(bool on)
{
	irq_step_mode = on;
	step_kept[this_cpu()] = false;
}

/* Count from 0 on this CPU and set TF: POPF that sets it traps after the
 * instruction that follows it (SDM 18.3.1.4), the first one counted. */
void irq_step_begin_slow(void)
{
	unsigned cpu = this_cpu();
	__asm__ volatile("mov %%db6, %0" : "=r"(step_dr6[cpu]));
	step_count[cpu] = 0;
	step_npages[cpu] = 0;
	step_active[cpu] = true;
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
}

/* Clear TF (the POPF that clears it still traps once: TF was set when it
 * began) and keep the count; nothing when none was running here. */
void irq_step_end_slow(void)
{
	unsigned cpu = this_cpu();
	if (!step_active[cpu])
		return;
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	step_active[cpu] = false;
	step_last[cpu] = step_count[cpu];
	step_last_pages[cpu] = step_npages[cpu];
	step_kept[cpu] = true;
}

bool irq_step_take_slow(u64 *insns, unsigned *pages)
{
	unsigned cpu = this_cpu();
	if (!step_kept[cpu])
		return false;
	step_kept[cpu] = false;
	*insns = step_last[cpu];
	*pages = step_last_pages[cpu];
	return true;
}

void irq_step_cancel_slow(void)
{
	irq_step_end_slow();
	step_kept[this_cpu()] = false;
}

/* A #DB while counting runs on this CPU: one instruction stepped.  The
 * IRETQ of the entry stub restores TF from the frame, so the next one
 * traps too (the trap after the POPF that clears TF has it clear in the
 * frame: stepping ends there).  False for any other #DB (a VMM bug). */
static bool step_trap(const struct exc_frame *f)
{
	unsigned cpu = this_cpu();
	if (!step_active[cpu])
		return false;
	step_count[cpu]++;
	/* The next instruction's page (the trap's RIP): one more if new. */
	u64 page = f->rip >> 12;
	unsigned n = step_npages[cpu], i;
	for (i = 0; i < n && i < STEP_PAGES_MAX; i++)
		if (step_page[cpu][i] == page)
			break;
	if (i == n) {
		if (n < STEP_PAGES_MAX)
			step_page[cpu][n] = page;
		step_npages[cpu] = n + 1;
	}
	__asm__ volatile("mov %0, %%db6" ::"r"(step_dr6[cpu]));
	return true;
}

/*
 * Called by the entry stubs for every vector.  Exceptions in the VMM are
 * bugs: print the vector, error code, RIP, CR2 and every register, then
 * halt this CPU (never a silent triple fault).  Interrupt vectors go to
 * their registered handler.
 */
void exception_dispatch(struct exc_frame *f);
void exception_dispatch(struct exc_frame *f)
{
	if (f->vector >= 32 && irq_handlers[f->vector]) {
		irq_handlers[f->vector](f);
		return;
	}
	if (f->vector == 1 && step_trap(f))
		return;
	if (f->vector == 2) {
		pr_warn("cpu", "NMI at rip=0x%lx", f->rip);
		return;
	}
	if (f->vector >= 32) {
		pr_warn("cpu", "unexpected interrupt vector %lu", f->vector);
		if (irq_eoi)
			irq_eoi();
		return;
	}
	pr_err("cpu", "VMM exception %lu (%s) error=0x%lx rip=0x%lx cs=0x%lx rflags=0x%lx",
	       f->vector, exc_names[f->vector], f->error, f->rip, f->cs, f->rflags);
	pr_err("cpu", "rsp=0x%lx cr2=0x%lx cr3=0x%lx", f->rsp, read_cr2(), read_cr3());
	pr_err("cpu", "rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx", f->rax, f->rbx, f->rcx, f->rdx);
	pr_err("cpu", "rsi=0x%lx rdi=0x%lx rbp=0x%lx r8=0x%lx", f->rsi, f->rdi, f->rbp, f->r8);
	pr_err("cpu", "r9=0x%lx r10=0x%lx r11=0x%lx r12=0x%lx", f->r9, f->r10, f->r11, f->r12);
	pr_err("cpu", "r13=0x%lx r14=0x%lx r15=0x%lx", f->r13, f->r14, f->r15);
	pr_err("cpu", "halting this CPU");
	halt_forever();
}
