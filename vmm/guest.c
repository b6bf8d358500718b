/*
 * Guests: creation from a Multiboot image, the run loop, ending and
 * destruction.  One vCPU per guest; all guests share the CPU the VMM runs
 * on, one VM exit at a time, round robin (vmm/sched in sched_step()).
 */
#include "vmm/guest.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "vmm/dev/debug_exit.h"
#include "vmm/dev/uart16550.h"
#include "vmm/output.h"
#include "lib/log.h"
#include "vmm/multiboot.h"
#include "lib/string.h"
#include "lib/time.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "vmm/vcpu_state.h"

_Static_assert(MB_GDT_SIZE == VCPU_FLAT_GDT_SIZE, "the Multiboot GDT area holds the flat GDT");

static struct guest guests[GUEST_MAX];
static struct vcpu *fpu_owner; /* whose x87/SSE and debug registers the CPU holds */
static guest_event_fn event_sink; /* the console's, once it subscribed */

void guest_set_event_sink(guest_event_fn fn) { event_sink = fn; }

static void guest_event(struct guest *g, enum guest_event ev)
{
	if (event_sink)
		event_sink(g, ev);
}

/* The vCPU whose vendor state is loaded on this CPU (hv->vcpu_load), or
 * NULL.  One CPU runs guests for now; per CPU later. */
static struct vcpu *loaded_vcpu;

/* ASID/VPID tags (hv_vcpu.tag): the users of each tag 1..N, N the smaller
 * of hv->max_tags() and the table.  A vCPU takes a free tag, or when none
 * is free the least shared one (the backend flushes a tag's TLB entries
 * whenever another of its users runs). */
static u8 tag_users[GUEST_MAX * GUEST_MAX_VCPUS + 1];

/* A tag for a new vCPU, in 1..hv->max_tags(): the lowest free one, else
 * the one with the fewest users. */
static u32 tag_alloc(void)
{
	u32 n = MIN(hv->max_tags(), (u32)ARRAY_SIZE(tag_users) - 1), best = 1;
	for (u32 t = 1; t <= n; t++) {
		if (!tag_users[t]) {
			best = t;
			break;
		}
		if (tag_users[t] < tag_users[best])
			best = t;
	}
	tag_users[best]++;
	return best;
}

static void tag_free(u32 tag)
{
	if (tag && tag < ARRAY_SIZE(tag_users) && tag_users[tag])
		tag_users[tag]--;
}

/* Make V the vCPU loaded on this CPU: hv->vcpu_put of the one loaded
 * before, hv->vcpu_load of V (which may have no vendor state yet). */
static void vcpu_make_loaded(struct vcpu *v)
{
	if (loaded_vcpu == v)
		return;
	if (loaded_vcpu)
		hv->vcpu_put(&loaded_vcpu->hw);
	hv->vcpu_load(&v->hw, this_cpu());
	loaded_vcpu = v;
}

/*
 * The upcall of vmm/hv.h: LEN bytes of guest-physical memory at GPA of the
 * guest HW belongs to, into BUF.  0, -E_FAULT outside guest RAM, or
 * -E_NOMEM when backing a page failed.
 */
int hv_read_guest(struct hv_vcpu *hw, u64 gpa, void *buf, size_t len)
{
	struct vcpu *v = container_of(hw, struct vcpu, hw);
	return tdp_read_guest(v->guest->mmu, gpa, buf, len);
}

const char *guest_state_name(enum guest_state s)
{
	switch (s) {
	case GUEST_CREATED: return "created";
	case GUEST_RUNNING: return "running";
	case GUEST_STOPPED: return "stopped";
	case GUEST_EXITED: return "exited";
	case GUEST_CRASHED: return "crashed";
	}
	return "?";
}

struct guest *guest_at(unsigned i)
{
	for (unsigned k = 0; k < GUEST_MAX; k++)
		if (guests[k].in_use && i-- == 0)
			return &guests[k];
	return NULL;
}

struct guest *guest_find_name(const char *name)
{
	for (unsigned k = 0; k < GUEST_MAX; k++)
		if (guests[k].in_use && strcmp(guests[k].name, name) == 0)
			return &guests[k];
	return NULL;
}

struct guest *guest_find_id(unsigned id)
{
	for (unsigned k = 0; k < GUEST_MAX; k++)
		if (guests[k].in_use && guests[k].id == id)
			return &guests[k];
	return NULL;
}

static void guest_flush_cb(void *arg)
{
	struct guest *g = arg;
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		g->vcpus[i].flush_pending = true;
}

u64 guest_exits(const struct guest *g)
{
	u64 n = 0;
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		n += g->vcpus[i].exits;
	return n;
}

u64 guest_exits_of(const struct guest *g, enum vm_exit_kind k)
{
	u64 n = 0;
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		n += g->vcpus[i].exits_by_kind[k];
	return n;
}

static int create_fail(char *err, size_t errlen, int rc, const char *fmt, ...) __printf(4, 5);
static int create_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Undo a partly built guest: every page it took goes back. */
static void guest_release(struct guest *g, struct tdp_teardown_stats *st)
{
	for (unsigned i = 0; i < GUEST_MAX_VCPUS; i++) {
		struct vcpu *v = &g->vcpus[i];
		if (fpu_owner == v)
			fpu_owner = NULL;
		if (v->hw.arch) {
			vcpu_make_loaded(v);
			hv->vcpu_destroy(&v->hw);
		}
		if (loaded_vcpu == v) {
			hv->vcpu_put(&v->hw);
			loaded_vcpu = NULL;
		}
		tag_free(v->hw.tag);
		tdp_mmu_cache_free(&v->mmu_cache);
	}
	if (g->mmu)
		tdp_mmu_destroy(g->mmu, st);
	if (g->boot_page)
		pmm_free_page(g->boot_page);
	bus_destroy(&g->bus);
	memset(g, 0, sizeof(*g));
}

int guest_create(const char *name, u64 mem, const void *image, u64 size, const char *cmdline,
		 bool huge, unsigned nr_vcpus, struct guest **out, char *err, size_t errlen)
{
	struct guest *g = NULL;
	struct mb_image mb;
	int r;

	if (!hv)
		return create_fail(err, errlen, -E_NODEV, "no hardware virtualization");
	if (!name[0] || strlen(name) >= GUEST_NAME_MAX)
		return create_fail(err, errlen, -E_INVAL, "bad name (1-%d bytes)", GUEST_NAME_MAX - 1);
	if (guest_find_name(name))
		return create_fail(err, errlen, -E_EXIST, "a guest named %s exists", name);
	if (mem < MiB(2) || mem > GiB(1024) || !IS_ALIGNED(mem, PAGE_SIZE))
		return create_fail(err, errlen, -E_INVAL, "mem must be 2M..1T in whole pages");
	if (nr_vcpus < 1 || nr_vcpus > GUEST_MAX_VCPUS)
		return create_fail(err, errlen, -E_INVAL, "vcpus must be 1..%d", GUEST_MAX_VCPUS);
	if (strlen(cmdline) >= GUEST_CMDLINE_MAX)
		return create_fail(err, errlen, -E_INVAL, "cmdline longer than %d bytes",
				   GUEST_CMDLINE_MAX - 1);
	char why[96];
	if (mb_parse(image, size, mem, &mb, why, sizeof(why)))
		return create_fail(err, errlen, -E_INVAL, "bad image: %s", why);
	for (unsigned k = 0; k < GUEST_MAX; k++)
		if (!guests[k].in_use) {
			g = &guests[k];
			break;
		}
	if (!g)
		return create_fail(err, errlen, -E_BUSY, "all %d guest slots in use", GUEST_MAX);

	memset(g, 0, sizeof(*g));
	g->free_pages_at_create = pmm_free_count();
	g->id = 1;
	while (guest_find_id(g->id)) /* the lowest id not in use: ids are reusable */
		g->id++;
	g->in_use = true;
	memcpy(g->name, name, strlen(name) + 1);
	memcpy(g->cmdline, cmdline, strlen(cmdline) + 1);
	g->mem_size = mem;
	g->state = GUEST_CREATED;
	g->nr_vcpus = nr_vcpus;
	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];
		v->guest = g;
		v->id = i;
		fxsave_init(&v->fpu);
		v->dbg.dr6 = 0xffff0ff0; /* the power-on value */
	}

	g->mmu = tdp_mmu_create(hv->tdp_fmt);
	if (!g->mmu) {
		guest_release(g, NULL);
		return create_fail(err, errlen, -E_NOMEM, "out of host memory");
	}
	tdp_mmu_set_flush(g->mmu, guest_flush_cb, g);
	/* huge: back RAM with 2 MiB / 1 GiB blocks mapped by huge leaves (a
	 * touched byte then costs its whole block); else 4 KiB pages. */
	r = tdp_memslot_add(g->mmu, 0, mem, huge ? MEMSLOT_HUGE : 0);
	if (r < 0)
		goto fail;
	g->ram_slot = r;
	/* Image and boot information are copied in page by page at first touch;
	 * a segment that is all bss (no file bytes) needs nothing: fresh pages
	 * are zero. */
	for (unsigned i = 0; i < mb.nr_seg; i++) {
		if (!mb.seg[i].filesz)
			continue;
		r = tdp_memslot_prefill(g->mmu, mb.seg[i].gpa, (const u8 *)image + mb.seg[i].file_off,
					mb.seg[i].filesz);
		if (r)
			goto fail;
	}
	g->boot_page = pmm_alloc_page();
	if (!g->boot_page) {
		r = -E_NOMEM;
		goto fail;
	}
	mb_build_info(phys_to_virt(g->boot_page), mem, cmdline);
	vcpu_state_flat_gdt((u8 *)phys_to_virt(g->boot_page) + MB_GDT_OFF);
	r = tdp_memslot_prefill(g->mmu, MB_INFO_GPA, phys_to_virt(g->boot_page), PAGE_SIZE);
	if (r)
		goto fail;
	/* Every vCPU gets the Multiboot machine state, with the GDT at the end
	 * of the info page; the others' registers are set again when
	 * HC_VCPU_START starts them. */
	struct vcpu_state st;
	vcpu_state_multiboot(&st, (u32)mb.entry, MB_BOOT_MAGIC, MB_INFO_GPA, MB_GDT_GPA);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];
		v->hw.tag = tag_alloc();
		vcpu_make_loaded(v);
		r = hv->vcpu_create(&v->hw, &st, tdp_mmu_root_pa(g->mmu));
		if (r)
			goto fail;
	}
	/* The PC devices every guest has: COM1 and the debug-exit port. */
	r = uart16550_add(&g->bus, 0x3f8);
	if (!r)
		r = debug_exit_add(&g->bus, 0xf4);
	if (r)
		goto fail;
	g->vcpus[0].started = g->vcpus[0].runnable = true;
	pr_info("vmm", "guest %s created: id=%u mem=%luM%s vcpus=%u entry=0x%lx image=%lu bytes "
		"cmdline=\"%s\"", g->name, g->id, mem >> 20, huge ? " (huge pages)" : "", nr_vcpus,
		mb.entry, size, cmdline);
	*out = g;
	return 0;
fail:
	guest_release(g, NULL);
	return create_fail(err, errlen, r, "cannot set up guest memory (%s)",
			   r == -E_NOMEM ? "out of host memory" : "bad layout");
}

int guest_vcpu_start(struct guest *g, unsigned id, u64 entry, u64 arg)
{
	if (id == 0 || id >= g->nr_vcpus || entry >= MIN(g->mem_size, GiB(4)))
		return -E_INVAL;
	struct vcpu *v = &g->vcpus[id];
	if (v->started)
		return -E_BUSY;
	v->hw.regs.rip = entry;
	v->hw.regs.rax = id;
	v->hw.regs.rbx = arg;
	v->hw.regs.rflags = 0x2;
	v->started = v->runnable = true;
	pr_info("vmm", "guest %s: vcpu %u started at 0x%lx", g->name, id, entry);
	return 0;
}

int guest_start(struct guest *g)
{
	if (g->state != GUEST_CREATED)
		return -E_BUSY;
	g->state = GUEST_RUNNING;
	g->start_tsc = rdtsc();
	pr_info("vmm", "guest %s started", g->name);
	return 0;
}

int guest_stop(struct guest *g)
{
	if (g->state != GUEST_RUNNING)
		return -E_BUSY;
	g->state = GUEST_STOPPED;
	return 0;
}

int guest_resume(struct guest *g)
{
	if (g->state != GUEST_STOPPED)
		return -E_BUSY;
	g->state = GUEST_RUNNING;
	return 0;
}

static void guest_end(struct guest *g)
{
	g->end_tsc = rdtsc();
	guest_output_flush(g);
}

void guest_exit(struct guest *g, int status)
{
	if (g->state != GUEST_RUNNING)
		return;
	guest_end(g);
	g->state = GUEST_EXITED;
	g->exit_status = status;
	pr_info("vmm", "guest %s exited: status=%d after %lu exits in %lu us", g->name, status,
		guest_exits(g), time_tsc_to_us(g->end_tsc - g->start_tsc));
	guest_event(g, GUEST_EVENT_EXITED);
}

void guest_crash(struct guest *g, const char *fmt, ...)
{
	va_list ap;
	if (g->state != GUEST_RUNNING)
		return;
	guest_end(g);
	g->state = GUEST_CRASHED;
	va_start(ap, fmt);
	vsnprintf(g->crash_reason, sizeof(g->crash_reason), fmt, ap);
	va_end(ap);
	pr_err("vmm", "guest %s ended by the VMM: %s (after %lu exits)", g->name, g->crash_reason,
	       guest_exits(g));
	guest_event(g, GUEST_EVENT_CRASHED);
}

/*
 * Run one VM exit's worth of V: load it on this CPU if another vCPU was,
 * flush if the TDP MMU asked, enter the guest, pass the grace-period
 * quiescent point, handle the exit, and queue again an event whose
 * delivery the exit cut short.  Returns the kind of the exit
 * (VM_EXIT_INVALID too when the world switch itself failed).
 */
enum vm_exit_kind vcpu_run_once(struct vcpu *v)
{
	struct vm_exit e;
	vcpu_make_loaded(v);
	/*
	 * VM entry and exit switch neither x87/SSE state nor DR0-3 (nor DR6
	 * on VMX), and the VMM itself never touches them (it is built
	 * -mgeneral-regs-only and sets no breakpoints), so the registers hold
	 * the state of the vCPU that ran last: switch it lazily when another
	 * vCPU runs, so no guest sees or changes another's.
	 */
	if (fpu_owner != v) {
		if (fpu_owner) {
			fxsave(&fpu_owner->fpu);
			debug_regs_save(&fpu_owner->dbg);
		}
		fxrstor(&v->fpu);
		debug_regs_load(&v->dbg);
		fpu_owner = v;
	}
	if (v->flush_pending) {
		v->flush_pending = false;
		hv->flush_tlb(&v->hw);
	}
	v->guest->cur = v;
	int r = hv->vcpu_run(&v->hw, &e);
	tdp_mmu_quiescent(0);
	if (r) {
		guest_crash(v->guest, "world switch failed (%d)", r);
		return VM_EXIT_INVALID;
	}
	exit_handle(v, &e);
	/* The backend reports an interrupted delivery (an exception whose IDT
	 * or stack page faulted in the nested tables, an interrupt cut by an
	 * exit); it goes in again before the next entry. */
	if (e.interrupted.valid && v->guest->state == GUEST_RUNNING) {
		r = hv->inject_event(&v->hw, &e.interrupted);
		if (r)
			pr_err("vmm", "guest %s: vcpu %u: interrupted event (vector %u) not re-injected "
			       "(%d)", v->guest->name, v->id, e.interrupted.vector, r);
	}
	return e.kind;
}

void guest_destroy(struct guest *g)
{
	struct tdp_teardown_stats st = {0};
	char name[GUEST_NAME_MAX];
	u64 at_create = g->free_pages_at_create;

	if (g->state == GUEST_RUNNING || g->state == GUEST_STOPPED) {
		guest_end(g);
		g->state = GUEST_CRASHED;
		snprintf(g->crash_reason, sizeof(g->crash_reason), "destroyed while running");
	}
	memcpy(name, g->name, sizeof(name));
	enum tdp_teardown_mode mode = tdp_get_teardown_mode();
	guest_release(g, &st);
	pr_info("vmm", "guest %s destroyed: mode=%s tables=%lu visited=%lu skipped=%lu changed=%lu "
		"tables_freed=%lu pages_freed=%lu us=%lu free_pages=%lu (at create %lu)",
		name, tdp_teardown_mode_name(mode), st.tables, st.visited, st.skipped, st.changed,
		st.tables_freed, st.pages_freed, st.time_us, pmm_free_count(), at_create);
}
