/* Console command-line parsing (see vmm/console/cmdparse.h). */
#include "vmm/console/cmdparse.h"
#include "lib/string.h"

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen) {
		size_t n = strlen(msg);
		if (n >= errlen)
			n = errlen - 1;
		memcpy(err, msg, n);
		err[n] = 0;
	}
	return -E_INVAL;
}

int cmd_parse(const char *line, size_t len, struct cmd_line *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= CMD_LINE_MAX)
		return fail(err, errlen, "line too long");
	for (size_t i = 0; i < len; i++) {
		u8 c = (u8)line[i];
		if (c == '\t')
			continue;
		if (c < 0x20 || c >= 0x7f)
			return fail(err, errlen, "control or non-ASCII byte in line");
	}

	size_t i = 0, o = 0;
	bool first = true;
	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (first && line[i] == '#')
			break;
		/* One word: key chars up to '=', then a plain or quoted value. */
		char *word = out->buf + o;
		char *val = NULL;
		bool quoted_seen = false;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			char c = line[i];
			if (c == '=' && !val) {
				if (first)
					return fail(err, errlen, "'=' in the command word");
				if (out->buf + o == word)
					return fail(err, errlen, "empty key before '='");
				out->buf[o++] = 0;
				val = out->buf + o;
				i++;
				continue;
			}
			if (c == '"') {
				if (!val || quoted_seen || out->buf + o != val)
					return fail(err, errlen, "quote in the middle of a word");
				quoted_seen = true;
				i++;
				for (;;) {
					if (i == len)
						return fail(err, errlen, "unbalanced quotes");
					c = line[i++];
					if (c == '"')
						break;
					if (c == '\\') {
						if (i == len)
							return fail(err, errlen, "unbalanced quotes");
						c = line[i++];
					}
					out->buf[o++] = c;
				}
				if (i < len && line[i] != ' ' && line[i] != '\t')
					return fail(err, errlen, "text after a closing quote");
				continue;
			}
			out->buf[o++] = c;
			i++;
		}
		out->buf[o++] = 0;
		if (first) {
			out->cmd = word;
			first = false;
			continue;
		}
		if (out->nr_args == CMD_MAX_ARGS)
			return fail(err, errlen, "too many arguments");
		struct cmd_kv *kv = &out->args[out->nr_args++];
		if (val) {
			kv->key = word;
			kv->value = val;
		} else {
			kv->key = NULL;
			kv->value = word;
		}
	}
	return 0;
}

const char *cmd_get(const struct cmd_line *c, const char *key)
{
	for (unsigned i = 0; i < c->nr_args; i++)
		if (c->args[i].key && strcmp(c->args[i].key, key) == 0)
			return c->args[i].value;
	return NULL;
}

const char *cmd_pos(const struct cmd_line *c, unsigned idx)
{
	for (unsigned i = 0; i < c->nr_args; i++)
		if (!c->args[i].key && idx-- == 0)
			return c->args[i].value;
	return NULL;
}

int parse_u64(const char *s, u64 *out)
{
	u64 v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -E_INVAL;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -E_INVAL;
		if (v > (~0ULL - d) / base)
			return -E_RANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, u64 *out)
{
	char num[24];
	size_t n = 0;
	while (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		s++; /* leading zeros are not digits that can overflow */
	while (s[n] >= '0' && s[n] <= '9') {
		if (n + 1 >= sizeof(num))
			return -E_RANGE;
		num[n] = s[n];
		n++;
	}
	if (!n)
		return -E_INVAL;
	num[n] = 0;
	u64 v;
	int r = parse_u64(num, &v);
	if (r)
		return r;
	unsigned shift = 0;
	const char *suf = s + n;
	switch (*suf) {
	case 0:
	case 'b':
	case 'B':
		break;
	case 'k': case 'K': shift = 10; suf++; break;
	case 'm': case 'M': shift = 20; suf++; break;
	case 'g': case 'G': shift = 30; suf++; break;
	case 't': case 'T': shift = 40; suf++; break;
	default:
		return -E_INVAL;
	}
	if (*suf == 'B' || *suf == 'b')
		suf++;
	if (*suf)
		return -E_INVAL;
	if (shift && v > (~0ULL >> shift))
		return -E_RANGE;
	*out = v << shift;
	return 0;
}

bool cmd_valid_name(const char *name)
{
	size_t n = strlen(name);
	bool digits_only = true;
	if (n == 0 || n >= 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-';
		if (!ok)
			return false;
		if (c < '0' || c > '9')
			digits_only = false;
	}
	u64 id;
	/* A name that reads as a number ("7", "0x1f") would be taken for an id. */
	return !digits_only && parse_u64(name, &id) != 0;
}

bool cmd_next_line(const char *text, u64 len, u64 *pos, const char **line, size_t *n)
{
	while (*pos < len) {
		u64 i = *pos, j = i;
		while (j < len && text[j] != '\n')
			j++;
		*pos = j < len ? j + 1 : len;
		if (j > i && !(j - i == 1 && text[i] == '\r')) {
			*line = text + i;
			*n = (size_t)(j - i);
			return true;
		}
	}
	return false;
}
