/*
 * ELF program headers (vmm/loader/elf.h).  Offsets are those of the System
 * V ABI's ELF header and program header for ELFCLASS32 and ELFCLASS64.
 */
#include "vmm/loader/elf.h"
#include "lib/string.h"

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

bool elf_detect(const void *img, u64 size) { return size >= 4 && memcmp(img, "\x7f" "ELF", 4) == 0; }

int elf_parse(const void *img, u64 size, struct elf_image *out, char *err, size_t errlen)
{
	const u8 *p = img;
	memset(out, 0, sizeof(*out));
	if (size < 52 || !elf_detect(img, size))
		return fail(err, errlen, "not an ELF file");
	out->is64 = p[4] == 2;
	if ((p[4] != 1 && p[4] != 2) || p[5] != 1)
		return fail(err, errlen, "ELF: not a little-endian ELF32/ELF64 file");
	u16 type = rd16(p + 16), machine = rd16(p + 18);
	if (type != 2)
		return fail(err, errlen, "ELF: not an executable (type %u)", type);
	if (machine != 3 && machine != 62)
		return fail(err, errlen, "ELF: machine %u is not x86", machine);
	if (out->is64) {
		if (size < 64)
			return fail(err, errlen, "ELF: truncated header");
		out->entry = rd64(p + 24);
		out->phoff = rd64(p + 32);
		out->phentsize = rd16(p + 54);
		out->phnum = rd16(p + 56);
	} else {
		out->entry = rd32(p + 24);
		out->phoff = rd32(p + 28);
		out->phentsize = rd16(p + 42);
		out->phnum = rd16(p + 44);
	}
	u64 want = out->is64 ? 56 : 32;
	if (out->phentsize < want || out->phnum == 0 || out->phoff > size ||
	    (u64)out->phnum * out->phentsize > size - out->phoff)
		return fail(err, errlen, "ELF: program headers out of the file");
	for (u16 i = 0; i < out->phnum; i++) {
		const u8 *ph = p + out->phoff + (u64)i * out->phentsize;
		if (rd32(ph) != 1) /* PT_LOAD */
			continue;
		if (out->nr_seg == LOAD_MAX_SEGMENTS)
			return fail(err, errlen, "ELF: more than %d loadable segments",
				    LOAD_MAX_SEGMENTS);
		struct load_segment *s = &out->seg[out->nr_seg++];
		if (out->is64) {
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
		if (s->filesz > s->memsz)
			return fail(err, errlen, "segment at 0x%lx: file size above memory size", s->gpa);
		if (s->file_off > size || s->filesz > size - s->file_off)
			return fail(err, errlen, "segment at 0x%lx: beyond the end of the file", s->gpa);
	}
	if (!out->nr_seg)
		return fail(err, errlen, "ELF: no loadable segment");
	return 0;
}
