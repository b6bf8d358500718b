/*
 * libFuzzer target: guest images (vmm/loader: ELF, Multiboot and the
 * Multiboot row's load plan).
 *
 * Input: one byte choosing the guest's RAM size, then the image.  Checked:
 * elf_parse and mb_parse return 0 or -E_INVAL with a reason; whatever is
 * accepted is in bounds: every segment's file bytes inside the file, every
 * Multiboot segment between 1 MiB and the end of guest RAM and below
 * 4 GiB, the entry point inside a segment, the boot structures inside the
 * loader's area, and the boot vCPU starting at the entry.
 */
#include "tests/fuzz/fuzz.h"
#include "vmm/loader/elf.h"
#include "vmm/loader/multiboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const u64 mems[4] = {MiB(2), MiB(64), GiB(4), GiB(6)};
	u64 mem = mems[data[0] & 3];
	size--;
	u8 *img = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	memcpy(img, data + 1, size);
	char err[160];

	static struct elf_image elf;
	err[0] = 0;
	int r = elf_parse(img, size, &elf, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -E_INVAL && err[0]));
	for (unsigned i = 0; r == 0 && i < elf.nr_seg; i++)
		FUZZ_CHECK(elf.seg[i].file_off <= size && elf.seg[i].filesz <= size - elf.seg[i].file_off &&
			   elf.seg[i].filesz <= elf.seg[i].memsz);

	static struct mb_image mb;
	err[0] = 0;
	r = mb_parse(img, size, mem, &mb, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -E_INVAL && err[0]));
	FUZZ_CHECK(r != 0 || mb_detect(img, size));
	bool in_seg = false;
	for (unsigned i = 0; r == 0 && i < mb.nr_seg; i++) {
		const struct load_segment *s = &mb.seg[i];
		FUZZ_CHECK(s->file_off <= size && s->filesz <= size - s->file_off);
		FUZZ_CHECK(s->filesz <= s->memsz);
		FUZZ_CHECK(s->gpa <= mem && s->memsz <= mem - s->gpa && s->gpa + s->memsz <= GiB(4));
		in_seg |= mb.entry >= s->gpa && mb.entry < s->gpa + s->memsz;
	}
	FUZZ_CHECK(r != 0 || in_seg);

	static u8 area[LOAD_AREA_SIZE];
	static struct load_plan plan;
	memset(area, 0, sizeof(area));
	err[0] = 0;
	int p = multiboot_loader.plan(img, size, mem, "fuzz", NULL, 0, area, &plan, err, sizeof(err));
	/* A parsed image plans, unless it leaves no page for the boot
	 * information (mb_place); no modules here. */
	FUZZ_CHECK(p == r || (r == 0 && p == -E_INVAL && strstr(err, "no free page")));
	for (unsigned i = 0; p == 0 && i < plan.nr_blob; i++) {
		FUZZ_CHECK(plan.blob[i].area_off + plan.blob[i].len <= sizeof(area));
		/* The boot structures overlap nothing the image claims. */
		for (unsigned j = 0; j < plan.nr_seg; j++)
			FUZZ_CHECK(!plan.seg[j].memsz ||
				   plan.blob[i].gpa >= plan.seg[j].gpa + plan.seg[j].memsz ||
				   plan.seg[j].gpa >= plan.blob[i].gpa + plan.blob[i].len);
		FUZZ_CHECK(plan.blob[i].gpa + plan.blob[i].len <= mem);
	}
	FUZZ_CHECK(p != 0 || (plan.bsp.regs.rip == mb.entry && plan.entry == mb.entry &&
			      plan.nr_seg == mb.nr_seg));
	free(img);
	return 0;
}
