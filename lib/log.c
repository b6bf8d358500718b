/*
 * The log: one line per call, "[sssss.uuuuuu] subsys: message", written
 * straight to the enabled sinks boot/ installs (the UART, arch/x86/serial.c;
 * the screen, arch/x86/fbcon.c).  The VMM has one CPU printing at a time
 * with interrupts off, so a line is formatted into a stack buffer and written whole; the
 * lock below only keeps lines whole should a second CPU ever print, and is
 * taken with a bounded spin so a CPU that died holding it cannot wedge the
 * printer (it then prints anyway).
 */
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

static enum log_level cur_level = LOG_INFO;
static log_sink_fn sinks[LOG_NR_SINKS]; /* installed writers, by slot */
static unsigned outputs;                /* enabled slots (LOG_TO_* mask) */

/* Bytes logged while no sink was enabled, oldest first (a ring). */
#define LOG_BACKLOG 8192
static char backlog[LOG_BACKLOG];
static size_t backlog_head, backlog_len; /* ring start, bytes held */

void log_set_sink(enum log_sink_id id, log_sink_fn fn)
{
	if ((unsigned)id >= LOG_NR_SINKS)
		return;
	sinks[id] = fn;
	if (!fn)
		outputs &= ~(1u << id);
}

unsigned log_get_sinks(void)
{
	unsigned m = 0;
	for (unsigned i = 0; i < LOG_NR_SINKS; i++)
		if (sinks[i])
			m |= 1u << i;
	return m;
}

unsigned log_get_outputs(void) { return outputs; }

/* Write S to every enabled sink, or keep it in the backlog when none is. */
static void log_write(const char *s, size_t n)
{
	if (!outputs) {
		for (size_t i = 0; i < n; i++) {
			backlog[(backlog_head + backlog_len) % LOG_BACKLOG] = s[i];
			if (backlog_len < LOG_BACKLOG)
				backlog_len++;
			else
				backlog_head = (backlog_head + 1) % LOG_BACKLOG;
		}
		return;
	}
	for (unsigned i = 0; i < LOG_NR_SINKS; i++)
		if (outputs & (1u << i))
			sinks[i](s, n);
}

int log_set_outputs(unsigned mask)
{
	if (!mask || (mask & ~log_get_sinks()))
		return -E_INVAL;
	outputs = mask;
	/* The ring in at most two pieces: head to the end, then the start. */
	size_t first = MIN(backlog_len, LOG_BACKLOG - backlog_head);
	size_t len = backlog_len;
	backlog_len = 0;
	if (first)
		log_write(backlog + backlog_head, first);
	if (len > first)
		log_write(backlog, len - first);
	backlog_head = 0;
	return 0;
}

#define LOG_ONLY_MAX 8
static char only[LOG_ONLY_MAX][16]; /* subsystems shown at info/debug; none = all */
static unsigned nr_only;

int log_set_only(const char *csv)
{
	char tmp[LOG_ONLY_MAX][16];
	unsigned n = 0;
	if (strcmp(csv, "all") == 0) {
		nr_only = 0;
		return 0;
	}
	while (*csv) {
		size_t len = 0;
		while (csv[len] && csv[len] != ',')
			len++;
		if (!len || len >= sizeof(tmp[0]) || n == LOG_ONLY_MAX)
			return -E_INVAL;
		memcpy(tmp[n], csv, len);
		tmp[n++][len] = 0;
		csv += len + (csv[len] == ',');
	}
	if (!n)
		return -E_INVAL;
	memcpy(only, tmp, sizeof(tmp));
	nr_only = n;
	return 0;
}

void log_get_only(char *buf, size_t len)
{
	size_t o = 0;
	if (!nr_only) {
		snprintf(buf, len, "all");
		return;
	}
	buf[0] = 0;
	for (unsigned i = 0; i < nr_only && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? "," : "", only[i]);
}

/* Errors and warnings always show; info and debug only for chosen subsystems. */
static bool subsys_shown(const char *subsys)
{
	if (!nr_only)
		return true;
	for (unsigned i = 0; i < nr_only; i++)
		if (strncmp(subsys, only[i], strlen(only[i])) == 0)
			return true;
	return false;
}
static int print_lock;

void log_set_level(enum log_level l) { cur_level = l; }
enum log_level log_get_level(void) { return cur_level; }

/* Write S (N bytes) to the sinks with no other CPU's output in between
 * (the print lock, taken with a bounded spin: a CPU that died holding it
 * cannot wedge the others). */
static void log_write_whole(const char *s, size_t n)
{
	bool locked = false;
	for (int i = 0; i < 1000000 && !locked; i++)
		locked = !__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE);
	log_write(s, n);
	if (locked)
		__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static void log_vline(const char *subsys, const char *fmt, va_list ap)
{
	char line[1024];
	u64 us = time_us();
	int n = snprintf(line, sizeof(line), "[%5u.%06u] %s: ", (unsigned)(us / 1000000),
			 (unsigned)(us % 1000000), subsys);
	if (n < 0 || n >= (int)sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	size_t len = n + (m < (int)sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2);
	if (m >= (int)sizeof(line) - n - 1) /* cut: say so at the end */
		memcpy(line + len - 5, "[...]", 5);
	line[len++] = '\n';

	log_write_whole(line, len);
}

void log_msg(const char *subsys, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline(subsys, fmt, ap);
	va_end(ap);
}

void log_lvl(enum log_level level, const char *subsys, const char *fmt, ...)
{
	if (level > cur_level || (level >= LOG_INFO && !subsys_shown(subsys)))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vline(subsys, fmt, ap);
	va_end(ap);
}

/* Raw output for the console (prompt, result lines, event lines from any
 * CPU): no timestamp, whole. */
void log_raw(const char *s, size_t n) { log_write_whole(s, n); }
