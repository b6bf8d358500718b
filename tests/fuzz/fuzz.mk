# libFuzzer targets (clang -fsanitize=fuzzer with ASan/UBSan), included by
# the top-level Makefile.
#   make fuzz [FUZZ_SECONDS=60]   run each target for FUZZ_SECONDS on its
#                                 corpus (build/fuzz/corpus/NAME, seeded from
#                                 tests/fuzz/corpus/NAME); a crash leaves its
#                                 input in build/fuzz/crash-NAME-*: copy it to
#                                 tests/fuzz/regress/NAME/ with the fix
#   tests/fuzz/run.t              (in make test) a short run of each target
#                                 with a fixed seed, and every regression input

FUZZ_CC      ?= clang
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -I.
FUZZ_TARGETS := $(FUZZ_BUILD)/fuzz_cmdparse $(FUZZ_BUILD)/fuzz_startup $(FUZZ_BUILD)/fuzz_image \
	$(FUZZ_BUILD)/fuzz_tdp_model
FUZZ_SECONDS ?= 60

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS)

$(FUZZ_BUILD)/fuzz_cmdparse: tests/fuzz/fuzz_cmdparse.c vmm/console/cmdparse.c tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

$(FUZZ_BUILD)/fuzz_startup: tests/fuzz/fuzz_startup.c vmm/console/cmdparse.c tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

$(FUZZ_BUILD)/fuzz_image: tests/fuzz/fuzz_image.c vmm/loader/elf.c vmm/loader/multiboot.c \
		vmm/vcpu_state.c tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

# The TDP MMU's model-based test, its random numbers taken from the input.
$(FUZZ_BUILD)/fuzz_tdp_model: tests/host/t_tdp_model.c $(wildcard mm/*.c) tests/host/host_env.c \
		tests/host/fmt_test.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DPAGODA_FUZZ $(filter %.c,$^) -o $@ -lpthread

fuzz: $(FUZZ_TARGETS)
	@for t in $(notdir $(FUZZ_TARGETS)); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		cp -n tests/fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus/$$t/ 2>/dev/null; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
			$(FUZZ_BUILD)/corpus/$$t > /dev/null 2> $(FUZZ_BUILD)/$$t.log || \
			{ echo "fuzz: $$t found a crash:"; tail -n 30 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
		grep -E '^(#[0-9]+ +DONE|Done)' $(FUZZ_BUILD)/$$t.log | tail -n 1; \
	done
