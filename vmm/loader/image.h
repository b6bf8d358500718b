/*
 * What an image loader decides, as data: where the image's bytes go in
 * guest memory, which boot structures it built and where they go, and the
 * boot vCPU's start state.  A loader row (vmm/loader/loader.h) computes
 * such a plan from the image alone, a pure function the host tests run;
 * vmm/loader/loader.c applies it to a guest.
 */
#ifndef PAGODA_LOADER_IMAGE_H
#define PAGODA_LOADER_IMAGE_H

#include "lib/string.h"
#include "lib/types.h"
#include "vmm/hv.h"

#define LOAD_MAX_SEGMENTS 8
#define LOAD_MAX_BLOBS 4
#define LOAD_MAX_MODULES 8
#define LOAD_AREA_SIZE 4096 /* host bytes a loader may build boot structures in */

/* One piece of the image file to place in guest memory. */
struct load_segment {
	u64 gpa;      /* where it goes */
	u64 file_off; /* where its bytes start in the image file */
	u64 filesz;   /* bytes taken from the file */
	u64 memsz;    /* bytes in memory (the rest is zero: bss) */
};

/* Bytes the loader built in its area, to place at a guest address. */
struct load_blob {
	u64 gpa;      /* where they go */
	u64 area_off; /* where they start in the loader's area */
	u64 len;      /* how many */
};

/* A file given to the guest beside its image (a Multiboot module). */
struct load_module {
	const void *data;   /* its bytes, living as long as the VMM */
	u64 size;           /* how many */
	const char *string; /* the string the guest is told with it ("FILE ARGS") */
};

struct load_plan {
	struct load_segment seg[LOAD_MAX_SEGMENTS]; /* image bytes */
	unsigned nr_seg;
	struct load_blob blob[LOAD_MAX_BLOBS];      /* boot structures */
	unsigned nr_blob;
	u64 mod_gpa[LOAD_MAX_MODULES];              /* where each input module's bytes go */
	struct vcpu_state bsp;                      /* the boot vCPU's start state */
	u64 entry;                                  /* its entry point, for the log */
};

/* A row of the loader table: one image format. */
struct loader {
	const char *name; /* "multiboot", ... */
	/* Does IMG (SIZE bytes) carry this format's magic?  Cheap; no checks. */
	bool (*detect)(const void *img, u64 size);
	/*
	 * Check IMG whole for a guest of MEM bytes with command line CMDLINE
	 * and the NR_MODS modules MODS (a format without modules refuses any),
	 * build its boot structures in AREA (LOAD_AREA_SIZE zeroed bytes) and
	 * fill OUT (mod_gpa[i] for MODS[i]).  0, or -E_INVAL with a one-line
	 * reason naming the problem in ERR.
	 */
	int (*plan)(const void *img, u64 size, u64 mem, const char *cmdline,
		    const struct load_module *mods, unsigned nr_mods, u8 *area,
		    struct load_plan *out, char *err, size_t errlen);
};

/* Little-endian fields of an image (any alignment). */
static inline u32 load_rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}
static inline u16 load_rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static inline u64 load_rd64(const u8 *p) { return (u64)load_rd32(p) | (u64)load_rd32(p + 4) << 32; }

/* Write a one-line reason into ERR (ERRLEN bytes, may be 0) and return
 * -E_INVAL: how every loader refuses an image. */
int load_fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);

#endif
