/*
 * The guest images the console can name in `create ... image=PATH`: the
 * test guest built into pagoda ("test") and every file boot/ read from
 * \pagoda\ on the ESP (by base name; a directory part is ignored).
 */
#ifndef PAGODA_IMAGES_H
#define PAGODA_IMAGES_H

#include "boot/boot_info.h"
#include "lib/types.h"

/* Take the ESP files of BI (kept for as long as the VMM runs). */
void images_init(const struct boot_info *bi);
/* The image named PATH: true and *DATA, *SIZE, or false when none. */
bool image_find(const char *path, const void **data, u64 *size);

#endif
