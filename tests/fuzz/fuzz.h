/*
 * Shared by the libFuzzer targets in tests/fuzz (built with clang
 * -fsanitize=fuzzer,address,undefined; see tests/fuzz/fuzz.mk).  A target
 * checks its invariants with FUZZ_CHECK: a broken one aborts with the
 * condition and the line, which libFuzzer reports as a crash and saves the
 * input that caused it.
 */
#ifndef PAGODA_FUZZ_H
#define PAGODA_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/types.h"

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz check failed: %s at %s:%d\n", #cond,    \
				__FILE__, __LINE__);                                  \
			abort();                                                      \
		}                                                                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
