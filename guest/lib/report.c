/*
 * guest/lib/report.c -- TAP-like result lines and the exit (see report.h).
 */
#include "guest/lib/report.h"
#include "guest/lib/cpu.h"
#include "guest/lib/guest.h"
#include "guest/lib/serial.h"
#include "lib/string.h"

#define DEBUG_EXIT_PORT 0xf4
#define DESC_MAX 256

static unsigned n_tests, n_failed, n_skipped;

/* Start a result line on a line of its own, even if a test left one
 * unfinished. */
static void fresh_line(void)
{
	if (!serial_at_line_start())
		putc('\n');
}

/* Print "ok N - DESC" or "not ok N - DESC", with " (DETAIL)" when DETAIL is
 * not NULL; count it. */
static void result(bool ok, const char *desc, const char *detail)
{
	n_tests++;
	if (!ok)
		n_failed++;
	fresh_line();
	printf("%s %u - %s", ok ? "ok" : "not ok", n_tests, desc);
	if (detail)
		printf(" (%s)", detail);
	putc('\n');
}

/* See report.h. */
bool expect(bool ok, const char *fmt, ...)
{
	char desc[DESC_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	result(ok, desc, NULL);
	return ok;
}

/* See report.h. */
bool expect_eq(u64 got, u64 want, const char *fmt, ...)
{
	char desc[DESC_MAX], detail[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "got 0x%lx, want 0x%lx", got, want);
	result(got == want, desc, got == want ? NULL : detail);
	return got == want;
}

/* See report.h. */
void skip(const char *why, const char *fmt, ...)
{
	char desc[DESC_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	n_tests++;
	n_skipped++;
	fresh_line();
	printf("ok %u - %s # SKIP %s\n", n_tests, desc, why);
}

/* See report.h. */
void diag(const char *fmt, ...)
{
	char text[DESC_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fresh_line();
	printf("# %s\n", text);
}

/* See report.h. */
void report_done(void)
{
	fresh_line();
	printf("1..%u\n", n_tests);
	printf("# %s: %u passed, %u failed, %u skipped: %s\n", guest_name,
	       n_tests - n_failed - n_skipped, n_failed, n_skipped, n_failed ? "FAIL" : "PASS");
	guest_exit(n_failed ? 1 : 0);
}

/* See report.h. */
void report_abort(const char *fmt, ...)
{
	char desc[DESC_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	result(false, desc, NULL);
	report_done();
}

/* See report.h. */
void guest_exit(u8 code)
{
	outb(DEBUG_EXIT_PORT, code);
	halt_forever();
}
