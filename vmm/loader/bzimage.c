/*
 * bzImage parsing and the zero page (see vmm/loader/bzimage.h).  Field
 * offsets and meanings are from the Linux x86 boot protocol,
 * Documentation/arch/x86/boot.rst: "THE REAL-MODE KERNEL HEADER" (the setup
 * header at 0x1f1), "THE ZERO PAGE" (struct boot_params) and "32-bit BOOT
 * PROTOCOL".
 *
 * Which entry: the 32-bit one (code32_start, 32-bit protected mode with
 * paging off, flat __BOOT_CS/__BOOT_DS, ESI = the zero page).  It is the
 * machine state the Multiboot loader already starts vCPUs in on both
 * vendors (vcpu_state_multiboot), so no backend has to enter a guest in
 * long mode, and the loader builds no page tables; the kernel's own
 * startup_32 builds them and enters long mode.  The 64-bit entry would
 * save it a few microseconds of that.  So xloadflags is not checked:
 * XLF_KERNEL_64 only says the 64-bit entry exists, and the placement
 * flags matter only above 4 GiB, where pagoda puts nothing.
 */
#include "lib/le.h"
#include "vmm/loader/bzimage.h"
#include "lib/string.h"
#include "vmm/vcpu_state.h"

#define BZ_SIGNATURE 0x53726448 /* "HdrS" at 0x202 */
#define BZ_BOOT_FLAG 0xaa55
#define BZ_MIN_VERSION 0x020c   /* 2.12: xloadflags, pref_address, init_size all there */
#define BZ_VERSION_RSDP 0x020e  /* 2.14: acpi_rsdp_addr in the zero page */
#define LOADFLAG_LOADED_HIGH BIT(0) /* protected-mode code at 0x100000 (a bzImage) */
#define BZ_HEADER_END_MAX 0x290     /* the setup header's end in the zero page */
#define BZ_LOADER_UNDEFINED 0xff    /* type_of_loader: a boot loader with no assigned ID */

/* The low RAM Linux gets: up to the EBDA a PC BIOS would keep. */
#define LOW_RAM_END 0x9fc00

int linux_memmap(const struct linux_guest *g, struct linux_mem_range *out, char *err,
		 size_t errlen)
{
	unsigned n = 0;
	u64 acpi_end = g->acpi_gpa + g->acpi_size;
	if (g->mem < MiB(2))
		return load_fail(err, errlen, "guest memory %lu KiB: Linux needs at least 2 MiB",
				 g->mem >> 10);
	if (g->mem > 0xfec00000ULL)
		return load_fail(err, errlen, "guest memory %lu MiB reaches the I/O APIC at "
				 "0xfec00000 (at most %llu MiB)", g->mem >> 20, 0xfec00000ULL >> 20);
	if (!g->acpi_size) {
		out[n++] = (struct linux_mem_range){0, LOW_RAM_END, LINUX_MEM_RAM};
		out[n++] = (struct linux_mem_range){LOW_RAM_END, MiB(1) - LOW_RAM_END,
						    LINUX_MEM_RESERVED};
	} else {
		if (g->acpi_gpa < ACPI_AREA_MIN || g->acpi_gpa > MiB(1) ||
		    g->acpi_size > MiB(1) - g->acpi_gpa)
			return load_fail(err, errlen, "ACPI area 0x%lx (+0x%lx) outside 0x%x-0xfffff",
					 g->acpi_gpa, g->acpi_size, ACPI_AREA_MIN);
		/* Low RAM around the area (when it lies below the EBDA), the
		 * area, and the rest up to 1 MiB reserved. */
		out[n++] = (struct linux_mem_range){0, MIN(g->acpi_gpa, (u64)LOW_RAM_END), LINUX_MEM_RAM};
		if (g->acpi_gpa > LOW_RAM_END)
			out[n++] = (struct linux_mem_range){LOW_RAM_END, g->acpi_gpa - LOW_RAM_END,
							    LINUX_MEM_RESERVED};
		out[n++] = (struct linux_mem_range){g->acpi_gpa, g->acpi_size, LINUX_MEM_ACPI};
		if (acpi_end < LOW_RAM_END) {
			out[n++] = (struct linux_mem_range){acpi_end, LOW_RAM_END - acpi_end,
							    LINUX_MEM_RAM};
			acpi_end = LOW_RAM_END;
		}
		if (acpi_end < MiB(1))
			out[n++] = (struct linux_mem_range){acpi_end, MiB(1) - acpi_end,
							    LINUX_MEM_RESERVED};
	}
	out[n++] = (struct linux_mem_range){MiB(1), g->mem - MiB(1), LINUX_MEM_RAM};
	out[n++] = (struct linux_mem_range){0xfec00000ULL, PAGE_SIZE, LINUX_MEM_RESERVED};
	out[n++] = (struct linux_mem_range){0xfee00000ULL, PAGE_SIZE, LINUX_MEM_RESERVED};
	return (int)n;
}

u64 linux_initrd_gpa(const struct linux_guest *g, u64 kernel_end, u64 addr_max)
{
	if (!g->initrd_size)
		return 0;
	u64 top = MIN(g->mem, addr_max + 1);
	if (g->initrd_size > top)
		return ~0ULL;
	u64 at = ALIGN_DOWN(top - g->initrd_size, PAGE_SIZE);
	return at >= ALIGN_UP(kernel_end, PAGE_SIZE) ? at : ~0ULL;
}

bool bz_detect(const void *img, u64 size)
{
	const u8 *p = img;
	return size >= BP_HEADER + 4 && load_rd16(p + BP_BOOT_FLAG) == BZ_BOOT_FLAG &&
	       load_rd32(p + BP_HEADER) == BZ_SIGNATURE;
}

/* The setup header fields the plan rests on, read and checked. */
struct bz_header {
	u64 setup_len;    /* bytes of real-mode code and header: (setup_sects + 1) * 512 */
	u64 header_end;   /* end of the setup header: 0x202 + the byte at 0x201 */
	u16 version;      /* boot protocol version */
	u64 load;         /* where the protected-mode kernel goes: pref_address */
	u64 init_size;    /* bytes the kernel needs from there before it relocates */
	u32 initrd_max;   /* highest address the initrd's last byte may have */
	u32 cmdline_size; /* longest command line, the NUL excluded */
};

/* Read and check the setup header of IMG (SIZE bytes) for a guest of MEM
 * bytes into H.  0, or -E_INVAL with the reason. */
static int read_header(const u8 *p, u64 size, u64 mem, struct bz_header *h, char *err,
		       size_t errlen)
{
	if (size < 1024 || !bz_detect(p, size))
		return load_fail(err, errlen, "bzImage: no boot sector with HdrS (0x202) and 0xaa55 "
				 "(0x1fe), or under 1 KiB");
	h->version = load_rd16(p + BP_VERSION);
	if (h->version < BZ_MIN_VERSION)
		return load_fail(err, errlen, "bzImage: boot protocol %u.%02u, pagoda needs 2.12 or "
				 "later", h->version >> 8, h->version & 0xff);
	unsigned sects = p[BP_SETUP_SECTS] ? p[BP_SETUP_SECTS] : 4;
	h->setup_len = (u64)(sects + 1) * 512;
	h->header_end = BP_HEADER + (u64)p[BP_JUMP + 1];
	if (h->header_end > MIN(h->setup_len, (u64)BZ_HEADER_END_MAX) ||
	    h->header_end < BP_INIT_SIZE + 4)
		return load_fail(err, errlen, "bzImage: setup header end 0x%lx outside 0x264-0x%lx",
				 h->header_end, MIN(h->setup_len, (u64)BZ_HEADER_END_MAX));
	if (h->setup_len >= size)
		return load_fail(err, errlen, "bzImage: truncated: %lu bytes, the setup code alone "
				 "takes %lu", size, h->setup_len);
	u64 kernel_bytes = size - h->setup_len;
	u64 syssize = (u64)load_rd32(p + 0x1f4) * 16; /* protected-mode code, 16-byte units */
	if (syssize > kernel_bytes)
		return load_fail(err, errlen, "bzImage: truncated: syssize says %lu bytes of kernel, "
				 "the file has %lu", syssize, kernel_bytes);
	if (!(p[BP_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return load_fail(err, errlen, "bzImage: LOADED_HIGH clear: a zImage (loads at "
				 "0x10000), not supported");
	u32 align = load_rd32(p + BP_KERNEL_ALIGNMENT);
	h->load = load_rd64(p + BP_PREF_ADDRESS);
	h->init_size = load_rd32(p + BP_INIT_SIZE);
	h->initrd_max = load_rd32(p + BP_INITRD_ADDR_MAX);
	h->cmdline_size = load_rd32(p + BP_CMDLINE_SIZE);
	if (h->load < LINUX_MIN_LOAD_GPA)
		return load_fail(err, errlen, "bzImage: pref_address 0x%lx below 1 MiB", h->load);
	if (p[BP_RELOCATABLE] && (!align || (align & (align - 1)) || !IS_ALIGNED(h->load, align)))
		return load_fail(err, errlen, "bzImage: pref_address 0x%lx not aligned to "
				 "kernel_alignment 0x%x", h->load, align);
	if (h->init_size < kernel_bytes)
		return load_fail(err, errlen, "bzImage: init_size 0x%lx below the kernel's 0x%lx "
				 "bytes", h->init_size, kernel_bytes);
	if (h->load > mem || h->init_size > mem - h->load)
		return load_fail(err, errlen, "bzImage: the kernel needs 0x%lx-0x%lx, the guest has "
				 "%lu MiB", h->load, h->load + h->init_size, mem >> 20);
	if (h->initrd_max < MiB(1))
		return load_fail(err, errlen, "bzImage: initrd_addr_max 0x%x below 1 MiB", h->initrd_max);
	return 0;
}

/* The GDT of the 32-bit entry: null, null, then __BOOT_CS (32-bit code,
 * execute/read) and __BOOT_DS (read/write data), both flat 4 GiB, the same
 * descriptors as vcpu_state's flat GDT. */
static void write_gdt(u8 *gdt)
{
	memset(gdt, 0, BZ_GDT_SIZE);
	put_le64(gdt + BZ_BOOT_CS, 0x00cf9b000000ffffULL);
	put_le64(gdt + BZ_BOOT_DS, 0x00cf93000000ffffULL);
}

/* The 32-bit boot protocol's machine state: the Multiboot state (flat
 * segments, paging off, interrupts off) with the selectors __BOOT_CS and
 * __BOOT_DS, GDTR on the GDT above, ESI = the zero page, and EBX, EBP, EDI
 * zero. */
static void bsp_state(struct vcpu_state *st, u32 entry)
{
	vcpu_state_multiboot(st, entry, 0, 0, LINUX_BOOT_GPA + BZ_GDT_OFF);
	st->regs.rsi = LINUX_BOOT_GPA;
	st->seg[HV_SEG_CS].selector = BZ_BOOT_CS;
	for (unsigned i = HV_SEG_ES; i <= HV_SEG_GS; i++)
		if (i != HV_SEG_CS)
			st->seg[i].selector = BZ_BOOT_DS;
	st->gdtr.limit = BZ_GDT_SIZE - 1;
}

int bz_plan(const void *img, u64 size, const struct linux_guest *g, u8 *area,
	    struct linux_plan *out, char *err, size_t errlen)
{
	const u8 *p = img;
	struct bz_header h = {0};
	struct linux_mem_range map[LINUX_MAX_MEMMAP];

	memset(out, 0, sizeof(*out));
	int r = read_header(p, size, g->mem, &h, err, errlen);
	if (r)
		return r;
	int nmap = linux_memmap(g, map, err, errlen);
	if (nmap < 0)
		return nmap;
	size_t clen = strlen(g->cmdline);
	if (clen > h.cmdline_size || clen >= MIN((u64)LINUX_MAX_CMDLINE, (u64)BZ_GDT_OFF - BZ_CMDLINE_OFF))
		return load_fail(err, errlen, "bzImage: command line of %zu bytes, the kernel takes "
				 "%u and pagoda %d", clen, h.cmdline_size, LINUX_MAX_CMDLINE - 1);
	u64 initrd = linux_initrd_gpa(g, h.load + h.init_size, h.initrd_max);
	if (initrd == ~0ULL)
		return load_fail(err, errlen, "bzImage: initrd of %lu bytes does not fit between the "
				 "kernel's end 0x%lx and 0x%lx", g->initrd_size, h.load + h.init_size,
				 MIN(g->mem, (u64)h.initrd_max + 1));

	/* The zero page: the setup header as the image has it, then what
	 * the loader must fill (boot.rst "Details of Header Fields", the
	 * "write" and "modify" ones). */
	u8 *bp = area;
	memset(area, 0, LINUX_AREA_SIZE);
	memcpy(bp + BP_SETUP_SECTS, p + BP_SETUP_SECTS, h.header_end - BP_SETUP_SECTS);
	bp[BP_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	/* loadflags as the image has them (LOADED_HIGH set; CAN_USE_HEAP
	 * and heap_end_ptr only matter to the real-mode setup code, which
	 * the 32-bit entry skips). */
	put_le32(bp + BP_CODE32_START, (u32)h.load);
	put_le32(bp + BP_CMD_LINE_PTR, LINUX_BOOT_GPA + BZ_CMDLINE_OFF);
	put_le32(bp + BP_EXT_CMD_LINE_PTR, 0);
	put_le32(bp + BP_RAMDISK_IMAGE, (u32)initrd);
	put_le32(bp + BP_RAMDISK_SIZE, (u32)g->initrd_size);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE, (u32)(initrd >> 32));
	put_le32(bp + BP_EXT_RAMDISK_SIZE, (u32)(g->initrd_size >> 32));
	if (h.version >= BZ_VERSION_RSDP)
		put_le64(bp + BP_ACPI_RSDP_ADDR, g->rsdp_gpa);
	/* Older kernels find the RSDP by scanning 0xe0000-0xfffff. */
	bp[BP_E820_ENTRIES] = (u8)nmap;
	for (int i = 0; i < nmap; i++) {
		u8 *e = bp + BP_E820_TABLE + 20 * i; /* struct boot_e820_entry: addr, size, type */
		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}
	memcpy(area + BZ_CMDLINE_OFF, g->cmdline, clen + 1);
	write_gdt(area + BZ_GDT_OFF);

	out->load.seg[0] = (struct load_segment){h.load, h.setup_len, size - h.setup_len, h.init_size};
	out->load.nr_seg = 1;
	out->load.blob[0] = (struct load_blob){LINUX_BOOT_GPA, 0, LINUX_AREA_SIZE};
	out->load.nr_blob = 1;
	bsp_state(&out->load.bsp, (u32)h.load);
	out->load.entry = h.load;
	out->initrd_gpa = initrd;
	return 0;
}
