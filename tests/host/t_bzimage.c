/*
 * Host tests of the bzImage loader and the Linux memory map
 * (vmm/loader/bzimage.c): a synthetic image checked field by field (the
 * plan, the zero page, the e820 table, the command line, the GDT, the BSP
 * state), the same image broken every way the loader checks, random
 * truncations and corruptions (whatever the answer, a success keeps every
 * promise), and Debian's real kernel (build/linux/vmlinuz) when
 * scripts/linux-payload.sh has fetched it (skipped otherwise).
 *
 * Images are handed over in heap buffers of exactly their size, so
 * AddressSanitizer catches a read past the end.
 */
#include "vmm/loader/bzimage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#define REAL_IMAGE "build/linux/vmlinuz"
#define REAL_INITRD "build/linux/initramfs.cpio.gz"
#define SETUP_SECTS 4
#define SETUP_LEN ((SETUP_SECTS + 1) * 512)
#define KERNEL_LEN 0x10000
#define LOAD 0x1000000ULL
#define INIT_SIZE 0x200000
#define MEM (64ULL << 20)

static u8 area[LINUX_AREA_SIZE];
static struct linux_plan plan;
static char err[200];

static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w32(u8 *p, u32 v) { w16(p, (u16)v); w16(p + 2, (u16)(v >> 16)); }
static void w64(u8 *p, u64 v) { w32(p, (u32)v); w32(p + 4, (u32)(v >> 32)); }
static u32 r16(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8; }
static u32 r32(const u8 *p) { return r16(p) | r16(p + 2) << 16; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }

/* A guest of MEM bytes with an initrd and ACPI tables in the BIOS area. */
static struct linux_guest guest(void)
{
	return (struct linux_guest){.mem = MEM, .cmdline = "console=ttyS0 pagoda.shell",
				    .initrd_size = 0x123456, .rsdp_gpa = 0xe0040,
				    .acpi_gpa = 0xe0000, .acpi_size = 0x2000};
}

/* A minimal valid bzImage: boot protocol 2.15, relocatable, kernel bytes
 * numbered so that a wrong file offset shows. */
static u8 *make_image(size_t *size)
{
	*size = SETUP_LEN + KERNEL_LEN;
	u8 *p = calloc(1, *size);
	p[0x1f1] = SETUP_SECTS;
	w32(p + 0x1f4, KERNEL_LEN / 16);   /* syssize */
	w16(p + 0x1fa, 0xffff);            /* vid_mode: normal */
	w16(p + 0x1fe, 0xaa55);            /* boot_flag */
	p[0x200] = 0xeb;                   /* jump */
	p[0x201] = 0x6a;                   /* to the end of the 2.15 header: 0x26c */
	memcpy(p + 0x202, "HdrS", 4);
	w16(p + 0x206, 0x020f);            /* version */
	p[0x211] = 0x01;                   /* loadflags: LOADED_HIGH */
	w32(p + 0x214, 0x100000);          /* code32_start (the loader overwrites it) */
	w32(p + 0x22c, 0x7fffffff);        /* initrd_addr_max */
	w32(p + 0x230, 0x200000);          /* kernel_alignment */
	p[0x234] = 1;                      /* relocatable_kernel */
	w16(p + 0x236, 0x7f);              /* xloadflags */
	w32(p + 0x238, 2047);              /* cmdline_size */
	w64(p + 0x258, LOAD);              /* pref_address */
	w32(p + 0x260, INIT_SIZE);         /* init_size */
	for (size_t i = SETUP_LEN; i < *size; i++)
		p[i] = (u8)(i * 7);
	return p;
}

/* bz_plan on a copy of IMG in an exact-size heap buffer, area pre-dirtied. */
static int plan_of(const u8 *img, size_t size, const struct linux_guest *g)
{
	u8 *copy = malloc(size ? size : 1);
	memcpy(copy, img, size);
	memset(area, 0xcc, sizeof(area));
	err[0] = 0;
	int r = bz_plan(copy, size, g, area, &plan, err, sizeof(err));
	free(copy);
	return r;
}

/* The e820 table in the zero page: ascending, no overlap, RAM only in
 * [0, 0x9fc00) and [1 MiB, mem) and covering them except the ACPI area,
 * the APIC pages reserved, the ACPI area typed 3.  NULL or what is wrong. */
static const char *check_e820(const u8 *bp, const struct linux_guest *g)
{
	unsigned n = bp[BP_E820_ENTRIES];
	u64 ram = 0, prev_end = 0, acpi_lo = g->acpi_gpa, acpi_hi = g->acpi_gpa + g->acpi_size;
	bool ioapic = false, lapic = false, acpi = !g->acpi_size;
	if (n < 3 || n > LINUX_MAX_MEMMAP)
		return "entry count";
	for (unsigned i = 0; i < n; i++) {
		const u8 *e = bp + BP_E820_TABLE + 20 * i;
		u64 a = r64(e), s = r64(e + 8);
		u32 t = r32(e + 16);
		if (!s || a < prev_end)
			return "empty, unsorted or overlapping entries";
		prev_end = a + s;
		if (t == 1) {
			if (!((a + s <= 0x9fc00) || (a == 0x100000 && a + s == g->mem)))
				return "RAM where there is none";
			if (g->acpi_size && a < acpi_hi && a + s > acpi_lo)
				return "RAM over the ACPI area";
			ram += s;
		}
		ioapic |= t == 2 && a == 0xfec00000 && s == 4096;
		lapic |= t == 2 && a == 0xfee00000 && s == 4096;
		acpi |= t == 3 && a == g->acpi_gpa && s == g->acpi_size;
	}
	u64 acpi_low = 0; /* ACPI bytes cut out of [0, 0x9fc00) */
	if (g->acpi_size && acpi_lo < 0x9fc00)
		acpi_low = (acpi_hi < 0x9fc00 ? acpi_hi : 0x9fc00) - acpi_lo;
	if (ram != 0x9fc00 - acpi_low + g->mem - 0x100000)
		return "RAM total";
	if (!ioapic || !lapic)
		return "APIC pages not reserved";
	return acpi ? NULL : "ACPI area not typed 3";
}

static void test_valid(void)
{
	size_t size;
	u8 *img = make_image(&size);
	struct linux_guest g = guest();
	int r = plan_of(img, size, &g);
	is_u64(r, 0, "synthetic image: planned (%s)", err);
	const struct load_segment *s = &plan.load.seg[0];
	ok(plan.load.nr_seg == 1 && s->gpa == LOAD && s->file_off == SETUP_LEN &&
	   s->filesz == KERNEL_LEN && s->memsz == INIT_SIZE,
	   "kernel: file 0x%x+0x%x at pref_address, init_size in memory", SETUP_LEN, KERNEL_LEN);
	ok(plan.load.nr_blob == 1 && plan.load.blob[0].gpa == LINUX_BOOT_GPA &&
	   plan.load.blob[0].area_off == 0 && plan.load.blob[0].len == LINUX_AREA_SIZE,
	   "one blob: the whole area at LINUX_BOOT_GPA");
	is_u64(plan.initrd_gpa, (MEM - 0x123456) & ~0xfffULL, "initrd: top of RAM, page-aligned");
	const u8 *bp = area;
	ok(memcmp(bp + 0x1f1, img + 0x1f1, 0x210 - 0x1f1) == 0 &&
	   memcmp(bp + 0x22c, img + 0x22c, 0x26c - 0x22c) == 0,
	   "zero page: the image's setup header copied");
	is_u64(bp[BP_TYPE_OF_LOADER], 0xff, "type_of_loader 0xff");
	is_u64(bp[BP_LOADFLAGS] & 1, 1, "loadflags: LOADED_HIGH kept");
	is_u64(r32(bp + BP_CODE32_START), LOAD, "code32_start: the load address");
	is_u64(r32(bp + BP_CMD_LINE_PTR), LINUX_BOOT_GPA + BZ_CMDLINE_OFF, "cmd_line_ptr");
	ok(strcmp((const char *)area + BZ_CMDLINE_OFF, g.cmdline) == 0, "command line in the area");
	is_u64(r32(bp + BP_RAMDISK_IMAGE) | (u64)r32(bp + BP_EXT_RAMDISK_IMAGE) << 32, plan.initrd_gpa,
	       "ramdisk_image");
	is_u64(r32(bp + BP_RAMDISK_SIZE), 0x123456, "ramdisk_size");
	is_u64(r64(bp + BP_ACPI_RSDP_ADDR), 0xe0040, "acpi_rsdp_addr (protocol 2.15)");
	const char *why = check_e820(bp, &g);
	ok(!why, "e820 table (%s)", why ? why : "fine");
	ok(plan.initrd_gpa >= LOAD + INIT_SIZE && plan.initrd_gpa + g.initrd_size <= g.mem,
	   "initrd above the kernel's init_size, inside RAM");
	/* The 32-bit boot protocol's state. */
	const struct vcpu_state *st = &plan.load.bsp;
	ok(st->regs.rip == LOAD && st->regs.rsi == LINUX_BOOT_GPA && st->regs.rbx == 0 &&
	   st->regs.rdi == 0 && st->regs.rbp == 0, "BSP: EIP = code32_start, ESI = zero page, "
	   "EBX/EDI/EBP 0");
	ok((st->cr0 & 1) && !(st->cr0 & 0x80000000u) && !(st->regs.rflags & 0x200) && !st->efer,
	   "BSP: protected mode, paging off, IF clear");
	ok(st->seg[HV_SEG_CS].selector == 0x10 && st->seg[HV_SEG_DS].selector == 0x18 &&
	   st->seg[HV_SEG_SS].selector == 0x18 && st->seg[HV_SEG_ES].selector == 0x18,
	   "BSP: CS = __BOOT_CS, DS/ES/SS = __BOOT_DS");
	ok(st->seg[HV_SEG_CS].base == 0 && st->seg[HV_SEG_CS].limit == 0xffffffffu &&
	   st->seg[HV_SEG_DS].base == 0 && st->seg[HV_SEG_DS].limit == 0xffffffffu,
	   "BSP: flat 4 GiB segments");
	ok(st->gdtr.base == LINUX_BOOT_GPA + BZ_GDT_OFF && st->gdtr.limit == BZ_GDT_SIZE - 1,
	   "BSP: GDTR on the area's GDT");
	/* The GDT's descriptors decode as what the segment registers hold:
	 * base 0, limit 0xfffff pages, code execute/read, data read/write. */
	const u8 *gdt = area + BZ_GDT_OFF;
	u64 cs = r64(gdt + 0x10), ds = r64(gdt + 0x18);
	ok(r64(gdt) == 0 && ((cs >> 40) & 0x9e) == 0x9a && ((ds >> 40) & 0x9e) == 0x92 &&
	   (cs & 0xffff) == 0xffff && ((cs >> 48) & 0xf) == 0xf && ((cs >> 52) & 0xc) == 0xc &&
	   (ds & 0xffff) == 0xffff && ((ds >> 52) & 0xc) == 0xc && !(cs & 0xff0000ffffff0000ULL) && !(ds & 0xff0000ffffff0000ULL),
	   "GDT: flat 32-bit code at 0x10, data at 0x18");

	/* No initrd, no ACPI: ramdisk fields 0, the map still whole. */
	g.initrd_size = 0;
	g.acpi_size = 0;
	g.rsdp_gpa = 0;
	is_u64(plan_of(img, size, &g), 0, "no initrd, no ACPI: planned");
	ok(plan.initrd_gpa == 0 && r32(area + BP_RAMDISK_IMAGE) == 0 && r32(area + BP_RAMDISK_SIZE) == 0,
	   "no initrd: ramdisk fields 0");
	why = check_e820(area, &g);
	ok(!why, "no ACPI: e820 table (%s)", why ? why : "fine");

	/* Protocol 2.12 has no acpi_rsdp_addr: left 0. */
	g = guest();
	w16(img + 0x206, 0x020c);
	is_u64(plan_of(img, size, &g), 0, "protocol 2.12: planned");
	is_u64(r64(area + BP_ACPI_RSDP_ADDR), 0, "protocol 2.12: acpi_rsdp_addr left 0");
	free(img);
}

/* One way to break the image or the guest; the refusal's message must
 * contain WANT. */
struct breakage {
	const char *what;                         /* test name */
	void (*apply)(u8 *img, size_t *size, struct linux_guest *g);
	const char *want;                         /* in the error message */
};

static void b_hdrs(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x202] = 'X'; }
static void b_flag(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x1fe] = 0; }
static void b_version(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w16(p + 0x206, 0x020b); }
static void b_high(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x211] = 0; }
static void b_hdr_end(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x201] = 0xff; }
static void b_hdr_short(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x201] = 0x40; }
static void b_sects(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[0x1f1] = 200; }
static void b_syssize(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x1f4, KERNEL_LEN / 16 + 2); }
static void b_pref_low(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + 0x258, 0x80000); }
static void b_pref_align(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + 0x258, LOAD + 0x1000); }
static void b_align_zero(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x230, 0); }
static void b_init_size(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x260, KERNEL_LEN - 1); }
static void b_small_mem(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->mem = LOAD + INIT_SIZE - 4096; }
static void b_tiny_mem(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->mem = MiB(1); }
static void b_huge_mem(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->mem = GiB(4); }
static void b_initrd(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->initrd_size = MEM - LOAD - INIT_SIZE + 1; }
static void b_initrd_max(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x22c, LOAD + INIT_SIZE + 0x1000); }
static void b_initrd_max_low(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x22c, 0x8000); }
static void b_cmdline_size(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + 0x238, 5); }
static void b_acpi(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->acpi_gpa = 0x200000; }
static void b_acpi_low(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->acpi_gpa = 0x10000; }
static void b_trunc_setup(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)g; *s = SETUP_LEN; }
static void b_trunc_tiny(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)g; *s = 0x300; }

static char long_cmdline[LINUX_MAX_CMDLINE + 10];
static void b_cmdline(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->cmdline = long_cmdline; }

static const struct breakage breakages[] = {
	{"no HdrS", b_hdrs, "HdrS"},
	{"boot flag not 0xaa55", b_flag, "0xaa55"},
	{"protocol 2.11", b_version, "2.11"},
	{"LOADED_HIGH clear", b_high, "LOADED_HIGH"},
	{"setup header end past 0x290", b_hdr_end, "setup header end"},
	{"setup header without init_size", b_hdr_short, "setup header end"},
	{"setup_sects beyond the file", b_sects, "truncated"},
	{"syssize beyond the file", b_syssize, "syssize"},
	{"pref_address below 1 MiB", b_pref_low, "below 1 MiB"},
	{"pref_address misaligned", b_pref_align, "kernel_alignment"},
	{"kernel_alignment 0", b_align_zero, "kernel_alignment"},
	{"init_size below the kernel", b_init_size, "init_size"},
	{"guest too small for init_size", b_small_mem, "guest has"},
	{"guest of 1 MiB", b_tiny_mem, "guest has"},
	{"guest RAM over the I/O APIC", b_huge_mem, "I/O APIC"},
	{"initrd too big", b_initrd, "initrd"},
	{"initrd_addr_max under the initrd", b_initrd_max, "initrd"},
	{"initrd_addr_max below 1 MiB", b_initrd_max_low, "initrd_addr_max"},
	{"cmdline_size 5", b_cmdline_size, "command line"},
	{"command line over LINUX_MAX_CMDLINE", b_cmdline, "command line"},
	{"ACPI area above 1 MiB", b_acpi, "ACPI area"},
	{"ACPI area over the boot structures", b_acpi_low, "ACPI area"},
	{"truncated to the setup code", b_trunc_setup, "truncated"},
	{"truncated to 0x300 bytes", b_trunc_tiny, "HdrS"},
};

static void test_broken(void)
{
	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	for (unsigned i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		size_t size;
		u8 *img = make_image(&size);
		struct linux_guest g = guest();
		breakages[i].apply(img, &size, &g);
		int r = plan_of(img, size, &g);
		ok(r == -E_INVAL && strstr(err, breakages[i].want) && !strchr(err, '\n'),
		   "%s: refused (%s)", breakages[i].what, err);
		free(img);
	}
}

/* What every successful plan promises, whatever the image. */
static const char *promises(u64 size, const struct linux_guest *g)
{
	const struct load_segment *s = &plan.load.seg[0];
	if (plan.load.nr_seg != 1 || s->filesz > s->memsz || s->file_off > size ||
	    s->filesz > size - s->file_off)
		return "segment outside the file";
	if (s->gpa < MiB(1) || s->gpa > g->mem || s->memsz > g->mem - s->gpa)
		return "segment outside RAM";
	if (plan.initrd_gpa && (plan.initrd_gpa < s->gpa + s->memsz ||
				plan.initrd_gpa + g->initrd_size > g->mem))
		return "initrd overlaps the kernel or leaves RAM";
	return check_e820(area, g);
}

static void test_random(void)
{
	size_t size;
	u8 *img = make_image(&size);
	struct linux_guest g = guest();
	unsigned bad = 0, refused = 0, planned = 0;
	srand(12);
	for (int i = 0; i < 400; i++) { /* truncations */
		size_t n = (size_t)rand() % size;
		int r = plan_of(img, n, &g);
		if (r == 0 && promises(n, &g))
			bad++;
		refused += r != 0;
	}
	ok(bad == 0 && refused == 400, "400 random truncations refused (%u bad)", bad);
	bad = 0;
	refused = 0;
	for (int i = 0; i < 3000; i++) { /* corrupt 1-3 header bytes */
		u8 *copy = malloc(size);
		memcpy(copy, img, size);
		for (int k = 0; k < 1 + rand() % 3; k++)
			copy[0x1f1 + rand() % (0x270 - 0x1f1)] = (u8)rand();
		int r = plan_of(copy, size, &g);
		if (r == 0) {
			const char *why = promises(size, &g);
			if (why) {
				diag("corruption %d: %s", i, why);
				bad++;
			}
			planned++;
		} else if (!err[0]) {
			bad++;
		} else {
			refused++;
		}
		free(copy);
	}
	ok(bad == 0, "3000 header corruptions: %u planned, %u refused with a reason, %u broke a promise",
	   planned, refused, bad);
	free(img);
}

static void test_real(void)
{
	size_t size, isize = 0;
	u8 *img = host_read_file(REAL_IMAGE, &size);
	if (!img) {
		ok(1, "# SKIP no %s (scripts/linux-payload.sh makes it)", REAL_IMAGE);
		return;
	}
	u8 *initrd = host_read_file(REAL_INITRD, &isize);
	free(initrd);
	struct linux_guest g = guest();
	g.mem = 256ULL << 20;
	g.initrd_size = isize ? isize : 1000000;
	ok(bz_detect(img, size), "%s: detected", REAL_IMAGE);
	int r = plan_of(img, size, &g);
	is_u64(r, 0, "%s: planned (%s)", REAL_IMAGE, err);
	u64 setup = ((u64)(img[0x1f1] ? img[0x1f1] : 4) + 1) * 512;
	diag("protocol %x, pref_address %#llx, init_size %#x, setup %llu bytes, kernel %llu bytes",
	     r16(img + 0x206), (unsigned long long)r64(img + 0x258), r32(img + 0x260),
	     (unsigned long long)setup, (unsigned long long)(size - setup));
	ok(plan.load.seg[0].gpa == r64(img + 0x258) && plan.load.seg[0].file_off == setup &&
	   plan.load.seg[0].memsz == r32(img + 0x260), "%s: loaded at pref_address from the "
	   "protected-mode part", REAL_IMAGE);
	const char *why = promises(size, &g);
	ok(!why, "%s: plan keeps its promises (%s)", REAL_IMAGE, why ? why : "fine");
	ok(r64(area + BP_ACPI_RSDP_ADDR) == g.rsdp_gpa || r16(img + 0x206) < 0x20e,
	   "%s: acpi_rsdp_addr set", REAL_IMAGE);
	/* Every truncation of the real image short of its syssize is refused. */
	unsigned ok_trunc = 0;
	u64 sys = (u64)r32(img + 0x1f4) * 16;
	for (int i = 0; i < 20; i++) {
		size_t n = (size_t)rand() % (setup + sys - 16);
		ok_trunc += plan_of(img, n, &g) == -E_INVAL;
	}
	is_u64(ok_trunc, 20, "%s: 20 truncations refused", REAL_IMAGE);
	free(img);
}

/* linux_memmap's own refusals, which bz_plan's earlier checks hide. */
static void test_memmap(void)
{
	struct linux_mem_range map[LINUX_MAX_MEMMAP];
	struct linux_guest g = guest();
	g.mem = MiB(1);
	ok(linux_memmap(&g, map, err, sizeof(err)) == -E_INVAL && strstr(err, "at least 2 MiB"),
	   "memmap: 1 MiB guest refused (%s)", err);
	g = guest();
	g.acpi_gpa = 0xff000;
	g.acpi_size = 0x2000;
	ok(linux_memmap(&g, map, err, sizeof(err)) == -E_INVAL && strstr(err, "ACPI area"),
	   "memmap: ACPI area crossing 1 MiB refused (%s)", err);
	g.acpi_gpa = 0x7f000;
	ok(linux_memmap(&g, map, err, sizeof(err)) == -E_INVAL && strstr(err, "ACPI area"),
	   "memmap: ACPI area below ACPI_AREA_MIN refused (%s)", err);
	/* Below the EBDA: cut out of low RAM, RAM again after it. */
	g.acpi_gpa = 0x9e000;
	g.acpi_size = 0x1000;
	int m = linux_memmap(&g, map, err, sizeof(err));
	ok(m == 7 && map[0].addr == 0 && map[0].size == 0x9e000 && map[0].type == LINUX_MEM_RAM &&
	   map[1].type == LINUX_MEM_ACPI && map[2].addr == 0x9f000 && map[2].size == 0xc00 &&
	   map[2].type == LINUX_MEM_RAM && map[3].addr == 0x9fc00 && map[3].type == LINUX_MEM_RESERVED,
	   "memmap: ACPI area below the EBDA cut out of low RAM");
	g = guest();
	g = guest();
	g.acpi_gpa = 0xfe000;
	g.acpi_size = 0x2000;
	int n = linux_memmap(&g, map, err, sizeof(err));
	ok(n == 6 && map[1].type == LINUX_MEM_RESERVED && map[2].type == LINUX_MEM_ACPI &&
	   map[2].addr + map[2].size == MiB(1) && map[3].addr == MiB(1),
	   "memmap: ACPI area ending at 1 MiB leaves no empty range");
	g = guest();
	is_u64(linux_initrd_gpa(&g, MEM - 0x100000, 0xffffffff), ~0ULL,
	       "initrd: no room above the kernel");
	is_u64(linux_initrd_gpa(&g, LOAD, MEM / 2 - 1), (MEM / 2 - 0x123456) & ~0xfffULL,
	       "initrd: below initrd_addr_max");
}

int main(void)
{
	test_memmap();
	test_valid();
	test_broken();
	test_random();
	test_real();
	return tap_done();
}
