/*
 * The Linux command line's additions from the VMM (vmm/loader/linux_cmdline.h).
 */
#include "vmm/loader/linux_cmdline.h"
#include "lib/string.h"

#define TSC_KHZ_PARAM "tsc_early_khz="

/* Does CMDLINE have a word (space-separated) starting with PARAM? */
static bool has_param(const char *cmdline, const char *param)
{
	size_t plen = strlen(param);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, param, plen))
			return true;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return false;
}

bool linux_cmdline_add_tsc_khz(char *out, size_t len, const char *cmdline, u64 khz)
{
	size_t clen = strlen(cmdline);
	if (khz && !has_param(cmdline, TSC_KHZ_PARAM)) {
		int n = snprintf(out, len, "%s%s" TSC_KHZ_PARAM "%lu", cmdline, clen ? " " : "",
				 (unsigned long)khz);
		if (n > 0 && (size_t)n < len)
			return true;
	}
	size_t n = MIN(clen, len - 1);
	memcpy(out, cmdline, n);
	out[n] = 0;
	return false;
}
