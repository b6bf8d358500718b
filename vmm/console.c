/*
 * Console commands (see vmm/console.h).  Parsing is in vmm/cmdparse.c;
 * this file decides what each command does and prints its result line.
 */
#include "vmm/console.h"
#include "arch/x86/cpu.h"
#include "arch/x86/serial.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "vmm/cmdparse.h"
#include "vmm/guest.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

static struct boot_info *boot;

/* The test guest built into the image (Makefile: build/obj/testguest.o). */
extern const u8 testguest_image_start[] __attribute__((visibility("hidden")));
extern const u8 testguest_image_end[] __attribute__((visibility("hidden")));

void console_init(struct boot_info *bi) { boot = bi; }

static void out_line(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	log_raw(buf, n);
}

static void reply(const char *fmt, ...) __printf(1, 2);
static void reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_line(fmt, ap);
	va_end(ap);
}

void console_event(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_line(fmt, ap);
	va_end(ap);
}

/* The image named by image=: "test" (built in) or a file from \pagoda\. */
static bool find_image(const char *path, const void **data, u64 *size)
{
	if (strcmp(path, "test") == 0) {
		*data = testguest_image_start;
		*size = (u64)(testguest_image_end - testguest_image_start);
		return true;
	}
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (unsigned i = 0; boot && i < boot->nr_files; i++) {
		if (strcmp(boot->files[i].name, base) == 0) {
			*data = boot->files[i].data;
			*size = boot->files[i].size;
			return true;
		}
	}
	return false;
}

static bool check_keys(const struct cmd_line *c, const char *const *allowed, unsigned npos)
{
	for (unsigned i = 0; i < c->nr_args; i++) {
		const char *k = c->args[i].key;
		if (!k) {
			if (npos-- == 0) {
				reply("err %s unexpected argument \"%s\"", c->cmd, c->args[i].value);
				return false;
			}
			continue;
		}
		bool ok = false;
		for (unsigned j = 0; allowed && allowed[j]; j++)
			if (strcmp(k, allowed[j]) == 0)
				ok = true;
		if (!ok) {
			reply("err %s unknown key \"%s\"", c->cmd, k);
			return false;
		}
	}
	return true;
}

/* The guest named by the first positional argument, or an err line. */
static struct guest *arg_guest(const struct cmd_line *c)
{
	const char *n = cmd_pos(c, 0);
	if (!n) {
		reply("err %s missing guest name", c->cmd);
		return NULL;
	}
	struct guest *g = guest_find(n);
	if (!g)
		reply("err %s no guest \"%s\"", c->cmd, n);
	return g;
}

static void cmd_create(const struct cmd_line *c)
{
	static const char *const keys[] = {"mem", "image", "cmdline", "vcpus", "huge", NULL};
	if (!check_keys(c, keys, 1))
		return;
	const char *name = cmd_pos(c, 0), *mem_s = cmd_get(c, "mem"), *img = cmd_get(c, "image");
	const char *cmdline = cmd_get(c, "cmdline"), *vcpus = cmd_get(c, "vcpus");
	const char *huge = cmd_get(c, "huge");
	u64 mem, nv;
	if (!name || !mem_s || !img) {
		reply("err create usage: create NAME mem=SIZE image=PATH|test [cmdline=\"...\"] "
		      "[huge=0|1]");
		return;
	}
	if (parse_size(mem_s, &mem)) {
		reply("err create bad size \"%s\"", mem_s);
		return;
	}
	nv = 1;
	if (vcpus && (parse_u64(vcpus, &nv) || nv < 1 || nv > GUEST_MAX_VCPUS)) {
		reply("err create vcpus must be 1..%d", GUEST_MAX_VCPUS);
		return;
	}
	if (huge && strcmp(huge, "0") != 0 && strcmp(huge, "1") != 0) {
		reply("err create huge must be 0 or 1");
		return;
	}
	const void *data;
	u64 size;
	if (!find_image(img, &data, &size)) {
		reply("err create no image \"%s\" (test, or a file in \\pagoda\\ on the ESP)", img);
		return;
	}
	struct guest *g;
	char err[160];
	bool use_huge = huge && strcmp(huge, "1") == 0;
	if (guest_create(name, mem, data, size, cmdline ? cmdline : "", use_huge, (unsigned)nv, &g,
			 err, sizeof(err))) {
		reply("err create %s", err);
		return;
	}
	reply("ok create name=%s id=%u mem=%luM huge=%d vcpus=%u", g->name, g->id,
	      g->mem_size >> 20, use_huge, g->nr_vcpus);
}

static void cmd_start(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 1))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	if (guest_start(g)) {
		reply("err start guest %s is %s", g->name, guest_state_name(g->state));
		return;
	}
	reply("ok start name=%s", g->name);
}

static void cmd_stop_resume(const struct cmd_line *c, bool stop)
{
	if (!check_keys(c, NULL, 1))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	enum guest_state from = stop ? GUEST_RUNNING : GUEST_STOPPED;
	if (g->state != from) {
		reply("err %s guest %s is %s", c->cmd, g->name, guest_state_name(g->state));
		return;
	}
	g->state = stop ? GUEST_STOPPED : GUEST_RUNNING;
	reply("ok %s name=%s state=%s", c->cmd, g->name, guest_state_name(g->state));
}

static void cmd_wait(const struct cmd_line *c)
{
	static const char *const keys[] = {"timeout", NULL};
	if (!check_keys(c, keys, 1))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	u64 timeout_s = 0;
	const char *t = cmd_get(c, "timeout");
	if (t && parse_u64(t, &timeout_s)) {
		reply("err wait bad timeout \"%s\"", t);
		return;
	}
	if (g->state == GUEST_CREATED || g->state == GUEST_STOPPED) {
		reply("err wait guest %s is %s", g->name, guest_state_name(g->state));
		return;
	}
	u64 deadline = timeout_s ? time_us() + timeout_s * 1000000 : 0;
	while (g->state == GUEST_RUNNING) {
		sched_step();
		if (deadline && time_us() > deadline) {
			reply("err wait timeout after %lus, guest %s still running", timeout_s,
			      g->name);
			return;
		}
	}
	if (g->state == GUEST_EXITED)
		reply("ok wait name=%s state=exited status=%d", g->name, g->exit_status);
	else
		reply("ok wait name=%s state=%s reason=\"%s\"", g->name, guest_state_name(g->state),
		      g->crash_reason);
}

static void cmd_destroy(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 1))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	char name[GUEST_NAME_MAX];
	memcpy(name, g->name, sizeof(name));
	guest_destroy(g);
	reply("ok destroy name=%s free_pages=%lu", name, pmm_free_count());
}

static void cmd_mem(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 0))
		return;
	u64 f = pmm_free_count(), t = pmm_total_count();
	reply("ok mem free_pages=%lu used_pages=%lu total_pages=%lu free_mib=%lu", f, t - f, t,
	      f >> 8);
}

static void cmd_list(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 0))
		return;
	unsigned n = 0;
	struct guest *g;
	while ((g = guest_at(n)) != NULL) {
		u64 up = 0;
		if (g->start_tsc)
			up = time_tsc_to_us((g->end_tsc ? g->end_tsc : rdtsc()) - g->start_tsc);
		reply("guest name=%s id=%u state=%s mem=%luM vcpus=%u exits=%lu uptime_ms=%lu",
		      g->name, g->id, guest_state_name(g->state), g->mem_size >> 20, g->nr_vcpus,
		      guest_exits(g), up / 1000);
		n++;
	}
	reply("ok list count=%u", n);
}

static void cmd_stats(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 1))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	struct tdp_mmu_stats s;
	tdp_mmu_get_stats(g->mmu, &s);
	reply("ok stats name=%s exits=%lu io=%lu cpuid=%lu msr=%lu hypercall=%lu tdp_fault=%lu "
	      "tdp_mmio=%lu virt_insn=%lu tables=%lu leaves_4k=%lu leaves_2m=%lu leaves_1g=%lu "
	      "faults=%lu retries=%lu splits=%lu dirty_faults=%lu mmio_entries=%lu "
	      "backing_pages=%lu",
	      g->name, guest_exits(g), guest_exits_of(g, VM_EXIT_IO),
	      guest_exits_of(g, VM_EXIT_CPUID),
	      guest_exits_of(g, VM_EXIT_MSR_READ) + guest_exits_of(g, VM_EXIT_MSR_WRITE),
	      guest_exits_of(g, VM_EXIT_HYPERCALL), guest_exits_of(g, VM_EXIT_TDP_FAULT),
	      guest_exits_of(g, VM_EXIT_TDP_MISCONFIG), guest_exits_of(g, VM_EXIT_VIRT_INSN),
	      s.tables, s.leaves_4k, s.leaves_2m, s.leaves_1g, s.faults, s.retries, s.splits,
	      s.dirty_faults, s.mmio_entries, s.backing_pages);
}

/*
 * dirtylog NAME on|harvest|off: the TDP MMU's dirty log of the guest's RAM,
 * as a snapshot or live-migration tool would drive it.  "on" write-protects
 * the guest's memory and records every page written from then on;
 * "harvest" reports the pages written since "on" or the last harvest (the
 * count and the first and last dirty GPA) and protects them again; "off"
 * stops logging.  Works in any state but destroyed.
 */
static void cmd_dirtylog(const struct cmd_line *c)
{
	if (!check_keys(c, NULL, 2))
		return;
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	const char *op = cmd_pos(c, 1);
	if (!op || (strcmp(op, "on") && strcmp(op, "off") && strcmp(op, "harvest"))) {
		reply("err dirtylog usage: dirtylog NAME on|harvest|off");
		return;
	}
	if (strcmp(op, "on") == 0 || strcmp(op, "off") == 0) {
		bool on = op[1] == 'n';
		if (on == g->dirty_logging) {
			reply("err dirtylog dirty logging of %s is already %s", g->name, op);
			return;
		}
		int r = on ? tdp_dirty_log_enable(g->mmu, g->ram_slot) :
			     tdp_dirty_log_disable(g->mmu, g->ram_slot);
		if (r) {
			reply("err dirtylog %s failed (%d)", op, r);
			return;
		}
		g->dirty_logging = on;
		reply("ok dirtylog name=%s state=%s", g->name, op);
		return;
	}
	if (!g->dirty_logging) {
		reply("err dirtylog dirty logging of %s is off", g->name);
		return;
	}
	/* One bit per page of guest RAM, in pmm pages for as long as we need them. */
	u64 npages = g->mem_size >> PAGE_SHIFT;
	u64 bytes = ALIGN_UP(npages, 64) / 8;
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	u64 pa = order <= PMM_MAX_ORDER ? pmm_alloc_pages(order) : 0;
	if (!pa) {
		reply("err dirtylog no host memory for a %lu-byte bitmap", bytes);
		return;
	}
	u64 *bitmap = phys_to_virt(pa);
	s64 n = tdp_dirty_log_harvest(g->mmu, g->ram_slot, bitmap);
	u64 first = 0, last = 0;
	bool any = false;
	for (u64 i = 0; n > 0 && i < npages; i++) {
		if (bitmap[i / 64] & BIT(i % 64)) {
			if (!any)
				first = i;
			last = i;
			any = true;
		}
	}
	pmm_free_pages(pa, order);
	if (n < 0) {
		reply("err dirtylog harvest failed (%ld)", (long)n);
		return;
	}
	reply("ok dirtylog name=%s dirty_pages=%ld first=0x%lx last=0x%lx", g->name, (long)n,
	      any ? first << PAGE_SHIFT : 0, any ? last << PAGE_SHIFT : 0);
}

static void cmd_set(const struct cmd_line *c)
{
	static const char *const keys[] = {"teardown", "slice", NULL};
	if (!check_keys(c, keys, 0))
		return;
	const char *td = cmd_get(c, "teardown"), *sl = cmd_get(c, "slice");
	u64 slice_ms = 0;
	if (!td && !sl) {
		reply("err set nothing to set (teardown=noskip|skip|summary slice=MS)");
		return;
	}
	if (sl && (parse_u64(sl, &slice_ms) || slice_ms < 1 || slice_ms > 10000)) {
		reply("err set slice must be 1..10000 (milliseconds)");
		return;
	}
	if (td) {
		enum tdp_teardown_mode m;
		if (strcmp(td, "noskip") == 0)
			m = TDP_TEARDOWN_NOSKIP;
		else if (strcmp(td, "skip") == 0)
			m = TDP_TEARDOWN_SKIP;
		else if (strcmp(td, "summary") == 0)
			m = TDP_TEARDOWN_SUMMARY;
		else {
			reply("err set teardown must be noskip, skip or summary");
			return;
		}
		tdp_set_teardown_mode(m);
	}
	if (sl)
		sched_set_slice_us(slice_ms * 1000);
	reply("ok set teardown=%s slice=%lu", tdp_teardown_mode_name(tdp_get_teardown_mode()),
	      sched_slice_us() / 1000);
}

static void cmd_log(const struct cmd_line *c)
{
	static const char *const keys[] = {"level", "only", NULL};
	static const char *const names[] = {"err", "warn", "info", "debug"};
	if (!check_keys(c, keys, 0))
		return;
	const char *lv = cmd_get(c, "level"), *only = cmd_get(c, "only");
	if (lv) {
		unsigned i;
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (strcmp(lv, names[i]) == 0)
				break;
		if (i == ARRAY_SIZE(names)) {
			reply("err log level must be err, warn, info or debug");
			return;
		}
		log_set_level((enum log_level)i);
	}
	if (only && log_set_only(only)) {
		reply("err log only= takes up to 8 comma-separated subsystems, or all");
		return;
	}
	char buf[128];
	log_get_only(buf, sizeof(buf));
	reply("ok log level=%s only=%s", names[log_get_level()], buf);
}

static void cmd_help(const struct cmd_line *c)
{
	(void)c;
	static const char *const lines[] = {
		"  create NAME mem=SIZE image=PATH|test [cmdline=\"...\"] [huge=0|1] [vcpus=1..4]",
		"  start NAME | stop NAME | resume NAME | wait NAME [timeout=S] | destroy NAME",
		"  list | stats NAME | mem | set teardown=noskip|skip|summary slice=MS",
		"  dirtylog NAME on|harvest|off",
		"  log [level=err|warn|info|debug] [only=SUBSYS,...|all]",
		"  help | poweroff | reboot",
	};
	for (unsigned i = 0; i < ARRAY_SIZE(lines); i++)
		reply("%s", lines[i]);
	reply("ok help");
}

static __noreturn void power(bool off)
{
	struct guest *g;
	while ((g = guest_at(0)) != NULL)
		guest_destroy(g);
	pr_info("vmm", "%s (free pages %lu of %lu)", off ? "powering off" : "rebooting",
		pmm_free_count(), pmm_total_count());
	if (boot) {
		if (off && boot->poweroff)
			boot->poweroff();
		if (!off && boot->reboot)
			boot->reboot();
	}
	if (off) {
		outw(0x604, 0x2000);  /* QEMU q35 ACPI PM1a control: SLP_EN | S5 */
		outw(0xb004, 0x2000); /* Bochs / PIIX4 */
	} else {
		outb(0xcf9, 0x06);    /* reset control register: full reset */
	}
	pr_err("vmm", "%s failed; halting", off ? "poweroff" : "reboot");
	halt_forever();
}

void console_exec(const char *line, size_t len)
{
	struct cmd_line c;
	char err[80];
	if (cmd_parse(line, len, &c, err, sizeof(err))) {
		reply("err parse %s", err);
		return;
	}
	if (!c.cmd)
		return;
	if (strcmp(c.cmd, "create") == 0)
		cmd_create(&c);
	else if (strcmp(c.cmd, "start") == 0)
		cmd_start(&c);
	else if (strcmp(c.cmd, "stop") == 0)
		cmd_stop_resume(&c, true);
	else if (strcmp(c.cmd, "resume") == 0)
		cmd_stop_resume(&c, false);
	else if (strcmp(c.cmd, "wait") == 0)
		cmd_wait(&c);
	else if (strcmp(c.cmd, "destroy") == 0)
		cmd_destroy(&c);
	else if (strcmp(c.cmd, "mem") == 0)
		cmd_mem(&c);
	else if (strcmp(c.cmd, "list") == 0)
		cmd_list(&c);
	else if (strcmp(c.cmd, "stats") == 0)
		cmd_stats(&c);
	else if (strcmp(c.cmd, "set") == 0)
		cmd_set(&c);
	else if (strcmp(c.cmd, "dirtylog") == 0)
		cmd_dirtylog(&c);
	else if (strcmp(c.cmd, "log") == 0)
		cmd_log(&c);
	else if (strcmp(c.cmd, "help") == 0)
		cmd_help(&c);
	else if (strcmp(c.cmd, "poweroff") == 0) {
		reply("ok poweroff");
		power(true);
	} else if (strcmp(c.cmd, "reboot") == 0) {
		reply("ok reboot");
		power(false);
	} else
		reply("err %s unknown command (try help)", c.cmd);
}

void console_run_startup(const char *text, u64 len)
{
	u64 i = 0;
	pr_info("console", "running the startup file (%lu bytes)", len);
	while (i < len) {
		u64 j = i;
		while (j < len && text[j] != '\n')
			j++;
		u64 n = j - i;
		if (n && !(n == 1 && text[i] == '\r')) {
			char echo[CMD_LINE_MAX + 16];
			int m = snprintf(echo, sizeof(echo), "pagoda> %.*s\n", (int)MIN(n, CMD_LINE_MAX),
					 text + i);
			log_raw(echo, (size_t)MIN((u64)m, sizeof(echo) - 1));
			console_exec(text + i, n);
		}
		i = j + 1;
	}
}

/* Input typed so far; a finished line waits in it until the loop runs it. */
static char in_line[CMD_LINE_MAX];
static size_t in_len;
static bool in_ready, in_overflow;

bool console_poll(void)
{
	int ch;
	while (!in_ready && (ch = serial_getc()) >= 0) {
		if (ch == '\r' || ch == '\n') {
			log_raw("\n", 1);
			in_ready = true;
		} else if (ch == 0x7f || ch == 0x08) {
			if (in_len) {
				in_len--;
				log_raw("\b \b", 3);
			}
		} else if (in_len < sizeof(in_line) - 1) {
			in_line[in_len++] = (char)ch;
			char e = (char)ch;
			log_raw(&e, 1);
		} else {
			in_overflow = true;
		}
	}
	return in_ready;
}

__noreturn void console_loop(void)
{
	log_raw("pagoda> ", 8);
	for (;;) {
		if (console_poll()) {
			char line[CMD_LINE_MAX];
			size_t n = in_len;
			bool overflow = in_overflow;
			memcpy(line, in_line, n);
			in_len = 0;
			in_overflow = false;
			in_ready = false;
			if (overflow)
				reply("err parse line too long");
			else
				console_exec(line, n);
			log_raw("pagoda> ", 8);
			continue;
		}
		if (!sched_step())
			cpu_relax();
	}
}
