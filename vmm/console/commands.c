/*
 * The console's commands: one row of console_cmds[] each, with the keys it
 * takes, how many positional arguments, its usage line (`help` prints them)
 * and its handler.  console_exec() parses the line (cmdparse.c), checks
 * keys and argument counts against the row, and calls the handler, which
 * decides what the command does and prints its one result line.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/ipi.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "lib/log.h"
#include "lib/regex.h"
#include "lib/string.h"
#include "lib/time.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "vmm/console/cmdparse.h"
#include "vmm/console/console.h"
#include "vmm/console/images.h"
#include "vmm/exit.h"
#include "vmm/intr.h"
#include "vmm/loader/image.h"
#include "vmm/pc.h"
#include "vmm/vm.h"
#include "vmm/sched.h"

#define reply console_reply

static const char *create_usage(void);

/* The guest named by the first positional argument, or an err line. */
static struct guest *arg_guest(const struct cmd_line *c)
{
	const char *n = cmd_pos(c, 0);
	if (!n) {
		reply("err %s missing guest name", c->cmd);
		return NULL;
	}
	u64 id;
	struct guest *g = parse_u64(n, &id) == 0 ? (id <= 0xffffffff ? guest_find_id((unsigned)id) : NULL)
						 : guest_find_name(n);
	if (!g)
		reply("err %s no guest \"%s\"", c->cmd, n);
	return g;
}

/* A 0|1 key of C: true and *ON (false when absent), or false after an err
 * line when its value is anything else. */
static bool flag_arg(const struct cmd_line *c, const char *key, bool *on)
{
	const char *v = cmd_get(c, key);
	*on = v && strcmp(v, "1") == 0;
	if (v && !*on && strcmp(v, "0") != 0) {
		reply("err %s %s must be 0 or 1", c->cmd, key);
		return false;
	}
	return true;
}

/*
 * The policy of create's key KEY (on_reboot=, on_poweroff=, on_crash=)
 * into *OUT: keep when absent, else "keep", "destroy", or "restart" where
 * RESTART_OK.  False after an err line for any other value.
 */
static bool policy_arg(const struct cmd_line *c, const char *key, bool restart_ok,
		       enum guest_policy *out)
{
	const char *v = cmd_get(c, key);
	*out = GUEST_POLICY_KEEP;
	if (!v || strcmp(v, "keep") == 0)
		return true;
	if (strcmp(v, "destroy") == 0) {
		*out = GUEST_POLICY_DESTROY;
		return true;
	}
	if (restart_ok && strcmp(v, "restart") == 0) {
		*out = GUEST_POLICY_RESTART;
		return true;
	}
	reply("err create %s must be keep|destroy%s, not \"%s\"", key,
	      restart_ok ? "|restart" : "", v);
	return false;
}

/* The line being run by console_exec (a create saves it for a restart). */
static const char *exec_line;
static size_t exec_len;

/* The create line of each guest that may be restarted (on_reboot=restart),
 * by guest name: a restart runs it again. */
static struct {
	char name[GUEST_NAME_MAX]; /* the guest's name; "" for a free entry */
	char line[CMD_LINE_MAX];   /* its create line, NUL-terminated */
} create_lines[GUEST_MAX];

/* The saved create line of guest NAME, or NULL. */
static const char *create_line_of(const char *name)
{
	for (unsigned i = 0; i < GUEST_MAX; i++)
		if (create_lines[i].name[0] && strcmp(create_lines[i].name, name) == 0)
			return create_lines[i].line;
	return NULL;
}

/* Remember LINE (LEN bytes) as guest NAME's create line, replacing the
 * one it had; silently not when the table is full (no restart then). */
static void save_create_line(const char *name, const char *line, size_t len)
{
	unsigned k = GUEST_MAX;
	for (unsigned i = 0; i < GUEST_MAX; i++) {
		if (create_lines[i].name[0] && strcmp(create_lines[i].name, name) == 0) {
			k = i;
			break;
		}
		if (!create_lines[i].name[0] && k == GUEST_MAX)
			k = i;
	}
	if (k == GUEST_MAX || len >= CMD_LINE_MAX)
		return;
	memcpy(create_lines[k].name, name, strlen(name) + 1);
	memcpy(create_lines[k].line, line, len);
	create_lines[k].line[len] = 0;
}

void console_run_policies(void)
{
	for (unsigned i = 0; i < GUEST_MAX; i++) {
		struct guest *g = guest_at(i);
		if (!g)
			return;
		if (!g->policy_due)
			continue;
		g->policy_due = false;
		enum guest_policy p = g->state == GUEST_CRASHED ? g->on_crash :
				      g->power == GUEST_POWER_OFF ? g->on_poweroff : g->on_reboot;
		char name[GUEST_NAME_MAX], line[CMD_LINE_MAX];
		memcpy(name, g->name, sizeof(name));
		const char *saved = create_line_of(name);
		if (p == GUEST_POLICY_RESTART && !saved)
			p = GUEST_POLICY_DESTROY;
		if (saved)
			memcpy(line, saved, strlen(saved) + 1);
		guest_destroy(g);
		if (p == GUEST_POLICY_DESTROY) {
			reply("event guest %s destroyed by policy free_pages=%lu", name,
			      pmm_free_count());
		} else {
			console_exec(line, strlen(line));
			struct guest *n = guest_find_name(name);
			if (n && !guest_start(n))
				reply("event guest %s restarted id=%u", name, n->id);
			else
				reply("event guest %s not restarted", name);
		}
		i = (unsigned)-1; /* the table changed: look again from the start */
	}
}

/*
 * The modules of `create ... module=FILE[,FILE...]`: each FILE found like
 * an image (images.h), its string the file name.  NAMES holds a copy of
 * the list split at the commas (NAMES_LEN bytes).  The count, or -1 after
 * an err line (unknown file, empty name, too many, list too long).
 */
static int module_args(const char *list, char *names, size_t names_len, struct load_module *mods)
{
	if (!list)
		return 0;
	size_t len = strlen(list);
	if (len + 1 > names_len) {
		reply("err create module list too long");
		return -1;
	}
	memcpy(names, list, len + 1);
	int n = 0;
	for (char *p = names;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (!*p) {
			reply("err create module=: empty file name");
			return -1;
		}
		if (n == LOAD_MAX_MODULES) {
			reply("err create at most %d modules", LOAD_MAX_MODULES);
			return -1;
		}
		if (!image_find(p, &mods[n].data, &mods[n].size)) {
			reply("err create no module \"%s\" (a file in \\pagoda\\ on the ESP)", p);
			return -1;
		}
		mods[n++].string = p;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

/*
 * create's cpus=LIST: host CPU numbers and ranges ("1", "0,2", "1-3"),
 * each online, into *MASK.  false, with an err reply, for a bad list.
 */
static bool cpus_arg(const char *list, u64 *mask)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		u64 lo = 0, hi;
		const char *start = p;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			lo = lo * 10 + (u64)(*p++ - '0');
		hi = lo;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = 0;
			while (*p >= '0' && *p <= '9')
				hi = hi * 10 + (u64)(*p++ - '0');
		}
		if (*p && *p != ',')
			goto bad;
		if (*p == ',' && !p[1])
			goto bad;
		if (*p)
			p++;
		if (hi < lo || hi >= MAX_CPUS)
			goto bad;
		for (u64 cpu = lo; cpu <= hi; cpu++) {
			if (!percpu_online((unsigned)cpu)) {
				reply("err create cpu %lu is not online (in \"%.*s\")", cpu,
				      (int)(p - start), start);
				return false;
			}
			*mask |= BIT(cpu);
		}
	}
	if (*mask)
		return true;
bad:
	reply("err create bad cpus list \"%s\" (CPU numbers and ranges: 0,2-3)", list);
	return false;
}

static void cmd_create(const struct cmd_line *c)
{
	const char *name = cmd_pos(c, 0), *mem_s = cmd_get(c, "mem"), *img = cmd_get(c, "image");
	const char *cmdline = cmd_get(c, "cmdline"), *vcpus = cmd_get(c, "vcpus");
	bool use_huge, use_reserve;
	u64 mem, nv;
	if (!name || !mem_s || !img) {
		reply("err create usage: %s", create_usage());
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
	if (!flag_arg(c, "huge", &use_huge) || !flag_arg(c, "reserve", &use_reserve))
		return;
	const char *cpus = cmd_get(c, "cpus");
	u64 cpu_mask = ~0ULL;
	if (cpus && !cpus_arg(cpus, &cpu_mask))
		return;
	if (!(cpu_mask & sched_guest_cpus())) {
		char list[64];
		sched_cpu_list(sched_guest_cpus(), list, sizeof(list));
		reply("err create cpus=%s names no CPU that runs guests (cpus %s do)", cpus, list);
		return;
	}
	enum guest_policy on_reboot, on_poweroff, on_crash;
	if (!policy_arg(c, "on_reboot", true, &on_reboot) ||
	    !policy_arg(c, "on_poweroff", false, &on_poweroff) ||
	    !policy_arg(c, "on_crash", true, &on_crash))
		return;
	if (!cmd_valid_name(name)) {
		reply("err create bad name (1-31 of A-Z a-z 0-9 _ -, not a number)");
		return;
	}
	const void *data;
	u64 size;
	if (!image_find(img, &data, &size)) {
		reply("err create no image \"%s\" (test, or a file in \\pagoda\\ on the ESP)", img);
		return;
	}
	static char mod_names[CMD_LINE_MAX];
	struct load_module mods[LOAD_MAX_MODULES];
	int nr_mods = module_args(cmd_get(c, "module"), mod_names, sizeof(mod_names), mods);
	if (nr_mods < 0)
		return;
	const char *initrd = cmd_get(c, "initrd");
	const void *initrd_data = NULL;
	u64 initrd_size = 0;
	if (initrd && !image_find(initrd, &initrd_data, &initrd_size)) {
		reply("err create no initrd \"%s\" (a file in \\pagoda\\ on the ESP)", initrd);
		return;
	}
	struct guest *g;
	char err[256];
	struct pc_config cfg = {name, mem, use_huge, (unsigned)nv, data, size, cmdline ? cmdline : "",
				use_reserve, mods, (unsigned)nr_mods, initrd_data, initrd_size};
	if (pc_create(&cfg, &g, err, sizeof(err))) {
		reply("err create %s", err);
		return;
	}
	g->on_reboot = on_reboot;
	g->on_poweroff = on_poweroff;
	g->on_crash = on_crash;
	g->cpu_mask = cpu_mask; /* not running yet: no CPU looks at it */
	if (exec_line)
		save_create_line(g->name, exec_line, exec_len);
	reply("ok create name=%s id=%u mem=%luM huge=%d vcpus=%u%s%s%s", g->name, g->id,
	      g->mem_size >> 20, use_huge, g->nr_vcpus, use_reserve ? " reserve=1" : "",
	      cpus ? " cpus=" : "", cpus ? cpus : "");
}

static void cmd_start(const struct cmd_line *c)
{
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
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	if (stop ? guest_stop(g) : guest_resume(g)) {
		reply("err %s guest %s is %s", c->cmd, g->name, guest_state_name(g->state));
		return;
	}
	reply("ok %s name=%s state=%s", c->cmd, g->name, guest_state_name(g->state));
}

static void cmd_stop(const struct cmd_line *c) { cmd_stop_resume(c, true); }
static void cmd_resume(const struct cmd_line *c) { cmd_stop_resume(c, false); }

/* Longest wait timeout: a day (and no overflow in microseconds). */
#define WAIT_MAX_S 86400

/* C's timeout=S into *TIMEOUT_S (left as the caller's default when not
 * given): false, after an err line, when S is not 0..WAIT_MAX_S. */
static bool arg_timeout(const struct cmd_line *c, u64 *timeout_s)
{
	const char *t = cmd_get(c, "timeout");
	if (t && (parse_u64(t, timeout_s) || *timeout_s > WAIT_MAX_S)) {
		reply("err %s timeout must be 0..%d seconds (0: none), not \"%s\"", c->cmd,
		      WAIT_MAX_S, t);
		return false;
	}
	return true;
}

/*
 * wait NAME [timeout=S]: run guests until NAME ends, or S seconds pass.
 * The console stays responsive: a typed line (or Ctrl-C) ends the wait with
 * an err line, the guest still running, and the line then runs.
 */
static void cmd_wait(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	u64 timeout_s = 0;
	if (!arg_timeout(c, &timeout_s))
		return;
	if (g->state == GUEST_CREATED || g->state == GUEST_STOPPED) {
		reply("err wait guest %s is %s", g->name, guest_state_name(g->state));
		return;
	}
	u64 deadline = timeout_s ? time_us() + timeout_s * 1000000 : 0;
	char name[GUEST_NAME_MAX];
	memcpy(name, g->name, sizeof(name));
	/* A guest restarted by its on_reboot policy is waited for again; one
	 * destroyed by its policy ends the wait. */
	for (;;) {
		if (g->state != GUEST_RUNNING) {
			if (!g->policy_due)
				break;
			console_run_policies();
			g = guest_find_name(name);
			if (!g) {
				reply("ok wait name=%s state=destroyed", name);
				return;
			}
			continue;
		}
		if (!sched_step(console_poll))
			sched_idle();
		if (console_poll()) {
			reply("err wait interrupted by input, guest %s still running", g->name);
			return;
		}
		if (deadline && time_us() > deadline) {
			reply("err wait timeout after %lus, guest %s still running", timeout_s,
			      g->name);
			return;
		}
	}
	if (g->state == GUEST_EXITED && g->power != GUEST_POWER_NONE)
		reply("ok wait name=%s state=exited status=%d power=%s", g->name, g->exit_status,
		      g->power == GUEST_POWER_OFF ? "off" : "reboot");
	else if (g->state == GUEST_EXITED)
		reply("ok wait name=%s state=exited status=%d", g->name, g->exit_status);
	else
		reply("ok wait name=%s state=%s reason=\"%s\"", g->name, guest_state_name(g->state),
		      g->crash_reason);
}

/* The pattern of the expect running (one at a time: the console waits in it). */
static struct regex expect_regex;

/* LINE with '"' and '\\' escaped into BUF (LEN bytes), for a quoted
 * value of a result line (cmdparse.c's quoting). */
static void quote_into(char *buf, size_t len, const char *line)
{
	size_t o = 0;
	for (; *line && o + 3 < len; line++) {
		if (*line == '"' || *line == '\\')
			buf[o++] = '\\';
		buf[o++] = *line;
	}
	buf[o] = 0;
}

/*
 * expect NAME text="..." | re="REGEX" [timeout=S]: wait for a console line
 * of NAME that contains the text or matches the regular expression
 * (lib/regex.h).  The guest's recent lines are looked at first: those it
 * printed since the last `input` to it or attach session (or since it
 * started), not taken by an earlier expect, the newest 2 KiB; so an answer printed before the
 * expect began is found, and the line found and those before it are taken
 * out.  Otherwise run the guests until such a line goes to the log, the
 * guest ends (one restarted by its on_reboot policy is followed into its
 * new boot), the timeout passes or input arrives.  The ok line quotes the
 * line found.
 */
static void cmd_expect(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	const char *text = cmd_get(c, "text"), *pat = cmd_get(c, "re");
	const struct regex *re = NULL;
	u64 timeout_s = 0;
	if (!text == !pat) {
		reply("err expect give one of text=\"...\" and re=\"REGEX\"");
		return;
	}
	if (text && (!text[0] || strlen(text) >= sizeof(g->expect))) {
		reply("err expect text= must be 1..%lu bytes", (u64)sizeof(g->expect) - 1);
		return;
	}
	if (pat) {
		const char *why = "";
		if (!pat[0] || regex_compile(&expect_regex, pat, &why)) {
			reply("err expect bad re=\"%s\": %s", pat, pat[0] ? why : "empty");
			return;
		}
		re = &expect_regex;
		text = "";
	}
	if (!arg_timeout(c, &timeout_s))
		return;
	g->expect_seen = guest_recent_match(g, text, re);
	/* Under the guest's lock: a CPU that ends the guest writes its last
	 * lines (and looks for the text) on its own. */
	vlock_take(&g->lock);
	memcpy(g->expect, text, strlen(text) + 1);
	g->expect_re = re;
	vlock_give(&g->lock);
	char name[GUEST_NAME_MAX];
	memcpy(name, g->name, sizeof(name));
	u64 deadline = timeout_s ? time_us() + timeout_s * 1000000 : 0;
	const char *why = NULL;
	while (!g->expect_seen && !why) {
		if (g->state != GUEST_RUNNING) {
			guest_output_drain_all();
			if (g->expect_seen)
				break;
			if (!g->policy_due) {
				why = "the guest is not running";
				break;
			}
			/* Restarted by its on_reboot policy: expect the text from
			 * the new boot; destroyed: give up. */
			console_run_policies();
			g = guest_find_name(name);
			if (!g) {
				reply("err expect the guest was destroyed, guest %s is gone", name);
				return;
			}
			vlock_take(&g->lock);
			memcpy(g->expect, text, strlen(text) + 1);
			g->expect_re = re;
			g->expect_seen = false;
			vlock_give(&g->lock);
			continue;
		}
		if (!sched_step(console_poll))
			sched_idle();
		if (console_poll())
			why = "interrupted by input";
		else if (deadline && time_us() > deadline)
			why = "timeout";
	}
	vlock_take(&g->lock);
	g->expect[0] = 0;
	g->expect_re = NULL;
	vlock_give(&g->lock);
	if (g->expect_seen) {
		char q[2 * sizeof(g->expect_line)];
		quote_into(q, sizeof(q), g->expect_line);
		reply("ok expect name=%s line=\"%s\"", g->name, q);
	} else {
		reply("err expect %s, guest %s is %s", why, g->name, guest_state_name(g->state));
	}
}

/*
 * console NAME: attach the serial console to guest NAME (running or
 * stopped) until Ctrl-] or its end (vmm/console/console.c, attach mode).
 */
static void cmd_console(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	const char *why = "";
	if (console_attach(g, &why))
		reply("err console %s: %s (state %s)", g->name, why, guest_state_name(g->state));
}

static void cmd_destroy(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	char name[GUEST_NAME_MAX];
	memcpy(name, g->name, sizeof(name));
	guest_destroy(g);
	reply("ok destroy name=%s free_pages=%lu", name, pmm_free_count());
}

static void cmd_mem(const struct cmd_line *c __attribute__((unused)))
{
	u64 f = pmm_free_count(), t = pmm_total_count();
	reply("ok mem free_pages=%lu used_pages=%lu total_pages=%lu free_mib=%lu", f, t - f, t,
	      f >> 8);
}

/*
 * pool [wait] [timeout=S]: the pre-zeroed pools (mm/pmm.h): pages and
 * table blocks zeroed ahead of need, their targets, and how many zeroed
 * allocations they served (hits, block_hits) or left to be zeroed on
 * demand (misses).  With wait, first zero free pages into them until both
 * reach their targets or only the guest reserve is left (guests keep
 * their slices meanwhile), then add how many pages that zeroed and how
 * long it took; S seconds at most (default 60, 0: no limit).  A typed line
 * ends the wait with an err line.
 */
static void cmd_pool(const struct cmd_line *c)
{
	const char *w = cmd_pos(c, 0);
	if (w && strcmp(w, "wait") != 0) {
		reply("err pool takes wait or nothing, not \"%s\"", w);
		return;
	}
	u64 timeout_s = 60;
	if (!arg_timeout(c, &timeout_s))
		return;
	u64 start = time_us(), zeroed = 0, n;
	u64 deadline = timeout_s ? start + timeout_s * 1000000 : 0;
	while (w && (n = pmm_zero_pool_refill(PMM_ZERO_IDLE_PAGES)) != 0) {
		zeroed += n;
		sched_step(console_poll);
		if (console_poll()) {
			reply("err pool wait interrupted by input, %lu pages zeroed", zeroed);
			return;
		}
		if (deadline && time_us() > deadline) {
			reply("err pool wait timeout after %lus, %lu pages zeroed", timeout_s, zeroed);
			return;
		}
	}
	struct pmm_zero_stats z;
	pmm_zero_stats(&z);
	char waited[64] = "";
	if (w)
		snprintf(waited, sizeof(waited), " zeroed=%lu us=%lu", zeroed, time_us() - start);
	reply("ok pool pages=%lu target=%lu blocks=%lu block_target=%lu hits=%lu misses=%lu "
	      "block_hits=%lu%s",
	      z.pool, z.target, z.blocks, z.block_target, z.hits, z.misses, z.block_hits, waited);
}

static void cmd_list(const struct cmd_line *c __attribute__((unused)))
{
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

/* How many bits of MASK are set (CPUs in a CPU mask). */
static unsigned cpus_in(u64 mask)
{
	unsigned n = 0;
	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

static void cmd_stats(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	struct tdp_mmu_stats s;
	tdp_mmu_get_stats(g->mmu, &s);
	u64 reinjected = 0, ran_on = 0;
	/* Which host CPUs ran each vCPU: "vcpu_cpus=0x3/0x4" (masks). */
	char vcpu_cpus[GUEST_MAX_VCPUS * 20] = "";
	size_t vc_len = 0;
	for (unsigned i = 0; i < g->nr_vcpus; i++) {
		reinjected += g->vcpus[i].reinjected;
		ran_on |= g->vcpus[i].ran_on;
		vc_len += (size_t)snprintf(vcpu_cpus + vc_len, sizeof(vcpu_cpus) - vc_len, "%s0x%lx",
					   i ? "/" : "", g->vcpus[i].ran_on);
	}
	if (exit_count_on()) {
		char line[400];
		exit_count_format(g, line, sizeof(line));
		reply("%s", line);
	}
	reply("ok stats name=%s exits=%lu io=%lu cpuid=%lu msr=%lu hypercall=%lu tdp_fault=%lu "
	      "tdp_mmio=%lu virt_insn=%lu exception=%lu reinjected=%lu tables=%lu leaves_4k=%lu "
	      "leaves_2m=%lu leaves_1g=%lu "
	      "faults=%lu hinted=%lu retries=%lu splits=%lu dirty_faults=%lu mmio_entries=%lu "
	      "backing_pages=%lu out_dropped=%lu cpus_used=%u vcpu_cpus=%s parallel_max=%u",
	      g->name, guest_exits(g), guest_exits_of(g, VM_EXIT_IO),
	      guest_exits_of(g, VM_EXIT_CPUID),
	      guest_exits_of(g, VM_EXIT_MSR_READ) + guest_exits_of(g, VM_EXIT_MSR_WRITE),
	      guest_exits_of(g, VM_EXIT_HYPERCALL), guest_exits_of(g, VM_EXIT_TDP_FAULT),
	      guest_exits_of(g, VM_EXIT_TDP_MISCONFIG), guest_exits_of(g, VM_EXIT_VIRT_INSN),
	      guest_exits_of(g, VM_EXIT_EXCEPTION), reinjected,
	      s.tables, s.leaves_4k, s.leaves_2m, s.leaves_1g, s.faults, s.hinted, s.retries, s.splits,
	      s.dirty_faults, s.mmio_entries, s.backing_pages, g->out_dropped,
	      cpus_in(ran_on), vcpu_cpus, g->vcpus_running_max);
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
	u64 first, last;
	s64 n = tdp_dirty_log_harvest_span(g->mmu, g->ram_slot, &first, &last);
	if (n < 0) {
		reply("err dirtylog harvest failed (%ld)", (long)n);
		return;
	}
	reply("ok dirtylog name=%s dirty_pages=%ld first=0x%lx last=0x%lx", g->name, (long)n,
	      first, last);
}

/* The console= word for the enabled log sinks. */
static const char *console_name(unsigned outputs)
{
	if (outputs == (LOG_TO_SERIAL | LOG_TO_SCREEN))
		return "both";
	return outputs == LOG_TO_SCREEN ? "screen" : "serial";
}

static void cmd_set(const struct cmd_line *c)
{
	const char *td = cmd_get(c, "teardown"), *sl = cmd_get(c, "slice");
	const char *con = cmd_get(c, "console");
	const char *ec = cmd_get(c, "exitcount"); /* exit-path counting (vmm/exit.h) */
	const char *smp = cmd_get(c, "smp");      /* guests on the APs (vmm/sched.h) */
	if (smp) {
		if (strcmp(smp, "on") && strcmp(smp, "off")) {
			reply("err set smp must be on or off");
			return;
		}
		const char *pinned = sched_set_smp(smp[1] == 'n');
		if (pinned) {
			reply("err set smp=%s would leave guest %s (cpus=) no CPU", smp, pinned);
			return;
		}
		/* Idle APs look again (and take guests, or not). */
		for (unsigned cpu = 1; cpu < MAX_CPUS; cpu++)
			if (percpu_online(cpu))
				ipi_send(cpu, IPI_KICK_VECTOR);
		if (!td && !sl && !con && !ec) {
			reply("ok set smp=%s", smp);
			return;
		}
	}
	if (ec) {
		if (strcmp(ec, "on") && strcmp(ec, "off")) {
			reply("err set exitcount must be on or off");
			return;
		}
		exit_count_set(ec[1] == 'n');
		if (!td && !sl && !con) {
			reply("ok set exitcount=%s", ec);
			return;
		}
	}
	u64 slice_ms = 0;
	unsigned outputs = 0;
	if (!td && !sl && !con) {
		reply("err set nothing to set (teardown=noskip|skip|summary slice=MS "
		      "console=serial|screen|both)");
		return;
	}
	if (sl && (parse_u64(sl, &slice_ms) || slice_ms < 1 || slice_ms > 10000)) {
		reply("err set slice must be 1..10000 (milliseconds)");
		return;
	}
	if (con) {
		if (strcmp(con, "serial") == 0)
			outputs = LOG_TO_SERIAL;
		else if (strcmp(con, "screen") == 0)
			outputs = LOG_TO_SCREEN;
		else if (strcmp(con, "both") == 0)
			outputs = LOG_TO_SERIAL | LOG_TO_SCREEN;
		else {
			reply("err set console must be serial, screen or both");
			return;
		}
		if (outputs & ~log_get_sinks()) {
			reply("err set console=%s: there is no %s", con,
			      (outputs & ~log_get_sinks()) == LOG_TO_SERIAL ? "UART" : "screen");
			return;
		}
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
	if (con)
		log_set_outputs(outputs);
	reply("ok set teardown=%s slice=%lu console=%s",
	      tdp_teardown_mode_name(tdp_get_teardown_mode()), sched_slice_us() / 1000,
	      console_name(log_get_outputs()));
}

static void cmd_log(const struct cmd_line *c)
{
	static const char *const names[] = {"err", "warn", "info", "debug"};
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

static void cmd_help(const struct cmd_line *c);

static __noreturn void power(bool off)
{
	struct guest *g;
	while ((g = guest_at(0)) != NULL)
		guest_destroy(g);
	pr_info("vmm", "%s (free pages %lu of %lu)", off ? "powering off" : "rebooting",
		pmm_free_count(), pmm_total_count());
	if (off)
		platform_poweroff();
	platform_reset();
}

static void cmd_poweroff(const struct cmd_line *c)
{
	(void)c;
	reply("ok poweroff");
	power(true);
}

static void cmd_reboot(const struct cmd_line *c)
{
	(void)c;
	reply("ok reboot");
	power(false);
}

/* input NAME text="...": the text and a carriage return (what Enter sends
 * on a terminal) go to the guest's COM1 receiver.  The guest's recent
 * lines are forgotten first (an expect after this looks only at what it
 * prints from now on). */
static void cmd_input(const struct cmd_line *c)
{
	struct guest *g = arg_guest(c);
	if (!g)
		return;
	const char *text = cmd_get(c, "text");
	if (!text) {
		reply("err input usage: input NAME text=\"...\"");
		return;
	}
	size_t n = strlen(text);
	guest_recent_clear(g);
	size_t k = intr_console_input(g, (const u8 *)text, n);
	if (k == n)
		k += intr_console_input(g, (const u8 *)"\r", 1);
	if (k != n + 1) {
		reply("err input %s: its input queue is full (%lu bytes taken)", g->name, (u64)k);
		return;
	}
	reply("ok input name=%s bytes=%lu", g->name, (u64)k);
}

static const char *const keys_create[] = {"mem", "image", "cmdline", "vcpus", "huge", "reserve",
					  "module", "initrd", "on_reboot", "on_poweroff",
					  "on_crash", "cpus", NULL};
static const char *const keys_wait[] = {"timeout", NULL};
static const char *const keys_pool[] = {"timeout", NULL};
static const char *const keys_set[] = {"teardown", "slice", "console", "exitcount", "smp", NULL};
static const char *const keys_log[] = {"level", "only", NULL};
static const char *const keys_input[] = {"text", NULL};
static const char *const keys_expect[] = {"text", "re", "timeout", NULL};

/* The command table: name, keys, positional arguments (min..max), usage. */
static const struct console_cmd {
	const char *name;
	const char *const *keys; /* keys it takes, NULL-terminated; NULL: none */
	unsigned max_pos;        /* positional arguments at most */
	const char *usage;       /* one line for help and usage errors */
	void (*run)(const struct cmd_line *c);
} console_cmds[] = {
	{"create", keys_create, 1,
	 "create NAME mem=SIZE image=PATH|test [cmdline=\"...\"] [huge=0|1] [vcpus=1..4] "
	 "[reserve=0|1] [module=FILE[,FILE...]] [initrd=FILE] [on_reboot=keep|destroy|restart] "
	 "[on_poweroff=keep|destroy] [on_crash=keep|destroy|restart] [cpus=LIST]",
	 cmd_create},
	{"start", NULL, 1, "start NAME", cmd_start},
	{"stop", NULL, 1, "stop NAME", cmd_stop},
	{"resume", NULL, 1, "resume NAME", cmd_resume},
	{"wait", keys_wait, 1, "wait NAME [timeout=S]", cmd_wait},
	{"destroy", NULL, 1, "destroy NAME", cmd_destroy},
	{"list", NULL, 0, "list", cmd_list},
	{"stats", NULL, 1, "stats NAME", cmd_stats},
	{"mem", NULL, 0, "mem", cmd_mem},
	{"pool", keys_pool, 1, "pool [wait] [timeout=S]", cmd_pool},
	{"set", keys_set, 0, "set [teardown=noskip|skip|summary] [slice=MS] [console=serial|screen|both] [exitcount=on|off] [smp=on|off]", cmd_set},
	{"dirtylog", NULL, 2, "dirtylog NAME on|harvest|off", cmd_dirtylog},
	{"input", keys_input, 1, "input NAME text=\"...\"", cmd_input},
	{"expect", keys_expect, 1, "expect NAME text=\"...\"|re=\"REGEX\" [timeout=SECONDS]", cmd_expect},
	{"console", NULL, 1, "console NAME (attach; Ctrl-] detaches)", cmd_console},
	{"log", keys_log, 0, "log [level=err|warn|info|debug] [only=SUBSYS,...|all]", cmd_log},
	{"help", NULL, 0, "help", cmd_help},
	{"poweroff", NULL, 0, "poweroff", cmd_poweroff},
	{"reboot", NULL, 0, "reboot", cmd_reboot},
};

/* help: every command's usage line, from the table. */
static void cmd_help(const struct cmd_line *c)
{
	(void)c;
	for (unsigned i = 0; i < ARRAY_SIZE(console_cmds); i++)
		reply("  %s", console_cmds[i].usage);
	reply("ok help");
}

/*
 * Check C's arguments against row D: only D's keys, each at most once, and
 * at most D->max_pos positional words.  Prints the err line and returns
 * false when they do not fit.
 */
static bool check_args(const struct console_cmd *d, const struct cmd_line *c)
{
	unsigned npos = 0;
	for (unsigned i = 0; i < c->nr_args; i++) {
		const char *k = c->args[i].key;
		if (!k) {
			if (++npos > d->max_pos) {
				reply("err %s unexpected argument \"%s\"", c->cmd, c->args[i].value);
				return false;
			}
			continue;
		}
		bool known = false;
		for (unsigned j = 0; d->keys && d->keys[j]; j++)
			known |= strcmp(k, d->keys[j]) == 0;
		if (!known) {
			reply("err %s unknown key \"%s\"", c->cmd, k);
			return false;
		}
		for (unsigned j = 0; j < i; j++) {
			if (c->args[j].key && strcmp(c->args[j].key, k) == 0) {
				reply("err %s key \"%s\" given twice", c->cmd, k);
				return false;
			}
		}
	}
	return true;
}

void console_exec(const char *line, size_t len)
{
	struct cmd_line c;
	exec_line = line;
	exec_len = len;
	char err[80];
	if (cmd_parse(line, len, &c, err, sizeof(err))) {
		reply("err parse %s", err);
		return;
	}
	if (!c.cmd)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(console_cmds); i++) {
		const struct console_cmd *d = &console_cmds[i];
		if (strcmp(c.cmd, d->name) == 0) {
			if (check_args(d, &c))
				d->run(&c);
			return;
		}
	}
	reply("err %s unknown command (try help)", c.cmd);
}

static const char *create_usage(void) { return console_cmds[0].usage; }
