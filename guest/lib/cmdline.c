/*
 * guest/lib/cmdline.c -- the Multiboot command line (see guest.h).
 */
#include "guest/lib/guest.h"

#define MBI_FLAG_CMDLINE (1u << 2) /* Multiboot 0.6.96, 3.3: cmdline is valid */
#define CMDLINE_MAX 512

/* The start of the Multiboot information structure (3.3). */
struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline; /* physical address of a C string */
};

static char cmdline_buf[CMDLINE_MAX];

/* True for the characters that separate tokens. */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* See guest.h.  The first token is dropped when it contains '/' or '.',
 * as an image path does; the copy is cut at CMDLINE_MAX - 1 bytes.
 * Assumes the info and the string lie in the identity-mapped 4 GiB. */
const char *cmdline_from_loader(u32 mb_info_addr)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mb_info_addr;
	if (!mbi || !(mbi->flags & MBI_FLAG_CMDLINE) || !mbi->cmdline)
		return cmdline_buf;
	const char *s = (const char *)(uintptr_t)mbi->cmdline;
	while (blank(*s))
		s++;
	const char *end = s;
	bool path = false;
	for (; *end && !blank(*end); end++)
		path |= *end == '/' || *end == '.';
	if (path)
		s = end;
	while (blank(*s))
		s++;
	size_t n = strnlen(s, CMDLINE_MAX - 1);
	memcpy(cmdline_buf, s, n);
	cmdline_buf[n] = 0;
	return cmdline_buf;
}

/* See guest.h. */
bool cmdline_has(const char *cmdline, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = cmdline; *p;) {
		while (blank(*p))
			p++;
		const char *t = p;
		while (*p && !blank(*p))
			p++;
		if ((size_t)(p - t) == len && len && !memcmp(t, word, len))
			return true;
	}
	return false;
}
