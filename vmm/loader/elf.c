/*
 * ELF program headers (vmm/loader/elf.h).  Offsets are those of the System
 * V ABI's ELF header and program header for ELFCLASS32 and ELFCLASS64.
 */
#include "vmm/loader/elf.h"
#include "lib/string.h"

int load_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -E_INVAL;
}

bool elf_detect(const void *img, u64 size) { return size >= 4 && memcmp(img, "\x7f" "ELF", 4) == 0; }

int elf_parse(const void *img, u64 size, struct elf_image *out, char *err, size_t errlen)
{
	const u8 *p = img;
	memset(out, 0, sizeof(*out));
	if (size < 52 || !elf_detect(img, size))
		return load_fail(err, errlen, "not an ELF file");
	out->is64 = p[4] == 2;
	if ((p[4] != 1 && p[4] != 2) || p[5] != 1)
		return load_fail(err, errlen, "ELF: not a little-endian ELF32/ELF64 file");
	u16 type = load_rd16(p + 16), machine = load_rd16(p + 18);
	if (type != 2)
		return load_fail(err, errlen, "ELF: not an executable (type %u)", type);
	if (machine != 3 && machine != 62)
		return load_fail(err, errlen, "ELF: machine %u is not x86", machine);
	if (out->is64) {
		if (size < 64)
			return load_fail(err, errlen, "ELF: truncated header");
		out->entry = load_rd64(p + 24);
		out->phoff = load_rd64(p + 32);
		out->phentsize = load_rd16(p + 54);
		out->phnum = load_rd16(p + 56);
	} else {
		out->entry = load_rd32(p + 24);
		out->phoff = load_rd32(p + 28);
		out->phentsize = load_rd16(p + 42);
		out->phnum = load_rd16(p + 44);
	}
	u64 want = out->is64 ? 56 : 32;
	if (out->phentsize < want || out->phnum == 0 || out->phoff > size ||
	    (u64)out->phnum * out->phentsize > size - out->phoff)
		return load_fail(err, errlen, "ELF: program headers out of the file");
	for (u16 i = 0; i < out->phnum; i++) {
		const u8 *ph = p + out->phoff + (u64)i * out->phentsize;
		if (load_rd32(ph) != 1) /* PT_LOAD */
			continue;
		if (out->nr_seg == LOAD_MAX_SEGMENTS)
			return load_fail(err, errlen, "ELF: more than %d loadable segments",
				    LOAD_MAX_SEGMENTS);
		struct load_segment *s = &out->seg[out->nr_seg++];
		if (out->is64) {
			s->file_off = load_rd64(ph + 8);
			s->gpa = load_rd64(ph + 24); /* p_paddr */
			s->filesz = load_rd64(ph + 32);
			s->memsz = load_rd64(ph + 40);
		} else {
			s->file_off = load_rd32(ph + 4);
			s->gpa = load_rd32(ph + 12);
			s->filesz = load_rd32(ph + 16);
			s->memsz = load_rd32(ph + 20);
		}
		if (s->filesz > s->memsz)
			return load_fail(err, errlen, "segment at 0x%lx: file size above memory size", s->gpa);
		if (s->file_off > size || s->filesz > size - s->file_off)
			return load_fail(err, errlen, "segment at 0x%lx: beyond the end of the file", s->gpa);
	}
	if (!out->nr_seg)
		return load_fail(err, errlen, "ELF: no loadable segment");
	return 0;
}
