/*
 * The console's regular expressions (lib/regex.h): a pattern is compiled
 * into a row of atoms, each a 256-bit byte set with a repetition range, and
 * searched by backtracking with a step budget, so that no pattern can keep
 * the VMM busy for long.
 */
#include "lib/regex.h"

static void set_add(u8 *set, unsigned b) { set[b >> 3] |= (u8)(1u << (b & 7)); }

static bool set_has(const u8 *set, u8 b) { return set[b >> 3] & (1u << (b & 7)); }

static void set_range(u8 *set, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi; b++)
		set_add(set, b);
}

static void set_invert(u8 *set)
{
	for (unsigned i = 0; i < 32; i++)
		set[i] = (u8)~set[i];
}

static bool is_punct(char c)
{
	return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
	       (c >= 0x7b && c <= 0x7e);
}

/*
 * The escape "\C" (C the byte after the backslash) into SET: a class
 * (\d \s \w and their negations \D \S \W), a tab (\t), or C itself when it
 * is punctuation.  Returns false for any other C (unsupported).
 */
static bool escape_into(u8 *set, char c)
{
	u8 tmp[32] = {0};
	switch (c) {
	case 'd': case 'D':
		set_range(tmp, '0', '9');
		break;
	case 's': case 'S':
		set_add(tmp, ' ');
		set_range(tmp, '\t', '\r'); /* tab, LF, VT, FF, CR */
		break;
	case 'w': case 'W':
		set_range(tmp, 'a', 'z');
		set_range(tmp, 'A', 'Z');
		set_range(tmp, '0', '9');
		set_add(tmp, '_');
		break;
	case 't':
		set_add(tmp, '\t');
		break;
	default:
		if (!is_punct(c))
			return false;
		set_add(tmp, (u8)c);
	}
	if (c == 'D' || c == 'S' || c == 'W')
		set_invert(tmp);
	for (unsigned i = 0; i < 32; i++)
		set[i] |= tmp[i];
	return true;
}

/*
 * The set "[...]" whose first byte after "[" is at *P, into SET; *P moves
 * past its "]".  0, or -E_INVAL with *WHY.
 */
static int parse_set(const char **p, u8 *set, const char **why)
{
	const char *s = *p;
	bool negate = false;
	if (*s == '^') {
		negate = true;
		s++;
	}
	bool first = true;
	while (*s && (*s != ']' || first)) {
		first = false;
		if (*s == '\\') {
			if (!s[1] || !escape_into(set, s[1])) {
				*why = "unsupported escape in a set";
				return -E_INVAL;
			}
			s += 2;
			continue;
		}
		u8 lo = (u8)*s;
		if (s[1] == '-' && s[2] && s[2] != ']') {
			u8 hi = (u8)s[2];
			if (hi == '\\') {
				*why = "an escape cannot end a range";
				return -E_INVAL;
			}
			if (hi < lo) {
				*why = "reversed range in a set";
				return -E_INVAL;
			}
			set_range(set, lo, hi);
			s += 3;
			continue;
		}
		set_add(set, lo);
		s++;
	}
	if (*s != ']') {
		*why = "unterminated [";
		return -E_INVAL;
	}
	if (negate)
		set_invert(set);
	*p = s + 1;
	return 0;
}

int regex_compile(struct regex *re, const char *pattern, const char **why)
{
	const char *p = pattern;
	static const char *no_reason = "";
	if (!why)
		why = &no_reason;
	re->nr_atoms = 0;
	re->anchor_start = re->anchor_end = false;
	if (*p == '^') {
		re->anchor_start = true;
		p++;
	}
	while (*p) {
		if (*p == '$' && !p[1]) {
			re->anchor_end = true;
			break;
		}
		if (*p == '*' || *p == '+' || *p == '?') {
			*why = "a quantifier with nothing to repeat";
			return -E_INVAL;
		}
		if (*p == '(' || *p == ')' || *p == '|' || *p == '{' || *p == '}') {
			*why = "groups, alternation and {m,n} are not supported (escape the byte)";
			return -E_INVAL;
		}
		if (re->nr_atoms == REGEX_MAX_ATOMS) {
			*why = "too many atoms";
			return -E_INVAL;
		}
		struct regex_atom *a = &re->atoms[re->nr_atoms];
		for (unsigned i = 0; i < 32; i++)
			a->set[i] = 0;
		a->min = 1;
		a->many = false;
		if (*p == '.') {
			set_range(a->set, 0, 255);
			p++;
		} else if (*p == '[') {
			p++;
			int r = parse_set(&p, a->set, why);
			if (r)
				return r;
		} else if (*p == '\\') {
			if (!p[1]) {
				*why = "a trailing backslash";
				return -E_INVAL;
			}
			if (!escape_into(a->set, p[1])) {
				*why = "unsupported escape";
				return -E_INVAL;
			}
			p += 2;
		} else {
			set_add(a->set, (u8)*p);
			p++;
		}
		if (*p == '*' || *p == '+' || *p == '?') {
			a->min = *p == '+' ? 1 : 0;
			a->many = *p != '?';
			p++;
			if (*p == '*' || *p == '+' || *p == '?') {
				*why = "two quantifiers in a row";
				return -E_INVAL;
			}
		}
		re->nr_atoms++;
	}
	return 0;
}

/* The state of one search: the text and the steps left. */
struct search {
	const struct regex *re;
	const char *text;
	size_t len;
	u32 steps; /* backtracking steps left; 0: gave up */
};

/*
 * Whether atoms I.. of the pattern match the text from position TP (up to
 * its end when the pattern ends with "$").  1, 0, or -E_RANGE when the
 * step budget ran out.  Greedy: the longest run of an atom is tried first.
 */
static int match_from(struct search *s, unsigned i, size_t tp)
{
	if (!s->steps)
		return -E_RANGE;
	s->steps--;
	if (i == s->re->nr_atoms)
		return !s->re->anchor_end || tp == s->len;
	const struct regex_atom *a = &s->re->atoms[i];
	size_t max = a->many ? s->len - tp : MIN((size_t)1, s->len - tp);
	size_t run = 0;
	while (run < max && set_has(a->set, (u8)s->text[tp + run]))
		run++;
	if (run < a->min)
		return 0;
	for (size_t k = run + 1; k-- > a->min;) {
		int r = match_from(s, i + 1, tp + k);
		if (r)
			return r;
	}
	return 0;
}

int regex_search(const struct regex *re, const char *text, size_t len)
{
	struct search s = {.re = re, .text = text, .len = len, .steps = REGEX_MAX_STEPS};
	for (size_t start = 0; start <= len; start++) {
		int r = match_from(&s, 0, start);
		if (r)
			return r;
		if (re->anchor_start)
			break;
	}
	return 0;
}
