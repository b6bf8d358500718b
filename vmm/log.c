/*
 * The log: one line per call, "[sssss.uuuuuu] subsys: message", written
 * straight to COM1.  The VMM has one CPU printing at a time with interrupts
 * off, so a line is formatted into a stack buffer and written whole; the
 * lock below only keeps lines whole should a second CPU ever print, and is
 * taken with a bounded spin so a CPU that died holding it cannot wedge the
 * printer (it then prints anyway).
 */
#include "vmm/log.h"
#include "arch/x86/serial.h"
#include "vmm/string.h"
#include "vmm/time.h"

static enum log_level cur_level = LOG_INFO;
static int print_lock;

void log_set_level(enum log_level l) { cur_level = l; }
enum log_level log_get_level(void) { return cur_level; }

static void log_vline(const char *subsys, const char *fmt, va_list ap)
{
	char line[512];
	u64 us = time_us();
	int n = snprintf(line, sizeof(line), "[%5u.%06u] %s: ", (unsigned)(us / 1000000),
			 (unsigned)(us % 1000000), subsys);
	if (n < 0 || n >= (int)sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	size_t len = n + (m < (int)sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2);
	line[len++] = '\n';

	bool locked = false;
	for (int i = 0; i < 1000000 && !locked; i++)
		locked = !__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE);
	serial_write(line, len);
	if (locked)
		__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
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
	if (level > cur_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vline(subsys, fmt, ap);
	va_end(ap);
}

/* Raw output for the console (prompt, result lines): no timestamp. */
void log_raw(const char *s, size_t n) { serial_write(s, n); }
