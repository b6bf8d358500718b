/*
 * Multiboot v1 image parsing and boot-information building (see
 * vmm/loader/multiboot.h).  Offsets and field meanings are from the Multiboot
 * Specification 0.6.96, sections 3.1 (header) and 3.3 (boot information).
 */
#include "vmm/loader/multiboot.h"
#include "lib/string.h"
#include "vmm/loader/elf.h"
#include "vmm/vcpu_state.h"

_Static_assert(MB_GDT_SIZE == VCPU_FLAT_GDT_SIZE, "the Multiboot GDT area holds the flat GDT");

#define MB_FLAG_PAGE_ALIGN BIT(0)
#define MB_FLAG_MEMINFO BIT(1)
#define MB_FLAG_VIDEO BIT(2)
#define MB_FLAG_AOUT BIT(16)
#define MB_REQUIRED_KNOWN (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO)

/* Check a segment lies in guest RAM (anywhere, low memory included: the
 * boot structures go around it, see mb_place) and in the file. */
static int check_seg(const struct load_segment *s, u64 size, u64 mem, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return load_fail(err, errlen, "segment at 0x%lx: file size above memory size", s->gpa);
	if (s->file_off > size || s->filesz > size - s->file_off)
		return load_fail(err, errlen, "segment at 0x%lx: beyond the end of the file", s->gpa);
	if (s->gpa > mem || s->memsz > mem - s->gpa)
		return load_fail(err, errlen, "segment at 0x%lx (+0x%lx): beyond guest memory (%lu MiB)",
			    s->gpa, s->memsz, mem >> 20);
	return 0;
}

/* The ELF case: the image's PT_LOAD segments, entered in 32-bit protected
 * mode without paging, so everything below 4 GiB. */
static int parse_elf(const u8 *p, u64 size, u64 mem, struct mb_image *out, char *err,
		     size_t errlen)
{
	struct elf_image elf;
	if (!elf_detect(p, size))
		return load_fail(err, errlen, "no a.out kludge (flag 16) and not an ELF file");
	int r = elf_parse(p, size, &elf, err, errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < elf.nr_seg; i++) {
		out->seg[i] = elf.seg[i];
		r = check_seg(&out->seg[i], size, mem, err, errlen);
		if (r)
			return r;
	}
	out->nr_seg = elf.nr_seg;
	if (elf.entry > 0xffffffffULL)
		return load_fail(err, errlen, "ELF: entry point 0x%lx above 4 GiB is unreachable from "
					 "32-bit protected mode", elf.entry);
	for (unsigned i = 0; i < out->nr_seg; i++)
		if (out->seg[i].gpa + out->seg[i].memsz > GiB(4))
			return load_fail(err, errlen, "ELF: segment at 0x%lx ends above 4 GiB",
				    out->seg[i].gpa);
	out->entry = elf.entry;
	return 0;
}

/* The offset of the Multiboot header in IMG, or ~0: 32-bit aligned and
 * wholly within the first 8192 bytes (3.1, 3.1.1), magic and checksum. */
static u64 find_header(const u8 *p, u64 size)
{
	for (u64 off = 0; off + 12 <= size && off + 12 <= MB_SEARCH_BYTES; off += 4)
		if (load_rd32(p + off) == MB_HEADER_MAGIC &&
		    (u32)(load_rd32(p + off) + load_rd32(p + off + 4) + load_rd32(p + off + 8)) == 0)
			return off;
	return ~0ULL;
}

bool mb_detect(const void *img, u64 size) { return find_header(img, size) != ~0ULL; }

int mb_parse(const void *img, u64 size, u64 mem, struct mb_image *out, char *err, size_t errlen)
{
	const u8 *p = img;
	u64 hdr = find_header(p, size);

	memset(out, 0, sizeof(*out));
	if (hdr == ~0ULL)
		return load_fail(err, errlen, "no Multiboot header (magic 0x1badb002 with a valid "
					 "checksum) in the first 8192 bytes");
	u32 flags = load_rd32(p + hdr + 4);
	out->flags = flags;
	/* Bits 0-15 are requirements: refuse what pagoda cannot provide. */
	if ((flags & 0xffff) & ~MB_REQUIRED_KNOWN)
		return load_fail(err, errlen, "image requires unsupported Multiboot features (flags 0x%x)",
			    (unsigned)(flags & 0xffff & ~MB_REQUIRED_KNOWN));
	if (!(flags & MB_FLAG_AOUT)) {
		int r = parse_elf(p, size, mem, out, err, errlen);
		if (r)
			return r;
	} else {
		if (hdr + 32 > size || hdr + 32 > MB_SEARCH_BYTES)
			return load_fail(err, errlen, "Multiboot header truncated (address fields missing "
						 "or beyond byte 8192)");
		u64 header_addr = load_rd32(p + hdr + 12), load_addr = load_rd32(p + hdr + 16);
		u64 load_end = load_rd32(p + hdr + 20), bss_end = load_rd32(p + hdr + 24);
		u64 entry = load_rd32(p + hdr + 28);
		if (header_addr < load_addr || header_addr - load_addr > hdr)
			return load_fail(err, errlen, "header_addr 0x%lx and load_addr 0x%lx disagree with "
				    "the header's file offset 0x%lx", header_addr, load_addr, hdr);
		u64 file_off = hdr - (header_addr - load_addr);
		u64 filesz = load_end ? load_end - load_addr : size - file_off;
		if (load_end && load_end < load_addr)
			return load_fail(err, errlen, "load_end_addr below load_addr");
		u64 memsz = filesz;
		if (bss_end) {
			if (bss_end < load_addr + filesz)
				return load_fail(err, errlen, "bss_end_addr below the loaded image");
			memsz = bss_end - load_addr;
		}
		out->aout_kludge = true;
		out->seg[0] = (struct load_segment){load_addr, file_off, filesz, memsz};
		out->nr_seg = 1;
		out->entry = entry;
		int r = check_seg(&out->seg[0], size, mem, err, errlen);
		if (r)
			return r;
	}
	for (unsigned i = 0; i < out->nr_seg; i++) {
		const struct load_segment *s = &out->seg[i];
		if (out->entry >= s->gpa && out->entry < s->gpa + s->memsz)
			return 0;
	}
	return load_fail(err, errlen, "entry point 0x%lx is outside every loaded segment", out->entry);
}

static void wr32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void wr64(u8 *p, u64 v)
{
	wr32(p, (u32)v);
	wr32(p + 4, (u32)(v >> 32));
}

/* A guest-physical range [start, end) that something claims. */
struct range {
	u64 start, end;
};

/* Does [A, A+LEN) overlap one of the N ranges R?  The overlapping range's
 * end in *PAST (where the next try starts). */
static bool overlaps(const struct range *r, unsigned n, u64 a, u64 len, u64 *past)
{
	for (unsigned i = 0; i < n; i++)
		if (a < r[i].end && r[i].start < a + len) {
			*past = r[i].end;
			return true;
		}
	return false;
}

/* The lowest page-aligned A in [FROM, LIMIT) with [A, A+LEN) inside
 * [FROM, LIMIT) and overlapping none of the N ranges R, or ~0. */
static u64 find_free(const struct range *r, unsigned n, u64 len, u64 from, u64 limit)
{
	u64 a = ALIGN_UP(from, PAGE_SIZE), past;
	while (a < limit && len <= limit - a) {
		if (!overlaps(r, n, a, len ? len : 1, &past))
			return a;
		a = ALIGN_UP(past, PAGE_SIZE);
	}
	return ~0ULL;
}

int mb_place(const struct mb_image *mb, u64 mem, const u64 *mod_size, unsigned nr_mods,
	     u64 *info_gpa, u64 *mod_gpa, char *err, size_t errlen)
{
	struct range used[MB_MAX_SEGMENTS + MB_MAX_MODULES + 1];
	unsigned n = 0;
	u64 top = MIN(mem, GiB(4)), image_end = MB_HIGH_RAM;

	if (nr_mods > MB_MAX_MODULES)
		return load_fail(err, errlen, "%u modules, at most %d", nr_mods, MB_MAX_MODULES);
	/* What the image claims, rounded out to whole pages. */
	for (unsigned i = 0; i < mb->nr_seg; i++) {
		const struct load_segment *s = &mb->seg[i];
		if (!s->memsz)
			continue;
		used[n++] = (struct range){s->gpa & PAGE_MASK, ALIGN_UP(s->gpa + s->memsz, PAGE_SIZE)};
		image_end = MAX(image_end, used[n - 1].end);
	}
	/* The info page: its usual place, else low RAM, else above the image. */
	u64 info = MB_INFO_GPA, past;
	if (info + PAGE_SIZE > top || overlaps(used, n, info, PAGE_SIZE, &past))
		info = find_free(used, n, PAGE_SIZE, PAGE_SIZE, MIN(top, MB_LOW_RAM_END));
	if (info == ~0ULL)
		info = find_free(used, n, PAGE_SIZE, image_end, top);
	if (info == ~0ULL)
		return load_fail(err, errlen, "no free page for the boot information in %lu KiB of "
					 "guest memory", mem >> 10);
	used[n++] = (struct range){info, info + PAGE_SIZE};
	*info_gpa = info;
	/* Modules one after the other above the image, each page-aligned. */
	u64 from = image_end;
	for (unsigned i = 0; i < nr_mods; i++) {
		u64 a = find_free(used, n, mod_size[i], from, top);
		if (a == ~0ULL)
			return load_fail(err, errlen, "module %u (%lu bytes) does not fit in guest memory "
				    "above the image (0x%lx-0x%lx)", i + 1, mod_size[i], from, top);
		mod_gpa[i] = a;
		used[n++] = (struct range){a, ALIGN_UP(a + mod_size[i], PAGE_SIZE)};
		from = MAX(from, used[n - 1].end);
	}
	return 0;
}

/* Layout of the info page: the struct (up to 0x58), the map, the loader
 * name, the module list, then the strings (cmdline first, then each
 * module's), and at the very end the loader's GDT (MB_GDT_OFF). */
#define INFO_MMAP_OFF 0x58
#define INFO_MMAP_MAX 3 /* entries */
#define INFO_MMAP_ENTRY 24
#define INFO_NAME_OFF (INFO_MMAP_OFF + INFO_MMAP_MAX * INFO_MMAP_ENTRY)
#define INFO_MODS_OFF (INFO_NAME_OFF + 8)
#define INFO_MOD_ENTRY 16
#define INFO_STRINGS_OFF (INFO_MODS_OFF + MB_MAX_MODULES * INFO_MOD_ENTRY)
_Static_assert(MB_GDT_OFF + MB_GDT_SIZE == PAGE_SIZE && MB_GDT_OFF % 8 == 0,
	       "the GDT ends the info page, 8-byte aligned");
_Static_assert(INFO_MMAP_OFF % 4 == 0 && INFO_MODS_OFF % 4 == 0 && INFO_STRINGS_OFF < MB_GDT_OFF,
	       "info page layout");

/* One memory map entry at M (spec 3.3: size not counting itself = 20,
 * base_addr, length, type 1 available / 2 reserved). */
static void mmap_entry(u8 *m, u64 base, u64 len, u32 type)
{
	wr32(m + 0, 20);
	wr64(m + 4, base);
	wr64(m + 12, len);
	wr32(m + 20, type);
}

int mb_build_info(void *page, u64 info_gpa, u64 mem, const char *cmdline,
		  const struct mb_module *mods, unsigned nr_mods)
{
	u8 *p = page;
	if (nr_mods > MB_MAX_MODULES)
		return -E_INVAL;
	size_t need = strlen(cmdline) + 1;
	for (unsigned i = 0; i < nr_mods; i++)
		need += strlen(mods[i].string) + 1;
	if (INFO_STRINGS_OFF + need > MB_GDT_OFF)
		return -E_INVAL;
	memset(p, 0, PAGE_SIZE);
	u32 base = (u32)info_gpa;
	/* flags: mem_* (bit 0), cmdline (2), mods (3), mmap (6), loader name (9) */
	wr32(p + 0, BIT(0) | BIT(2) | BIT(3) | BIT(6) | BIT(9));
	/* mem_lower and mem_upper in KiB: RAM from 0 and from 1 MiB (3.3) */
	wr32(p + 4, (u32)(MIN(mem, MB_LOW_RAM_END) / 1024));
	wr32(p + 8, mem > MB_HIGH_RAM ? (u32)MIN((mem - MB_HIGH_RAM) / 1024, 0xffffffffULL) : 0);
	/* the memory map, clipped to guest memory */
	u8 *m = p + INFO_MMAP_OFF;
	unsigned nm = 0;
	mmap_entry(m + INFO_MMAP_ENTRY * nm++, 0, MIN(mem, MB_LOW_RAM_END), 1);
	if (mem > MB_LOW_RAM_END)
		mmap_entry(m + INFO_MMAP_ENTRY * nm++, MB_LOW_RAM_END,
			   MIN(mem, MB_HIGH_RAM) - MB_LOW_RAM_END, 2);
	if (mem > MB_HIGH_RAM)
		mmap_entry(m + INFO_MMAP_ENTRY * nm++, MB_HIGH_RAM, mem - MB_HIGH_RAM, 1);
	wr32(p + 44, nm * INFO_MMAP_ENTRY);       /* mmap_length */
	wr32(p + 48, base + INFO_MMAP_OFF);       /* mmap_addr */
	memcpy(p + INFO_NAME_OFF, "pagoda", 7);
	wr32(p + 64, base + INFO_NAME_OFF);       /* boot_loader_name */
	/* the strings, and the module list pointing at theirs */
	size_t off = INFO_STRINGS_OFF, len = strlen(cmdline) + 1;
	memcpy(p + off, cmdline, len);
	wr32(p + 16, base + (u32)off);           /* cmdline */
	off += len;
	for (unsigned i = 0; i < nr_mods; i++) {
		u8 *e = p + INFO_MODS_OFF + INFO_MOD_ENTRY * i;
		len = strlen(mods[i].string) + 1;
		memcpy(p + off, mods[i].string, len);
		wr32(e + 0, (u32)mods[i].start); /* mod_start */
		wr32(e + 4, (u32)mods[i].end);   /* mod_end */
		wr32(e + 8, base + (u32)off);    /* string */
		off += len;
	}
	wr32(p + 20, nr_mods);                   /* mods_count */
	wr32(p + 24, base + INFO_MODS_OFF);      /* mods_addr */
	return 0;
}

/*
 * The loader row: parse, place the info page and the modules around the
 * image, build the info page (the flat GDT in its last bytes) in AREA, and
 * start the boot vCPU in the Multiboot machine state.
 */
static int mb_plan(const void *img, u64 size, u64 mem, const char *cmdline,
		   const struct load_module *mods, unsigned nr_mods, u8 *area,
		   struct load_plan *out, char *err, size_t errlen)
{
	struct mb_image mb;
	int r = mb_parse(img, size, mem, &mb, err, errlen);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	if (nr_mods > MB_MAX_MODULES)
		return load_fail(err, errlen, "%u modules, at most %d", nr_mods, MB_MAX_MODULES);
	u64 sizes[MB_MAX_MODULES], info;
	for (unsigned i = 0; i < nr_mods; i++)
		sizes[i] = mods[i].size;
	r = mb_place(&mb, mem, sizes, nr_mods, &info, out->mod_gpa, err, errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < mb.nr_seg; i++)
		out->seg[i] = mb.seg[i];
	out->nr_seg = mb.nr_seg;
	struct mb_module list[MB_MAX_MODULES];
	for (unsigned i = 0; i < nr_mods; i++)
		list[i] = (struct mb_module){out->mod_gpa[i], out->mod_gpa[i] + mods[i].size,
					     mods[i].string};
	if (mb_build_info(area, info, mem, cmdline, list, nr_mods))
		return load_fail(err, errlen, "command line and module names too long for the "
					 "Multiboot info page");
	vcpu_state_flat_gdt(area + MB_GDT_OFF);
	out->blob[0] = (struct load_blob){info, 0, PAGE_SIZE};
	out->nr_blob = 1;
	vcpu_state_multiboot(&out->bsp, (u32)mb.entry, MB_BOOT_MAGIC, (u32)info,
			     (u32)(info + MB_GDT_OFF));
	out->entry = mb.entry;
	return 0;
}

const struct loader multiboot_loader = {
	.name = "multiboot",
	.detect = mb_detect,
	.plan = mb_plan,
};
