/*
 * Host tests of the Multiboot v1 parser and boot-info builder
 * (vmm/loader/multiboot.c): the real test guest image, hand-built a.out-kludge,
 * ELF32 and ELF64 images (valid and broken every way the parser checks),
 * and the boot information page field by field (random images are the
 * libFuzzer target tests/fuzz/fuzz_image.c's).
 *
 * Images are handed to mb_parse in heap buffers of exactly their size, so
 * AddressSanitizer catches a read past the end.
 */
#include "vmm/loader/multiboot.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/host_env.h"
#include "tests/host/tap.h"

#define GUEST_IMAGE "build/guest/testguest.bin"
#define LOAD 0x100000u
#define MEM64 (64ULL << 20)

static struct mb_image mb;
static char err[160];

static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w32(u8 *p, u32 v) { w16(p, (u16)v); w16(p + 2, (u16)(v >> 16)); }
static void w64(u8 *p, u64 v) { w32(p, (u32)v); w32(p + 4, (u32)(v >> 32)); }
static u32 r32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }

/* mb_parse on a copy of IMG in an exact-size heap buffer. */
static int parse(const u8 *img, size_t size, u64 mem)
{
	u8 *copy = malloc(size ? size : 1);
	memcpy(copy, img, size);
	err[0] = 0;
	int r = mb_parse(copy, size, mem, &mb, err, sizeof(err));
	free(copy);
	return r;
}

/* Everything a successful parse promises. */
static bool sane(u64 size, u64 mem, const char **why)
{
	if (mb.nr_seg == 0 || mb.nr_seg > MB_MAX_SEGMENTS) {
		*why = "segment count";
		return false;
	}
	bool entry_in = false;
	for (unsigned i = 0; i < mb.nr_seg; i++) {
		const struct load_segment *s = &mb.seg[i];
		if (s->filesz > s->memsz || s->file_off > size || s->filesz > size - s->file_off) {
			*why = "segment outside the file";
			return false;
		}
		if (s->gpa > mem || s->memsz > mem - s->gpa) {
			*why = "segment outside guest memory";
			return false;
		}
		if (mb.entry >= s->gpa && mb.entry < s->gpa + s->memsz)
			entry_in = true;
	}
	if (!entry_in) {
		*why = "entry outside the segments";
		return false;
	}
	return true;
}

/* --- a.out kludge images ---------------------------------------------- */

struct aout {
	size_t size;   /* file size */
	u32 hdr_off;   /* file offset of the header */
	u32 magic, flags;
	int csum_delta; /* added to the checksum: nonzero breaks it */
	u32 header_addr, load_addr, load_end, bss_end, entry;
};

/* The default: an 8 KiB image loaded at 1 MiB, header at 0x40, 4 KiB bss. */
static struct aout aout_default(void)
{
	return (struct aout){
		.size = 8192, .hdr_off = 0x40, .magic = MB_HEADER_MAGIC, .flags = 0x10003,
		.header_addr = LOAD + 0x40, .load_addr = LOAD, .load_end = LOAD + 8192,
		.bss_end = LOAD + 8192 + 4096, .entry = LOAD + 0x80,
	};
}

static u8 *aout_build(const struct aout *a)
{
	u8 *p = calloc(1, a->size + 64);
	for (size_t i = 0; i < a->size; i++)
		p[i] = (u8)(i * 7 + 1); /* recognizable filler, never the magic */
	if (a->hdr_off + 32 <= a->size + 64) {
		u8 *h = p + a->hdr_off;
		w32(h + 0, a->magic);
		w32(h + 4, a->flags);
		w32(h + 8, (u32)(-(a->magic + a->flags) + (u32)a->csum_delta));
		w32(h + 12, a->header_addr);
		w32(h + 16, a->load_addr);
		w32(h + 20, a->load_end);
		w32(h + 24, a->bss_end);
		w32(h + 28, a->entry);
	}
	return p;
}

static int aout_parse(const struct aout *a, u64 mem)
{
	u8 *p = aout_build(a);
	int r = parse(p, a->size, mem);
	free(p);
	return r;
}

static void test_aout(void)
{
	struct aout a = aout_default();
	const char *why = "";
	int r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.aout_kludge && mb.nr_seg == 1 && mb.flags == 0x10003 &&
		   mb.entry == LOAD + 0x80 && mb.seg[0].gpa == LOAD && mb.seg[0].file_off == 0 &&
		   mb.seg[0].filesz == 8192 && mb.seg[0].memsz == 8192 + 4096 && sane(a.size, MEM64, &why),
	   "a.out: valid image (r=%d %s)", r, err);

	a.load_end = 0;
	a.bss_end = 0;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].filesz == 8192 && mb.seg[0].memsz == 8192,
	   "a.out: load_end 0 = whole file, bss_end 0 = no bss (r=%d %s)", r, err);

	a = aout_default();
	a.hdr_off = 0x1000;
	a.header_addr = LOAD + 0x10; /* file offset 0x1000 - 0x10 lands at load_addr */
	a.load_end = 0;
	a.bss_end = 0;
	a.entry = LOAD;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].file_off == 0xff0 && mb.seg[0].filesz == 8192 - 0xff0 &&
		   mb.seg[0].gpa == LOAD,
	   "a.out: header_addr - load_addr below the header offset: loading starts at 0xff0 (r=%d %s)",
	   r, err);

	a = aout_default();
	a.csum_delta = 1;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "no Multiboot header"), "a.out: bad checksum refused (%s)", err);
	a = aout_default();
	a.magic = 0x1badb003;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "no Multiboot header"), "a.out: bad magic refused");

	/* Header position: 32-bit aligned, completely within the first 8192 bytes. */
	a = aout_default();
	a.size = 16384;
	a.load_end = LOAD + 16384;
	a.bss_end = 0;
	a.hdr_off = 8192;
	a.header_addr = LOAD + 8192;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "first 8192"), "a.out: header at offset 8192 not found (%s)", err);
	a.hdr_off = 8192 - 32;
	a.header_addr = LOAD + 8192 - 32;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].file_off == 0, "a.out: header ending exactly at 8192 found (r=%d %s)", r,
	   err);
	a.hdr_off = 8192 - 4;
	a.header_addr = LOAD + 8192 - 4;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL, "a.out: header starting at 8188 (not completely within 8192 bytes) refused (r=%d)", r);
	a = aout_default();
	a.hdr_off = 0x42;
	a.header_addr = LOAD + 0x42;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "no Multiboot header"), "a.out: header at an unaligned offset not found");

	a = aout_default();
	a.header_addr = LOAD - 4;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "header_addr"), "a.out: header_addr < load_addr refused (%s)", err);
	a = aout_default();
	a.header_addr = LOAD + 0x44; /* would put file offset 0 at load_addr - 4 */
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "header_addr"),
	   "a.out: header_addr - load_addr beyond the header offset refused");

	a = aout_default();
	a.load_end = LOAD - 0x1000;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "load_end"), "a.out: load_end < load_addr refused (%s)", err);
	a = aout_default();
	a.load_end = LOAD + 0x40; /* too short to even hold the header: legal, entry in bss */
	a.bss_end = LOAD + 0x2000;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].filesz == 0x40 && mb.seg[0].memsz == 0x2000,
	   "a.out: short load_end with bss accepted (r=%d %s)", r, err);

	a = aout_default();
	a.bss_end = LOAD + 8192 - 1;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "bss_end"), "a.out: bss_end below the image end refused (%s)", err);
	a.bss_end = LOAD + 8192;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].memsz == 8192, "a.out: bss_end == load_end accepted (empty bss)");
	a = aout_default();
	a.load_end = 0;
	a.bss_end = LOAD + 100;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL, "a.out: bss_end below the end of a whole-file image refused");

	a = aout_default();
	a.entry = LOAD + 8192 + 4096;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "entry"), "a.out: entry just past the bss refused (%s)", err);
	a.entry = LOAD + 8192 + 4095;
	r = aout_parse(&a, MEM64);
	ok(r == 0, "a.out: entry at the last bss byte accepted");
	a.entry = LOAD - 1;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "entry"), "a.out: entry below the image refused");
	a.entry = 0;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL, "a.out: entry 0 refused");

	a = aout_default();
	a.load_addr = 0x80000;
	a.header_addr = 0x80040;
	a.load_end = 0x80000 + 8192;
	a.bss_end = 0;
	a.entry = 0x80080;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].gpa == 0x80000 && mb.entry == 0x80080,
	   "a.out: segment below 1 MiB accepted (r=%d %s)", r, err);
	a.load_addr = LOAD - 0x1000; /* ends above 1 MiB, starts below */
	a.header_addr = a.load_addr + 0x40;
	a.load_end = a.load_addr + 8192;
	a.entry = LOAD + 0x10;
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.seg[0].gpa == LOAD - 0x1000, "a.out: segment straddling 1 MiB accepted (%s)",
	   err);

	a = aout_default();
	r = aout_parse(&a, LOAD + 8192 + 4096);
	ok(r == 0, "a.out: image + bss ending exactly at the end of guest memory accepted (r=%d %s)", r,
	   err);
	r = aout_parse(&a, LOAD + 8192 + 4095);
	ok(r == -E_INVAL && strstr(err, "beyond guest memory"),
	   "a.out: bss one byte beyond guest memory refused (%s)", err);
	r = aout_parse(&a, 0);
	ok(r == -E_INVAL, "a.out: guest memory 0 refused");
	a.bss_end = 0xffffffff;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "beyond guest memory"), "a.out: bss to 4 GiB in a 64M guest refused");
	a = aout_default();
	a.load_addr = 0xfffff000;
	a.header_addr = 0xfffff040;
	a.load_end = 0;
	a.bss_end = 0xffffffff;
	a.entry = 0xfffff080;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL, "a.out: load at 4 GiB - 4 KiB in a 64M guest refused");

	/* Truncated files. */
	a = aout_default();
	a.load_end = LOAD + 8192 + 1;
	a.bss_end = 0;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "end of the file"), "a.out: load_end one byte past the file refused (%s)", err);
	a = aout_default();
	a.size = 0x40 + 20; /* header cut after load_end_addr */
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "truncated"), "a.out: header cut inside its address fields refused (%s)", err);
	a.size = 0x40 + 12;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "truncated"), "a.out: only magic/flags/checksum in the file refused");
	a.size = 0x40 + 11;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "no Multiboot header"), "a.out: file ending inside the checksum refused");
	ok(parse((const u8 *)"", 0, MEM64) == -E_INVAL, "empty file refused");
	ok(parse((const u8 *)"\x02\xb0\xad\x1b", 4, MEM64) == -E_INVAL, "4-byte file (just the magic) refused");

	/* Flags: bits 0-15 are requirements. */
	a = aout_default();
	a.flags |= 1u << 2;
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "unsupported"), "a.out: video mode required (bit 2) refused (%s)", err);
	a.flags = 0x10003 | (1u << 15);
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "unsupported"), "a.out: unknown required bit 15 refused");
	a.flags = 0x10000 | (1u << 17) | (1u << 31);
	r = aout_parse(&a, MEM64);
	ok(r == 0 && mb.flags == a.flags, "a.out: optional bits 17 and 31 ignored (r=%d %s)", r, err);
	a.flags = 0x10000;
	r = aout_parse(&a, MEM64);
	ok(r == 0, "a.out: no requirements at all accepted");
	a.flags = 0x00003; /* no a.out flag: must be ELF, and it is not */
	r = aout_parse(&a, MEM64);
	ok(r == -E_INVAL && strstr(err, "not an ELF"), "no a.out flag and not ELF refused (%s)", err);

	/* The first valid header wins; a bad one before it is skipped. */
	a = aout_default();
	u8 *p = aout_build(&a);
	w32(p + 0x10, MB_HEADER_MAGIC); /* magic with a bad checksum at 0x10 */
	w32(p + 0x14, 0);
	w32(p + 0x18, 0);
	r = parse(p, a.size, MEM64);
	ok(r == 0 && mb.seg[0].file_off == 0, "a.out: a magic with a bad checksum before the header is skipped (r=%d %s)", r, err);
	free(p);
}

/* --- ELF images -------------------------------------------------------- */

struct phdr {
	u32 type;
	u64 off, paddr, filesz, memsz;
};

/*
 * Build an ELF32 or ELF64 executable with the Multiboot header (flags 3, no
 * a.out kludge) at 0x600, program headers right after the ELF header and
 * the given segments.  SIZE bytes, zero filled elsewhere.
 */
static u8 *elf_build(bool is64, size_t size, u64 entry, const struct phdr *ph, unsigned n)
{
	u8 *p = calloc(1, size);
	memcpy(p, "\x7f" "ELF", 4);
	p[4] = is64 ? 2 : 1; /* class */
	p[5] = 1;            /* little endian */
	p[6] = 1;            /* version */
	w16(p + 16, 2);      /* ET_EXEC */
	w16(p + 18, is64 ? 62 : 3);
	w32(p + 20, 1);
	u32 phoff = is64 ? 64 : 52, phent = is64 ? 56 : 32;
	if (is64) {
		w64(p + 24, entry);
		w64(p + 32, phoff);
		w16(p + 52, 64);
		w16(p + 54, (u16)phent);
		w16(p + 56, (u16)n);
	} else {
		w32(p + 24, (u32)entry);
		w32(p + 28, phoff);
		w16(p + 40, 52);
		w16(p + 42, (u16)phent);
		w16(p + 44, (u16)n);
	}
	for (unsigned i = 0; i < n; i++) {
		u8 *h = p + phoff + i * phent;
		if (h + phent > p + size)
			break;
		w32(h, ph[i].type);
		if (is64) {
			w32(h + 4, 7);
			w64(h + 8, ph[i].off);
			w64(h + 16, ph[i].paddr + 0xffffffff80000000ULL); /* vaddr: must be ignored */
			w64(h + 24, ph[i].paddr);
			w64(h + 32, ph[i].filesz);
			w64(h + 40, ph[i].memsz);
		} else {
			w32(h + 4, (u32)ph[i].off);
			w32(h + 8, (u32)ph[i].paddr + 0xc0000000u);
			w32(h + 12, (u32)ph[i].paddr);
			w32(h + 16, (u32)ph[i].filesz);
			w32(h + 20, (u32)ph[i].memsz);
		}
	}
	if (size >= 0x60c) {
		w32(p + 0x600, MB_HEADER_MAGIC);
		w32(p + 0x604, 3);
		w32(p + 0x608, (u32)-(MB_HEADER_MAGIC + 3));
	}
	return p;
}

static int elf_parse(bool is64, size_t size, u64 entry, const struct phdr *ph, unsigned n, u64 mem)
{
	u8 *p = elf_build(is64, size, entry, ph, n);
	int r = parse(p, size, mem);
	free(p);
	return r;
}

static void test_elf(bool is64)
{
	const char *E = is64 ? "ELF64" : "ELF32";
	const char *why = "";
	struct phdr one[] = {{1, 0x1000, LOAD, 0x800, 0x2000}};
	int r = elf_parse(is64, 0x2000, LOAD + 0x10, one, 1, MEM64);
	ok(r == 0 && !mb.aout_kludge && mb.nr_seg == 1 && mb.entry == LOAD + 0x10 &&
		   mb.seg[0].gpa == LOAD && mb.seg[0].file_off == 0x1000 && mb.seg[0].filesz == 0x800 &&
		   mb.seg[0].memsz == 0x2000 && sane(0x2000, MEM64, &why),
	   "%s: one PT_LOAD, loaded at p_paddr (r=%d %s)", E, r, err);

	struct phdr two[] = {{4, 0x300, 0, 0x10, 0x10}, /* PT_NOTE: skipped */
			     {1, 0x1000, LOAD, 0x800, 0x800},
			     {6, 0, 0, 0, 0},               /* PT_PHDR: skipped */
			     {1, 0x1800, 0x400000, 0x800, 0x10000}};
	r = elf_parse(is64, 0x2000, 0x400100, two, 4, MEM64);
	ok(r == 0 && mb.nr_seg == 2 && mb.seg[1].gpa == 0x400000 && mb.seg[1].file_off == 0x1800 &&
		   mb.seg[1].memsz == 0x10000 && sane(0x2000, MEM64, &why),
	   "%s: two PT_LOADs among other headers, entry in the second (r=%d %s)", E, r, err);

	u8 *p = elf_build(is64, 0x2000, LOAD, one, 1);
	p[1] = 'X';
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "not an ELF"), "%s: bad magic refused (%s)", E, err);
	free(p);
	p = elf_build(is64, 0x2000, LOAD, one, 1);
	p[4] = 3;
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "ELF32/ELF64"), "%s: bad class refused (%s)", E, err);
	p[4] = is64 ? 2 : 1;
	p[5] = 2;
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "little-endian"), "%s: big-endian refused", E);
	p[5] = 1;
	w16(p + 18, 40); /* EM_ARM */
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "machine 40"), "%s: wrong machine (ARM) refused (%s)", E, err);
	w16(p + 18, is64 ? 62 : 3);
	w16(p + 16, 3); /* ET_DYN */
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "not an executable"), "%s: ET_DYN refused (%s)", E, err);
	w16(p + 16, 2);
	r = parse(p, 0x2000, MEM64);
	ok(r == 0, "%s: the same image restored parses again", E);
	free(p);

	/* Program headers beyond the file. */
	p = elf_build(is64, 0x2000, LOAD, one, 1);
	if (is64)
		w64(p + 32, 0x2000 - 8);
	else
		w32(p + 28, 0x2000 - 8);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "program headers"), "%s: phdrs running past the end of the file refused (%s)", E, err);
	if (is64)
		w64(p + 32, 0xffffffffffffff00ULL);
	else
		w32(p + 28, 0xffffff00u);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL, "%s: huge e_phoff refused", E);
	if (is64)
		w64(p + 32, 64);
	else
		w32(p + 28, 52);
	w16(p + (is64 ? 56 : 44), 0xffff);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "program headers"), "%s: e_phnum 65535 refused", E);
	w16(p + (is64 ? 56 : 44), 0);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL, "%s: e_phnum 0 refused", E);
	w16(p + (is64 ? 56 : 44), 1);
	w16(p + (is64 ? 54 : 42), is64 ? 55 : 31);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL, "%s: e_phentsize too small refused", E);
	w16(p + (is64 ? 54 : 42), 0xffff);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL, "%s: e_phentsize 65535 past the end refused", E);
	free(p);
	r = elf_parse(is64, is64 ? 60 : 50, LOAD, one, 0, MEM64);
	ok(r == -E_INVAL, "%s: file shorter than its ELF header refused (%s)", E, err);
	/* A 60-byte file: ELF32-sized header with class 2, Multiboot header at 44. */
	p = elf_build(is64, 0x2000, LOAD, one, 1);
	w32(p + 44, MB_HEADER_MAGIC);
	w32(p + 48, 3);
	w32(p + 52, (u32)-(MB_HEADER_MAGIC + 3));
	r = parse(p, 60, MEM64);
	ok(r == -E_INVAL && strstr(err, is64 ? "truncated header" : "program headers"),
	   "%s: 60-byte file with a Multiboot header inside the ELF header refused (%s)", E, err);
	free(p);

	/* Segments. */
	struct phdr big[] = {{1, 0x1000, LOAD, 0x801, 0x800}};
	r = elf_parse(is64, 0x2000, LOAD, big, 1, MEM64);
	ok(r == -E_INVAL && strstr(err, "file size above memory size"), "%s: p_filesz > p_memsz refused (%s)", E, err);
	struct phdr past[] = {{1, 0x1000, LOAD, 0x1001, 0x2000}};
	r = elf_parse(is64, 0x2000, LOAD, past, 1, MEM64);
	ok(r == -E_INVAL && strstr(err, "end of the file"), "%s: segment data past the end of the file refused (%s)", E, err);
	struct phdr offpast[] = {{1, 0x3000, LOAD, 0, 0x2000}};
	r = elf_parse(is64, 0x2000, LOAD, offpast, 1, MEM64);
	ok(r == -E_INVAL && strstr(err, "end of the file"), "%s: p_offset past the end of the file refused", E);
	struct phdr wrap[] = {{1, 0x1000, LOAD, is64 ? ~0ULL - 0x800 : 0xfffff800u, is64 ? ~0ULL : 0xffffffffu}};
	r = elf_parse(is64, 0x2000, LOAD, wrap, 1, MEM64);
	ok(r == -E_INVAL, "%s: p_offset + p_filesz wrapping around refused (%s)", E, err);
	struct phdr low[] = {{1, 0x1000, 0x7000, 0x800, 0x1800}};
	r = elf_parse(is64, 0x2000, 0x7000, low, 1, MEM64);
	u64 info = 0, mods[1];
	ok(r == 0 && mb.seg[0].gpa == 0x7000 &&
		   mb_place(&mb, MEM64, NULL, 0, &info, mods, err, sizeof(err)) == 0 &&
		   info != MB_INFO_GPA && (info >= 0x9000 || info + PAGE_SIZE <= 0x7000),
	   "%s: segment below 1 MiB over the usual info page accepted, the info page moves (0x%lx)",
	   E, info);
	struct phdr high[] = {{1, 0x1000, MEM64 - 0x1000, 0x800, 0x1001}};
	r = elf_parse(is64, 0x2000, MEM64 - 0x1000, high, 1, MEM64);
	ok(r == -E_INVAL && strstr(err, "beyond guest memory"), "%s: segment one byte beyond guest memory refused", E);
	high[0].memsz = 0x1000;
	r = elf_parse(is64, 0x2000, MEM64 - 0x1000, high, 1, MEM64);
	ok(r == 0, "%s: segment ending at the end of guest memory accepted (r=%d %s)", E, r, err);
	if (is64) {
		/*
		 * Multiboot v1 enters the kernel in 32-bit protected mode
		 * without paging: an entry point (or a segment) at or above
		 * 4 GiB cannot be reached.  GRUB refuses such images too.
		 */
		struct phdr above4g[] = {{1, 0x1000, 0x100000000ULL, 0x800, 0x800}};
		r = elf_parse(true, 0x2000, 0x100000000ULL, above4g, 1, 1ULL << 40);
		ok(r == -E_INVAL, "ELF64: segment and entry at 4 GiB in a 1 TiB guest refused (r=%d)", r);
		struct phdr low_seg[] = {{1, 0x1000, LOAD, 0x800, 0x800}};
		r = elf_parse(true, 0x2000, 0x100000000ULL + LOAD, low_seg, 1, 1ULL << 40);
		ok(r == -E_INVAL && strstr(err, "entry"), "ELF64: entry above 4 GiB outside the segments refused");
		r = elf_parse(true, 0x2000, 0x100000000ULL, above4g, 1, MEM64);
		ok(r == -E_INVAL, "ELF64: segment above 4 GiB in a 64M guest refused");
		struct phdr huge[] = {{1, 0x1000, ~0ULL - 0xfff, 0x800, 0x1000}};
		r = elf_parse(true, 0x2000, ~0ULL - 0xfff, huge, 1, ~0ULL);
		ok(r == 0 || r == -E_INVAL, "ELF64: segment at the top of the address space handled");
	}

	struct phdr nine[9];
	for (unsigned i = 0; i < 9; i++)
		nine[i] = (struct phdr){1, 0x1000, LOAD + i * 0x1000, 0x100, 0x1000};
	r = elf_parse(is64, 0x2000, LOAD, nine, 8, MEM64);
	ok(r == 0 && mb.nr_seg == 8, "%s: %d PT_LOADs accepted (r=%d %s)", E, MB_MAX_SEGMENTS, r, err);
	r = elf_parse(is64, 0x2000, LOAD, nine, 9, MEM64);
	ok(r == -E_INVAL && strstr(err, "more than"), "%s: %d PT_LOADs refused (%s)", E, MB_MAX_SEGMENTS + 1, err);

	struct phdr none[] = {{4, 0x300, 0, 0x10, 0x10}, {0, 0, 0, 0, 0}, {0x6474e551, 0, 0, 0, 0}};
	r = elf_parse(is64, 0x2000, LOAD, none, 3, MEM64);
	ok(r == -E_INVAL && strstr(err, "no loadable"), "%s: no PT_LOAD refused (%s)", E, err);
	r = elf_parse(is64, 0x2000, LOAD + 0x2000, one, 1, MEM64);
	ok(r == -E_INVAL && strstr(err, "entry"), "%s: entry outside every segment refused (%s)", E, err);
	r = elf_parse(is64, 0x2000, LOAD + 0x1fff, one, 1, MEM64);
	ok(r == 0, "%s: entry at the last byte of the segment's memory accepted", E);

	/* The Multiboot header is required for ELF too. */
	p = elf_build(is64, 0x2000, LOAD, one, 1);
	w32(p + 0x608, 0);
	r = parse(p, 0x2000, MEM64);
	ok(r == -E_INVAL && strstr(err, "no Multiboot header"), "%s: ELF without a valid Multiboot header refused", E);
	free(p);
}

/* --- the real test guest ------------------------------------------------ */

static void test_real_guest(u8 **img, size_t *size)
{
	const char *why = "";
	*img = host_read_file(GUEST_IMAGE, size);
	if (!*img) {
		ok(1, "# SKIP " GUEST_IMAGE " not built (nasm -f bin -o " GUEST_IMAGE " guest/testguest.asm)");
		return;
	}
	int r = parse(*img, *size, MEM64);
	ok(r == 0 && mb.aout_kludge && mb.nr_seg == 1 && mb.seg[0].gpa == LOAD &&
		   mb.seg[0].file_off == 0 && mb.seg[0].filesz == *size && mb.seg[0].memsz > *size &&
		   sane(*size, MEM64, &why),
	   "test guest (%zu bytes): a.out kludge at 1 MiB, whole file + bss (r=%d %s)", *size, r, err);
	diag("test guest: entry 0x%llx, memsz 0x%llx, flags 0x%x", (unsigned long long)mb.entry,
	     (unsigned long long)mb.seg[0].memsz, mb.flags);
	u64 memsz = mb.seg[0].memsz;
	r = parse(*img, *size, MiB(2));
	ok(r == 0, "test guest fits a 2 MiB guest (r=%d %s)", r, err);
	r = parse(*img, *size, LOAD + memsz);
	ok(r == 0, "test guest fits a guest ending exactly at its bss end");
	r = parse(*img, *size, LOAD + memsz - 1);
	ok(r == -E_INVAL && strstr(err, "beyond guest memory"), "test guest refused one byte short (%s)", err);
	r = parse(*img, *size, MiB(1));
	ok(r == -E_INVAL, "test guest refused in a 1 MiB guest");
}

/* --- boot information ---------------------------------------------------- */

/* The info page at GPA (malloc'd PAGE) read through a 32-bit guest
 * pointer P: the host address, or NULL when P is outside the page. */
static const u8 *at(const u8 *page, u64 gpa, u32 p, u64 len)
{
	return p >= gpa && p + len <= gpa + PAGE_SIZE ? page + (p - gpa) : NULL;
}

static void test_info(void)
{
	u8 *page = malloc(PAGE_SIZE); /* exact size: ASan catches any write past it */
	const u64 G = MB_INFO_GPA;
	memset(page, 0xa5, PAGE_SIZE);
	int r = mb_build_info(page, G, MEM64, "hello exit=3", NULL, 0);
	ok(r == 0, "mb_build_info: 64M guest, short cmdline");
	is_u64(r32(page + 0), (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9),
	       "info flags: mem (0), cmdline (2), mods (3), mmap (6), boot loader name (9)");
	is_u64(r32(page + 4), 639, "mem_lower = 639 KiB: RAM below the EBDA at 0x9fc00 (offset 4)");
	is_u64(r32(page + 8), (MEM64 - MiB(1)) / 1024, "mem_upper = KiB above 1 MiB (offset 8)");
	u32 cl = r32(page + 16);
	ok(at(page, G, cl, 13) && strcmp((const char *)at(page, G, cl, 13), "hello exit=3") == 0,
	   "cmdline pointer (offset 16) inside the info page, the string there (0x%x)", cl);
	is_u64(r32(page + 20), 0, "mods_count 0 (offset 20)");
	is_u64(r32(page + 44), 72, "mmap_length = 72 (three 24-byte entries, offset 44)");
	u32 mm = r32(page + 48);
	const u8 *m = at(page, G, mm, 72);
	ok(m != NULL, "mmap_addr (offset 48) inside the info page (0x%x)", mm);
	if (m) {
		ok(r32(m) == 20 && r64(m + 4) == 0 && r64(m + 12) == 0x9fc00 && r32(m + 20) == 1,
		   "mmap entry 0: size 20, [0, 0x9fc00) available");
		ok(r32(m + 24) == 20 && r64(m + 28) == 0x9fc00 && r64(m + 36) == 0x100000 - 0x9fc00 &&
			   r32(m + 44) == 2,
		   "mmap entry 1: [0x9fc00, 1 MiB) reserved (EBDA, VGA, BIOS)");
		ok(r32(m + 48) == 20 && r64(m + 52) == MiB(1) && r64(m + 60) == MEM64 - MiB(1) &&
			   r32(m + 68) == 1,
		   "mmap entry 2: [1 MiB, 64 MiB) available");
		ok(cl < mm || cl >= mm + 72, "cmdline and mmap do not overlap");
	}
	u32 nm = r32(page + 64);
	ok(at(page, G, nm, 7) && strcmp((const char *)at(page, G, nm, 7), "pagoda") == 0,
	   "boot_loader_name (offset 64) -> \"pagoda\"");
	bool zero = true;
	for (unsigned off = 12; off < 88; off += 4)
		if (off != 16 && off != 24 && off != 44 && off != 48 && off != 64 && r32(page + off))
			zero = false;
	ok(zero, "fields without a flag bit are zero (boot_device, syms, drives, config, apm, vbe)");
	bool gdt_zero = true;
	for (unsigned off = MB_GDT_OFF; off < PAGE_SIZE; off++)
		if (page[off])
			gdt_zero = false;
	ok(gdt_zero && MB_GDT_OFF % 8 == 0,
	   "the loader GDT area (last %d bytes of the info page, 8-aligned) is left zero",
	   MB_GDT_SIZE);

	/* Pointers follow the page's guest address. */
	r = mb_build_info(page, 0x123000, MEM64, "moved", NULL, 0);
	ok(r == 0 && r32(page + 16) >= 0x123000 && r32(page + 16) < 0x124000 &&
		   r32(page + 48) >= 0x123000 && r32(page + 64) >= 0x123000 &&
		   strcmp((const char *)page + (r32(page + 16) - 0x123000), "moved") == 0,
	   "info page at 0x123000: cmdline, mmap and name pointers inside it");

	r = mb_build_info(page, G, GiB(8), "", NULL, 0);
	ok(r == 0 && r32(page + 8) == (GiB(8) - MiB(1)) / 1024 && page[r32(page + 16) - G] == 0,
	   "8 GiB guest: mem_upper in KiB, empty cmdline");
	ok(r64(page + (r32(page + 48) - G) + 60) == GiB(8) - MiB(1), "8 GiB guest: mmap entry 2 length 64-bit");
	r = mb_build_info(page, G, 1ULL << 44, "x", NULL, 0);
	is_u64(r32(page + 8), 0xffffffffu, "16 TiB guest: mem_upper saturates at 0xffffffff");
	r = mb_build_info(page, G, MiB(2), "x", NULL, 0);
	ok(r == 0 && r32(page + 8) == 1024, "2 MiB guest (the smallest): mem_upper 1024 KiB");
	r = mb_build_info(page, G, KiB(512), "x", NULL, 0);
	ok(r == 0 && r32(page + 4) == 512 && r32(page + 8) == 0 && r32(page + 44) == 24 &&
		   r64(page + (r32(page + 48) - G) + 12) == KiB(512),
	   "512 KiB of memory: one map entry, clipped; mem_upper 0");

	/* Modules: the list, each entry's range and string. */
	struct mb_module mods[3] = {{0x200000, 0x200010, "env"},
				    {0x201000, 0x201000, "empty"},
				    {0x202000, 0x212345, "initrd.img root=/dev/ram"}};
	r = mb_build_info(page, G, MEM64, "kernel", mods, 3);
	ok(r == 0 && r32(page + 20) == 3, "three modules: mods_count 3 (r=%d)", r);
	const u8 *ml = at(page, G, r32(page + 24), 48);
	ok(ml != NULL, "mods_addr (offset 24) inside the info page");
	for (unsigned i = 0; ml && i < 3; i++) {
		const u8 *e = ml + 16 * i;
		const char *str = (const char *)at(page, G, r32(e + 8), 1);
		ok(r32(e) == mods[i].start && r32(e + 4) == mods[i].end && str &&
			   strcmp(str, mods[i].string) == 0 && r32(e + 12) == 0,
		   "module %u: mod_start 0x%x, mod_end 0x%x, string \"%s\", reserved 0", i, r32(e),
		   r32(e + 4), str ? str : "?");
	}
	ok(strcmp((const char *)page + (r32(page + 16) - G), "kernel") == 0,
	   "the cmdline is intact beside the module strings");
	struct mb_module many[MB_MAX_MODULES + 1];
	for (unsigned i = 0; i <= MB_MAX_MODULES; i++)
		many[i] = (struct mb_module){0x200000 + i * PAGE_SIZE, 0x200000 + i * PAGE_SIZE, "m"};
	ok(mb_build_info(page, G, MEM64, "", many, MB_MAX_MODULES) == 0 &&
		   mb_build_info(page, G, MEM64, "", many, MB_MAX_MODULES + 1) == -E_INVAL,
	   "%d modules fit in the list, %d are refused", MB_MAX_MODULES, MB_MAX_MODULES + 1);

	/* Command line length limits: the strings and their NULs end before the GDT. */
	size_t room = 0;
	char *cmd = malloc(PAGE_SIZE + 2);
	for (size_t n = PAGE_SIZE; n > 0; n--) {
		memset(cmd, 'c', n);
		cmd[n] = 0;
		if (mb_build_info(page, G, MEM64, cmd, NULL, 0) == 0) {
			room = n;
			break;
		}
	}
	ok(room > 1024, "the longest accepted cmdline is %zu bytes (> 1024)", room);
	memset(cmd, 'c', room);
	cmd[room] = 0;
	r = mb_build_info(page, G, MEM64, cmd, NULL, 0);
	u32 c2 = r32(page + 16) - G;
	ok(r == 0 && c2 + room + 1 <= PAGE_SIZE && page[c2 + room] == 0 && page[c2 + room - 1] == 'c',
	   "longest cmdline (%zu) NUL-terminated inside the page", room);
	ok(r == 0 && c2 + room + 1 <= MB_GDT_OFF && page[MB_GDT_OFF] == 0,
	   "longest cmdline ends before the loader GDT at offset 0x%x", MB_GDT_OFF);
	struct mb_module one = {0x200000, 0x200001, "m"};
	memset(page, 0x5a, PAGE_SIZE);
	ok(mb_build_info(page, G, MEM64, cmd + 1, &one, 1) == -E_INVAL && page[0] == 0x5a &&
		   mb_build_info(page, G, MEM64, cmd + 2, &one, 1) == 0,
	   "module strings share the room: \"m\" takes 2 bytes of it");
	memset(page, 0x5a, PAGE_SIZE);
	cmd[room] = 'c';
	cmd[room + 1] = 0;
	r = mb_build_info(page, G, MEM64, cmd, NULL, 0);
	ok(r == -E_INVAL && page[0] == 0x5a, "cmdline of %zu bytes refused, page untouched", room + 1);
	memset(cmd, 'c', PAGE_SIZE + 1);
	cmd[PAGE_SIZE + 1] = 0;
	ok(mb_build_info(page, G, MEM64, cmd, NULL, 0) == -E_INVAL, "cmdline longer than a page refused");
	free(cmd);
	free(page);
}

/* An image of the given segments (gpa, memsz), for mb_place. */
static struct mb_image image_of(const u64 (*seg)[2], unsigned n)
{
	struct mb_image im;
	memset(&im, 0, sizeof(im));
	for (unsigned i = 0; i < n; i++)
		im.seg[i] = (struct load_segment){seg[i][0], 0, 0, seg[i][1]};
	im.nr_seg = n;
	im.entry = seg[0][0];
	return im;
}

/* Do [A, A+AL) and [B, B+BL) overlap? */
static bool clash(u64 a, u64 al, u64 b, u64 bl) { return a < b + bl && b < a + al; }

static void test_place(void)
{
	u64 info = 0, mg[MB_MAX_MODULES + 1];
	const u64 at1m[][2] = {{0x100000, 0x2345}};
	struct mb_image im = image_of(at1m, 1);
	u64 sizes[3] = {5000, 1, 0};
	int r = mb_place(&im, MEM64, sizes, 3, &info, mg, err, sizeof(err));
	ok(r == 0 && info == MB_INFO_GPA, "image at 1 MiB: the info page at 0x%x (got 0x%lx)",
	   MB_INFO_GPA, info);
	ok(r == 0 && mg[0] == 0x103000 && mg[1] == 0x105000 && mg[2] == 0x106000,
	   "modules page-aligned one after the other above the image (0x%lx 0x%lx 0x%lx)", mg[0],
	   mg[1], mg[2]);

	const u64 low[][2] = {{0x7000, 0x2000}, {0x400000, 0x1000}};
	im = image_of(low, 2);
	r = mb_place(&im, MEM64, sizes, 1, &info, mg, err, sizeof(err));
	ok(r == 0 && info == 0x1000 && mg[0] == 0x401000,
	   "image over 0x8000: the info page at the lowest free low page (0x%lx), module above "
	   "the highest segment (0x%lx)", info, mg[0]);

	const u64 all_low[][2] = {{0, 0xa0000}, {0x100000, 0x1000}};
	im = image_of(all_low, 2);
	r = mb_place(&im, MEM64, sizes, 1, &info, mg, err, sizeof(err));
	ok(r == 0 && info == 0x101000 && mg[0] == 0x102000,
	   "low RAM all taken: the info page above the image (0x%lx), then the module (0x%lx)", info,
	   mg[0]);
	bool disjoint = r == 0 && !clash(info, PAGE_SIZE, 0, 0xa0000) &&
			!clash(info, PAGE_SIZE, 0x100000, 0x1000) && !clash(mg[0], 5000, info, PAGE_SIZE);
	ok(disjoint, "nothing placed overlaps an image segment or another placement");

	const u64 full[][2] = {{0, MiB(2)}};
	im = image_of(full, 1);
	r = mb_place(&im, MiB(2), NULL, 0, &info, mg, err, sizeof(err));
	ok(r == -E_INVAL && strstr(err, "no free page"), "image filling guest memory: refused (%s)", err);

	im = image_of(at1m, 1);
	u64 big = MEM64 - 0x103000 + 1;
	r = mb_place(&im, MEM64, &big, 1, &info, mg, err, sizeof(err));
	ok(r == -E_INVAL && strstr(err, "does not fit"), "module one byte too big: refused (%s)", err);
	big--;
	r = mb_place(&im, MEM64, &big, 1, &info, mg, err, sizeof(err));
	ok(r == 0 && mg[0] + big == MEM64, "module ending exactly at the end of memory accepted");
	u64 nine[MB_MAX_MODULES + 1] = {0};
	r = mb_place(&im, MEM64, nine, MB_MAX_MODULES + 1, &info, mg, err, sizeof(err));
	ok(r == -E_INVAL && strstr(err, "modules"), "%d modules refused (%s)", MB_MAX_MODULES + 1, err);
	r = mb_place(&im, GiB(8), &big, 1, &info, mg, err, sizeof(err));
	ok(r == 0 && mg[0] + big <= GiB(4), "8 GiB guest: modules stay below 4 GiB");
}

/* The whole row: an ELF image with two modules, through multiboot_loader.plan. */
static void test_plan_modules(void)
{
	struct phdr one[] = {{1, 0x1000, LOAD, 0x800, 0x2000}};
	u8 *img = elf_build(false, 0x2000, LOAD + 0x10, one, 1);
	static const char env[] = "NR_CPUS=1\nMEMSIZE=64\n";
	static const u8 blob[5000];
	struct load_module mods[2] = {{env, sizeof(env) - 1, "env"}, {blob, sizeof(blob), "blob x=1"}};
	static struct load_plan plan;
	u8 *area = calloc(1, LOAD_AREA_SIZE);
	err[0] = 0;
	int r = multiboot_loader.plan(img, 0x2000, MEM64, "test.flat -v", mods, 2, area, &plan, err,
				      sizeof(err));
	ok(r == 0 && plan.nr_blob == 1 && plan.blob[0].gpa == MB_INFO_GPA &&
		   plan.bsp.regs.rbx == MB_INFO_GPA && plan.bsp.regs.rax == MB_BOOT_MAGIC &&
		   plan.bsp.gdtr.base == MB_INFO_GPA + MB_GDT_OFF,
	   "plan with two modules: info page at 0x8000 in EBX, GDT at its end (r=%d %s)", r, err);
	ok(plan.mod_gpa[0] == LOAD + 0x2000 && plan.mod_gpa[1] == LOAD + 0x3000,
	   "module bytes go above the image, page-aligned (0x%lx, 0x%lx)", plan.mod_gpa[0],
	   plan.mod_gpa[1]);
	const u8 *ml = at(area, MB_INFO_GPA, r32(area + 24), 32);
	ok(r32(area + 20) == 2 && ml && r32(ml) == plan.mod_gpa[0] &&
		   r32(ml + 4) == plan.mod_gpa[0] + sizeof(env) - 1 && r32(ml + 16) == plan.mod_gpa[1] &&
		   r32(ml + 20) == plan.mod_gpa[1] + sizeof(blob),
	   "the info page lists both modules with their ranges");
	ok(ml && strcmp((const char *)area + (r32(ml + 24) - MB_INFO_GPA), "blob x=1") == 0,
	   "module 2's string");
	char longname[4000];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	mods[1].string = longname;
	memset(area, 0, LOAD_AREA_SIZE);
	r = multiboot_loader.plan(img, 0x2000, MEM64, "", mods, 2, area, &plan, err, sizeof(err));
	ok(r == -E_INVAL && strstr(err, "too long"), "a module string too long: refused (%s)", err);
	mods[1].string = "blob";
	mods[1].size = MEM64;
	r = multiboot_loader.plan(img, 0x2000, MEM64, "", mods, 2, area, &plan, err, sizeof(err));
	ok(r == -E_INVAL && strstr(err, "module 2"), "a module bigger than guest memory: refused (%s)",
	   err);
	free(area);
	free(img);
}

int main(void)
{
	u8 *guest = NULL;
	size_t guest_size = 0;
	test_real_guest(&guest, &guest_size);
	test_aout();
	test_elf(false);
	test_elf(true);
	test_info();
	test_place();
	test_plan_modules();
	free(guest);
	return tap_done();
}
