/* Guest images by name (vmm/console/images.h). */
#include "vmm/console/images.h"
#include "lib/string.h"

static const struct boot_info *boot;

/* The test guest built into the image (Makefile: build/obj/testguest.o). */
extern const u8 testguest_image_start[] __attribute__((visibility("hidden")));
extern const u8 testguest_image_end[] __attribute__((visibility("hidden")));

void images_init(const struct boot_info *bi) { boot = bi; }

bool image_find(const char *path, const void **data, u64 *size)
{
	if (strcmp(path, "test") == 0) {
		*data = testguest_image_start;
		*size = (u64)(testguest_image_end - testguest_image_start);
		return true;
	}
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (unsigned i = 0; boot && i < boot->nr_files; i++) {
		if (strcmp(boot->files[i].name, base) == 0) {
			*data = boot->files[i].data;
			*size = boot->files[i].size;
			return true;
		}
	}
	return false;
}
