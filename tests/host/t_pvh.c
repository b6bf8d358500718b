/*
 * Host tests of the PVH loader (vmm/loader/pvh.c): synthetic ELF64 and
 * ELF32 kernels with the entry note among other notes, checked field by
 * field (segments, start info, module list, memory map, command line, GDT,
 * BSP state); the same images broken every way the loader checks; random
 * truncations and corruptions; and Debian's vmlinux (build/linux/vmlinux)
 * when scripts/linux-payload.sh has made it (skipped otherwise), whose
 * note the test finds by its own scan.
 *
 * Images are handed over in heap buffers of exactly their size, so
 * AddressSanitizer catches a read past the end.
 */
#include "vmm/loader/pvh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#define REAL_IMAGE "build/linux/vmlinux"
#define LOAD 0x1000000u
#define ENTRY (LOAD + 0x100)
#define MEM (64ULL << 20)
#define IMG_SIZE 0x3000
#define NOTE_OFF 0x200

static u8 area[PVH_AREA_SIZE];
static struct linux_plan plan;
static char err[200];

static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w32(u8 *p, u32 v) { w16(p, (u16)v); w16(p + 2, (u16)(v >> 16)); }
static void w64(u8 *p, u64 v) { w32(p, (u32)v); w32(p + 4, (u32)(v >> 32)); }
static u32 r32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }

static struct linux_guest guest(void)
{
	return (struct linux_guest){.mem = MEM, .cmdline = "console=ttyS0",
				    .initrd_size = 0x20000, .rsdp_gpa = 0xe0040,
				    .acpi_gpa = 0xe0000, .acpi_size = 0x2000};
}

/* Append a note (name NAME, type TYPE, DESCSZ bytes of DESC) at P; returns
 * the bytes written. */
static size_t note(u8 *p, const char *name, u32 type, const void *desc, u32 descsz)
{
	u32 namesz = (u32)strlen(name) + 1;
	w32(p, namesz);
	w32(p + 4, descsz);
	w32(p + 8, type);
	memcpy(p + 12, name, namesz);
	size_t at = 12 + ((namesz + 3) & ~3u);
	memcpy(p + at, desc, descsz);
	return at + ((descsz + 3) & ~3u);
}

/* An ELF kernel: one PT_LOAD (file 0x1000+0x1000 at LOAD, 0x2000 in
 * memory) and one PT_NOTE holding a GNU note, an unrelated Xen note and
 * the entry note (8-byte value for ELF64, 4-byte for ELF32). */
static u8 *make_image(bool is64, size_t *size)
{
	u8 *p = calloc(1, IMG_SIZE);
	*size = IMG_SIZE;
	memcpy(p, "\x7f" "ELF", 4);
	p[4] = is64 ? 2 : 1;
	p[5] = 1; /* little-endian */
	p[6] = 1;
	w16(p + 16, 2);                  /* ET_EXEC */
	w16(p + 18, is64 ? 62 : 3);      /* EM_X86_64 / EM_386 */
	u64 ph = is64 ? 64 : 52;
	u8 *l = p + ph, *n;
	size_t nlen = 0;
	u8 *notes = p + NOTE_OFF;
	nlen += note(notes + nlen, "GNU", 3, "0123456789abcdefghij", 20);
	nlen += note(notes + nlen, "Xen", 6, "linux", 6);
	if (is64) {
		u64 e = ENTRY;
		nlen += note(notes + nlen, "Xen", PVH_NOTE_PHYS32_ENTRY, &e, 8);
		w64(p + 24, LOAD);       /* e_entry (not PVH's) */
		w64(p + 32, ph);         /* e_phoff */
		w16(p + 54, 56);         /* e_phentsize */
		w16(p + 56, 2);          /* e_phnum */
		n = l + 56;
		w32(l, 1);               /* PT_LOAD */
		w64(l + 8, 0x1000);      /* p_offset */
		w64(l + 16, 0xffffffff81000000ULL); /* p_vaddr */
		w64(l + 24, LOAD);       /* p_paddr */
		w64(l + 32, 0x1000);     /* p_filesz */
		w64(l + 40, 0x2000);     /* p_memsz */
		w32(n, 4);               /* PT_NOTE */
		w64(n + 8, NOTE_OFF);
		w64(n + 32, nlen);
		w64(n + 40, nlen);
	} else {
		u32 e = ENTRY;
		nlen += note(notes + nlen, "Xen", PVH_NOTE_PHYS32_ENTRY, &e, 4);
		w32(p + 24, LOAD);
		w32(p + 28, (u32)ph);
		w16(p + 42, 32);
		w16(p + 44, 2);
		n = l + 32;
		w32(l, 1);
		w32(l + 4, 0x1000);
		w32(l + 8, LOAD);
		w32(l + 12, LOAD);
		w32(l + 16, 0x1000);
		w32(l + 20, 0x2000);
		w32(n, 4);
		w32(n + 4, NOTE_OFF);
		w32(n + 16, (u32)nlen);
		w32(n + 20, (u32)nlen);
	}
	for (size_t i = 0x1000; i < 0x2000; i++)
		p[i] = (u8)(i * 3);
	return p;
}

static int plan_of(const u8 *img, size_t size, const struct linux_guest *g)
{
	u8 *copy = malloc(size ? size : 1);
	memcpy(copy, img, size);
	memset(area, 0xcc, sizeof(area));
	err[0] = 0;
	int r = pvh_plan(copy, size, g, area, &plan, err, sizeof(err));
	free(copy);
	return r;
}

/* The start info and what it points to, decoded: NULL or what is wrong. */
static const char *check_start_info(const struct linux_guest *g)
{
	const u8 *si = area;
#define AT(gpa) (area + ((gpa) - LINUX_BOOT_GPA))
#define INSIDE(gpa, len) ((gpa) >= LINUX_BOOT_GPA && (gpa) - LINUX_BOOT_GPA + (len) <= PVH_AREA_SIZE)
	if (r32(si) != 0x336ec578 || r32(si + 4) < 1)
		return "magic or version";
	u64 cl = r64(si + 24), mm = r64(si + 40), ml = r64(si + 16);
	u32 nmod = r32(si + 12), nmm = r32(si + 48);
	if (!INSIDE(cl, strlen(g->cmdline) + 1) || strcmp((const char *)AT(cl), g->cmdline))
		return "command line";
	if (r64(si + 32) != g->rsdp_gpa)
		return "rsdp_paddr";
	if (nmod != (g->initrd_size ? 1u : 0u))
		return "nr_modules";
	if (nmod && (!INSIDE(ml, 32) || r64(AT(ml)) != plan.initrd_gpa ||
		     r64(AT(ml) + 8) != g->initrd_size))
		return "module list";
	if (nmm < 3 || !INSIDE(mm, nmm * 24))
		return "memory map location";
	u64 ram = 0, prev_end = 0;
	for (u32 i = 0; i < nmm; i++) {
		const u8 *e = AT(mm) + 24 * i;
		u64 a = r64(e), s = r64(e + 8);
		if (!s || a < prev_end || r32(e + 20))
			return "memory map order or reserved field";
		prev_end = a + s;
		if (r32(e + 16) == 1)
			ram += s;
	}
	if (ram != 0x9fc00 + g->mem - 0x100000)
		return "RAM in the memory map";
	return NULL;
}

static void test_valid(bool is64)
{
	const char *k = is64 ? "ELF64" : "ELF32";
	size_t size;
	u8 *img = make_image(is64, &size);
	struct linux_guest g = guest();
	u64 entry = 0;
	is_u64(pvh_find_entry(img, size, &entry, err, sizeof(err)), 0, "%s: entry note found", k);
	is_u64(entry, ENTRY, "%s: entry from the note, not e_entry", k);
	ok(pvh_detect(img, size), "%s: detected", k);
	is_u64(plan_of(img, size, &g), 0, "%s: planned (%s)", k, err);
	const struct load_segment *s = &plan.load.seg[0];
	ok(plan.load.nr_seg == 1 && s->gpa == LOAD && s->file_off == 0x1000 && s->filesz == 0x1000 &&
	   s->memsz == 0x2000, "%s: the PT_LOAD at its physical address", k);
	ok(plan.load.nr_blob == 1 && plan.load.blob[0].gpa == LINUX_BOOT_GPA &&
	   plan.load.blob[0].len == PVH_AREA_SIZE, "%s: the area as one blob", k);
	ok(plan.initrd_gpa >= LOAD + 0x2000 && plan.initrd_gpa + g.initrd_size <= MEM &&
	   !(plan.initrd_gpa & 0xfff), "%s: initrd above the kernel, in RAM, page-aligned", k);
	const char *why = check_start_info(&g);
	ok(!why, "%s: start info (%s)", k, why ? why : "fine");
	const struct vcpu_state *st = &plan.load.bsp;
	ok(st->regs.rip == ENTRY && st->regs.rbx == LINUX_BOOT_GPA, "%s: EIP = entry, EBX = start info", k);
	ok((st->cr0 & 1) && !(st->cr0 & 0x80000000u) && !st->cr4 && !(st->regs.rflags & 0x200) &&
	   !st->efer, "%s: protected mode, paging off, CR4 0, IF clear", k);
	ok(st->seg[HV_SEG_CS].base == 0 && st->seg[HV_SEG_CS].limit == 0xffffffffu &&
	   (st->seg[HV_SEG_CS].attrib & 0x40a) == 0x40a && st->seg[HV_SEG_SS].limit == 0xffffffffu &&
	   st->seg[HV_SEG_TR].limit == 0x67, "%s: flat 32-bit CS, flat SS, TSS limit 0x67", k);
	ok(st->gdtr.base == LINUX_BOOT_GPA + PVH_GDT_OFF && r64(area + PVH_GDT_OFF + 8) == 0x00cf9b000000ffffULL,
	   "%s: GDTR on the flat GDT in the area", k);
	g.initrd_size = 0;
	is_u64(plan_of(img, size, &g), 0, "%s: no initrd: planned", k);
	why = check_start_info(&g);
	ok(!why && plan.initrd_gpa == 0, "%s: no initrd: no module (%s)", k, why ? why : "fine");
	free(img);
}

/* Breakages of the ELF64 image: offsets into it, from make_image. */
struct breakage {
	const char *what;
	void (*apply)(u8 *img, size_t *size, struct linux_guest *g);
	const char *want;
};

#define PH_LOAD 64
#define PH_NOTE (64 + 56)
/* The entry note is the third: after GNU (12 + 4 + 20) and Xen/6 (12 + 4 + 8). */
#define ENTRY_NOTE (NOTE_OFF + 36 + 24)

static void b_magic(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[1] = 'X'; }
static void b_no_note(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + ENTRY_NOTE + 8, 19); }
static void b_name(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; p[ENTRY_NOTE + 12] = 'Y'; }
static void b_desc(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + ENTRY_NOTE + 4, 2); }
static void b_namesz(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + NOTE_OFF, 0xfffffff0u); }
static void b_descsz(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w32(p + NOTE_OFF + 4, 0x7fffffffu); }
static void b_note_off(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + PH_NOTE + 8, IMG_SIZE - 8); }
static void b_entry_out(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + ENTRY_NOTE + 16, LOAD + 0x2000); }
static void b_low(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + PH_LOAD + 24, 0x80000); }
static void b_beyond(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->mem = LOAD + 0x1000; }
static void b_initrd(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->initrd_size = MEM - LOAD; }
static void b_filesz(u8 *p, size_t *s, struct linux_guest *g) { (void)s; (void)g; w64(p + PH_LOAD + 32, 0x3000); }
static void b_trunc(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)g; *s = 0x1800; }
static void b_huge_mem(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->mem = GiB(5); }
static char long_cmdline[LINUX_MAX_CMDLINE + 1];
static void b_cmdline(u8 *p, size_t *s, struct linux_guest *g) { (void)p; (void)s; g->cmdline = long_cmdline; }

static const struct breakage breakages[] = {
	{"not ELF", b_magic, "ELF"},
	{"entry note of another type", b_no_note, "no XEN_ELFNOTE_PHYS32_ENTRY"},
	{"entry note not named Xen", b_name, "no XEN_ELFNOTE_PHYS32_ENTRY"},
	{"entry note with a 2-byte value", b_desc, "2-byte"},
	{"note name size past the segment", b_namesz, "runs past"},
	{"note value size past the segment", b_descsz, "runs past"},
	{"PT_NOTE beyond the file", b_note_off, "beyond the end"},
	{"entry outside the segments", b_entry_out, "outside every loaded segment"},
	{"segment below 1 MiB", b_low, "below 1 MiB"},
	{"segment beyond guest memory", b_beyond, "beyond guest memory"},
	{"initrd too big", b_initrd, "initrd"},
	{"segment file bytes past the end", b_filesz, "file size above memory size"},
	{"truncated inside the segment", b_trunc, "beyond the end of the file"},
	{"guest RAM over the I/O APIC", b_huge_mem, "I/O APIC"},
	{"command line too long", b_cmdline, "command line"},
};

static void test_broken(void)
{
	memset(long_cmdline, 'b', sizeof(long_cmdline) - 1);
	for (unsigned i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		size_t size;
		u8 *img = make_image(true, &size);
		struct linux_guest g = guest();
		breakages[i].apply(img, &size, &g);
		int r = plan_of(img, size, &g);
		ok(r == -E_INVAL && strstr(err, breakages[i].want) && !strchr(err, '\n'),
		   "%s: refused (%s)", breakages[i].what, err);
		free(img);
	}
}

/* What every successful plan promises. */
static const char *promises(u64 size, const struct linux_guest *g)
{
	bool entry_in = false;
	if (!plan.load.nr_seg)
		return "no segment";
	for (unsigned i = 0; i < plan.load.nr_seg; i++) {
		const struct load_segment *s = &plan.load.seg[i];
		if (s->filesz > s->memsz || s->file_off > size || s->filesz > size - s->file_off)
			return "segment outside the file";
		if (s->gpa < MiB(1) || s->gpa > g->mem || s->memsz > g->mem - s->gpa)
			return "segment outside RAM";
		if (plan.initrd_gpa && plan.initrd_gpa < s->gpa + s->memsz &&
		    plan.initrd_gpa + g->initrd_size > s->gpa)
			return "initrd overlaps a segment";
		entry_in |= plan.load.bsp.regs.rip >= s->gpa && plan.load.bsp.regs.rip < s->gpa + s->memsz;
	}
	return entry_in ? check_start_info(g) : "entry outside the segments";
}

static void test_random(void)
{
	for (int is64 = 0; is64 < 2; is64++) {
		size_t size;
		u8 *img = make_image(is64, &size);
		struct linux_guest g = guest();
		unsigned bad = 0, refused = 0, planned = 0;
		srand(7 + is64);
		/* Short of the segment's end (0x2000) the file is refused;
		 * past it only padding is lost, and the plan still holds. */
		for (int i = 0; i < 300; i++) {
			size_t n = (size_t)rand() % size;
			int r = plan_of(img, n, &g);
			if ((r == 0) != (n >= 0x2000) || (r == 0 && promises(n, &g)))
				bad++;
			refused += r != 0;
		}
		ok(bad == 0, "ELF%d: 300 random truncations: %u refused, the rest only lost padding",
		   is64 ? 64 : 32, refused);
		bad = 0;
		refused = 0;
		for (int i = 0; i < 3000; i++) {
			u8 *copy = malloc(size);
			memcpy(copy, img, size);
			for (int k = 0; k < 1 + rand() % 3; k++) {
				/* the ELF header, program headers or notes */
				size_t at = rand() % 2 ? (size_t)rand() % 0xb0 : NOTE_OFF + (size_t)rand() % 0x60;
				copy[at] = (u8)rand();
			}
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
		ok(bad == 0, "ELF%d: 3000 corruptions: %u planned, %u refused with a reason, %u broke "
		   "a promise", is64 ? 64 : 32, planned, refused, bad);
		free(img);
	}
}

/* The test's own search for the entry note: every "Xen\0" note of type 18
 * anywhere in the file, 4-byte aligned.  Returns its value or 0. */
static u64 brute_entry(const u8 *p, size_t size)
{
	for (size_t at = 0; at + 24 <= size; at += 4)
		if (r32(p + at) == 4 && (r32(p + at + 4) == 4 || r32(p + at + 4) == 8) &&
		    r32(p + at + 8) == 18 && !memcmp(p + at + 12, "Xen", 4))
			return r32(p + at + 4) == 8 ? r64(p + at + 16) : r32(p + at + 16);
	return 0;
}

static void test_real(void)
{
	size_t size;
	u8 *img = host_read_file(REAL_IMAGE, &size);
	if (!img) {
		ok(1, "# SKIP no %s (scripts/linux-payload.sh makes it)", REAL_IMAGE);
		return;
	}
	struct linux_guest g = guest();
	g.mem = 256ULL << 20;
	g.initrd_size = 1 << 20;
	u64 want = brute_entry(img, size), entry = 0;
	ok(want != 0, "%s: the test's own scan finds the note (entry %#llx)", REAL_IMAGE,
	   (unsigned long long)want);
	is_u64(pvh_find_entry(img, size, &entry, err, sizeof(err)), 0, "%s: entry note found (%s)",
	       REAL_IMAGE, err);
	is_u64(entry, want, "%s: the same entry", REAL_IMAGE);
	is_u64(plan_of(img, size, &g), 0, "%s: planned (%s)", REAL_IMAGE, err);
	const char *why = promises(size, &g);
	ok(!why, "%s: %u segments, the plan keeps its promises (%s)", REAL_IMAGE, plan.load.nr_seg,
	   why ? why : "fine");
	free(img);
}

int main(void)
{
	test_valid(true);
	test_valid(false);
	test_broken();
	test_random();
	test_real();
	return tap_done();
}
