/*
 * The PC a guest gets (vmm/pc.c): a guest object (vmm/vm.h) with its image
 * loaded by the loader table and the devices of the platform on its bus.
 */
#ifndef PAGODA_PC_H
#define PAGODA_PC_H

#include "lib/types.h"

struct guest;
struct load_module;

/* What `create` asks for. */
struct pc_config {
	const char *name;    /* guest name (syntax checked by the caller) */
	u64 mem;             /* bytes of RAM from GPA 0 */
	bool huge;           /* back RAM with huge blocks */
	unsigned nr_vcpus;   /* 1..GUEST_MAX_VCPUS */
	const void *image;   /* the image file, living as long as the VMM */
	u64 image_size;
	const char *cmdline; /* for the guest's boot information */
	bool reserve;        /* back and map all its RAM at create */
	const struct load_module *modules; /* files given beside the image (Multiboot
					      modules, vmm/loader/image.h), in order */
	unsigned nr_modules; /* 0..LOAD_MAX_MODULES */
	const void *initrd;  /* a Linux kernel's initrd (living as long as the VMM), or NULL */
	u64 initrd_size;     /* its bytes */
};

/* Create the guest CFG describes.  0 and *OUT, or negative with a reason
 * naming the problem in ERR (nothing is left behind). */
int pc_create(const struct pc_config *cfg, struct guest **out, char *err, size_t errlen);

#endif
