/*
 * Multiboot (version 1) images and boot information, as the Multiboot
 * Specification 0.6.96 defines them.  Pure parsing and building, no VMM
 * state: built into the host tests with sanitizers as well.
 */
#ifndef PAGODA_MULTIBOOT_H
#define PAGODA_MULTIBOOT_H

#include "lib/types.h"
#include "vmm/loader/image.h"

#define MB_HEADER_MAGIC 0x1badb002
#define MB_BOOT_MAGIC 0x2badb002
#define MB_SEARCH_BYTES 8192
#define MB_MAX_SEGMENTS LOAD_MAX_SEGMENTS

/* Where pagoda puts the boot information page in guest memory when no
 * image segment claims it (else: mb_place).  The loader's GDT (the flat
 * one GRUB and QEMU leave too: vmm/vcpu_state.h) sits in the last
 * MB_GDT_SIZE bytes of the info page; mb_build_info() leaves them zero for
 * the caller to fill and keeps the strings out of them.  Like the info
 * structure itself it lies in memory the map calls available: the kernel
 * must not reuse it before it has loaded its own GDT (spec 3.3 says the
 * same of the info structure). */
#define MB_INFO_GPA 0x8000
#define MB_GDT_SIZE 24
#define MB_GDT_OFF (4096 - MB_GDT_SIZE)
/* The PC memory map the guest is given: RAM below the EBDA, the EBDA, VGA
 * and BIOS area reserved, RAM from 1 MiB to the end of guest memory. */
#define MB_LOW_RAM_END 0x9fc00
#define MB_HIGH_RAM 0x100000
/* Modules one image may be given. */
#define MB_MAX_MODULES LOAD_MAX_MODULES

/* One module as the boot information lists it (spec 3.3, mods_addr). */
struct mb_module {
	u64 start;          /* guest-physical address of its first byte (page-aligned) */
	u64 end;            /* one past its last byte */
	const char *string; /* its string: file name and arguments */
};

struct mb_image {
	u32 flags;     /* the header's flags */
	u64 entry;     /* guest-physical entry point (32-bit protected mode) */
	bool aout_kludge; /* loaded by the header's address fields (flag bit 16), else ELF */
	struct load_segment seg[MB_MAX_SEGMENTS];
	unsigned nr_seg;
};

/*
 * Parse IMG (SIZE bytes) as a Multiboot v1 image for a guest of MEM bytes.
 * Returns 0 with OUT filled, or -E_INVAL with a one-line reason in ERR.
 * Everything is checked: header position and checksum, required flags
 * pagoda cannot honour (video mode), address fields and ELF program headers
 * against the file size and the guest memory (a segment may lie anywhere
 * in guest RAM below 4 GiB, low memory included), the entry point inside a
 * loaded segment.
 */
int mb_parse(const void *img, u64 size, u64 mem, struct mb_image *out, char *err, size_t errlen);

/*
 * Choose where the boot information page and the NR_MODS modules (sizes
 * MOD_SIZE[]) go for image MB in a guest of MEM bytes, so that nothing
 * overlaps an image segment or each other: the info page at MB_INFO_GPA,
 * else the lowest free page below MB_LOW_RAM_END, else the lowest free
 * page above the image; each module page-aligned at the lowest free
 * address above the image's highest segment (and 1 MiB), as GRUB and QEMU
 * do.  Everything stays below 4 GiB (32-bit pointers) and inside guest
 * RAM.  0 with *INFO_GPA and MOD_GPA[] set, or -E_INVAL with a reason.
 */
int mb_place(const struct mb_image *mb, u64 mem, const u64 *mod_size, unsigned nr_mods,
	     u64 *info_gpa, u64 *mod_gpa, char *err, size_t errlen);

/*
 * Build the boot information page, to be placed at INFO_GPA, for a guest
 * of MEM bytes with command line CMDLINE and the NR_MODS modules MODS into
 * PAGE (4 KiB): flags, mem_lower/mem_upper, cmdline, the modules, a memory
 * map ([0, MB_LOW_RAM_END) available, [MB_LOW_RAM_END, 1 MiB) reserved,
 * [1 MiB, MEM) available, each clipped to MEM) and the boot loader name;
 * the GDT area at MB_GDT_OFF is left zero.  Returns 0, or -E_INVAL (PAGE
 * untouched) when the strings do not fit before the GDT area or there are
 * more than MB_MAX_MODULES modules.
 */
int mb_build_info(void *page, u64 info_gpa, u64 mem, const char *cmdline,
		  const struct mb_module *mods, unsigned nr_mods);

/* Does IMG hold a Multiboot header (magic and checksum) where one must be? */
bool mb_detect(const void *img, u64 size);

/* The Multiboot row of the loader table (vmm/loader/loader.c). */
extern const struct loader multiboot_loader;

#endif
