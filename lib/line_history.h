/*
 * A bounded history of text lines (pure; host-tested by
 * tests/host/t_line_history.c): the console's expect keeps each guest's
 * recent output lines in one (vmm/vm.c), so an answer printed before the
 * expect began is still found.  Lines are kept oldest first, each ended
 * by '\n'; when a new line does not fit, the oldest whole lines go.
 */
#ifndef PAGODA_LINE_HISTORY_H
#define PAGODA_LINE_HISTORY_H

#include "lib/types.h"

#define LINE_HISTORY_BYTES 2048 /* bytes of lines kept, newlines included */

struct line_history {
	char buf[LINE_HISTORY_BYTES]; /* the lines, each ended by '\n', oldest first */
	u32 len;                      /* bytes in buf[] */
};

/* Whether LINE (LEN bytes, no newline) is the one looked for (CTX: the
 * caller's). */
typedef bool (*line_want_fn)(const char *line, size_t len, void *ctx);

/* Forget every line. */
void line_history_clear(struct line_history *h);
/* Append LINE (LEN bytes, no newline; a longer line than fits is cut to
 * LINE_HISTORY_BYTES - 1), dropping the oldest whole lines to make room. */
void line_history_add(struct line_history *h, const char *line, size_t len);
/*
 * Find the oldest line WANT accepts: copy it (cut, NUL-terminated) into
 * OUT (OUTLEN bytes, may be 0), drop it and every line before it, and
 * return true.  False, and nothing changes, when there is none.
 */
bool line_history_take(struct line_history *h, line_want_fn want, void *ctx, char *out,
		       size_t outlen);

#endif
