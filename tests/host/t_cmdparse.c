/*
 * Host tests of the console line parser (vmm/console/cmdparse.c): cmd_parse with bad
 * input of every kind, parse_size, parse_u64 and cmd_valid_name (random
 * inputs are the libFuzzer target tests/fuzz/fuzz_cmdparse.c's).
 *
 * Every line is handed to cmd_parse in a heap buffer of exactly its length
 * (no NUL after it), so AddressSanitizer catches any read past LEN. 
 */
#include "vmm/console/cmdparse.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

static struct cmd_line cl;
static char err[128];

/* cmd_parse on LEN bytes of LINE copied into an exact-size heap buffer. */
static int parse_n(const char *line, size_t len)
{
	char *copy = malloc(len ? len : 1);
	memcpy(copy, line, len);
	err[0] = 0;
	int r = cmd_parse(copy, len, &cl, err, sizeof(err));
	free(copy);
	return r;
}

static int parse(const char *line) { return parse_n(line, strlen(line)); }

/* Does P point inside cl.buf, with a NUL before the end of the buffer? */
static bool in_buf(const struct cmd_line *c, const char *p)
{
	if (p < c->buf || p >= c->buf + sizeof(c->buf))
		return false;
	return memchr(p, 0, (size_t)(c->buf + sizeof(c->buf) - p)) != NULL;
}

/* The invariants of a successful parse. */
static bool invariants(const struct cmd_line *c, const char **why)
{
	if (!c->cmd) {
		*why = "args without a command";
		return c->nr_args == 0;
	}
	if (!in_buf(c, c->cmd) || !c->cmd[0]) {
		*why = "cmd outside buf or empty";
		return false;
	}
	if (c->cmd[0] == '#' || strchr(c->cmd, '=') || strchr(c->cmd, '"')) {
		*why = "cmd word holds '#' first, '=' or a quote";
		return false;
	}
	if (c->nr_args > CMD_MAX_ARGS) {
		*why = "nr_args above CMD_MAX_ARGS";
		return false;
	}
	for (unsigned i = 0; i < c->nr_args; i++) {
		const struct cmd_kv *kv = &c->args[i];
		if (!kv->value || !in_buf(c, kv->value)) {
			*why = "value outside buf";
			return false;
		}
		if (kv->key && (!in_buf(c, kv->key) || !kv->key[0] || strchr(kv->key, '='))) {
			*why = "key outside buf, empty or holding '='";
			return false;
		}
		if (!kv->key && !kv->value[0]) {
			*why = "empty positional argument";
			return false;
		}
	}
	return true;
}

static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static void test_empty_and_comments(void)
{
	static const char *const blank[] = {"", " ", "     ", "\t", " \t \t ", "\n", "\r\n",
					    "\r", "  \r\n", "#", "# comment", "#mem",
					    "   # indented comment", "\t#tab comment",
					    "# comment with \"quote and = and \\", "#\r\n"};
	for (unsigned i = 0; i < ARRAY_SIZE(blank); i++) {
		int r = parse(blank[i]);
		ok(r == 0 && cl.cmd == NULL && cl.nr_args == 0,
		   "blank/comment line %u gives no command (r=%d)", i, r);
	}
	/* Zero length with a non-NULL but unreadable-past-0 buffer. */
	ok(parse_n("mem", 0) == 0 && cl.cmd == NULL, "LEN 0 ignores the bytes behind the pointer");
	ok(parse("mem\r\n") == 0 && streq(cl.cmd, "mem") && cl.nr_args == 0,
	   "trailing CR LF are stripped");
	ok(parse("  mem  ") == 0 && streq(cl.cmd, "mem") && cl.nr_args == 0,
	   "leading and trailing blanks are ignored");
	/* '#' is a comment only as the first word; later it is an ordinary word. */
	ok(parse("list #x") == 0 && streq(cl.cmd, "list") && cl.nr_args == 1 &&
		   streq(cmd_pos(&cl, 0), "#x"),
	   "'#' after the command word is a plain argument");
	ok(parse("a#b") == 0 && streq(cl.cmd, "a#b"), "'#' inside the command word is literal");
}

static void test_length(void)
{
	char line[CMD_LINE_MAX * 2 + 2];
	const char *why = "";

	/* A value filling the line to CMD_LINE_MAX - 1 bytes: the longest accepted. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "c k=", 4);
	int r = parse_n(line, CMD_LINE_MAX - 1);
	ok(r == 0 && streq(cl.cmd, "c") && cl.nr_args == 1 &&
		   strlen(cmd_get(&cl, "k")) == CMD_LINE_MAX - 5 && invariants(&cl, &why),
	   "a line of CMD_LINE_MAX-1 (%d) bytes is accepted whole (r=%d %s)", CMD_LINE_MAX - 1,
	   r, err);
	r = parse_n(line, CMD_LINE_MAX);
	ok(r == -E_INVAL && strstr(err, "too long"), "a line of exactly CMD_LINE_MAX bytes is refused (%s)",
	   err);
	r = parse_n(line, CMD_LINE_MAX + 1);
	ok(r == -E_INVAL && strstr(err, "too long"), "CMD_LINE_MAX+1 bytes refused");
	r = parse_n(line, sizeof(line));
	ok(r == -E_INVAL && strstr(err, "too long"), "2*CMD_LINE_MAX+2 bytes refused");
	/* CMD_LINE_MAX-1 bytes plus CR LF: the newline does not count. */
	line[CMD_LINE_MAX - 1] = '\r';
	line[CMD_LINE_MAX] = '\n';
	r = parse_n(line, CMD_LINE_MAX + 1);
	ok(r == 0 && strlen(cmd_get(&cl, "k")) == CMD_LINE_MAX - 5,
	   "CMD_LINE_MAX-1 bytes + CR LF accepted (r=%d %s)", r, err);

	/* Blanks only, longer than the limit: still too long (length is checked first). */
	memset(line, ' ', sizeof(line));
	ok(parse_n(line, CMD_LINE_MAX) == -E_INVAL, "CMD_LINE_MAX blanks refused as too long");

	/*
	 * The densest output for the buffer: words "k=" (a NUL for '=' and one
	 * for the end of the word) and quoted values.  CMD_MAX_ARGS of them
	 * plus a long last value of total length CMD_LINE_MAX-1.
	 */
	size_t o = 0;
	line[o++] = 'c';
	for (int i = 0; i < CMD_MAX_ARGS - 1; i++) {
		memcpy(line + o, " k=", 3);
		o += 3;
	}
	memcpy(line + o, " v=\"", 4);
	o += 4;
	while (o < CMD_LINE_MAX - 2)
		line[o++] = 'y';
	line[o++] = '"';
	r = parse_n(line, o);
	ok(r == 0 && o == CMD_LINE_MAX - 1 && cl.nr_args == CMD_MAX_ARGS && invariants(&cl, &why) &&
		   streq(cl.args[0].value, "") && strlen(cl.args[CMD_MAX_ARGS - 1].value) ==
							      CMD_LINE_MAX - 1 - 4 - 3 * (CMD_MAX_ARGS - 1) - 2,
	   "densest line of %zu bytes: %d args, all inside buf (r=%d %s)", o, CMD_MAX_ARGS, r, err);
}

static void test_key_values(void)
{
	int r = parse("create demo mem=64M image=test cmdline=\"hello exit=3\" vcpus=1");
	ok(r == 0 && streq(cl.cmd, "create") && cl.nr_args == 5, "create line: 5 arguments");
	ok(streq(cmd_pos(&cl, 0), "demo") && cmd_pos(&cl, 1) == NULL, "positional demo, no second");
	ok(streq(cmd_get(&cl, "mem"), "64M") && streq(cmd_get(&cl, "image"), "test") &&
		   streq(cmd_get(&cl, "cmdline"), "hello exit=3") && streq(cmd_get(&cl, "vcpus"), "1"),
	   "key=value pairs kept right, quoted value with a blank and '='");
	ok(cmd_get(&cl, "nosuchkey") == NULL && cmd_get(&cl, "demo") == NULL &&
		   cmd_get(&cl, "") == NULL,
	   "unknown keys and positional words are not keys");

	/* Unknown keys are the console's business: parse keeps them in order. */
	r = parse("frob zz=1 a first yy=\"two words\" second zz=3");
	ok(r == 0 && cl.nr_args == 6 && streq(cl.args[0].key, "zz") && streq(cl.args[0].value, "1") &&
		   cl.args[1].key == NULL && streq(cl.args[1].value, "a") &&
		   streq(cl.args[3].key, "yy") && streq(cl.args[3].value, "two words") &&
		   streq(cl.args[5].value, "3"),
	   "mixed keys and words kept in order");
	ok(streq(cmd_get(&cl, "zz"), "1"), "cmd_get returns the first of a repeated key");
	ok(streq(cmd_pos(&cl, 0), "a") && streq(cmd_pos(&cl, 1), "first") &&
		   streq(cmd_pos(&cl, 2), "second") && cmd_pos(&cl, 3) == NULL,
	   "cmd_pos counts positional words only");

	r = parse("c a=b=c");
	ok(r == 0 && streq(cmd_get(&cl, "a"), "b=c"), "only the first '=' splits: a -> \"b=c\"");
	r = parse("c k=");
	ok(r == 0 && cl.nr_args == 1 && streq(cl.args[0].key, "k") && streq(cl.args[0].value, ""),
	   "empty value (k=) is an empty string");
	r = parse("c k=\"\" j=\"\"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "") && streq(cmd_get(&cl, "j"), ""),
	   "empty quoted values");
	r = parse("c k= j=2");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "") && streq(cmd_get(&cl, "j"), "2"),
	   "empty value followed by another pair");

	r = parse("c =v");
	ok(r == -E_INVAL && strstr(err, "empty key"), "empty key refused (%s)", err);
	r = parse("c =");
	ok(r == -E_INVAL, "lone '=' refused");
	r = parse("c x==");
	ok(r == 0 && streq(cmd_get(&cl, "x"), "="), "x== is key x, value \"=\"");
	r = parse("a=b");
	ok(r == -E_INVAL && strstr(err, "command word"), "'=' in the command word refused (%s)", err);
	r = parse("  =x");
	ok(r == -E_INVAL, "command word starting with '=' refused");
	r = parse("mem=1 x");
	ok(r == -E_INVAL, "key=value as the command word refused");
}

static void test_quotes(void)
{
	int r;
	static const char *const bad[] = {
		"c k=\"abc",       /* unbalanced */
		"c k=\"",          /* lone opening quote */
		"c k=\"abc\\\"",   /* escaped closing quote: still open */
		"c k=\"abc\\",     /* backslash at the very end */
		"c k=ab\"cd\"",    /* quote in mid-value */
		"c k=ab\"",        /* quote at the end of a plain value */
		"c a\"b\"",        /* quote in a positional word */
		"c \"pos\"",       /* quoted positional: not supported */
		"\"create\" x",    /* quoted command word */
		"cr\"eate\"",      /* quote in the command word */
		"c k\"=v\"",       /* quote in a key */
		"c k=\"ab\"cd",    /* text after the closing quote */
		"c k=\"ab\"\"cd\"", /* two quoted parts */
		"c k=\"ab\"=",     /* '=' after the closing quote */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		r = parse(bad[i]);
		ok(r == -E_INVAL && err[0], "quote misuse refused: %s -> \"%s\"", bad[i], err);
	}
	r = parse("c k=\"abc");
	ok(strstr(err, "unbalanced") != NULL, "unbalanced quotes say so (%s)", err);
	r = parse("c k=ab\"cd\"");
	ok(strstr(err, "middle") != NULL, "mid-word quote says so (%s)", err);
	r = parse("c k=\"ab\"cd");
	ok(strstr(err, "after a closing quote") != NULL, "text after the quote says so (%s)", err);

	r = parse("c k=\"ab\" x");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "ab") && streq(cmd_pos(&cl, 0), "x"),
	   "closing quote then a blank and a word");
	r = parse("c k=\"ab\"\tx");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "ab") && streq(cmd_pos(&cl, 0), "x"),
	   "closing quote then a tab");
	r = parse("c k=\"a\\\"b\\\\c\"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "a\"b\\c"), "\\\" and \\\\ unescape (got %s)",
	   cmd_get(&cl, "k") ? cmd_get(&cl, "k") : "(null)");
	r = parse("c k=\"a\\\\\"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "a\\"), "escaped backslash right before the closing quote");
	r = parse("c k=\"\\n\\x\"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "nx"), "other escapes give the character itself");
	r = parse("c k=a\\b \\\\");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "a\\b") && streq(cmd_pos(&cl, 0), "\\\\"),
	   "backslashes outside quotes are literal");
	r = parse("c k=\"  # not a comment = \"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "  # not a comment = "),
	   "blanks, '#' and '=' inside quotes kept");
	r = parse("c k=\"a\tb\"");
	ok(r == 0 && streq(cmd_get(&cl, "k"), "a\tb"), "tab inside quotes kept");
}

static void test_binary_and_tabs(void)
{
	static const unsigned char bytes[] = {0x00, 0x01, 0x07, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f,
					      0x7f, 0x80, 0xc3, 0xfe, 0xff};
	for (unsigned i = 0; i < ARRAY_SIZE(bytes); i++) {
		char line[] = "mem x=ab";
		line[6] = (char)bytes[i];
		int r = parse_n(line, sizeof(line) - 1);
		ok(r == -E_INVAL && strstr(err, "control"), "byte 0x%02x in a value refused (%s)",
		   bytes[i], err);
		char q[] = "c k=\"a b\"";
		q[6] = (char)bytes[i];
		r = parse_n(q, sizeof(q) - 1);
		ok(r == -E_INVAL, "byte 0x%02x inside quotes refused", bytes[i]);
	}
	ok(parse_n("mem\0", 4) == -E_INVAL, "NUL at the end (inside LEN) refused");
	ok(parse_n("\0mem", 4) == -E_INVAL, "NUL at the start refused");
	ok(parse_n("# comment \x01", 11) == -E_INVAL,
	   "control byte refused even in a comment line");
	ok(parse_n("mem\rlist", 8) == -E_INVAL, "CR in mid-line refused");
	ok(parse_n("mem\n\nlist", 9) == -E_INVAL, "LF in mid-line refused");

	int r = parse("\tmem\tx\t\ty=1\t");
	ok(r == 0 && streq(cl.cmd, "mem") && cl.nr_args == 2 && streq(cmd_pos(&cl, 0), "x") &&
		   streq(cmd_get(&cl, "y"), "1"),
	   "tabs separate words like blanks");
}

static void test_too_many(void)
{
	char line[256];
	size_t o = (size_t)snprintf(line, sizeof(line), "c");
	for (int i = 0; i < CMD_MAX_ARGS; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " a%d=%d", i, i);
	int r = parse_n(line, o);
	ok(r == 0 && cl.nr_args == CMD_MAX_ARGS && streq(cmd_get(&cl, "a11"), "11"),
	   "CMD_MAX_ARGS (%d) arguments accepted", CMD_MAX_ARGS);
	o += (size_t)snprintf(line + o, sizeof(line) - o, " extra");
	r = parse_n(line, o);
	ok(r == -E_INVAL && strstr(err, "too many"), "CMD_MAX_ARGS+1 arguments refused (%s)", err);
	o += (size_t)snprintf(line + o, sizeof(line) - o, " more words here");
	r = parse_n(line, o);
	ok(r == -E_INVAL && strstr(err, "too many"), "CMD_MAX_ARGS+4 arguments refused");
}

static void test_err_buffer(void)
{
	char small[4] = "zzz";
	int r = cmd_parse("a=b", 3, &cl, small, sizeof(small));
	ok(r == -E_INVAL && strlen(small) == 3, "a short err buffer is filled and NUL-terminated");
	r = cmd_parse("a=b", 3, &cl, NULL, 0);
	ok(r == -E_INVAL, "err may be NULL");
	small[0] = 'q';
	r = cmd_parse("a=b", 3, &cl, small, 0);
	ok(r == -E_INVAL && small[0] == 'q', "errlen 0 leaves err untouched");
	r = cmd_parse("c =", 3, &cl, small, 1);
	ok(r == -E_INVAL && small[0] == 0, "errlen 1 gives an empty string");
}

struct size_case {
	const char *s;
	int rc;
	u64 v;
};

static void test_parse_size(void)
{
	static const struct size_case cases[] = {
		{"0", 0, 0},
		{"4096", 0, 4096},
		{"1K", 0, 1024},
		{"2k", 0, 2048},
		{"64M", 0, 64ULL << 20},
		{"64m", 0, 64ULL << 20},
		{"6G", 0, 6ULL << 30},
		{"1T", 0, 1ULL << 40},
		{"64MB", 0, 64ULL << 20},
		{"64Mb", 0, 64ULL << 20},
		{"1KB", 0, 1024},
		{"16777215T", 0, 16777215ULL << 40},
		{"18446744073709551615", 0, ~0ULL},
		{"", -E_INVAL, 0},
		{"12X", -E_INVAL, 0},
		{"G", -E_INVAL, 0},
		{"M", -E_INVAL, 0},
		{"B", -E_INVAL, 0},
		{"1GiB", -E_INVAL, 0},
		{"1MM", -E_INVAL, 0},
		{"1BB", -E_INVAL, 0},
		{"1MBx", -E_INVAL, 0},
		{"-1", -E_INVAL, 0},
		{"-1M", -E_INVAL, 0},
		{"+1", -E_INVAL, 0},
		{" 1", -E_INVAL, 0},
		{"1 ", -E_INVAL, 0},
		{"1.5G", -E_INVAL, 0},
		{"0x10", -E_INVAL, 0},
		{"1e6", -E_INVAL, 0},
		{"99999999999T", -E_RANGE, 0},
		{"16777216T", -E_RANGE, 0},
		{"17179869184G", -E_RANGE, 0},
		{"18446744073709551616", -E_RANGE, 0},
		{"99999999999999999999", -E_RANGE, 0},
		{"123456789012345678901234567890", -E_RANGE, 0},
		/* "optional trailing 'B'" (cmdparse.h) also without K/M/G/T: */
		{"4096B", 0, 4096},
		/* leading zeros are not an overflow: */
		{"000000000000000000000000064M", 0, 64ULL << 20},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct size_case *c = &cases[i];
		u64 v = 0xdeadbeef;
		int r = parse_size(c->s, &v);
		bool good = r == c->rc && (c->rc ? v == 0xdeadbeef : v == c->v);
		ok(good, "parse_size(\"%s\") = %d%s", c->s, c->rc, c->rc ? ", out untouched" : "");
		if (!good)
			diag("got r=%d v=%llu (%#llx)", r, (unsigned long long)v, (unsigned long long)v);
	}
}

static void test_parse_u64(void)
{
	static const struct size_case cases[] = {
		{"0", 0, 0},
		{"123", 0, 123},
		{"00012", 0, 12}, /* decimal, not octal */
		{"0x1f", 0, 31},
		{"0X1F", 0, 31},
		{"0xAbCdEf", 0, 0xabcdef},
		{"0x0", 0, 0},
		{"0xffffffffffffffff", 0, ~0ULL},
		{"0x0000000000000000000000ff", 0, 0xff},
		{"18446744073709551615", 0, ~0ULL},
		{"18446744073709551610", 0, ~0ULL - 5},
		{"18446744073709551616", -E_RANGE, 0},
		{"18446744073709551620", -E_RANGE, 0},
		{"99999999999999999999", -E_RANGE, 0},
		{"0x10000000000000000", -E_RANGE, 0},
		{"0x1ffffffffffffffff", -E_RANGE, 0},
		{"", -E_INVAL, 0},
		{"0x", -E_INVAL, 0},
		{"0X", -E_INVAL, 0},
		{"x1", -E_INVAL, 0},
		{"12a", -E_INVAL, 0},
		{"1f", -E_INVAL, 0},
		{"0xg", -E_INVAL, 0},
		{"0x1g", -E_INVAL, 0},
		{"0x0x1", -E_INVAL, 0},
		{"0b101", -E_INVAL, 0},
		{"-1", -E_INVAL, 0},
		{"+1", -E_INVAL, 0},
		{" 1", -E_INVAL, 0},
		{"1 ", -E_INVAL, 0},
		{"64M", -E_INVAL, 0},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct size_case *c = &cases[i];
		u64 v = 0xdeadbeef;
		int r = parse_u64(c->s, &v);
		bool good = r == c->rc && (c->rc ? v == 0xdeadbeef : v == c->v);
		ok(good, "parse_u64(\"%s\") = %d", c->s, c->rc);
		if (!good)
			diag("got r=%d v=%llu", r, (unsigned long long)v);
	}
}

static void test_names(void)
{
	char n[40];
	ok(!cmd_valid_name(""), "name of length 0 refused");
	ok(cmd_valid_name("a"), "name of length 1 accepted");
	memset(n, 'a', sizeof(n));
	n[31] = 0;
	ok(cmd_valid_name(n), "name of length 31 accepted");
	n[31] = 'a';
	n[32] = 0;
	ok(!cmd_valid_name(n), "name of length 32 refused");
	n[39] = 0;
	ok(!cmd_valid_name(n), "name of length 39 refused");
	ok(!cmd_valid_name("123"), "digits only refused (would look like an id)");
	ok(!cmd_valid_name("0x1"), "a hex number refused (would look like id 1)");
	ok(!cmd_valid_name("0x1f"), "0x1f refused");
	ok(cmd_valid_name("0xg"), "0xg is no number: accepted");
	ok(cmd_valid_name("x1"), "x1 accepted");
	ok(!cmd_valid_name("0"), "\"0\" refused");
	ok(cmd_valid_name("1a") && cmd_valid_name("a1") && cmd_valid_name("007x"),
	   "digits with a letter accepted");
	ok(cmd_valid_name("A-z_0-9") && cmd_valid_name("-") && cmd_valid_name("_"),
	   "letters, digits, '-' and '_' accepted");
	static const char *const bad[] = {"bad!name", "a b", "a.b", "a/b", "a\\b", "a=b",
					  "a\"b", "a\tb", "a#", "\xc3\xa9t\xc3\xa9", "a\x7f",
					  "a\x01", "na:me", "*"};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!cmd_valid_name(bad[i]), "bad character in name #%u refused", i);
}

int main(void)
{
	test_empty_and_comments();
	test_length();
	test_key_values();
	test_quotes();
	test_binary_and_tabs();
	test_too_many();
	test_err_buffer();
	test_parse_size();
	test_parse_u64();
	test_names();
	return tap_done();
}
