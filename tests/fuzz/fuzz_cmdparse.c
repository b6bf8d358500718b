/*
 * libFuzzer target: console command lines (vmm/console/cmdparse.c).
 *
 * Input: one line, any bytes.  Checked for every input: cmd_parse returns 0
 * or -E_INVAL, a refusal comes with a reason, an accepted line's words all
 * point into its own buffer and are NUL-terminated there, and writing the
 * arguments back with every value quoted parses to the same arguments.
 * The first bytes also go through parse_size, parse_u64 and
 * cmd_valid_name, whose only results are 0 / -E_INVAL / -E_RANGE, and a
 * valid name never reads as a number.
 */
#include "tests/fuzz/fuzz.h"
#include "vmm/console/cmdparse.h"

/* Does the word W lie in C's buffer, NUL-terminated within it? */
static bool in_buf(const struct cmd_line *c, const char *w)
{
	if (w < c->buf || w >= c->buf + sizeof(c->buf))
		return false;
	return memchr(w, 0, (size_t)(c->buf + sizeof(c->buf) - w)) != NULL;
}

/* C written back as a line, every value quoted; 0 when it does not fit. */
static size_t unparse(const struct cmd_line *c, char *out, size_t cap)
{
	size_t o = 0;
	bool room = true;
	for (unsigned i = 0; i <= c->nr_args && room; i++) {
		const char *k = i ? c->args[i - 1].key : NULL, *v = i ? c->args[i - 1].value : c->cmd;
		char piece[CMD_LINE_MAX * 2 + 8];
		size_t p = 0;
		if (i)
			piece[p++] = ' ';
		if (k) {
			p += (size_t)snprintf(piece + p, sizeof(piece) - p, "%s=\"", k);
			for (; *v && p + 3 < sizeof(piece); v++) {
				if (*v == '"' || *v == '\\')
					piece[p++] = '\\';
				piece[p++] = *v;
			}
			piece[p++] = '"';
		} else {
			p += (size_t)snprintf(piece + p, sizeof(piece) - p, "%s", v);
		}
		room = o + p < cap;
		if (room) {
			memcpy(out + o, piece, p);
			o += p;
		}
	}
	return room ? o : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd_line c, again;
	char err[80], text[CMD_LINE_MAX * 2];
	char *line = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	memcpy(line, data, size);
	err[0] = 0;
	int r = cmd_parse(line, size, &c, err, sizeof(err));
	free(line);
	FUZZ_CHECK(r == 0 || r == -E_INVAL);
	FUZZ_CHECK(r == 0 || err[0]);
	if (r == 0 && c.cmd) {
		FUZZ_CHECK(c.nr_args <= CMD_MAX_ARGS && in_buf(&c, c.cmd));
		for (unsigned i = 0; i < c.nr_args; i++)
			FUZZ_CHECK(in_buf(&c, c.args[i].value) && (!c.args[i].key || in_buf(&c, c.args[i].key)));
		size_t n = unparse(&c, text, sizeof(text));
		if (n && n < CMD_LINE_MAX) {
			FUZZ_CHECK(cmd_parse(text, n, &again, err, sizeof(err)) == 0);
			FUZZ_CHECK(strcmp(again.cmd, c.cmd) == 0 && again.nr_args == c.nr_args);
			for (unsigned i = 0; i < c.nr_args; i++) {
				FUZZ_CHECK(!again.args[i].key == !c.args[i].key);
				FUZZ_CHECK(!c.args[i].key || strcmp(again.args[i].key, c.args[i].key) == 0);
				FUZZ_CHECK(strcmp(again.args[i].value, c.args[i].value) == 0);
			}
		}
	}
	char word[40];
	size_t wl = size < sizeof(word) - 1 ? size : sizeof(word) - 1;
	memcpy(word, data, wl);
	word[wl] = 0;
	u64 v;
	int a = parse_size(word, &v), b = parse_u64(word, &v);
	FUZZ_CHECK(a == 0 || a == -E_INVAL || a == -E_RANGE);
	FUZZ_CHECK(b == 0 || b == -E_INVAL || b == -E_RANGE);
	FUZZ_CHECK(!cmd_valid_name(word) || b != 0);
	return 0;
}
