/*
 * Console command lines: tokenizing and value parsing.  Pure functions,
 * built into the host tests with sanitizers.
 *
 *   create demo mem=64M image=test cmdline="hello exit=3"
 *
 * is the word "create", the positional argument "demo" and three key=value
 * pairs; a value in double quotes may hold spaces, and \" and \\ inside it
 * stand for " and \.
 */
#ifndef PAGODA_CMDPARSE_H
#define PAGODA_CMDPARSE_H

#include "lib/types.h"

#define CMD_LINE_MAX 512
#define CMD_MAX_ARGS 12

struct cmd_kv {
	const char *key;   /* NULL for a positional argument */
	const char *value; /* the value (or the positional word) */
};

struct cmd_line {
	char buf[CMD_LINE_MAX]; /* unescaped copy of the line; args point into it */
	const char *cmd;        /* first word, NULL for an empty or comment line */
	struct cmd_kv args[CMD_MAX_ARGS];
	unsigned nr_args;
};

/*
 * Split LINE (LEN bytes, no newline needed) into OUT.  Returns 0, or
 * -E_INVAL with a reason in ERR: too long, unbalanced quotes, control or
 * non-ASCII bytes, too many arguments, an empty key.  Lines that are empty
 * or start with '#' give cmd == NULL.
 */
int cmd_parse(const char *line, size_t len, struct cmd_line *out, char *err, size_t errlen);
/*
 * The next line of a startup file TEXT (LEN bytes) at or after *POS that is
 * worth running: not empty and not a lone CR.  Sets *LINE and *N (the line
 * without its newline) and moves *POS past it.  False when none is left.
 */
bool cmd_next_line(const char *text, u64 len, u64 *pos, const char **line, size_t *n);
/* The value of KEY, or NULL. */
const char *cmd_get(const struct cmd_line *c, const char *key);
/* The I-th positional argument, or NULL. */
const char *cmd_pos(const struct cmd_line *c, unsigned i);
/*
 * Parse a size with an optional K/M/G/T suffix (powers of 1024) and an
 * optional trailing 'B' ("64M", "6G", "4096", "1GiB" is refused).  Returns 0
 * or -E_INVAL (syntax) / -E_RANGE (overflow).
 */
int parse_size(const char *s, u64 *out);
/* Parse a decimal or 0x-hex unsigned number.  0 or -E_INVAL / -E_RANGE. */
int parse_u64(const char *s, u64 *out);
/* Is NAME a valid guest name: 1..31 of [A-Za-z0-9_-], not a number (all
 * digits, or 0x and hex digits), so it can never be mistaken for an id? */
bool cmd_valid_name(const char *name);

#endif
