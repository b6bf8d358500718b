/*
 * Guests and their vCPUs: the vendor-neutral objects vmm/ manages.
 */
#ifndef PAGODA_GUEST_H
#define PAGODA_GUEST_H

#include "arch/x86/cpu.h"
#include "mm/tdp_mmu.h"
#include "vmm/dev/bus.h"
#include "vmm/hv.h"
#include "lib/types.h"

#define GUEST_NAME_MAX 32
#define GUEST_CMDLINE_MAX 256
#define GUEST_MAX 16
#define GUEST_MAX_VCPUS 4
#define GUEST_LINE_MAX 160 /* console output line per vCPU (vmm/output.c) */

struct guest;

struct vcpu {
	struct guest *guest;       /* owner */
	unsigned id;               /* index within the guest */
	struct hv_vcpu hw;         /* what the vendor backend sees: registers, its state, tag */
	struct tdp_mmu_cache mmu_cache; /* page-table pages for faults, filled unlocked */
	u64 exits;                 /* VM exits taken */
	u64 exits_by_kind[VM_EXIT_UNHANDLED + 1]; /* per enum vm_exit_kind */
	bool flush_pending;        /* TDP entries were zapped: flush before the next run */
	struct fxsave_area fpu;    /* x87/SSE state while another vCPU owns the registers */
	struct debug_regs dbg;     /* DR0-3, DR6 likewise (neither VMCB nor VMCS holds them all) */
	bool started;              /* vCPU 0 at guest start, the others by HC_VCPU_START */
	bool runnable;             /* started and not halted: the scheduler runs it */
	char out_line[GUEST_LINE_MAX]; /* console bytes of the line this vCPU is writing */
	unsigned out_len;          /* bytes in out_line[] */
};

enum guest_state {
	GUEST_CREATED,  /* memory and vCPU set up, never run */
	GUEST_RUNNING,  /* runnable: the scheduler runs it */
	GUEST_STOPPED,  /* paused by the console */
	GUEST_EXITED,   /* ended by itself (debug exit, hypercall) */
	GUEST_CRASHED,  /* ended by the VMM (triple fault, bad access, invalid state) */
};

struct guest {
	bool in_use;               /* slot of the guest table taken */
	unsigned id;               /* unique id, never reused while the VMM runs */
	char name[GUEST_NAME_MAX]; /* console name, also the UART line prefix */
	enum guest_state state;
	u64 mem_size;              /* bytes of guest RAM from GPA 0 */
	char cmdline[GUEST_CMDLINE_MAX];
	struct tdp_mmu *mmu;       /* nested page tables and memslots */
	struct vcpu vcpus[GUEST_MAX_VCPUS]; /* vCPU 0 boots; the others start by hypercall */
	unsigned nr_vcpus;         /* vCPUs in use */
	struct vcpu *cur;          /* the vCPU whose exit is being handled */
	unsigned rr;               /* round-robin position among the vCPUs */
	struct bus bus;            /* its devices: port and MMIO rows (vmm/dev/) */
	u64 boot_page;             /* host page holding the Multiboot info (freed at destroy) */
	int exit_status;           /* valid in GUEST_EXITED */
	char crash_reason[192];    /* valid in GUEST_CRASHED: long enough for every reason whole */
	u64 start_tsc, end_tsc;    /* run time */
	u64 free_pages_at_create;  /* pmm free count just before create, for the destroy line */
	int ram_slot;              /* memslot id of guest RAM (for dirty logging) */
	bool dirty_logging;        /* dirty logging of ram_slot is on */
};

/* Look a guest up by name / by id; NULL when there is none. */
struct guest *guest_find_name(const char *name);
struct guest *guest_find_id(unsigned id);
/*
 * Create a guest named NAME (the caller checked its syntax; it must be
 * unique): memslot of MEM bytes from GPA 0 (backed by huge blocks
 * when HUGE), the Multiboot image IMAGE (SIZE bytes) loaded lazily, the
 * command line, NR_VCPUS vCPUs (vCPU 0 enters the image; the others wait for
 * HC_VCPU_START).  Returns 0 and *OUT, or a negative error with a reason in
 * ERR (at most ERRLEN bytes).
 */
int guest_create(const char *name, u64 mem, const void *image, u64 size, const char *cmdline,
		 bool huge, unsigned nr_vcpus, struct guest **out, char *err, size_t errlen);
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
const char *guest_state_name(enum guest_state s);

/* What happened to a guest, for whoever reports it (the console). */
enum guest_event {
	GUEST_EVENT_EXITED,  /* it ended by itself: G->exit_status */
	GUEST_EVENT_CRASHED, /* the VMM ended it: G->crash_reason */
};
typedef void (*guest_event_fn)(struct guest *g, enum guest_event ev);
/* The one subscriber to guest events (NULL: none). */
void guest_set_event_sink(guest_event_fn fn);
/* Iterate: the I-th used slot or NULL. */
struct guest *guest_at(unsigned i);

/* Enter V once and handle the exit; the exit's kind. */
enum vm_exit_kind vcpu_run_once(struct vcpu *v);

/* Exit dispatch (vmm/exit.c): handle one exit; false when the guest ended. */
bool exit_handle(struct vcpu *v, struct vm_exit *e);

#endif
