/*
 * Bounded line history (lib/line_history.h).
 */
#include "lib/line_history.h"

/* The index of the first '\n' in H from FROM, or H->len when none. */
static u32 line_end(const struct line_history *h, u32 from)
{
	while (from < h->len && h->buf[from] != '\n')
		from++;
	return from;
}

/* Drop the first N bytes of H (whole lines). */
static void drop_front(struct line_history *h, u32 n)
{
	for (u32 i = n; i < h->len; i++)
		h->buf[i - n] = h->buf[i];
	h->len -= n;
}

void line_history_clear(struct line_history *h) { h->len = 0; }

void line_history_add(struct line_history *h, const char *line, size_t len)
{
	if (len > LINE_HISTORY_BYTES - 1)
		len = LINE_HISTORY_BYTES - 1;
	while (h->len + len + 1 > LINE_HISTORY_BYTES) {
		u32 end = line_end(h, 0);
		drop_front(h, end < h->len ? end + 1 : h->len);
	}
	for (size_t i = 0; i < len; i++)
		h->buf[h->len + i] = line[i];
	h->len += (u32)len;
	h->buf[h->len++] = '\n';
}

bool line_history_take(struct line_history *h, line_want_fn want, void *ctx, char *out,
		       size_t outlen)
{
	for (u32 pos = 0; pos < h->len;) {
		u32 end = line_end(h, pos);
		if (want(h->buf + pos, end - pos, ctx)) {
			if (outlen) {
				size_t n = MIN((size_t)(end - pos), outlen - 1);
				for (size_t i = 0; i < n; i++)
					out[i] = h->buf[pos + i];
				out[n] = 0;
			}
			drop_front(h, end < h->len ? end + 1 : h->len);
			return true;
		}
		pos = end + 1;
	}
	return false;
}
