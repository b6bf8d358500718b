/*
 * Checks on a struct tdp_fmt before mm/ builds entries with it.
 */
#include "mm/spte.h"
#include "lib/log.h"

/*
 * 0 when FMT is usable, -E_INVAL (logged) otherwise.  See spte.h for what is
 * checked and why each rule matters to the walkers.
 */
int tdp_fmt_check(const struct tdp_fmt *fmt)
{
	const char *why = NULL;
	u64 hw = fmt->present_mask | fmt->readable_mask | fmt->writable_mask | fmt->exec_mask |
		 fmt->nx_mask | fmt->user_mask | fmt->large_mask | fmt->accessed_mask |
		 fmt->dirty_mask | fmt->memtype_leaf | fmt->nonleaf_bits | fmt->addr_mask;

	if (fmt->levels < 2 || fmt->levels > TDP_MAX_LEVELS)
		why = "levels";
	else if (!fmt->present_mask || !fmt->addr_mask || (fmt->addr_mask & 0xfff))
		why = "present/address masks";
	else if (hw & SPTE_MMU_PRESENT)
		why = "format uses the software MMU-present bit 11";
	else if (SPTE_FROZEN & (fmt->present_mask | fmt->readable_mask | fmt->writable_mask |
				fmt->exec_mask | fmt->addr_mask))
		why = "FROZEN would be present or carry an address";
	else if (!fmt->mmio_mask || (fmt->mmio_value & ~fmt->mmio_mask))
		why = "MMIO mask/value";
	else if (fmt->mmio_value & SPTE_MMU_PRESENT)
		why = "MMIO value is MMU-present";
	else if ((SPTE_FROZEN & fmt->mmio_mask) == fmt->mmio_value || fmt->mmio_value == 0)
		why = "MMIO pattern matches FROZEN or a zero entry";
	else if (fmt->mmio_gen_mask & (fmt->mmio_mask | SPTE_MMU_PRESENT))
		why = "MMIO generation bits overlap the pattern";
	else if (fmt->mmio_gen_shift < 0 || fmt->mmio_gen_shift > 63 ||
		 (fmt->mmio_gen_mask && !((fmt->mmio_gen_mask >> fmt->mmio_gen_shift) & 1)))
		why = "MMIO generation shift";
	if (why) {
		pr_err("tdp", "format %s unusable: %s", fmt->name ? fmt->name : "?", why);
		return -E_INVAL;
	}
	return 0;
}
