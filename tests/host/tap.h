/*
 * A tiny TAP producer for the host tests: ok()/is_u64() print
 * "ok N - desc" or "not ok N - desc" plus a diagnostic; tap_done() prints
 * the plan "1..N" (TAP allows it last) and returns the exit status.
 */
#ifndef PAGODA_TAP_H
#define PAGODA_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 4, 5), unused)) static int tap_ok(int cond, const char *file,
								  int line, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		printf("#   Failed test at %s line %d.\n", file, line);
		tap_failed++;
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_u64(got, want, ...)                                                             \
	do {                                                                               \
		unsigned long long got_ = (got), want_ = (want);                           \
		if (!tap_ok(got_ == want_, __FILE__, __LINE__, __VA_ARGS__))               \
			printf("#          got: %llu (%#llx)\n#     expected: %llu (%#llx)\n", \
			       got_, got_, want_, want_);                                  \
	} while (0)

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
