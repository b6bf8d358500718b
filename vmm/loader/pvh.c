/*
 * PVH kernels (see vmm/loader/pvh.h).  ELF note layout (namesz, descsz,
 * type, then the name and the descriptor, each padded to 4 bytes) is the
 * System V ABI's; the entry state and start info are Xen's PVH ABI
 * (docs/misc/pvh.pandoc): 32-bit protected mode, paging off, CS a flat
 * 32-bit execute/read segment, DS/ES/SS flat 32-bit read/write, TR a
 * 32-bit TSS, IF clear, EBX = the start info.
 */
#include "lib/le.h"
#include "vmm/loader/pvh.h"
#include "lib/string.h"
#include "vmm/loader/elf.h"
#include "vmm/vcpu_state.h"

#define PT_NOTE 4

_Static_assert(PVH_GDT_OFF + VCPU_FLAT_GDT_SIZE <= PVH_CMDLINE_OFF, "the GDT fits");

/* Look through the notes in P[OFF, OFF+LEN) for Xen's PHYS32_ENTRY.  1 and
 * ENTRY when found, 0 when not, -E_INVAL when a note is malformed. */
static int scan_notes(const u8 *p, u64 off, u64 len, u64 *entry, char *err, size_t errlen)
{
	u64 at = 0;
	while (len - at >= 12) {
		const u8 *n = p + off + at;
		u64 namesz = load_rd32(n), descsz = load_rd32(n + 4);
		u32 type = load_rd32(n + 8);
		u64 name_pad = ALIGN_UP(namesz, 4), desc_pad = ALIGN_UP(descsz, 4);
		if (name_pad > len - at - 12 || desc_pad > len - at - 12 - name_pad)
			return load_fail(err, errlen, "PVH: ELF note at file offset 0x%lx runs past its "
					 "segment", off + at);
		const u8 *name = n + 12, *desc = name + name_pad;
		if (namesz == 4 && memcmp(name, "Xen", 4) == 0 && type == PVH_NOTE_PHYS32_ENTRY) {
			if (descsz == 4)
				*entry = load_rd32(desc);
			else if (descsz == 8)
				*entry = load_rd64(desc);
			else
				return load_fail(err, errlen, "PVH: entry note with a %lu-byte value "
						 "(4 or 8 expected)", descsz);
			return 1;
		}
		at += 12 + name_pad + desc_pad;
	}
	return 0;
}

int pvh_find_entry(const void *img, u64 size, u64 *entry, char *err, size_t errlen)
{
	const u8 *p = img;
	struct elf_image elf;
	int r = elf_parse(img, size, &elf, err, errlen);
	if (r)
		return r;
	/* elf_parse checked the program header table lies in the file. */
	for (u16 i = 0; i < elf.phnum; i++) {
		const u8 *ph = p + elf.phoff + (u64)i * elf.phentsize;
		if (load_rd32(ph) != PT_NOTE)
			continue;
		u64 off = elf.is64 ? load_rd64(ph + 8) : load_rd32(ph + 4);
		u64 len = elf.is64 ? load_rd64(ph + 32) : load_rd32(ph + 16);
		if (off > size || len > size - off)
			return load_fail(err, errlen, "PVH: PT_NOTE at 0x%lx (+0x%lx) beyond the end of "
					 "the file", off, len);
		r = scan_notes(p, off, len, entry, err, errlen);
		if (r)
			return r < 0 ? r : 0;
	}
	return load_fail(err, errlen, "PVH: no XEN_ELFNOTE_PHYS32_ENTRY note (kernel built "
			 "without CONFIG_PVH?)");
}

bool pvh_detect(const void *img, u64 size)
{
	u64 entry;
	return elf_detect(img, size) && pvh_find_entry(img, size, &entry, NULL, 0) == 0;
}

int pvh_plan(const void *img, u64 size, const struct linux_guest *g, u8 *area,
	     struct linux_plan *out, char *err, size_t errlen)
{
	struct elf_image elf;
	struct linux_mem_range map[LINUX_MAX_MEMMAP];
	u64 entry, end = 0;

	memset(out, 0, sizeof(*out));
	int r = pvh_find_entry(img, size, &entry, err, errlen);
	if (r)
		return r;
	r = elf_parse(img, size, &elf, err, errlen);
	if (r)
		return r;
	int nmap = linux_memmap(g, map, err, errlen);
	if (nmap < 0)
		return nmap;
	bool entry_in = false;
	for (unsigned i = 0; i < elf.nr_seg; i++) {
		const struct load_segment *s = &elf.seg[i];
		if (s->gpa < LINUX_MIN_LOAD_GPA)
			return load_fail(err, errlen, "PVH: segment at 0x%lx below 1 MiB", s->gpa);
		if (s->gpa > g->mem || s->memsz > g->mem - s->gpa)
			return load_fail(err, errlen, "PVH: segment at 0x%lx (+0x%lx) beyond guest memory "
					 "(%lu MiB)", s->gpa, s->memsz, g->mem >> 20);
		end = MAX(end, s->gpa + s->memsz);
		if (entry >= s->gpa && entry < s->gpa + s->memsz)
			entry_in = true;
		out->load.seg[i] = *s;
	}
	out->load.nr_seg = elf.nr_seg;
	if (!entry_in)
		return load_fail(err, errlen, "PVH: entry point 0x%lx is outside every loaded segment",
				 entry);
	/* Everything is below 0xfec00000 (linux_memmap refuses more RAM), so
	 * the entry and segments are reachable from 32-bit code. */
	size_t clen = strlen(g->cmdline);
	if (clen >= LINUX_MAX_CMDLINE)
		return load_fail(err, errlen, "PVH: command line of %zu bytes, pagoda takes %d", clen,
				 LINUX_MAX_CMDLINE - 1);
	u64 initrd = linux_initrd_gpa(g, end, 0xffffffffULL);
	if (initrd == ~0ULL)
		return load_fail(err, errlen, "PVH: initrd of %lu bytes does not fit between the "
				 "kernel's end 0x%lx and the end of RAM", g->initrd_size, end);

	u8 *si = area;
	memset(area, 0, PVH_AREA_SIZE);
	put_le32(si + PVH_SI_MAGIC, PVH_START_MAGIC);
	put_le32(si + PVH_SI_VERSION, PVH_START_VERSION);
	put_le32(si + PVH_SI_FLAGS, 0);
	if (initrd) {
		u8 *m = area + PVH_MODLIST_OFF;
		put_le32(si + PVH_SI_NR_MODULES, 1);
		put_le64(si + PVH_SI_MODLIST, LINUX_BOOT_GPA + PVH_MODLIST_OFF);
		put_le64(m + 0, initrd);
		put_le64(m + 8, g->initrd_size);
	}
	put_le64(si + PVH_SI_CMDLINE, LINUX_BOOT_GPA + PVH_CMDLINE_OFF);
	put_le64(si + PVH_SI_RSDP, g->rsdp_gpa);
	put_le64(si + PVH_SI_MEMMAP, LINUX_BOOT_GPA + PVH_MEMMAP_OFF);
	put_le32(si + PVH_SI_MEMMAP_ENTRIES, (u32)nmap);
	for (int i = 0; i < nmap; i++) {
		u8 *e = area + PVH_MEMMAP_OFF + PVH_MEMMAP_ENTRY_SIZE * i;
		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}
	vcpu_state_flat_gdt(area + PVH_GDT_OFF);
	memcpy(area + PVH_CMDLINE_OFF, g->cmdline, clen + 1);

	out->load.blob[0] = (struct load_blob){LINUX_BOOT_GPA, 0, PVH_AREA_SIZE};
	out->load.nr_blob = 1;
	/* EAX is unspecified by the ABI; 0 here. */
	vcpu_state_multiboot(&out->load.bsp, (u32)entry, 0, LINUX_BOOT_GPA,
			     LINUX_BOOT_GPA + PVH_GDT_OFF);
	out->load.entry = entry;
	out->initrd_gpa = initrd;
	return 0;
}
