/*
 * Linux bzImage kernels (the x86 boot protocol, version 2.12 and later,
 * Documentation/arch/x86/boot.rst in the kernel tree), and what every
 * Linux boot shares with PVH (vmm/loader/pvh.h): the guest's memory map
 * and where the initrd goes.  Pure parsing and building, no VMM state:
 * built into the host tests with sanitizers as well.
 *
 * A row of loader.c's table of Linux formats: a Linux boot needs more
 * than struct load_plan carries (an initrd placed by the VMM, an 8 KiB
 * area, the ACPI tables' place), so its plan is a struct linux_plan, with
 * struct linux_guest as its extra input.
 */
#ifndef PAGODA_LOADER_BZIMAGE_H
#define PAGODA_LOADER_BZIMAGE_H

#include "lib/types.h"
#include "vmm/loader/image.h"

/* Where Linux boot structures go: below 640 KiB, above the first 64 KiB
 * (which Linux keeps for itself, CONFIG_X86_RESERVE_LOW), away from the
 * Multiboot info page at 0x8000. */
#define LINUX_BOOT_GPA 0x10000
#define LINUX_AREA_SIZE 8192 /* bytes of area the Linux loaders build in */
#define LINUX_MIN_LOAD_GPA 0x100000
#define LINUX_MAX_CMDLINE 2048 /* bytes, the NUL included */

/* E820 / PVH memory map types (ACPI 15.1 "Address Range Types"). */
#define LINUX_MEM_RAM 1
#define LINUX_MEM_RESERVED 2
#define LINUX_MEM_ACPI 3
#define LINUX_MAX_MEMMAP 8
/* Lowest place for the ACPI tables: above the boot structures, in the
 * last 512 KiB of the first MiB (usually the BIOS area at 0xe0000). */
#define ACPI_AREA_MIN 0x80000

/* What a Linux boot needs to know of the guest beyond the image. */
struct linux_guest {
	u64 mem;             /* RAM bytes, guest-physical 0..mem (at most 0xfec00000) */
	const char *cmdline; /* kernel command line */
	u64 initrd_size;     /* bytes of the initrd the VMM will place, 0 for none */
	u64 rsdp_gpa;        /* the ACPI RSDP, 0 for none */
	u64 acpi_gpa;        /* the ACPI tables' area, typed ACPI in the map; must lie */
	u64 acpi_size;       /*   in ACPI_AREA_MIN..0xfffff (or size 0: none) */
};

/* One range of the guest's memory map. */
struct linux_mem_range {
	u64 addr; /* first byte */
	u64 size; /* bytes */
	u32 type; /* LINUX_MEM_* */
};

/* A Linux load plan: struct load_plan, plus the initrd's place. */
struct linux_plan {
	struct load_plan load; /* kernel segments, the boot-structure blob, the BSP */
	u64 initrd_gpa;        /* where the VMM must copy the initrd's initrd_size bytes
				  (0 when there is none) */
};

/*
 * The memory map of guest G into OUT (LINUX_MAX_MEMMAP entries, ascending):
 * RAM [0, 0x9fc00), reserved up to 1 MiB (the EBDA and BIOS area, with the
 * ACPI tables' area typed ACPI inside it, or cut out of low RAM when it
 * lies below 0x9fc00), RAM [1 MiB, mem), and the I/O
 * APIC and local APIC pages reserved.  Returns the number of entries, or
 * -E_INVAL with a reason in ERR when G's memory or ACPI area is unusable.
 */
int linux_memmap(const struct linux_guest *g, struct linux_mem_range *out, char *err,
		 size_t errlen);

/*
 * Where the initrd of guest G goes when the kernel's image ends (init_size
 * included) at KERNEL_END and it accepts an initrd ending no higher than
 * ADDR_MAX (its last byte): the highest page-aligned place below both
 * limits and RAM's end.  0 when G has none; ~0 when it does not fit.
 */
u64 linux_initrd_gpa(const struct linux_guest *g, u64 kernel_end, u64 addr_max);

/* Does IMG carry the bzImage signatures ("HdrS" at 0x202, 0xaa55 at 0x1fe)? */
bool bz_detect(const void *img, u64 size);

/*
 * Check IMG (SIZE bytes) as a bzImage for guest G, build its zero page
 * (boot_params), command line and GDT in AREA (LINUX_AREA_SIZE bytes, to
 * go at LINUX_BOOT_GPA) and fill OUT: the protected-mode kernel at its
 * preferred address, the area as one blob, the BSP at the 32-bit entry.
 * Returns 0, or -E_INVAL with a one-line reason naming what is wrong.
 */
int bz_plan(const void *img, u64 size, const struct linux_guest *g, u8 *area,
	    struct linux_plan *out, char *err, size_t errlen);

/* Offsets in the zero page (struct boot_params; boot.rst "THE REAL-MODE
 * KERNEL HEADER" and "ZERO PAGE"), for the tests as well. */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_SETUP_SECTS 0x1f1
#define BP_BOOT_FLAG 0x1fe
#define BP_JUMP 0x200
#define BP_HEADER 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_CODE32_START 0x214
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGNMENT 0x230
#define BP_RELOCATABLE 0x234
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PAYLOAD_OFFSET 0x248
#define BP_PAYLOAD_LENGTH 0x24c
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

/* The layout of the area: zero page, then the command line, and the GDT
 * of the 32-bit entry in the last 32 bytes. */
#define BZ_CMDLINE_OFF 0x1000
#define BZ_GDT_SIZE 32
#define BZ_GDT_OFF (LINUX_AREA_SIZE - BZ_GDT_SIZE)
#define BZ_BOOT_CS 0x10 /* __BOOT_CS, boot.rst "32-bit BOOT PROTOCOL" */
#define BZ_BOOT_DS 0x18 /* __BOOT_DS */

#endif
