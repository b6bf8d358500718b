/*
 * Multiboot v1 image parsing and boot-information building (see
 * vmm/multiboot.h).  Offsets and field meanings are from the Multiboot
 * Specification 0.6.96, sections 3.1 (header) and 3.3 (boot information).
 */
#include "vmm/multiboot.h"
#include "lib/string.h"

#define MB_FLAG_PAGE_ALIGN BIT(0)
#define MB_FLAG_MEMINFO BIT(1)
#define MB_FLAG_VIDEO BIT(2)
#define MB_FLAG_AOUT BIT(16)
#define MB_REQUIRED_KNOWN (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO)

static int fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -E_INVAL;
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u16 rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

static u64 rd64(const u8 *p) { return (u64)rd32(p) | (u64)rd32(p + 4) << 32; }

/* Check a segment lies in guest RAM above MB_MIN_LOAD_GPA and in the file. */
static int check_seg(const struct mb_segment *s, u64 size, u64 mem, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return fail(err, errlen, "segment at 0x%lx: file size above memory size", s->gpa);
	if (s->file_off > size || s->filesz > size - s->file_off)
		return fail(err, errlen, "segment at 0x%lx: beyond the end of the file", s->gpa);
	if (s->gpa < MB_MIN_LOAD_GPA)
		return fail(err, errlen, "segment at 0x%lx: below 1 MiB", s->gpa);
	if (s->gpa > mem || s->memsz > mem - s->gpa)
		return fail(err, errlen, "segment at 0x%lx (+0x%lx): beyond guest memory (%lu MiB)",
			    s->gpa, s->memsz, mem >> 20);
	return 0;
}

static int parse_elf(const u8 *p, u64 size, u64 mem, struct mb_image *out, char *err,
		     size_t errlen)
{
	if (size < 52 || memcmp(p, "\x7f" "ELF", 4) != 0)
		return fail(err, errlen, "no a.out kludge (flag 16) and not an ELF file");
	bool is64 = p[4] == 2;
	if ((p[4] != 1 && p[4] != 2) || p[5] != 1)
		return fail(err, errlen, "ELF: not a little-endian ELF32/ELF64 file");
	u16 type = rd16(p + 16), machine = rd16(p + 18);
	if (type != 2)
		return fail(err, errlen, "ELF: not an executable (type %u)", type);
	if (machine != 3 && machine != 62)
		return fail(err, errlen, "ELF: machine %u is not x86", machine);
	u64 phoff, entry;
	u16 phentsize, phnum;
	if (is64) {
		if (size < 64)
			return fail(err, errlen, "ELF: truncated header");
		entry = rd64(p + 24);
		phoff = rd64(p + 32);
		phentsize = rd16(p + 54);
		phnum = rd16(p + 56);
	} else {
		entry = rd32(p + 24);
		phoff = rd32(p + 28);
		phentsize = rd16(p + 42);
		phnum = rd16(p + 44);
	}
	u64 want = is64 ? 56 : 32;
	if (phentsize < want || phnum == 0 || phoff > size ||
	    (u64)phnum * phentsize > size - phoff)
		return fail(err, errlen, "ELF: program headers out of the file");
	out->nr_seg = 0;
	for (u16 i = 0; i < phnum; i++) {
		const u8 *ph = p + phoff + (u64)i * phentsize;
		if (rd32(ph) != 1) /* PT_LOAD */
			continue;
		if (out->nr_seg == MB_MAX_SEGMENTS)
			return fail(err, errlen, "ELF: more than %d loadable segments",
				    MB_MAX_SEGMENTS);
		struct mb_segment *s = &out->seg[out->nr_seg++];
		if (is64) {
			s->file_off = rd64(ph + 8);
			s->gpa = rd64(ph + 24); /* p_paddr */
			s->filesz = rd64(ph + 32);
			s->memsz = rd64(ph + 40);
		} else {
			s->file_off = rd32(ph + 4);
			s->gpa = rd32(ph + 12);
			s->filesz = rd32(ph + 16);
			s->memsz = rd32(ph + 20);
		}
		int r = check_seg(s, size, mem, err, errlen);
		if (r)
			return r;
	}
	if (!out->nr_seg)
		return fail(err, errlen, "ELF: no loadable segment");
	/* The kernel is entered in 32-bit protected mode without paging. */
	if (entry > 0xffffffffULL)
		return fail(err, errlen, "ELF: entry point 0x%lx above 4 GiB is unreachable from "
					 "32-bit protected mode", entry);
	for (unsigned i = 0; i < out->nr_seg; i++)
		if (out->seg[i].gpa + out->seg[i].memsz > GiB(4))
			return fail(err, errlen, "ELF: segment at 0x%lx ends above 4 GiB",
				    out->seg[i].gpa);
	out->entry = entry;
	return 0;
}

int mb_parse(const void *img, u64 size, u64 mem, struct mb_image *out, char *err, size_t errlen)
{
	const u8 *p = img;
	u64 hdr = ~0ULL;

	memset(out, 0, sizeof(*out));
	/* The header is 32-bit aligned within the first 8192 bytes (3.1). */
	/* ...and lies completely within them (3.1.1). */
	for (u64 off = 0; off + 12 <= size && off + 12 <= MB_SEARCH_BYTES; off += 4) {
		if (rd32(p + off) == MB_HEADER_MAGIC &&
		    (u32)(rd32(p + off) + rd32(p + off + 4) + rd32(p + off + 8)) == 0) {
			hdr = off;
			break;
		}
	}
	if (hdr == ~0ULL)
		return fail(err, errlen, "no Multiboot header (magic 0x1badb002 with a valid "
					 "checksum) in the first 8192 bytes");
	u32 flags = rd32(p + hdr + 4);
	out->flags = flags;
	/* Bits 0-15 are requirements: refuse what pagoda cannot provide. */
	if ((flags & 0xffff) & ~MB_REQUIRED_KNOWN)
		return fail(err, errlen, "image requires unsupported Multiboot features (flags 0x%x)",
			    (unsigned)(flags & 0xffff & ~MB_REQUIRED_KNOWN));
	if (!(flags & MB_FLAG_AOUT)) {
		int r = parse_elf(p, size, mem, out, err, errlen);
		if (r)
			return r;
	} else {
		if (hdr + 32 > size || hdr + 32 > MB_SEARCH_BYTES)
			return fail(err, errlen, "Multiboot header truncated (address fields missing "
						 "or beyond byte 8192)");
		u64 header_addr = rd32(p + hdr + 12), load_addr = rd32(p + hdr + 16);
		u64 load_end = rd32(p + hdr + 20), bss_end = rd32(p + hdr + 24);
		u64 entry = rd32(p + hdr + 28);
		if (header_addr < load_addr || header_addr - load_addr > hdr)
			return fail(err, errlen, "header_addr 0x%lx and load_addr 0x%lx disagree with "
				    "the header's file offset 0x%lx", header_addr, load_addr, hdr);
		u64 file_off = hdr - (header_addr - load_addr);
		u64 filesz = load_end ? load_end - load_addr : size - file_off;
		if (load_end && load_end < load_addr)
			return fail(err, errlen, "load_end_addr below load_addr");
		u64 memsz = filesz;
		if (bss_end) {
			if (bss_end < load_addr + filesz)
				return fail(err, errlen, "bss_end_addr below the loaded image");
			memsz = bss_end - load_addr;
		}
		out->aout_kludge = true;
		out->seg[0] = (struct mb_segment){load_addr, file_off, filesz, memsz};
		out->nr_seg = 1;
		out->entry = entry;
		int r = check_seg(&out->seg[0], size, mem, err, errlen);
		if (r)
			return r;
	}
	for (unsigned i = 0; i < out->nr_seg; i++) {
		const struct mb_segment *s = &out->seg[i];
		if (out->entry >= s->gpa && out->entry < s->gpa + s->memsz)
			return 0;
	}
	return fail(err, errlen, "entry point 0x%lx is outside every loaded segment", out->entry);
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
