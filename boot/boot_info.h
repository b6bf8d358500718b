/*
 * What boot/ hands the VMM after ExitBootServices.  Plain C, no UEFI types:
 * vmm/ includes this, never <efi.h>.
 */
#ifndef PAGODA_BOOT_INFO_H
#define PAGODA_BOOT_INFO_H

#include "lib/types.h"

#define BOOT_MAX_RANGES 256
#define BOOT_MAX_FILES 32
#define BOOT_NAME_MAX 64
#define BOOT_MAX_CPUS 64 /* MADT processors recorded (arch/x86's MAX_CPUS) */
#define BOOT_AP_START_PAGES 2 /* below 1 MiB: the AP start-up code, a PML4 copy */

/* A range of usable RAM for pmm (EfiConventionalMemory). */
struct boot_mem_range {
	u64 base;   /* physical address, page-aligned */
	u64 npages; /* 4 KiB pages */
};

/* A file read from the ESP directory \pagoda\ before boot services ended. */
struct boot_file {
	char name[BOOT_NAME_MAX]; /* file name, ASCII, as in the directory */
	const void *data;         /* contents, in EfiLoaderData memory kept for good */
	u64 size;                 /* bytes */
};

/* A processor of the ACPI MADT. */
struct boot_cpu {
	u32 apic_id;         /* its local APIC ID */
	bool enabled;        /* usable now (MADT flags bit 0); else online-capable only */
};

/* The GOP framebuffer, when UEFI offered a 32-bit RGB or BGR one. */
struct boot_fb {
	u64 base;       /* physical address; 0 when there is no usable framebuffer */
	u32 width;      /* visible pixels per row */
	u32 height;     /* rows */
	u32 stride;     /* pixels from one row to the next (>= width) */
	bool bgr;       /* bytes blue, green, red, reserved (else red, green, blue) */
	u64 size;       /* bytes of the framebuffer */
};

struct boot_info {
	u64 tsc_start;        /* TSC at efi_main's first line: VMM time 0 */
	u64 tsc_khz;          /* TSC frequency, calibrated against the firmware's Stall() */
	u64 image_base;       /* where the firmware loaded pagoda.efi */
	u64 image_size;       /* its size in bytes */
	u64 max_phys;         /* end of the highest range in the UEFI memory map */
	u64 firmware_pages;   /* pages the map gave to firmware and runtime (not ours) */
	struct boot_mem_range ranges[BOOT_MAX_RANGES]; /* usable RAM for pmm */
	unsigned nr_ranges;
	struct boot_mem_range reclaim[BOOT_MAX_RANGES]; /* boot-services memory: pmm's
				once the VMM no longer runs on the firmware's stack and tables */
	unsigned nr_reclaim;
	u64 lost_pages;       /* usable pages beyond BOOT_MAX_RANGES ranges (not used) */
	struct boot_file files[BOOT_MAX_FILES]; /* the \pagoda\ directory */
	unsigned nr_files;
	const char *startup;  /* contents of \pagoda\startup.txt, or NULL */
	u64 startup_len;
	struct boot_fb fb;    /* the screen; the screen console draws on it */
	struct boot_cpu cpus[BOOT_MAX_CPUS]; /* the MADT's processors (else the UEFI MP
				 services'), the boot CPU among them */
	unsigned nr_cpus;     /* entries in cpus[] */
	unsigned madt_cpus;   /* processor entries in the MADT (0: no usable MADT) */
	u64 ap_start_page;    /* BOOT_AP_START_PAGES pages below 0xA0000 for the AP
				 start-up code, EfiLoaderData kept for good; 0: none */
	void (*poweroff)(void); /* firmware ResetSystem(shutdown); returns if it fails */
	void (*reboot)(void);   /* firmware ResetSystem(cold) */
};

/* The VMM's entry, called by boot/ on its own stack with boot services gone. */
__noreturn void vmm_main(struct boot_info *bi);

#endif
