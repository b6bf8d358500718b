/* The loader table and the carrying out of a load plan (vmm/loader/loader.h). */
#include "vmm/loader/loader.h"
#include "lib/string.h"
#include "vmm/loader/multiboot.h"
#include "vmm/vm.h"

/* The formats pagoda loads, tried in order. */
static const struct loader *const loaders[] = {
	&multiboot_loader,
};

int loader_load(struct guest *g, const void *img, u64 size, const struct load_module *mods,
		unsigned nr_mods, struct vcpu_state *bsp, u64 *entry, const char **format, char *err,
		size_t errlen)
{
	const struct loader *l = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(loaders) && !l; i++)
		if (loaders[i]->detect(img, size))
			l = loaders[i];
	if (!l) {
		snprintf(err, errlen, "no known image format (no Multiboot header, magic 0x1badb002 "
			 "with a valid checksum, in the first 8192 bytes)");
		return -E_INVAL;
	}
	u8 *area = guest_boot_page(g);
	if (!area) {
		snprintf(err, errlen, "out of host memory");
		return -E_NOMEM;
	}
	/* The plan is large for a stack (a vcpu_state, the segments); loads
	 * never nest, so one static serves. */
	static struct load_plan plan;
	char why[128];
	int r = l->plan(img, size, g->mem_size, g->cmdline, mods, nr_mods, area, &plan, why,
			sizeof(why));
	if (r) {
		snprintf(err, errlen, "%s: %s", l->name, why);
		return r;
	}
	/* Image bytes, boot structures and modules are copied in page by page at first
	 * touch; a segment that is all bss needs nothing (fresh pages are 0). */
	for (unsigned i = 0; i < plan.nr_seg && !r; i++)
		if (plan.seg[i].filesz)
			r = guest_place(g, plan.seg[i].gpa, (const u8 *)img + plan.seg[i].file_off,
					plan.seg[i].filesz);
	for (unsigned i = 0; i < plan.nr_blob && !r; i++)
		r = guest_place(g, plan.blob[i].gpa, area + plan.blob[i].area_off, plan.blob[i].len);
	for (unsigned i = 0; i < nr_mods && !r; i++)
		if (mods[i].size)
			r = guest_place(g, plan.mod_gpa[i], mods[i].data, mods[i].size);
	if (r) {
		snprintf(err, errlen, "cannot place the image (%s)",
			 r == -E_NOMEM ? "out of host memory" : "bad layout");
		return r;
	}
	*bsp = plan.bsp;
	*entry = plan.entry;
	*format = l->name;
	return 0;
}
