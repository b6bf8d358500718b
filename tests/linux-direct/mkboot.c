/*
 * mkboot: turn a pagoda load plan for a Linux kernel into the boot file
 * tests/linux-direct/boot.asm carries out under plain QEMU.
 *   mkboot bzimage|pvh KERNEL INITRD MEM_MIB CPUS "CMDLINE" OUT
 * Builds the ACPI tables (vmm/acpi_tables.c) at ACPI_GPA, plans the kernel
 * (vmm/loader/bzimage.c or pvh.c) for a guest of MEM_MIB MiB, and writes
 * the plan's segments, boot-structure blob, initrd and tables as chunks
 * with the BSP's entry state.  Exit status 1 with the loader's reason when
 * the plan is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/acpi_tables.h"
#include "vmm/loader/bzimage.h"
#include "vmm/loader/pvh.h"

/* Below the EBDA SeaBIOS keeps at 0x9fc00: the BIOS area 0xe0000 is
 * read-only under QEMU once SeaBIOS has booted. */
#define ACPI_GPA 0x9e000

/* A whole file into the heap; exits on failure. */
static u8 *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *p = malloc(n > 0 ? (size_t)n : 1);
	if (n <= 0 || fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return p;
}

static void put32(FILE *f, u32 v) { fwrite(&v, 4, 1, f); }

/* One chunk: address, file size, memory size, the bytes padded to 4. */
static void chunk(FILE *f, u64 gpa, const u8 *bytes, u64 filesz, u64 memsz)
{
	static const u8 zero[4];
	put32(f, (u32)gpa);
	put32(f, (u32)filesz);
	put32(f, (u32)memsz);
	fwrite(bytes, 1, filesz, f);
	fwrite(zero, 1, (4 - filesz % 4) % 4, f);
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: mkboot bzimage|pvh KERNEL INITRD MEM_MIB CPUS CMDLINE OUT\n");
		return 2;
	}
	size_t ksize, isize;
	u8 *kernel = slurp(argv[2], &ksize), *initrd = slurp(argv[3], &isize);
	static u8 tables[ACPI_TABLES_MAX], area[LINUX_AREA_SIZE];
	struct acpi_pc_config cfg = {.nr_cpus = (unsigned)atoi(argv[5]), .ioapic_id = 0};
	struct acpi_tables_info info;
	if (acpi_build_tables(tables, sizeof(tables), ACPI_GPA, &cfg, &info)) {
		fprintf(stderr, "mkboot: acpi_build_tables failed\n");
		return 1;
	}
	struct linux_guest g = {.mem = (u64)atoi(argv[4]) << 20, .cmdline = argv[6],
				.initrd_size = isize, .rsdp_gpa = info.rsdp_gpa,
				.acpi_gpa = ACPI_GPA, .acpi_size = ALIGN_UP(info.size, PAGE_SIZE)};
	struct linux_plan plan;
	char err[200];
	int r = strcmp(argv[1], "pvh") == 0 ? pvh_plan(kernel, ksize, &g, area, &plan, err, sizeof(err))
					     : bz_plan(kernel, ksize, &g, area, &plan, err, sizeof(err));
	if (r) {
		free(kernel);
		free(initrd);
		fprintf(stderr, "mkboot: %s\n", err);
		return 1;
	}
	const struct vcpu_state *st = &plan.load.bsp;
	FILE *f = fopen(argv[7], "wb");
	if (!f) {
		perror(argv[7]);
		return 2;
	}
	put32(f, 0x42444750); /* "PGDB" */
	put32(f, (u32)st->regs.rip);
	put32(f, (u32)st->regs.rsi);
	put32(f, (u32)st->regs.rbx);
	put32(f, (u32)st->gdtr.base);
	put32(f, st->gdtr.limit);
	put32(f, st->seg[HV_SEG_CS].selector);
	put32(f, st->seg[HV_SEG_DS].selector);
	put32(f, plan.load.nr_seg + plan.load.nr_blob + 2);
	for (unsigned i = 0; i < plan.load.nr_seg; i++)
		chunk(f, plan.load.seg[i].gpa, kernel + plan.load.seg[i].file_off,
		      plan.load.seg[i].filesz, plan.load.seg[i].memsz);
	for (unsigned i = 0; i < plan.load.nr_blob; i++)
		chunk(f, plan.load.blob[i].gpa, area + plan.load.blob[i].area_off,
		      plan.load.blob[i].len, plan.load.blob[i].len);
	chunk(f, plan.initrd_gpa, initrd, isize, isize);
	chunk(f, ACPI_GPA, tables, info.size, info.size);
	fclose(f);
	free(kernel);
	free(initrd);
	printf("mkboot: %s entry 0x%lx, %u segments, initrd at 0x%lx, RSDP at 0x%lx\n", argv[1],
	       (unsigned long)plan.load.entry, plan.load.nr_seg, (unsigned long)plan.initrd_gpa,
	       (unsigned long)info.rsdp_gpa);
	return 0;
}
