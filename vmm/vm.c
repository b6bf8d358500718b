/*
 * Guests (vmm/vm.h): the table of guests, creation and destruction, the
 * state machine and its events.  vCPUs are vmm/vcpu.c's; the PC a guest
 * is made into (image, devices) is vmm/pc.c's.
 */
#include "vmm/vm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/ipi.h"
#include "arch/x86/percpu.h"
#include "lib/line_history.h"
#include "lib/log.h"
#include "lib/regex.h"
#include "lib/string.h"
#include "lib/time.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "vmm/xcpu.h"

/* From a page boundary: slot 0's head and vCPU 0 (what an exit reads of
 * struct guest, vmm/vm.h) then share one page. */
static struct guest guests[GUEST_MAX] __aligned(4096);
static guest_event_fn event_sink; /* the console's, once it subscribed */
static guest_raw_fn raw_sink;     /* where attached output goes (the console's) */
/* CPUs holding a reference to the guest in each slot (guest_get).  Kept
 * outside struct guest: a slot being cleared or reused must not clear a
 * count another CPU is about to drop. */
static u32 guest_users[GUEST_MAX];
/* Per host CPU: 1 while it idles in HLT (guest_cpu_idle), taken back to
 * 0 by the one that kicks it. */
static u32 cpu_idle[MAX_CPUS];

void guest_set_event_sink(guest_event_fn fn) { event_sink = fn; }

static void guest_event(struct guest *g, enum guest_event ev)
{
	if (event_sink)
		event_sink(g, ev);
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

struct guest *guest_slot(unsigned k) { return &guests[k]; }

/* The reference handshake of vmm/xcpu.h: the count is raised before the
 * state is read; stop and destroy store the state before they read the
 * count. */
bool guest_get(struct guest *g)
{
	u32 *users = &guest_users[g - guests];
	xcpu_ref_raise(users);
	if (__atomic_load_n(&g->state, __ATOMIC_SEQ_CST) == GUEST_RUNNING)
		return true;
	xcpu_ref_put(users);
	return false;
}

void guest_put(struct guest *g) { xcpu_ref_put(&guest_users[g - guests]); }

/* Kick the CPUs running G's vCPUs (they see G's new state at the exit). */
static void guest_kick_vcpus(struct guest *g)
{
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		vcpu_kick(&g->vcpus[i]);
}

bool guest_quiesce(struct guest *g)
{
	u32 *users = &guest_users[g - guests];
	if (xcpu_refs_gone(users))
		return false;
	while (!xcpu_refs_gone(users)) {
		guest_kick_vcpus(g);
		u64 until = time_ns() + 100000; /* kick again every 100 us */
		while (!xcpu_refs_gone(users) && time_ns() < until)
			cpu_relax();
	}
	return true;
}

void guest_cpu_idle(unsigned cpu, bool on) { xcpu_idle_set(&cpu_idle[cpu], on); }

void guest_wake_cpus(struct guest *g)
{
	for (unsigned c = 1; c < MAX_CPUS; c++)
		if ((g->cpu_mask & BIT(c)) && xcpu_idle_take(&cpu_idle[c])) {
			ipi_send(c, IPI_KICK_VECTOR);
			return;
		}
}

bool guest_vcpu_wants_cpu(const struct vcpu *v)
{
	return (v->runnable || v->apic_signal) && !xcpu_owner(&v->running_on);
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

/* mm/'s flush callback (after a zap or a write-protect): a remote TLB
 * shootdown over G's vCPUs, returning once none can use a stale entry. */
static void guest_flush_cb(void *arg)
{
	struct guest *g = arg;
	vcpu_flush_all(g->vcpus, g->nr_vcpus);
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
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		vcpu_release(&g->vcpus[i]);
	if (g->mmu)
		tdp_mmu_destroy(g->mmu, st);
	for (unsigned i = 0; i < g->nr_boot_pages; i++)
		pmm_free_page(g->boot_pages[i]);
	bus_destroy(&g->bus);
	memset(g, 0, sizeof(*g));
}

void guest_discard(struct guest *g) { guest_release(g, NULL); }

int guest_create(const char *name, u64 mem, bool huge, const char *cmdline, unsigned nr_vcpus,
		 struct guest **out, char *err, size_t errlen)
{
	struct guest *g = NULL;
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
	g->cpu_mask = ~0ULL;
	g->state = GUEST_CREATED;
	g->nr_vcpus = nr_vcpus;
	for (unsigned i = 0; i < nr_vcpus; i++)
		vcpu_init(&g->vcpus[i], g, i);

	g->mmu = tdp_mmu_create(hv->tdp_fmt);
	if (!g->mmu) {
		guest_release(g, NULL);
		return create_fail(err, errlen, -E_NOMEM, "out of host memory");
	}
	tdp_mmu_set_flush(g->mmu, guest_flush_cb, g);
	/* huge: back RAM with 2 MiB / 1 GiB blocks mapped by huge leaves (a
	 * touched byte then costs its whole block); else 4 KiB pages. */
	r = tdp_memslot_add(g->mmu, 0, mem, huge ? MEMSLOT_HUGE : 0);
	if (r < 0) {
		guest_release(g, NULL);
		return create_fail(err, errlen, r, "cannot set up guest memory (%s)",
				   r == -E_NOMEM ? "out of host memory" : "bad layout");
	}
	g->ram_slot = r;
	g->out_budget = GUEST_OUT_RING;
	g->out_refill_tsc = rdtsc();
	*out = g;
	return 0;
}

int guest_place(struct guest *g, u64 gpa, const void *src, u64 len)
{
	return tdp_memslot_prefill(g->mmu, gpa, src, len);
}

void *guest_boot_page(struct guest *g)
{
	if (g->nr_boot_pages == GUEST_MAX_BOOT_PAGES)
		return NULL;
	u64 pa = pmm_alloc_page();
	if (!pa)
		return NULL;
	g->boot_pages[g->nr_boot_pages++] = pa;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return phys_to_virt(pa);
}

int guest_reserve_memory(struct guest *g)
{
	u64 pages = g->mem_size >> PAGE_SHIFT;
	/* Backing, plus about one table and one radix node per 512 pages. */
	u64 need = pages + 2 * (pages / 512) + 16;
	if (pmm_free_count() < pmm_guest_reserve() + need)
		return -E_NOMEM;
	struct tdp_mmu_cache *cache = &g->vcpus[0].mmu_cache;
	for (u64 gpa = 0; gpa < g->mem_size; gpa += PAGE_SIZE) {
		if (tdp_mmu_cache_topup(cache))
			return -E_NOMEM;
		enum tdp_fault_result r =
			tdp_mmu_page_fault(g->mmu, cache, gpa, TDP_ACC_READ | TDP_ACC_WRITE);
		if (r != TDP_FAULT_MAPPED && r != TDP_FAULT_SPURIOUS)
			return -E_NOMEM;
	}
	return 0;
}

int guest_setup_vcpus(struct guest *g, const struct vcpu_state *st)
{
	for (unsigned i = 0; i < g->nr_vcpus; i++) {
		int r = vcpu_create(&g->vcpus[i], st, tdp_mmu_root_pa(g->mmu));
		if (r)
			return r;
	}
	g->vcpus[0].started = g->vcpus[0].runnable = true;
	/* The others wait for INIT-SIPI-SIPI, as application processors do
	 * after reset (or for HC_VCPU_START). */
	for (unsigned i = 1; i < g->nr_vcpus; i++)
		g->vcpus[i].wait_sipi = true;
	return 0;
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
	v->wait_sipi = false;
	guest_wake_cpus(g);
	pr_info("vmm", "guest %s: vcpu %u started at 0x%lx", g->name, id, entry);
	return 0;
}

int guest_start(struct guest *g)
{
	vlock_take(&g->lock);
	if (g->state != GUEST_CREATED) {
		vlock_give(&g->lock);
		return -E_BUSY;
	}
	g->start_tsc = rdtsc();
	__atomic_store_n(&g->state, GUEST_RUNNING, __ATOMIC_SEQ_CST);
	vlock_give(&g->lock);
	pr_info("vmm", "guest %s started", g->name);
	guest_wake_cpus(g);
	return 0;
}

int guest_stop(struct guest *g)
{
	vlock_take(&g->lock);
	if (g->state != GUEST_RUNNING) {
		vlock_give(&g->lock);
		return -E_BUSY;
	}
	__atomic_store_n(&g->state, GUEST_STOPPED, __ATOMIC_SEQ_CST);
	vlock_give(&g->lock);
	(void)guest_quiesce(g); /* stopped means: on no CPU */
	return 0;
}

int guest_resume(struct guest *g)
{
	vlock_take(&g->lock);
	if (g->state != GUEST_STOPPED) {
		vlock_give(&g->lock);
		return -E_BUSY;
	}
	__atomic_store_n(&g->state, GUEST_RUNNING, __ATOMIC_SEQ_CST);
	vlock_give(&g->lock);
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		guest_wake_cpus(g);
	return 0;
}

/* --- console output ------------------------------------------------------ */

void guest_output_line(struct guest *g, unsigned vcpu_id, const char *line, size_t len)
{
	len = MIN(len, (size_t)255);
	if (GUEST_OUT_RING - (g->out_head - g->out_tail) < len + 2) {
		g->out_dropped += len + 1; /* and its newline */
		return;
	}
	u8 rec[2] = {(u8)vcpu_id, (u8)len};
	for (size_t i = 0; i < len + 2; i++)
		g->out_ring[(g->out_head + i) % GUEST_OUT_RING] = i < 2 ? rec[i] : (u8)line[i - 2];
	g->out_head += (u32)len + 2;
}

/* Does LINE (LEN bytes) contain the NUL-terminated NEEDLE? */
static bool line_contains(const char *line, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(line + i, needle, n) == 0)
			return true;
	return false;
}

/* Does LINE (LEN bytes) contain TEXT (when not NULL) or match RE (when not
 * NULL)? */
static bool line_wanted(const char *line, size_t len, const char *text, const struct regex *re)
{
	if (text && text[0] && line_contains(line, len, text))
		return true;
	return re && regex_search(re, line, len) == 1;
}

/* LINE (LEN bytes) as the line an expect of G found (cut to fit). */
static void keep_expect_line(struct guest *g, const char *line, size_t len)
{
	len = MIN(len, sizeof(g->expect_line) - 1);
	memcpy(g->expect_line, line, len);
	g->expect_line[len] = 0;
}

/* What guest_recent_match looks for: a text and/or a pattern. */
struct recent_want {
	const char *text;
	const struct regex *re;
};

/* line_want_fn of guest_recent_match. */
static bool recent_wanted(const char *line, size_t len, void *ctx)
{
	struct recent_want *w = ctx;
	return line_wanted(line, len, w->text, w->re);
}

void guest_recent_clear(struct guest *g)
{
	vlock_take(&g->lock);
	line_history_clear(&g->recent);
	vlock_give(&g->lock);
}

bool guest_recent_match(struct guest *g, const char *text, const struct regex *re)
{
	struct recent_want w = {.text = text, .re = re};
	vlock_take(&g->lock);
	bool r = line_history_take(&g->recent, recent_wanted, &w, g->expect_line,
				   sizeof(g->expect_line));
	vlock_give(&g->lock);
	return r;
}

void guest_set_raw_sink(guest_raw_fn fn) { raw_sink = fn; }

void guest_output_raw(struct guest *g, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (g->raw_head - g->raw_tail == GUEST_RAW_RING) {
			g->raw_dropped += n - i;
			return;
		}
		g->raw_ring[g->raw_head++ % GUEST_RAW_RING] = (u8)s[i];
	}
}

/* Refill G's output budget for the time passed: GUEST_OUT_RATE bytes a
 * second, up to one ring (no clock: no limit). */
static void output_refill(struct guest *g)
{
	u64 now = rdtsc(), khz = time_tsc_khz();
	if (khz && now > g->out_refill_tsc) {
		u64 add = (now - g->out_refill_tsc) * GUEST_OUT_RATE / (khz * 1000);
		if (add) {
			g->out_budget = MIN(g->out_budget + add, (u64)GUEST_OUT_RING);
			g->out_refill_tsc = now;
		}
	} else if (!khz) {
		g->out_budget = GUEST_OUT_RING; /* no clock: no rate */
	}
}

/* Give G's queued raw bytes to the raw sink, within its budget (FORCE:
 * all), in at most two pieces per call of the sink. */
static void guest_raw_drain(struct guest *g, bool force)
{
	while (g->raw_tail != g->raw_head && (force || g->out_budget)) {
		u32 off = g->raw_tail % GUEST_RAW_RING;
		u32 n = MIN(g->raw_head - g->raw_tail, GUEST_RAW_RING - off);
		if (!force)
			n = (u32)MIN((u64)n, g->out_budget);
		if (raw_sink)
			raw_sink((const char *)g->raw_ring + off, n);
		g->raw_tail += n;
		g->out_budget -= MIN(g->out_budget, (u64)n);
	}
}

/*
 * Write G's queued lines to the log: while its budget lasts (FORCE: all of
 * them, at its end).  The budget refills at GUEST_OUT_RATE bytes a second
 * up to one ring.  Dropped bytes are reported once the ring is empty.  A
 * vCPU's partial line quiet for GUEST_PARTIAL_FLUSH_NS (a shell prompt;
 * the vCPU must have had GUEST_PARTIAL_FLUSH_EXITS exits or be asleep
 * since) is queued as a line first; the rest of it, if it comes, starts a
 * new one.  Each line written goes to G's recent lines too, unless it is the one a
 * waiting expect was looking for.
 */
static void guest_output_drain(struct guest *g, bool force)
{
	output_refill(g);
	if (!g->attached) {
		u64 now_ns = time_ns();
		for (unsigned i = 0; i < g->nr_vcpus; i++) {
			struct vcpu *v = &g->vcpus[i];
			/* Quiet means: the time passed and the vCPU ran on
			 * (a few exits: the LSR read of its next byte is one)
			 * or sleeps since, so a host that stalled the machine
			 * mid-line does not cut the line. */
			if (v->out_len && now_ns - v->out_last_ns >= GUEST_PARTIAL_FLUSH_NS &&
			    (v->exits - v->out_last_exits >= GUEST_PARTIAL_FLUSH_EXITS || !v->runnable))
				vcpu_console_flush(v);
		}
	}
	guest_raw_drain(g, force);
	while (g->out_tail != g->out_head) {
		u8 id = g->out_ring[g->out_tail % GUEST_OUT_RING];
		u8 len = g->out_ring[(g->out_tail + 1) % GUEST_OUT_RING];
		if (!force && g->out_budget < (u64)len + 1)
			break;
		char line[256], sub[GUEST_NAME_MAX + 16];
		for (unsigned i = 0; i < len; i++)
			line[i] = (char)g->out_ring[(g->out_tail + 2 + i) % GUEST_OUT_RING];
		g->out_tail += (u32)len + 2;
		g->out_budget -= MIN(g->out_budget, (u64)len + 1);
		if (id)
			snprintf(sub, sizeof(sub), "guest %s/%u", g->name, id);
		else
			snprintf(sub, sizeof(sub), "guest %s", g->name);
		log_msg(sub, "%.*s", (int)len, line);
		if (!g->expect_seen && line_wanted(line, len, g->expect, g->expect_re)) {
			g->expect_seen = true;
			keep_expect_line(g, line, len);
		} else
			line_history_add(&g->recent, line, len);
	}
	if (g->out_tail == g->out_head && g->out_dropped > g->out_dropped_told) {
		pr_warn("vmm", "guest %s: %lu bytes of console output dropped (ring full; %lu in all)",
			g->name, g->out_dropped - g->out_dropped_told, g->out_dropped);
		g->out_dropped_told = g->out_dropped;
	}
}

void guest_console_attach(struct guest *g, bool on)
{
	vlock_take(&g->lock);
	if (on) {
		for (unsigned i = 0; i < g->nr_vcpus; i++)
			vcpu_console_flush(&g->vcpus[i]);
		guest_output_drain(g, true);
		g->raw_dropped = 0;
		g->attached = true;
	} else {
		guest_raw_drain(g, true);
		g->attached = false;
		line_history_clear(&g->recent); /* the session was input: expect looks from here */
	}
	vlock_give(&g->lock);
}

void guest_output_drain_all(void)
{
	for (unsigned k = 0; k < GUEST_MAX; k++)
		if (guests[k].in_use) {
			vlock_take(&guests[k].lock);
			guest_output_drain(&guests[k], false);
			vlock_give(&guests[k].lock);
		}
}

/* G ends (its lock held): the CPUs running its other vCPUs are kicked
 * out (they see the new state at the exit), and its output is written. */
static void guest_end(struct guest *g)
{
	guest_kick_vcpus(g);
	g->end_tsc = rdtsc();
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		vcpu_console_flush(&g->vcpus[i]);
	/* Its last lines come before the line that says how it ended: at most
	 * a ring's worth, once. */
	guest_output_drain(g, true);
}

/* The last step of a guest's end: its state, written after the log line
 * and the event that say how it ended, so that whoever sees the state
 * (the console's wait, on another CPU) finds them in the log before its
 * own answer. */
static void guest_set_ended(struct guest *g, enum guest_state st)
{
	__atomic_store_n(&g->state, st, __ATOMIC_SEQ_CST);
}

void guest_exit(struct guest *g, int status)
{
	if (g->state != GUEST_RUNNING)
		return;
	guest_end(g);
	g->exit_status = status;
	pr_info("vmm", "guest %s exited: status=%d after %lu exits in %lu us", g->name, status,
		guest_exits(g), time_tsc_to_us(g->end_tsc - g->start_tsc));
	guest_event(g, GUEST_EVENT_EXITED);
	guest_set_ended(g, GUEST_EXITED);
}

void guest_power_event(struct guest *g, enum guest_power what, const char *source)
{
	if (g->state != GUEST_RUNNING)
		return;
	guest_end(g);
	g->exit_status = 0;
	g->power = what;
	g->power_source = source;
	bool off = what == GUEST_POWER_OFF;
	g->policy_due = (off ? g->on_poweroff : g->on_reboot) != GUEST_POLICY_KEEP;
	pr_info("vmm", "guest %s %s by %s after %lu exits in %lu us", g->name,
		off ? "powered off" : "reset", source, guest_exits(g),
		time_tsc_to_us(g->end_tsc - g->start_tsc));
	guest_event(g, off ? GUEST_EVENT_POWEROFF : GUEST_EVENT_REBOOT);
	guest_set_ended(g, GUEST_EXITED);
}

void guest_crash(struct guest *g, const char *fmt, ...)
{
	va_list ap;
	if (g->state != GUEST_RUNNING)
		return;
	guest_end(g);
	va_start(ap, fmt);
	vsnprintf(g->crash_reason, sizeof(g->crash_reason), fmt, ap);
	va_end(ap);
	pr_err("vmm", "guest %s ended by the VMM: %s (after %lu exits)", g->name, g->crash_reason,
	       guest_exits(g));
	g->policy_due = g->on_crash != GUEST_POLICY_KEEP;
	guest_event(g, GUEST_EVENT_CRASHED);
	guest_set_ended(g, GUEST_CRASHED);
}

void guest_destroy(struct guest *g)
{
	struct tdp_teardown_stats st = {0};
	char name[GUEST_NAME_MAX];
	u64 at_create = g->free_pages_at_create;

	vlock_take(&g->lock);
	if (g->state == GUEST_RUNNING || g->state == GUEST_STOPPED) {
		guest_end(g);
		__atomic_store_n(&g->state, GUEST_CRASHED, __ATOMIC_SEQ_CST);
		snprintf(g->crash_reason, sizeof(g->crash_reason), "destroyed while running");
	}
	vlock_give(&g->lock);
	/* Nothing is freed while a CPU still runs one of its vCPUs; the line
	 * below says how long that took, when a CPU did. */
	u64 t0 = time_ns();
	char waited[32] = "";
	if (guest_quiesce(g))
		snprintf(waited, sizeof(waited), " quiesce_us=%lu", (time_ns() - t0) / 1000);
	memcpy(name, g->name, sizeof(name));
	enum tdp_teardown_mode mode = tdp_get_teardown_mode();
	guest_release(g, &st);
	pr_info("vmm", "guest %s destroyed: mode=%s tables=%lu visited=%lu skipped=%lu changed=%lu "
		"tables_freed=%lu pages_freed=%lu us=%lu tables_us=%lu%s free_pages=%lu (at create %lu)",
		name, tdp_teardown_mode_name(mode), st.tables, st.visited, st.skipped, st.changed,
		st.tables_freed, st.pages_freed, st.time_us, st.tables_time_us, waited, pmm_free_count(), at_create);
}
