/*
 * The \pagoda\config parser (boot/config.h).  Self-contained: no lib/
 * string or fmt calls, so the host test links it alone.
 */
#include "boot/config.h"

void boot_config_defaults(struct boot_config *cfg)
{
	cfg->serial_port = 0x3f8;
	cfg->baud = 115200;
	cfg->console = BOOT_CONSOLE_DEFAULT;
	cfg->serial_set = false;
	cfg->baud_set = false;
}

/* Whether the N bytes at S are exactly the NUL-terminated WORD. */
static bool word_is(const char *s, u64 n, const char *word)
{
	u64 i = 0;
	for (; i < n && word[i]; i++)
		if (s[i] != word[i])
			return false;
	return i == n && !word[i];
}

/* The N bytes at S as a number (decimal, or hex after 0x) in *V; false when
 * they are not one or it exceeds MAX. */
static bool parse_num(const char *s, u64 n, u64 max, u64 *v)
{
	unsigned base = 10;
	u64 x = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	if (!n)
		return false;
	for (u64 i = 0; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		x = x * base + d;
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/* Copy "line N: MSG" into WHY (WHYLEN bytes, NUL-terminated, cut to fit). */
static void say(char *why, size_t whylen, unsigned line, const char *msg)
{
	char num[12];
	int k = 0;
	do
		num[k++] = (char)('0' + line % 10);
	while ((line /= 10) && k < 11);
	size_t o = 0;
	const char *pre = "line ";
	for (; *pre && o + 1 < whylen; pre++)
		why[o++] = *pre;
	while (k && o + 1 < whylen)
		why[o++] = num[--k];
	for (const char *p = ": "; *p && o + 1 < whylen; p++)
		why[o++] = *p;
	for (; *msg && o + 1 < whylen; msg++)
		why[o++] = *msg;
	if (whylen)
		why[o] = 0;
}

/* Apply one line, S of N bytes (no newline) to CFG; NULL or what is wrong. */
static const char *apply_line(struct boot_config *cfg, const char *s, u64 n)
{
	u64 eq = 0, v;
	while (eq < n && s[eq] != '=')
		eq++;
	if (eq == n)
		return "not key=value";
	u64 klen = eq, vstart = eq + 1, vlen;
	while (klen && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
		klen--;
	while (vstart < n && (s[vstart] == ' ' || s[vstart] == '\t'))
		vstart++;
	vlen = n - vstart;
	while (vlen && (s[vstart + vlen - 1] == ' ' || s[vstart + vlen - 1] == '\t'))
		vlen--;
	const char *val = s + vstart;
	if (word_is(s, klen, "serial")) {
		if (!parse_num(val, vlen, 0xfff8, &v) || v == 0)
			return "serial must be an I/O port, 0x1..0xfff8";
		cfg->serial_port = (u16)v;
		cfg->serial_set = true;
	} else if (word_is(s, klen, "baud")) {
		if (!parse_num(val, vlen, 115200, &v) || v == 0 || 115200 % v)
			return "baud must divide 115200 (115200, 57600, 38400, 19200, 9600, ...)";
		cfg->baud = (u32)v;
		cfg->baud_set = true;
	} else if (word_is(s, klen, "console")) {
		if (word_is(val, vlen, "serial"))
			cfg->console = BOOT_CONSOLE_SERIAL;
		else if (word_is(val, vlen, "screen"))
			cfg->console = BOOT_CONSOLE_SCREEN;
		else if (word_is(val, vlen, "both"))
			cfg->console = BOOT_CONSOLE_BOTH;
		else
			return "console must be serial, screen or both";
	} else {
		return "unknown key (serial, baud, console)";
	}
	return NULL;
}

unsigned boot_config_parse(struct boot_config *cfg, const char *text, u64 len, char *why,
			   size_t whylen)
{
	unsigned bad = 0, lineno = 0;
	u64 i = 0;
	if (whylen)
		why[0] = 0;
	while (i < len) {
		u64 j = i;
		while (j < len && text[j] != '\n')
			j++;
		u64 a = i, b = j;
		lineno++;
		i = j + 1;
		while (a < b && (text[a] == ' ' || text[a] == '\t'))
			a++;
		while (b > a && (text[b - 1] == '\r' || text[b - 1] == ' ' || text[b - 1] == '\t'))
			b--;
		if (a == b || text[a] == '#')
			continue;
		struct boot_config tmp = *cfg;
		const char *err = apply_line(&tmp, text + a, b - a);
		if (err) {
			if (!bad++)
				say(why, whylen, lineno, err);
			continue;
		}
		*cfg = tmp;
	}
	return bad;
}
