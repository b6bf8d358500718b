/*
 * Per-CPU data.  Each CPU's struct percpu is reached through its GS base
 * (%gs:0 holds the struct's own address), so this_cpu() is one load and
 * nothing needs to know which CPU it runs on by other means.
 *
 * struct percpu holds what arch/x86 keeps per CPU (descriptor tables, the
 * IST stack, the local APIC timer), mm/'s context record, which mm/ reads
 * inline on every fault (mm/mm_env.h, lib/cpu_local.h), and one slot each
 * for vmm/'s and the vendor backend's per-CPU records (struct vcpu_cpu in
 * vmm/vcpu.h, struct svm_cpu and struct vmx_cpu in the backends): arch/x86
 * never names their types; each owner reads its slot as its own record
 * and asserts that the record fits.
 */
#ifndef PAGODA_PERCPU_H
#define PAGODA_PERCPU_H

#include "lib/cpu_local.h"
#include "lib/types.h"
#include "mm/mm_env.h"

#define MAX_CPUS 64

/* The 64-bit TSS (SDM Vol 3 7.7). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

#define PERCPU_IST_STACK 16384
/* Bytes of each layer's slot: one cache line. */
#define PERCPU_SLOT_BYTES 64
/* The record of type TYPE its owner keeps in SLOT (vmm_slot or hv_slot) of
 * the per-CPU area PC; fails to compile if TYPE does not fit the slot. */
#define PERCPU_SLOT(pc, slot, type) \
	((void)sizeof(char[sizeof(type) <= PERCPU_SLOT_BYTES ? 1 : -1]), \
	 (type *)(void *)(pc)->slot)

struct percpu {
	struct percpu *self;    /* %gs:0: this struct's own address */
	struct mm_ctx mm_ctx;   /* mm/'s record for this CPU (mm/mm_env.h): mm/ is never
				   entered from an interrupt handler and VMM code is never
				   preempted, so a CPU is one context; read at
				   CPU_LOCAL_MM_CTX (lib/cpu_local.h) */
	unsigned cpu;           /* 0 for the boot CPU, then in start-up order */
	/* vmm/'s and the vendor backend's per-CPU records, beside the fields
	 * above: every exit reads and writes them, so this CPU's lines of
	 * them are its own (arrays of MAX_CPUS words put eight CPUs in one
	 * line) and sit on the page an exit reads anyway (under an emulator
	 * each page costs a software-TLB refill per world switch). */
	unsigned char vmm_slot[PERCPU_SLOT_BYTES] __aligned(64);
	unsigned char hv_slot[PERCPU_SLOT_BYTES] __aligned(64);
	u64 gdt[5] __aligned(16); /* null, code 0x08, data 0x10, TSS 0x18 (16 bytes) */
	struct tss64 tss __aligned(16); /* IST1 for NMI, #DF, #MC */
	u32 apic_id;            /* its local APIC ID */
	bool online;            /* started and set up: IPIs may go to it (atomic) */
	bool lapic_enabled;     /* its local APIC is software-enabled (EOIs go there) */
	bool lapic_timer_ok;    /* this CPU's local APIC timer counts */
	void (*call_fn)(void *arg); /* smp_call_on(): what to run here (ipi.c) */
	void *call_arg;         /* and its argument */
	u32 call_req;           /* calls posted to this CPU (atomic) */
	u32 call_taken;         /* calls it has begun (only it touches this) */
	u32 call_done;          /* calls it has finished (atomic) */
	int call_lock;          /* one caller at a time (atomic exchange) */
	u64 lapic_ticks_per_ms; /* its rate at divide-by-1 */
	u8 ist_stack[PERCPU_IST_STACK] __aligned(16); /* IST1's stack */
};

_Static_assert(__builtin_offsetof(struct percpu, mm_ctx) == CPU_LOCAL_MM_CTX,
	       "mm_ctx_self() finds the record at CPU_LOCAL_MM_CTX");

/*
 * The per-CPU area of CPU number CPU (0 = the boot CPU), not yet attached
 * to any CPU; NULL when CPU >= MAX_CPUS.
 */
struct percpu *percpu_area(unsigned cpu);
/* The area of CPU number CPU if that CPU is online, else NULL. */
struct percpu *percpu_online(unsigned cpu);
/* Make PC this CPU's area: its GS base from now on.  Call after the CPU
 * loaded its segment registers (a selector load may clear the base). */
void percpu_attach(struct percpu *pc);

/* This CPU's area / number; valid after percpu_attach. */
static inline struct percpu *this_percpu(void)
{
	struct percpu *p;
	__asm__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned this_cpu(void)
{
	unsigned c;
	__asm__("movl %%gs:%c1, %0" : "=r"(c) : "i"(__builtin_offsetof(struct percpu, cpu)));
	return c;
}

#endif
