/*
 * PVH boot of an ELF kernel (Linux's uncompressed vmlinux built with
 * CONFIG_PVH): the kernel names a 32-bit entry point in an ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY and is entered there in 32-bit protected mode,
 * paging off, EBX pointing at a struct hvm_start_info (Xen's public header
 * xen/include/public/arch-x86/hvm/start_info.h and docs/misc/pvh.pandoc
 * define both; facts only are used here).  Pure parsing and building, no
 * VMM state: built into the host tests with sanitizers as well.
 *
 * A row of loader.c's table of Linux formats: like the bzImage loader it
 * takes struct linux_guest and gives struct linux_plan (vmm/loader/bzimage.h).
 */
#ifndef PAGODA_LOADER_PVH_H
#define PAGODA_LOADER_PVH_H

#include "lib/types.h"
#include "vmm/loader/bzimage.h"

#define PVH_NOTE_PHYS32_ENTRY 18    /* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_START_MAGIC 0x336ec578  /* hvm_start_info.magic */
#define PVH_START_VERSION 1         /* with the memory map fields */

/* struct hvm_start_info (all little-endian):
 *   0 magic u32, 4 version u32, 8 flags u32, 12 nr_modules u32,
 *   16 modlist_paddr u64, 24 cmdline_paddr u64, 32 rsdp_paddr u64,
 *   40 memmap_paddr u64, 48 memmap_entries u32, 52 reserved u32: 56 bytes.
 * struct hvm_modlist_entry: 0 paddr, 8 size, 16 cmdline_paddr, 24 reserved
 *   (u64 each): 32 bytes.
 * struct hvm_memmap_table_entry: 0 addr u64, 8 size u64, 16 type u32 (E820
 *   types), 20 reserved u32: 24 bytes. */
#define PVH_SI_MAGIC 0
#define PVH_SI_VERSION 4
#define PVH_SI_FLAGS 8
#define PVH_SI_NR_MODULES 12
#define PVH_SI_MODLIST 16
#define PVH_SI_CMDLINE 24
#define PVH_SI_RSDP 32
#define PVH_SI_MEMMAP 40
#define PVH_SI_MEMMAP_ENTRIES 48
#define PVH_MOD_SIZE 32
#define PVH_MEMMAP_ENTRY_SIZE 24

/* The layout of the boot page the loader builds (at LINUX_BOOT_GPA): the
 * start info, the module list (the initrd), the memory map, the flat GDT
 * (vmm/vcpu_state.h), the command line. */
#define PVH_AREA_SIZE 4096
#define PVH_MODLIST_OFF 0x40
#define PVH_MEMMAP_OFF 0x80
#define PVH_GDT_OFF 0x200
#define PVH_CMDLINE_OFF 0x400
_Static_assert(PVH_MEMMAP_OFF + LINUX_MAX_MEMMAP * PVH_MEMMAP_ENTRY_SIZE <= PVH_GDT_OFF,
	       "the memory map ends before the GDT");
_Static_assert(PVH_CMDLINE_OFF + LINUX_MAX_CMDLINE <= PVH_AREA_SIZE, "the command line fits");

/*
 * The PVH entry point of IMG (SIZE bytes): the value of the first
 * XEN_ELFNOTE_PHYS32_ENTRY note (name "Xen", 4- or 8-byte descriptor) in a
 * PT_NOTE segment of an ELF32/ELF64 file.  0 and ENTRY, or -E_INVAL with a
 * reason ("no PVH note", a malformed note or ELF file).
 */
int pvh_find_entry(const void *img, u64 size, u64 *entry, char *err, size_t errlen);

/* Is IMG an ELF file with a PVH entry note?  (Walks the notes: not as
 * cheap as a magic check, but bounded by the program headers.) */
bool pvh_detect(const void *img, u64 size);

/*
 * Check IMG (SIZE bytes) as a PVH kernel for guest G, build its start info,
 * module list, memory map, GDT and command line in AREA (PVH_AREA_SIZE
 * bytes, to go at LINUX_BOOT_GPA) and fill OUT: the PT_LOAD segments at
 * their physical addresses, the area as one blob, the BSP at the PVH entry
 * with EBX on the start info.  Returns 0, or -E_INVAL with a one-line
 * reason naming what is wrong.
 */
int pvh_plan(const void *img, u64 size, const struct linux_guest *g, u8 *area,
	     struct linux_plan *out, char *err, size_t errlen);

#endif
