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

/* Where pagoda puts the boot information page in guest memory. */
#define MB_INFO_GPA 0x8000
/* The loader's GDT (the flat one GRUB and QEMU leave too: vmm/vcpu_state.h)
 * sits in the last MB_GDT_SIZE bytes of the info page; mb_build_info()
 * leaves them zero for the caller to fill and keeps the command line out
 * of them.  Like the info structure itself it lies in memory the map calls
 * available, below 1 MiB where no image segment may be loaded: the kernel
 * must not reuse it before it has loaded its own GDT (spec 3.3 says the
 * same of the info structure). */
#define MB_GDT_SIZE 24
#define MB_GDT_OFF (4096 - MB_GDT_SIZE)
#define MB_GDT_GPA (MB_INFO_GPA + MB_GDT_OFF)
/* Lowest guest-physical address an image may be loaded at. */
#define MB_MIN_LOAD_GPA 0x100000

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
 * against the file size and the guest memory, the entry point inside a
 * loaded segment.
 */
int mb_parse(const void *img, u64 size, u64 mem, struct mb_image *out, char *err, size_t errlen);

/*
 * Build the boot information page for a guest of MEM bytes with command
 * line CMDLINE into PAGE (4 KiB, to be placed at MB_INFO_GPA): flags,
 * mem_lower/mem_upper, cmdline, a memory map ([0, 640 KiB) and [1 MiB, MEM)
 * available) and the boot loader name; the GDT area at MB_GDT_OFF is left
 * zero.  Returns 0 or -E_INVAL when the command line does not fit before
 * the GDT area.
 */
int mb_build_info(void *page, u64 mem, const char *cmdline);

/* Does IMG hold a Multiboot header (magic and checksum) where one must be? */
bool mb_detect(const void *img, u64 size);

/* The Multiboot row of the loader table (vmm/loader/loader.c). */
extern const struct loader multiboot_loader;

#endif
