/* The loader table and the carrying out of a load plan (vmm/loader/loader.h). */
#include "vmm/loader/loader.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"
#include "vmm/acpi_tables.h"
#include "vmm/loader/bzimage.h"
#include "vmm/loader/linux_cmdline.h"
#include "vmm/loader/multiboot.h"
#include "vmm/loader/pvh.h"
#include "vmm/policy.h"
#include "vmm/vm.h"

/* The formats pagoda loads, tried in order. */
static const struct loader *const loaders[] = {
	&multiboot_loader,
};

/* A Linux format: its plan needs struct linux_guest (vmm/loader/bzimage.h)
 * and gives the initrd's place beside struct load_plan. */
struct linux_loader {
	const char *name; /* "pvh", "bzimage" */
	bool (*detect)(const void *img, u64 size); /* cheap signature check */
	int (*plan)(const void *img, u64 size, const struct linux_guest *g, u8 *area,
		    struct linux_plan *out, char *err, size_t errlen); /* as bz_plan() */
};

/* The Linux formats, tried after the loaders above: PVH first (an ELF
 * vmlinux with its entry note), then the bzImage boot protocol. */
static const struct linux_loader linux_loaders[] = {
	{"pvh", pvh_detect, pvh_plan},
	{"bzimage", bz_detect, bz_plan},
};

/* Place the LEN bytes at SRC (a loader's build buffer) at GPA in G through
 * fresh boot pages of G, one per page (they need not be contiguous).  0 or
 * negative. */
static int place_copy(struct guest *g, u64 gpa, const u8 *src, u64 len)
{
	for (u64 off = 0; off < len; off += PAGE_SIZE) {
		u8 *page = guest_boot_page(g);
		if (!page)
			return -E_NOMEM;
		u64 n = MIN((u64)PAGE_SIZE, len - off);
		memcpy(page, src + off, n);
		int r = guest_place(g, gpa + off, page, n);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Does the guest's CPUID give the TSC frequency (leaf 0x15 with its
 * denominator, numerator and crystal all set: vmm/cpuid.c puts pagoda's
 * measured rate there where the CPU has the leaf)?  Linux on Intel then
 * trusts it (and marks the frequency known); elsewhere it calibrates.
 */
static bool cpuid_gives_tsc_khz(void)
{
	u32 r[4];
	cpuid_guest(0, 0, r);
	if (r[0] < 0x15)
		return false;
	cpuid_guest(0x15, 0, r);
	return r[0] && r[1] && r[2];
}

/*
 * The kernel command line for G into OUT (LEN bytes): G's own, plus what
 * pagoda says of the TSC (vmm/loader/linux_cmdline.h): tsc=reliable, and
 * tsc_early_khz= with the rate pagoda measured at boot when the guest's
 * CPUID gives no frequency; words the user gave win.  A log line says
 * what was added.
 */
static void linux_cmdline(const struct guest *g, char *out, size_t len)
{
	u64 khz = cpuid_gives_tsc_khz() ? 0 : time_tsc_khz();
	unsigned added = linux_cmdline_add_tsc(out, len, g->cmdline, khz);
	if (added & LINUX_CMDLINE_TSC_KHZ)
		pr_info("loader", "guest %s: tsc_early_khz=%lu added to the command line "
			"(the TSC rate pagoda measured; the guest's CPUID gives none)", g->name, khz);
	if (added & LINUX_CMDLINE_TSC_RELIABLE)
		pr_info("loader", "guest %s: tsc=reliable added to the command line "
			"(one constant-rate TSC on every vCPU)", g->name);
}

/*
 * Load IMG as the Linux format L for G: the ACPI tables for G's vCPUs at
 * ACPI_TABLES_GPA, the plan built with INITRD (INITRD_SIZE bytes, may be
 * 0) and the tables' place, then kernel segments, boot structures and the
 * initrd placed.  0 and *BSP, *ENTRY, or negative with a reason in ERR.
 */
static int load_linux(struct guest *g, const struct linux_loader *l, const void *img, u64 size,
		      const void *initrd, u64 initrd_size, struct vcpu_state *bsp, u64 *entry,
		      char *err, size_t errlen)
{
	/* Build buffers: loads never nest, so statics serve (the bytes are
	 * copied into the guest's boot pages before returning). */
	static u8 acpi[ACPI_TABLES_MAX], area[LINUX_AREA_SIZE];
	static struct linux_plan plan;
	static char cmdline[LINUX_MAX_CMDLINE];
	struct acpi_pc_config acfg = {.nr_cpus = g->nr_vcpus, .ioapic_id = 0,
				       .pm_timer_port = ACPI_PM_TMR_PORT};
	struct acpi_tables_info ai;
	char why[160];
	int r = acpi_build_tables(acpi, sizeof(acpi), ACPI_TABLES_GPA, &acfg, &ai);
	if (r) {
		snprintf(err, errlen, "cannot build the ACPI tables");
		return r;
	}
	linux_cmdline(g, cmdline, sizeof(cmdline));
	struct linux_guest lg = {
		.mem = g->mem_size, .cmdline = cmdline, .initrd_size = initrd ? initrd_size : 0,
		.rsdp_gpa = ai.rsdp_gpa, .acpi_gpa = ACPI_TABLES_GPA,
		.acpi_size = ALIGN_UP(ai.size, PAGE_SIZE),
	};
	memset(area, 0, sizeof(area));
	r = l->plan(img, size, &lg, area, &plan, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "%s", why);
		return r;
	}
	r = place_copy(g, ACPI_TABLES_GPA, acpi, ai.size);
	for (unsigned i = 0; i < plan.load.nr_seg && !r; i++)
		if (plan.load.seg[i].filesz)
			r = guest_place(g, plan.load.seg[i].gpa,
					(const u8 *)img + plan.load.seg[i].file_off,
					plan.load.seg[i].filesz);
	for (unsigned i = 0; i < plan.load.nr_blob && !r; i++)
		r = place_copy(g, plan.load.blob[i].gpa, area + plan.load.blob[i].area_off,
			       plan.load.blob[i].len);
	if (!r && lg.initrd_size)
		r = guest_place(g, plan.initrd_gpa, initrd, initrd_size);
	if (r) {
		snprintf(err, errlen, "cannot place the image (%s)",
			 r == -E_NOMEM ? "out of host memory" : "bad layout");
		return r;
	}
	*bsp = plan.load.bsp;
	*entry = plan.load.entry;
	return 0;
}

int loader_load(struct guest *g, const void *img, u64 size, const struct load_module *mods,
		unsigned nr_mods, const void *initrd, u64 initrd_size, struct vcpu_state *bsp,
		u64 *entry, const char **format, char *err, size_t errlen)
{
	const struct loader *l = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(loaders) && !l; i++)
		if (loaders[i]->detect(img, size))
			l = loaders[i];
	if (!l) {
		for (unsigned i = 0; i < ARRAY_SIZE(linux_loaders); i++) {
			if (!linux_loaders[i].detect(img, size))
				continue;
			if (nr_mods) {
				snprintf(err, errlen, "%s: a Linux kernel takes initrd=, not module=",
					 linux_loaders[i].name);
				return -E_INVAL;
			}
			*format = linux_loaders[i].name;
			return load_linux(g, &linux_loaders[i], img, size, initrd, initrd_size,
					  bsp, entry, err, errlen);
		}
		snprintf(err, errlen, "no known image format (no Multiboot header, magic 0x1badb002 "
			 "with a valid checksum, in the first 8192 bytes; no PVH ELF note; no bzImage "
			 "\"HdrS\" signature at 0x202)");
		return -E_INVAL;
	}
	if (initrd) {
		snprintf(err, errlen, "%s: initrd= is for Linux kernels (use module=)", l->name);
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
