/*
 * Host tests of lib/line_history.c, the recent lines the console's expect
 * searches first: lines kept in order, the oldest whole lines dropped when
 * a new one does not fit, an over-long line cut, take() returning the
 * oldest match and dropping it with the lines before it, a miss changing
 * nothing, clear.  Lines are passed in exact-size heap buffers so
 * AddressSanitizer catches a read past one.
 */
#include "lib/line_history.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

static struct line_history h;

static void add(const char *s)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	memcpy(copy, s, n);
	line_history_add(&h, copy, n);
	free(copy);
}

/* want: the line starts with the NUL-terminated prefix CTX. */
static bool starts_with(const char *line, size_t len, void *ctx)
{
	size_t n = strlen(ctx);
	return len >= n && memcmp(line, ctx, n) == 0;
}

/* The history as one string. */
static const char *dump(void)
{
	static char buf[LINE_HISTORY_BYTES + 1];
	memcpy(buf, h.buf, h.len);
	buf[h.len] = 0;
	return buf;
}

int main(void)
{
	char out[16];
	line_history_clear(&h);
	add("one");
	add("two");
	add("");
	add("three");
	ok(strcmp(dump(), "one\ntwo\n\nthree\n") == 0, "lines kept in order, an empty one too");

	ok(!line_history_take(&h, starts_with, "four", out, sizeof(out)) &&
		   strcmp(dump(), "one\ntwo\n\nthree\n") == 0,
	   "a miss changes nothing");
	ok(line_history_take(&h, starts_with, "t", out, sizeof(out)) && strcmp(out, "two") == 0 &&
		   strcmp(dump(), "\nthree\n") == 0,
	   "take: the oldest match, it and the lines before it dropped");
	ok(line_history_take(&h, starts_with, "t", out, sizeof(out)) && strcmp(out, "three") == 0 &&
		   h.len == 0,
	   "take again: the next match; nothing left");

	add("a-very-long-line-indeed");
	ok(line_history_take(&h, starts_with, "a-", out, 8) && strcmp(out, "a-very-") == 0,
	   "the line copied out is cut to OUTLEN with its NUL (%s)", out);
	add("x");
	ok(line_history_take(&h, starts_with, "x", NULL, 0) && h.len == 0, "OUTLEN 0: nothing copied");

	/* Fill: 100-byte lines, 101 bytes each with the newline: 20 fit. */
	char line[101];
	for (int i = 0; i < 30; i++) {
		memset(line, 'a' + i % 26, 100);
		line[100] = 0;
		line[0] = (char)('A' + i % 26);
		add(line);
	}
	ok(h.len <= LINE_HISTORY_BYTES && h.len == 20 * 101, "full: the oldest whole lines went (%u bytes)",
	   h.len);
	ok(h.buf[0] == 'A' + 10 && h.buf[h.len - 1] == '\n' && h.buf[h.len - 101] == (char)('A' + 29 % 26),
	   "the newest 20 lines are the ones kept, oldest first");
	int lines = 0;
	for (u32 i = 0; i < h.len; i++)
		lines += h.buf[i] == '\n';
	is_u64(lines, 20, "every kept line is whole");

	char *huge = malloc(3000);
	memset(huge, 'z', 3000);
	line_history_add(&h, huge, 3000);
	free(huge);
	ok(h.len == LINE_HISTORY_BYTES && h.buf[0] == 'z' && h.buf[h.len - 1] == '\n',
	   "a line longer than the history is cut to fit, alone");
	add("after");
	ok(strcmp(dump(), "after\n") == 0, "the next line pushes the cut one out");

	line_history_clear(&h);
	ok(h.len == 0 && !line_history_take(&h, starts_with, "", out, sizeof(out)),
	   "clear: nothing to take");
	return tap_done();
}
