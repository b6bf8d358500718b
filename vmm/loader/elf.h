/*
 * ELF executables (ELF32 and ELF64, little-endian, x86): the program
 * headers a loader places.  Pure parsing, shared by the loaders of formats
 * that wrap an ELF file (Multiboot's ELF case; PVH's vmlinux next).
 */
#ifndef PAGODA_LOADER_ELF_H
#define PAGODA_LOADER_ELF_H

#include "vmm/loader/image.h"

struct elf_image {
	bool is64;                                   /* ELFCLASS64 */
	u64 entry;                                   /* e_entry */
	u64 phoff;                                   /* program headers' file offset */
	u16 phentsize, phnum;                        /* their size and count */
	struct load_segment seg[LOAD_MAX_SEGMENTS];  /* PT_LOAD headers: p_paddr, p_offset,
							p_filesz, p_memsz */
	unsigned nr_seg;
};

/* Is IMG an ELF file at all (the 4-byte magic)? */
bool elf_detect(const void *img, u64 size);
/*
 * Parse IMG (SIZE bytes): an executable for x86, with its program headers
 * and every PT_LOAD's file bytes inside the file and filesz <= memsz.
 * Returns 0 and OUT, or -E_INVAL with a reason ("ELF: ...") in ERR.
 * Where the segments may go is the caller's to check.
 */
int elf_parse(const void *img, u64 size, struct elf_image *out, char *err, size_t errlen);

#endif
