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

/* Check a segment lies in guest RAM above MB_MIN_LOAD_GPA and in the file. */
static int check_seg(const struct load_segment *s, u64 size, u64 mem, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return load_fail(err, errlen, "segment at 0x%lx: file size above memory size", s->gpa);
	if (s->file_off > size || s->filesz > size - s->file_off)
		return load_fail(err, errlen, "segment at 0x%lx: beyond the end of the file", s->gpa);
	if (s->gpa < MB_MIN_LOAD_GPA)
		return load_fail(err, errlen, "segment at 0x%lx: below 1 MiB", s->gpa);
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

/* Layout of the info page: the struct, then the map, the name, the
 * cmdline, and at the very end the loader's GDT (MB_GDT_OFF). */
#define INFO_MMAP_OFF 0x100
#define INFO_NAME_OFF 0x200
#define INFO_CMDLINE_OFF 0x300
_Static_assert(MB_GDT_OFF + MB_GDT_SIZE == PAGE_SIZE && MB_GDT_OFF % 8 == 0,
	       "the GDT ends the info page, 8-byte aligned");

int mb_build_info(void *page, u64 mem, const char *cmdline)
{
	u8 *p = page;
	size_t clen = strlen(cmdline);
	if (INFO_CMDLINE_OFF + clen + 1 > MB_GDT_OFF)
		return -E_INVAL;
	memset(p, 0, PAGE_SIZE);
	/* flags: mem_* (bit 0), cmdline (bit 2), mmap (bit 6), loader name (bit 9) */
	wr32(p + 0, BIT(0) | BIT(2) | BIT(6) | BIT(9));
	wr32(p + 4, 640);                                          /* mem_lower, KiB */
	wr32(p + 8, (u32)MIN((mem - MiB(1)) / 1024, 0xffffffffULL)); /* mem_upper, KiB */
	wr32(p + 16, MB_INFO_GPA + INFO_CMDLINE_OFF);              /* cmdline */
	u8 *m = p + INFO_MMAP_OFF;
	/* each entry: size (20, not counting itself), base_addr, length, type */
	wr32(m + 0, 20);
	wr64(m + 4, 0);
	wr64(m + 12, KiB(640));
	wr32(m + 20, 1);
	wr32(m + 24, 20);
	wr64(m + 28, MiB(1));
	wr64(m + 36, mem - MiB(1));
	wr32(m + 44, 1);
	wr32(p + 44, 48);                          /* mmap_length */
	wr32(p + 48, MB_INFO_GPA + INFO_MMAP_OFF); /* mmap_addr */
	memcpy(p + INFO_NAME_OFF, "pagoda", 7);
	wr32(p + 64, MB_INFO_GPA + INFO_NAME_OFF); /* boot_loader_name */
	memcpy(p + INFO_CMDLINE_OFF, cmdline, clen + 1);
	return 0;
}

/*
 * The loader row: parse, build the info page (the flat GDT in its last
 * bytes) in AREA, and start the boot vCPU in the Multiboot machine state.
 */
static int mb_plan(const void *img, u64 size, u64 mem, const char *cmdline, u8 *area,
		   struct load_plan *out, char *err, size_t errlen)
{
	struct mb_image mb;
	int r = mb_parse(img, size, mem, &mb, err, errlen);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < mb.nr_seg; i++)
		out->seg[i] = mb.seg[i];
	out->nr_seg = mb.nr_seg;
	if (mb_build_info(area, mem, cmdline))
		return load_fail(err, errlen, "command line too long for the Multiboot info page");
	vcpu_state_flat_gdt(area + MB_GDT_OFF);
	out->blob[0] = (struct load_blob){MB_INFO_GPA, 0, PAGE_SIZE};
	out->nr_blob = 1;
	vcpu_state_multiboot(&out->bsp, (u32)mb.entry, MB_BOOT_MAGIC, MB_INFO_GPA, MB_GDT_GPA);
	out->entry = mb.entry;
	return 0;
}

const struct loader multiboot_loader = {
	.name = "multiboot",
	.detect = mb_detect,
	.plan = mb_plan,
};
