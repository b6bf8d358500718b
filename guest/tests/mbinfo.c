/*
 * guest/tests/mbinfo.c -- the Multiboot boot information pagoda gives
 * (vmm/loader/multiboot.c; Multiboot spec 0.6.96 section 3.3): flags, the
 * memory map with the EBDA/VGA/BIOS hole, and the modules of `create ...
 * module=A,B`, their bytes and strings, page-aligned above the image.
 *
 * Command line: "mods=N" (N = 0..2) says how many modules to expect; the
 * first, when present, must be a text file starting "NR_CPUS=", the
 * second an ELF file (its first bytes "\x7fELF").
 */
#include "guest/lib/guest.h"

const char guest_name[] = "mbinfo";

extern u32 mb_info_gpa;   /* EBX at the entry (mbinfo.asm) */
extern char __bss_end[];  /* the image's end (guest.ld) */

static u32 rd32(u64 a) { return *(volatile u32 *)(uintptr_t)a; }
static u64 rd64(u64 a) { return (u64)rd32(a) | (u64)rd32(a + 4) << 32; }

/* The N of "mods=N" in CMDLINE, or 0. */
static unsigned mods_wanted(const char *cmdline)
{
	for (unsigned n = 0; n <= 2; n++) {
		char w[8] = "mods=0";
		w[5] = (char)('0' + n);
		if (cmdline_has(cmdline, w))
			return n;
	}
	return 0;
}

void main(const char *cmdline)
{
	u64 mbi = mb_info_gpa;
	diag("info at 0x%lx", mbi);
	expect_eq(mbi, 0x8000, "the boot information is at 0x8000 (nothing of the image there)");
	u32 flags = rd32(mbi);
	expect_eq(flags & 0x24d, 0x24d, "flags: mem, cmdline, mods, mmap, loader name (0x%x)", flags);
	expect_eq(rd32(mbi + 4), 639, "mem_lower 639 KiB (RAM up to the EBDA at 0x9fc00)");
	/* the memory map: RAM, the hole, RAM from 1 MiB to mem_upper's end */
	u64 m = rd32(mbi + 48), len = rd32(mbi + 44);
	expect_eq(len, 72, "mmap_length: three entries");
	expect(rd64(m + 4) == 0 && rd64(m + 12) == 0x9fc00 && rd32(m + 20) == 1,
	       "mmap 0: [0, 0x9fc00) available");
	expect(rd64(m + 28) == 0x9fc00 && rd64(m + 36) == 0x60400 && rd32(m + 44) == 2,
	       "mmap 1: [0x9fc00, 1 MiB) reserved");
	expect(rd64(m + 52) == 0x100000 && rd64(m + 60) == (u64)rd32(mbi + 8) * 1024 &&
		       rd32(m + 68) == 1,
	       "mmap 2: [1 MiB, 1 MiB + mem_upper) available");
	/* the modules */
	unsigned want = mods_wanted(cmdline);
	u32 n = rd32(mbi + 20);
	u64 list = rd32(mbi + 24);
	expect_eq(n, want, "mods_count %u", want);
	u64 prev_end = (u64)(uintptr_t)__bss_end;
	for (u32 i = 0; i < n && i < 2; i++) {
		u64 e = list + 16 * i;
		u64 start = rd32(e), end = rd32(e + 4);
		const char *str = (const char *)(uintptr_t)rd32(e + 8);
		diag("module %u: [0x%lx, 0x%lx) \"%s\"", i, start, end, str);
		expect(start % 4096 == 0 && start >= prev_end && end > start,
		       "module %u page-aligned above the image and the one before", i);
		expect(start >= mbi + 4096 || end <= mbi, "module %u clear of the info page", i);
		const char *bytes = (const char *)(uintptr_t)start;
		if (i == 0)
			expect(!memcmp(bytes, "NR_CPUS=", 8) && !strcmp(str, "kut.env"),
			       "module 0: the text file kut.env, its bytes in place");
		else
			expect(!memcmp(bytes, "\x7f" "ELF", 4) && !strcmp(str, "msrs.elf"),
			       "module 1: msrs.elf, its bytes in place");
		prev_end = end;
	}
}
