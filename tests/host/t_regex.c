/*
 * Host tests of lib/regex.c, the console's `expect NAME re=` matcher: a
 * table of pattern / text / expected result covering literals, ".", the
 * quantifiers, sets and ranges, anchors and escapes; patterns it must
 * refuse; and the step budget against a pathological pattern.  Every text
 * is handed over in a heap buffer of exactly its length (no NUL), so
 * AddressSanitizer catches a read past it.
 */
#include "lib/regex.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"

/* regex_search of PATTERN (compiled) on TEXT in an exact-size heap copy;
 * -100 when the pattern does not compile. */
static int search(const char *pattern, const char *text)
{
	struct regex re;
	const char *why = NULL;
	if (regex_compile(&re, pattern, &why))
		return -100;
	size_t n = strlen(text);
	char *copy = malloc(n ? n : 1);
	memcpy(copy, text, n);
	int r = regex_search(&re, copy, n);
	free(copy);
	return r;
}

static const struct {
	const char *re, *text;
	int want;
} cases[] = {
	/* literals, anywhere in the line */
	{"abc", "abc", 1}, {"abc", "xxabcxx", 1}, {"abc", "abx", 0}, {"abc", "", 0},
	{"", "", 1}, {"", "anything", 1}, {"echo:hi", "guest says echo:hi!", 1},
	{"a", "A", 0}, /* case-sensitive */
	/* . */
	{"a.c", "abc", 1}, {"a.c", "a-c", 1}, {"a.c", "ac", 0}, {"...", "ab", 0}, {".", "", 0},
	/* * */
	{"ab*c", "ac", 1}, {"ab*c", "abbbc", 1}, {"ab*c", "abxc", 0}, {"a*", "", 1},
	{".*x", "abcx", 1}, {".*x$", "abcxy", 0}, {"a.*b.*c", "a1b2c", 1}, {"a.*b.*c", "acb", 0},
	/* + */
	{"ab+c", "ac", 0}, {"ab+c", "abc", 1}, {"ab+c", "abbbbc", 1}, {"^a+$", "aaaa", 1},
	{"^a+$", "aaba", 0},
	/* ? */
	{"colou?r", "color", 1}, {"colou?r", "colour", 1}, {"colou?r", "colouur", 0},
	{"^ab?$", "a", 1}, {"^ab?$", "abb", 0},
	/* sets, ranges, negation */
	{"[abc]", "xbx", 1}, {"[abc]", "xyz", 0}, {"^[a-z]+$", "hello", 1},
	{"^[a-z]+$", "Hello", 0}, {"^[a-zA-Z0-9_]+$", "Ab_9", 1}, {"[^0-9]", "123", 0},
	{"[^0-9]", "12a3", 1}, {"^[^ ]+$", "no-blank", 1}, {"^[^ ]+$", "a blank", 0},
	{"[]]", "a]b", 1}, {"[]a]+$", "x]a]", 1}, {"[a-]", "-", 1}, {"[-a]", "-", 1},
	{"[.]", "x", 0}, {"[.]", "x.", 1}, {"[\\d]", "a5", 1}, {"[\\]]", "]", 1},
	{"^[^\\s]*$", "a b", 0},
	/* anchors */
	{"^abc", "abcd", 1}, {"^abc", "xabc", 0}, {"abc$", "xabc", 1}, {"abc$", "abcx", 0},
	{"^abc$", "abc", 1}, {"^$", "", 1}, {"^$", "x", 0}, {"a^b", "a^b", 1}, {"a$b", "a$b", 1},
	{"/ # $", "/ # ", 1}, {"/ # $", "/ # ls", 0},
	/* escapes */
	{"a\\.b", "a.b", 1}, {"a\\.b", "axb", 0}, {"\\d+", "abc 42", 1}, {"^\\d+$", "4x2", 0},
	{"\\D", "123", 0}, {"\\s", "a b", 1}, {"\\s", "ab", 0}, {"\\S", "   ", 0},
	{"^\\w+$", "ab_1", 1}, {"^\\w+$", "ab-1", 0}, {"\\W", "abc", 0}, {"\\W", "ab c", 1},
	{"\\*", "a*", 1}, {"\\\\", "a\\b", 1}, {"\\(x\\)", "f(x)", 1}, {"\\t", "a\tb", 1},
	{"\\$$", "cost $", 1}, {"\\^", "a^", 1},
	/* backtracking */
	{"^a*ab$", "aaab", 1}, {"^a*a*a*b$", "aaaa", 0}, {"x.*y.*z", "xyyyyyyz", 1},
	{"status=\\d+ ok", "status=12 status=3 ok", 1},
};

static const char *const refused[] = {
	"*a", "+", "?x", "^*", "a**", "a+?", "[abc", "[", "[^", "a\\", "\\q", "\\1",
	"(a)", "a|b", "a{2}", "[z-a]", "[\\q]", "[a-\\d]",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 atoms */
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = search(cases[i].re, cases[i].text);
		ok(r == cases[i].want, "/%s/ on \"%s\": %s (got %d)", cases[i].re, cases[i].text,
		   cases[i].want ? "match" : "no match", r);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct regex re;
		const char *why = NULL;
		int r = regex_compile(&re, refused[i], &why);
		ok(r == -E_INVAL && why && why[0], "/%s/ refused (%s)", refused[i], why ? why : "-");
	}
	{
		struct regex re;
		ok(regex_compile(&re, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				 NULL) == 0 && re.nr_atoms == REGEX_MAX_ATOMS,
		   "64 atoms are accepted");
	}
	/* A pattern that backtracks exponentially gives up within the budget. */
	{
		char text[201];
		memset(text, 'a', 200);
		text[200] = 0;
		int r = search("a*a*a*a*a*a*a*a*a*a*a*a*b", text);
		ok(r == -E_RANGE, "a*...a*b on 200 a's stops at the step budget (got %d)", r);
		r = search("a*a*b", "aaaab");
		ok(r == 1, "the same shape on a short line still matches (got %d)", r);
	}
	return tap_done();
}
