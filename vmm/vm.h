/*
 * A guest: the VM object vmm/ manages (vmm/vm.c), its memory, vCPUs and
 * devices, and the state machine the console drives (created -> running
 * <-> stopped -> exited or crashed; destroyed from any state).  Guests
 * report what happens to them through one event sink.  vm.c builds no
 * particular machine: vmm/pc.c makes a PC of it (image, devices).
 */
#ifndef PAGODA_VM_H
#define PAGODA_VM_H

#include "lib/line_history.h"
#include "lib/regex.h"
#include "lib/types.h"
#include "mm/tdp_mmu.h"
#include "vmm/dev/bus.h"
#include "vmm/intr_state.h"
#include "vmm/lock.h"
#include "vmm/vcpu.h"

#define GUEST_NAME_MAX 32
#define GUEST_CMDLINE_MAX 256
#define GUEST_MAX 16
#define GUEST_MAX_VCPUS 4
#define GUEST_MAX_BOOT_PAGES 8
#define GUEST_OUT_RING 8192   /* bytes of console output a guest may have waiting */
#define GUEST_OUT_RATE 4096   /* bytes per second of it the VMM writes, after a burst of a ring */
#define GUEST_RAW_RING 4096   /* bytes of raw output waiting while the console is attached */
#define GUEST_PARTIAL_FLUSH_NS 200000000ULL /* a partial line quiet this long goes out as a line */
#define GUEST_PARTIAL_FLUSH_EXITS 8 /* ... when its vCPU also had this many exits since (or sleeps) */

enum guest_state {
	GUEST_CREATED,  /* memory and vCPU set up, never run */
	GUEST_RUNNING,  /* runnable: the scheduler runs it */
	GUEST_STOPPED,  /* paused by the console */
	GUEST_EXITED,   /* ended by itself (debug exit, hypercall) */
	GUEST_CRASHED,  /* ended by the VMM (triple fault, bad access, invalid state) */
};

/* How a guest in GUEST_EXITED ended, when it asked the machine to power
 * off or reset (vmm/dev/acpi_pm.c, vmm/dev/pc_reset.c). */
enum guest_power {
	GUEST_POWER_NONE,   /* not by the machine: debug exit, hypercall */
	GUEST_POWER_OFF,    /* ACPI S5 (PM1a_CNT with SLP_EN) */
	GUEST_POWER_REBOOT, /* a reset: port 0xcf9, the keyboard controller */
};

/* What the console does once a guest has ended a given way (create's
 * on_reboot=, on_poweroff=, on_crash=; vmm/console/commands.c). */
enum guest_policy {
	GUEST_POLICY_KEEP,    /* leave it ended: wait reports it, destroy frees it */
	GUEST_POLICY_DESTROY, /* destroy it */
	GUEST_POLICY_RESTART, /* destroy it and create and start it again from the same
				 create line (same name; on_reboot and on_crash) */
};

/*
 * Locking (docs/design.md "Host CPUs").  A guest's vCPUs run on several
 * host CPUs at once; each vCPU on at most one (vcpu_claim).  LOCK covers
 * what they share: the state machine, the devices and interrupt
 * controllers (bus, intr), every vCPU's local APIC and wake-up flags
 * (runnable, halted, wait_sipi, nmi_pending, apic_signal), the console
 * output rings and recent lines.  Exit handling takes it, but for nested
 * page faults that map memory (mm/ has its own locks).  A vCPU's
 * registers and vendor state belong to the CPU that claimed it.
 */
struct guest {
	bool in_use;               /* slot of the guest table taken */
	struct vlock lock;         /* see above */
	u64 cpu_mask;              /* host CPUs its vCPUs may run on (create cpus=; all by
				      default) */
	u32 vcpus_running;         /* of its vCPUs, those claimed by a CPU now (atomic) */
	u32 vcpus_running_max;     /* the most at once so far (stats parallel_max=) */
	unsigned id;               /* the lowest id free at create (reused after destroy) */
	char name[GUEST_NAME_MAX]; /* console name, also the UART line prefix */
	enum guest_state state;
	u64 mem_size;              /* bytes of guest RAM from GPA 0 */
	struct tdp_mmu *mmu;       /* nested page tables and memslots */
	/* What every exit reads, then vCPU 0, before the rest: the fields an
	 * exit touches stay on as few pages as they can (under an emulator
	 * each costs a software-TLB refill per world switch). */
	unsigned nr_vcpus;         /* vCPUs in use */
	struct vcpu *cur;          /* the vCPU whose exit is being handled */
	unsigned rr;               /* round-robin position among the vCPUs */
	struct guest_intr intr;    /* its interrupt controllers and timers (vmm/intr.c) */
	struct vcpu vcpus[GUEST_MAX_VCPUS]; /* vCPU 0 boots; the others start by SIPI or hypercall */
	struct bus bus;            /* its devices: port and MMIO rows (vmm/dev/) */
	char cmdline[GUEST_CMDLINE_MAX];
	u64 boot_pages[GUEST_MAX_BOOT_PAGES]; /* host pages the guest's boot structures are
					   copied in from at first touch (freed at destroy) */
	unsigned nr_boot_pages;
	int exit_status;           /* valid in GUEST_EXITED */
	enum guest_power power;    /* valid in GUEST_EXITED: a power-off or reset, or neither */
	const char *power_source;  /* what the guest used for it ("acpi-s5", "port-0xcf9"...) */
	enum guest_policy on_reboot, on_poweroff, on_crash; /* set by the console at create */
	bool policy_due;           /* ended with a policy other than keep not yet applied */
	char expect[64];           /* text the console's expect waits for in a console line
				      of G ("" when none), matched as lines go to the log */
	const struct regex *expect_re; /* or the pattern it waits for (NULL when none;
				      the console's, valid while its expect runs) */
	bool expect_seen;          /* a line containing it / matching it went to the log */
	char expect_line[128];     /* that line (cut), NUL-terminated, once expect_seen */
	/* Recent console lines, for an expect that starts after its answer
	 * was printed: every line that went to the log since the last input
	 * or attach session (guest_recent_clear), oldest first; the oldest
	 * whole lines go when it is full (LINE_HISTORY_BYTES).  A line
	 * matched by an expect, and the lines before it, are taken out
	 * (guest_recent_match). */
	struct line_history recent;
	char crash_reason[192];    /* valid in GUEST_CRASHED: long enough for every reason whole */
	u64 start_tsc, end_tsc;    /* run time */
	u64 free_pages_at_create;  /* pmm free count just before create, for the destroy line */
	int ram_slot;              /* memslot id of guest RAM (for dirty logging) */
	bool dirty_logging;        /* dirty logging of ram_slot is on */
	/* Console output waiting for the VMM to write it (guest_output_*):
	 * records of {vCPU id, length, bytes} in a ring, so no exit handler
	 * ever writes a guest's output to the UART and a guest cannot make the
	 * VMM write more than GUEST_OUT_RATE bytes a second of it. */
	u8 out_ring[GUEST_OUT_RING];
	u32 out_head, out_tail;    /* free-running byte counts: written, read */
	u64 out_dropped;           /* bytes dropped because the ring was full */
	u64 out_dropped_told;      /* of them, already reported in the log */
	u64 out_budget;            /* bytes it may write now (refilled by time) */
	u64 out_refill_tsc;        /* when the budget was last refilled */
	/* While the console is attached to G (guest_console_attach), its
	 * console bytes skip line assembly and wait here as they are, for
	 * the raw sink; same budget as the lines. */
	bool attached;             /* the console is attached: output goes raw */
	u8 raw_ring[GUEST_RAW_RING];
	u32 raw_head, raw_tail;    /* free-running byte counts: written, read */
	u64 raw_dropped;           /* raw bytes dropped because the ring was full */
};

/* Look a guest up by name / by id; NULL when there is none. */
struct guest *guest_find_name(const char *name);
struct guest *guest_find_id(unsigned id);
/*
 * Create a guest named NAME (the caller checked its syntax; it must be
 * unique) with MEM bytes of RAM from GPA 0 (backed by huge blocks when
 * HUGE, and lazily: nothing is allocated before it is touched), command
 * line CMDLINE, and NR_VCPUS vCPUs without vendor state yet.  The caller
 * places the boot image (guest_place) and then calls guest_setup_vcpus.
 * Returns 0 and *OUT, or a negative error with a reason in ERR.
 */
int guest_create(const char *name, u64 mem, bool huge, const char *cmdline, unsigned nr_vcpus,
		 struct guest **out, char *err, size_t errlen);
/* Copy LEN bytes at SRC into G's RAM at GPA when the guest first touches
 * them; SRC must live as long as G (an image, or a guest_boot_page).
 * 0 or negative. */
int guest_place(struct guest *g, u64 gpa, const void *src, u64 len);
/* A zeroed host page that G owns until it is destroyed (for boot
 * structures given to guest_place); NULL when none is left. */
void *guest_boot_page(struct guest *g);
/* Give every vCPU of G its vendor state, all starting from ST (the boot
 * vCPU runs from it; the others wait for HC_VCPU_START).  0 or negative. */
int guest_setup_vcpus(struct guest *g, const struct vcpu_state *st);
/*
 * Back and map all of G's RAM now (create ... reserve=1), so that its
 * faults never need host memory and no other guest can starve it.  0, or
 * -E_NOMEM when the host cannot give it all above the guest reserve (the
 * caller then discards G).
 */
int guest_reserve_memory(struct guest *g);
/* Undo a guest_create that did not finish: everything goes back, nothing
 * is logged. */
void guest_discard(struct guest *g);
/* Start vCPU ID of G at the 32-bit protected-mode ENTRY with EAX = ID and
 * EBX = ARG.  0, or -E_INVAL (no such vCPU, entry outside RAM) / -E_BUSY. */
int guest_vcpu_start(struct guest *g, unsigned id, u64 entry, u64 arg);
/* VM exits of all vCPUs of G, in total and of one kind. */
u64 guest_exits(const struct guest *g);
u64 guest_exits_of(const struct guest *g, enum vm_exit_kind k);
int guest_start(struct guest *g);
/* Pause a running guest / let a paused one run again.  0, or -E_BUSY when
 * G is not in the state the change starts from. */
int guest_stop(struct guest *g);
int guest_resume(struct guest *g);
/* Tear a guest down from any state; every page goes back to pmm. */
void guest_destroy(struct guest *g);
/* End G with the given reason (the guest is not run again). */
void guest_crash(struct guest *g, const char *fmt, ...) __printf(2, 3);
void guest_exit(struct guest *g, int status);
/* G (running) asked its machine for WHAT (GUEST_POWER_OFF or _REBOOT) through
 * SOURCE (a static string): it ends like guest_exit(G, 0) with G->power set,
 * a log line and a GUEST_EVENT_POWEROFF or _REBOOT event. */
void guest_power_event(struct guest *g, enum guest_power what, const char *source);
const char *guest_state_name(enum guest_state s);

/* What happened to a guest, for whoever reports it (the console). */
enum guest_event {
	GUEST_EVENT_EXITED,  /* it ended by itself: G->exit_status */
	GUEST_EVENT_CRASHED, /* the VMM ended it: G->crash_reason */
	GUEST_EVENT_POWEROFF, /* it powered its machine off: G->power_source */
	GUEST_EVENT_REBOOT,   /* it reset its machine: G->power_source */
};
typedef void (*guest_event_fn)(struct guest *g, enum guest_event ev);
/* The one subscriber to guest events (NULL: none). */
void guest_set_event_sink(guest_event_fn fn);
/* A finished console line of G's vCPU VCPU_ID (LEN bytes, no newline):
 * queued for the log, or dropped and counted when G's ring is full. */
void guest_output_line(struct guest *g, unsigned vcpu_id, const char *line, size_t len);
/* Write queued console lines of every guest to the log, each guest within
 * its rate; called by the idle loop and between slices, never from an exit
 * handler. */
void guest_output_drain_all(void);
/* N bytes of G's console output while attached, as they are: queued for
 * the raw sink, or dropped and counted when the raw ring is full. */
void guest_output_raw(struct guest *g, const char *s, size_t n);
/* Where raw output goes (the console's writer to the serial port). */
typedef void (*guest_raw_fn)(const char *s, size_t n);
void guest_set_raw_sink(guest_raw_fn fn);
/*
 * Attach (ON) or detach the console to/from G.  Attaching first sends
 * every vCPU's partial line and all queued lines to the log (they come
 * before the raw bytes); from then on G's console bytes go raw to the raw
 * sink as guest_output_drain_all finds them.  Detaching writes the raw
 * bytes still queued and forgets G's recent lines (what was typed counts
 * as input), then lines are assembled again.
 */
void guest_console_attach(struct guest *g, bool on);
/* Forget G's recent lines (the console's input command: an expect after
 * it looks only at what the guest printed since). */
void guest_recent_clear(struct guest *g);
/*
 * Whether one of G's recent lines contains TEXT (when not NULL) or matches
 * RE (when not NULL); the first such line and all before it are taken out
 * of the recent lines, so the next expect does not see them again.  The
 * line goes to G->expect_line.
 */
bool guest_recent_match(struct guest *g, const char *text, const struct regex *re);
/* Iterate: the I-th used slot or NULL. */
struct guest *guest_at(unsigned i);
/* Slot K of the guest table (K < GUEST_MAX), used or not. */
struct guest *guest_slot(unsigned k);
/*
 * A CPU's reference to G while it runs G's vCPUs or ticks its timers:
 * true (a reference is held) when G is running, else false (none is).
 * Stop and destroy wait until no reference is left (guest_quiesce), so
 * nothing of G is freed under a CPU that holds one.
 */
bool guest_get(struct guest *g);
void guest_put(struct guest *g);
/* Kick every CPU that runs one of G's vCPUs out of guest mode, and wait
 * until no CPU holds a reference to G (G is no longer running: caller
 * changed its state).  Not from a CPU that holds one itself.  Returns
 * whether a CPU held one (it had to wait). */
bool guest_quiesce(struct guest *g);
/* This CPU idles (ON, before its HLT) or looks for work again: an idle
 * CPU is kicked when a vCPU it may run becomes runnable. */
void guest_cpu_idle(unsigned cpu, bool on);
/* A vCPU of G became runnable: kick one idle CPU that may run it. */
void guest_wake_cpus(struct guest *g);
/* Is vCPU V waiting for a CPU (runnable or an INIT/SIPI to act on), with
 * none running it? */
bool guest_vcpu_wants_cpu(const struct vcpu *v);

#endif
