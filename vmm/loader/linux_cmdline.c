/*
 * The Linux command line's additions from the VMM (vmm/loader/linux_cmdline.h).
 */
#include "vmm/loader/linux_cmdline.h"
#include "lib/string.h"

/* Does CMDLINE have a word (space- or tab-separated) starting with PARAM? */
static bool has_param(const char *cmdline, const char *param)
{
	size_t plen = strlen(param);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && !strncmp(p, param, plen))
			return true;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return false;
}

/* Append WORD to the string in OUT (LEN bytes), after a space unless OUT
 * is empty, if the whole of it fits; true if it did. */
static bool append_word(char *out, size_t len, const char *word)
{
	size_t have = strlen(out), sep = have ? 1 : 0, wlen = strlen(word);
	if (have + sep + wlen + 1 > len)
		return false;
	if (sep)
		out[have] = ' ';
	memcpy(out + have + sep, word, wlen + 1);
	return true;
}

unsigned linux_cmdline_add_tsc(char *out, size_t len, const char *cmdline, u64 khz)
{
	size_t n = MIN(strlen(cmdline), len - 1);
	memcpy(out, cmdline, n);
	out[n] = 0;
	unsigned added = 0;
	if (khz && !has_param(cmdline, "tsc_early_khz=")) {
		char word[40];
		snprintf(word, sizeof(word), "tsc_early_khz=%lu", (unsigned long)khz);
		if (append_word(out, len, word))
			added |= LINUX_CMDLINE_TSC_KHZ;
	}
	if (!has_param(cmdline, "tsc=") && append_word(out, len, "tsc=reliable"))
		added |= LINUX_CMDLINE_TSC_RELIABLE;
	return added;
}
