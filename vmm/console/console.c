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
#include "vmm/vm.h"

/* Input typed so far; a finished line waits in it until the loop runs it. */
static char in_line[CMD_LINE_MAX];
static size_t in_len;
static bool in_ready, in_overflow;

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

/* The guest event sink (vmm/guest.h): one "event guest ..." line each. */
static void console_on_event(struct guest *g, enum guest_event ev)
{
	if (ev == GUEST_EVENT_EXITED)
		console_reply("event guest %s exited status=%d", g->name, g->exit_status);
	else if (ev == GUEST_EVENT_POWEROFF || ev == GUEST_EVENT_REBOOT)
		console_reply("event guest %s %s source=%s", g->name,
			      ev == GUEST_EVENT_POWEROFF ? "poweroff" : "reboot", g->power_source);
	else
		console_reply("event guest %s crashed reason=\"%s\"", g->name, g->crash_reason);
}

void console_init(const struct boot_info *bi)
{
	images_init(bi);
	guest_set_event_sink(console_on_event);
}

void console_run_startup(const char *text, u64 len)
{
	u64 pos = 0;
	const char *line;
	size_t n;
	pr_info("console", "running the startup file (%lu bytes)", len);
	while (cmd_next_line(text, len, &pos, &line, &n)) {
		char echo[CMD_LINE_MAX + 16];
		int m = snprintf(echo, sizeof(echo), "pagoda> %.*s\n", (int)MIN(n, CMD_LINE_MAX), line);
		log_raw(echo, (size_t)MIN((u64)m, sizeof(echo) - 1));
		console_exec(line, n);
	}
}

bool console_poll(void)
{
	int ch;
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
	console_prompt();
}
