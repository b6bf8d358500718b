/*
 * Console input and output (vmm/console/console.h): the line being typed,
 * the startup file, result lines and guest events.  What the commands do is
 * commands.c's.
 */
#include "vmm/console/console.h"
#include "arch/x86/serial.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/console/cmdparse.h"
#include "vmm/console/images.h"
#include "vmm/intr.h"
#include "vmm/vm.h"

/* Input typed so far; a finished line waits in it until the loop runs it. */
static char in_line[CMD_LINE_MAX];
static size_t in_len;
static bool in_ready, in_overflow;
static bool in_startup; /* the startup file's lines are running */

/*
 * Attach mode (console NAME): the serial line belongs to one guest.  Typed
 * bytes go to its COM1 receiver as they are, except CONSOLE_ESCAPE, which
 * detaches; its console output goes to the serial port raw (vm.c's raw
 * ring, drained between slices, through raw_write).  Meanwhile the log's
 * serial sink is held_write: VMM log lines, other guests' lines and event
 * lines wait in HELD (the screen, when on, keeps showing them) and reach
 * the serial port after the detach line.
 */
#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
#define HELD_MAX 8192       /* bytes of log held while attached (the oldest go first) */
static struct guest *attached;            /* the guest attached to, or NULL */
static char attached_name[GUEST_NAME_MAX]; /* its name (it may be gone at detach) */
static bool detach_due;                   /* Ctrl-] typed or the guest ended */
static const char *detach_why;            /* why, when not Ctrl-] (a static string) */
static bool serial_held;                  /* the log's serial sink is held_write */
static char held[HELD_MAX];
static size_t held_head, held_len;        /* ring start, bytes held */
static u64 held_dropped;                  /* log bytes lost for want of room */
static u64 input_dropped;                 /* typed bytes lost: the guest's queue was full */

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

void console_reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_line(fmt, ap);
	va_end(ap);
}

/* The guest event sink (vmm/guest.h): one "event guest ..." line each;
 * an attached guest that ends detaches the console (at the next poll). */
static void console_on_event(struct guest *g, enum guest_event ev)
{
	if (g == attached && !detach_due) {
		detach_due = true;
		detach_why = ev == GUEST_EVENT_CRASHED ? "the guest crashed" : "the guest ended";
	}
	if (ev == GUEST_EVENT_EXITED)
		console_reply("event guest %s exited status=%d", g->name, g->exit_status);
	else if (ev == GUEST_EVENT_POWEROFF || ev == GUEST_EVENT_REBOOT)
		console_reply("event guest %s %s source=%s", g->name,
			      ev == GUEST_EVENT_POWEROFF ? "poweroff" : "reboot", g->power_source);
	else
		console_reply("event guest %s crashed reason=\"%s\"", g->name, g->crash_reason);
}

/* The log's serial sink while attached: keep S for after the detach. */
static void held_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		held[(held_head + held_len) % HELD_MAX] = s[i];
		if (held_len < HELD_MAX) {
			held_len++;
		} else {
			held_head = (held_head + 1) % HELD_MAX;
			held_dropped++;
		}
	}
}

/* The raw sink of vm.c: the attached guest's bytes to the serial port as
 * they are (no prefix, no newline translation: the guest's tty does it). */
static void raw_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

void console_init(const struct boot_info *bi)
{
	images_init(bi);
	guest_set_event_sink(console_on_event);
	guest_set_raw_sink(raw_write);
}

int console_attach(struct guest *g, const char **why)
{
	if (in_startup) {
		*why = "not from the startup file";
		return -E_PERM;
	}
	if (attached) {
		*why = "already attached";
		return -E_BUSY;
	}
	if (g->state != GUEST_RUNNING && g->state != GUEST_STOPPED) {
		*why = "the guest is neither running nor stopped";
		return -E_BUSY;
	}
	/* Its lines so far go out prefixed, then the result line, then raw. */
	guest_console_attach(g, true);
	console_reply("ok console name=%s escape=^]", g->name);
	attached = g;
	memcpy(attached_name, g->name, sizeof(attached_name));
	detach_due = false;
	detach_why = NULL;
	held_head = held_len = 0;
	held_dropped = input_dropped = 0;
	serial_held = (log_get_outputs() & LOG_TO_SERIAL) != 0;
	if (serial_held)
		log_set_sink(LOG_SINK_SERIAL, held_write);
	return 0;
}

/*
 * Leave attach mode: the guest's last raw bytes, the serial sink back,
 * "console: detached from NAME" (with why, when the guest ended), then
 * the log held meanwhile and what was lost.
 */
static void console_detach(void)
{
	struct guest *g = attached;
	u64 raw_dropped = 0;
	/* A guest ended, destroyed or restarted by its policy meanwhile is no
	 * longer attached (its slot may hold another guest now). */
	if (g->in_use && g->attached) {
		guest_console_attach(g, false);
		raw_dropped = g->raw_dropped;
	}
	attached = NULL;
	detach_due = false;
	if (serial_held)
		log_set_sink(LOG_SINK_SERIAL, serial_write);
	serial_held = false;
	log_raw("\n", 1);
	if (detach_why)
		console_reply("console: detached from %s (%s)", attached_name, detach_why);
	else
		console_reply("console: detached from %s", attached_name);
	size_t first = MIN(held_len, HELD_MAX - held_head);
	serial_write(held + held_head, first);
	serial_write(held, held_len - first);
	held_len = held_head = 0;
	if (held_dropped)
		console_reply("console: %lu bytes of log dropped while attached", held_dropped);
	if (raw_dropped)
		console_reply("console: %lu bytes of the guest's output dropped (it wrote faster "
			      "than the serial rate)", raw_dropped);
	if (input_dropped)
		console_reply("console: %lu typed bytes dropped (the guest's input queue was full)",
			      input_dropped);
}

bool console_attached(void) { return attached != NULL; }

void console_run_startup(const char *text, u64 len)
{
	u64 pos = 0;
	const char *line;
	size_t n;
	pr_info("console", "running the startup file (%lu bytes)", len);
	in_startup = true;
	while (cmd_next_line(text, len, &pos, &line, &n)) {
		char echo[CMD_LINE_MAX + 16];
		int m = snprintf(echo, sizeof(echo), "pagoda> %.*s\n", (int)MIN(n, CMD_LINE_MAX), line);
		log_raw(echo, (size_t)MIN((u64)m, sizeof(echo) - 1));
		console_exec(line, n);
	}
	in_startup = false;
}

/*
 * Attach mode's poll: every byte typed goes to the guest's COM1 input
 * queue as it is (CR stays CR, as a terminal sends Enter; control bytes
 * too), except Ctrl-], which ends attach mode; a byte the full queue does
 * not take is dropped and counted.  True when the console is to detach.
 */
static bool attached_poll(void)
{
	int ch;
	while (!detach_due && (ch = serial_getc()) >= 0) {
		if (ch == CONSOLE_ESCAPE) {
			detach_due = true;
			break;
		}
		u8 b = (u8)ch;
		if (!intr_console_input(attached, &b, 1))
			input_dropped++;
	}
	return detach_due;
}

bool console_poll(void)
{
	int ch;
	if (attached)
		return attached_poll();
	while (!in_ready && (ch = serial_getc()) >= 0) {
		if (ch == '\r' || ch == '\n') {
			log_raw("\n", 1);
			in_ready = true;
		} else if (ch == 0x03) {
			/* Ctrl-C: drop the line typed so far; the empty line that
			 * results interrupts a wait and runs as nothing. */
			log_raw("^C\n", 3);
			in_len = 0;
			in_overflow = false;
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

void console_prompt(void) { log_raw("pagoda> ", 8); }

void console_run_ready(void)
{
	char line[CMD_LINE_MAX];
	size_t n = in_len;
	bool overflow = in_overflow;
	if (attached && detach_due) {
		console_detach();
		console_prompt();
		return;
	}
	if (!in_ready)
		return;
	memcpy(line, in_line, n);
	in_len = 0;
	in_overflow = false;
	in_ready = false;
	if (overflow)
		console_reply("err parse line too long");
	else
		console_exec(line, n);
	if (!attached) /* attach mode: the prompt comes back at the detach */
		console_prompt();
}
