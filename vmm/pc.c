/*
 * A PC for a guest (vmm/pc.h): the guest object, its image through the
 * loader table, its vCPUs from the loader's start state, and the devices
 * every guest has: COM1 (a 16550 at 0x3f8) and the debug-exit port 0xf4.
 */
#include "vmm/pc.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "vmm/dev/debug_exit.h"
#include "vmm/dev/mmio_testdev.h"
#include "vmm/dev/uart16550.h"
#include "vmm/loader/loader.h"
#include "vmm/vm.h"

int pc_create(const struct pc_config *cfg, struct guest **out, char *err, size_t errlen)
{
	struct guest *g;
	int r = guest_create(cfg->name, cfg->mem, cfg->huge, cfg->cmdline, cfg->nr_vcpus, &g, err,
			     errlen);
	if (r)
		return r;
	struct vcpu_state bsp;
	u64 entry;
	const char *format;
	char why[160];
	r = loader_load(g, cfg->image, cfg->image_size, &bsp, &entry, &format, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "bad image: %s", why);
		goto fail;
	}
	if (cfg->reserve && guest_reserve_memory(g)) {
		snprintf(err, errlen, "not enough host memory for reserve=1 (%lu MiB free above "
			 "the VMM's reserve)", (pmm_free_count() > pmm_guest_reserve() ?
			 pmm_free_count() - pmm_guest_reserve() : 0) >> 8);
		r = -E_NOMEM;
		goto fail;
	}
	r = guest_setup_vcpus(g, &bsp);
	if (!r)
		r = uart16550_add(&g->bus, 0x3f8);
	if (!r)
		r = debug_exit_add(&g->bus, 0xf4);
	if (!r)
		r = mmio_testdev_add(&g->bus, MMIO_TESTDEV_BASE);
	if (r) {
		snprintf(err, errlen, "cannot set up the guest (%s)",
			 r == -E_NOMEM ? "out of host memory" : "vCPU or device setup failed");
		goto fail;
	}
	pr_info("vmm", "guest %s created: id=%u mem=%luM%s%s vcpus=%u %s entry=0x%lx image=%lu bytes "
		"cmdline=\"%s\"", g->name, g->id, cfg->mem >> 20, cfg->huge ? " (huge pages)" : "",
		cfg->reserve ? " (reserved)" : "",
		cfg->nr_vcpus, format, entry, cfg->image_size, cfg->cmdline);
	*out = g;
	return 0;
fail:
	guest_discard(g);
	return r;
}
