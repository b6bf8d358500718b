/*
 * A small regular-expression matcher for the console's `expect NAME re=`
 * (pure: no allocation, no device; host-tested by tests/host/t_regex.c).
 *
 * Supported: literal bytes; "." (any byte); "[abc]", "[a-z0-9_]", "[^...]"
 * sets ("]" first in a set and "-" first or last are literal; escapes work
 * inside); the quantifiers "*", "+" and "?" (greedy) after any atom; "^" at
 * the start and "$" at the end of the pattern (anchors; elsewhere they are
 * literal bytes); the escapes \d \D \s \S \w \W \t and a backslash before
 * any punctuation byte (\. \* \[ \\ \( ...).
 *
 * Not supported (refused with a reason, so a pattern never means something
 * else silently): groups "( )", alternation "|", counted repetition
 * "{m,n}", back-references, lazy quantifiers, other backslash letters,
 * case folding.  Matching is byte-wise and case-sensitive.
 */
#ifndef PAGODA_REGEX_H
#define PAGODA_REGEX_H

#include "lib/types.h"

#define REGEX_MAX_ATOMS 64      /* atoms in one pattern */
#define REGEX_MAX_STEPS 200000  /* backtracking steps one search may take */

/* One atom: the bytes it matches, and how many times in a row. */
struct regex_atom {
	u8 set[32];   /* bit B set: byte B matches */
	u8 min;       /* repetitions at least (0 or 1) */
	bool many;    /* and at most: unbounded ("*", "+"), else 1 */
};

/* A compiled pattern. */
struct regex {
	struct regex_atom atoms[REGEX_MAX_ATOMS]; /* in pattern order */
	unsigned nr_atoms;
	bool anchor_start; /* the pattern began with "^" */
	bool anchor_end;   /* the pattern ended with "$" */
};

/*
 * Compile the NUL-terminated PATTERN into RE.  0, or -E_INVAL with a
 * static reason in *WHY (unbalanced "[", a quantifier with nothing to
 * repeat, an unsupported construct, too many atoms...).
 */
int regex_compile(struct regex *re, const char *pattern, const char **why);
/*
 * Whether RE matches somewhere in the LEN bytes at TEXT (no NUL needed):
 * 1 yes, 0 no, -E_RANGE when the search gave up after REGEX_MAX_STEPS
 * backtracking steps (a pathological pattern; treated as no match).
 */
int regex_search(const struct regex *re, const char *text, size_t len);

#endif
