# Host tests of mm/: included by the top-level Makefile (paths relative to the
# repository root).  Defines HOST_TESTS (the build/host/*.t programs, each
# printing TAP) and the rules to build them; `make host-test` runs them with
# prove.  Standalone: make -f tests/host/host.mk host-test
#
# Every variable is prefixed HOST_ so as not to clash with the VMM build.

HOST_CC      ?= $(CC)
HOST_BUILD   := build/host
HOST_WARN    := -Wall -Wextra -Werror
HOST_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(HOST_WARN) -I. -MMD -MP
HOST_ASAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
HOST_TSAN    := -fsanitize=thread
HOST_LDLIBS  := -lpthread

HOST_MM_SRCS   := $(wildcard mm/*.c)
HOST_ENV_SRCS  := tests/host/host_env.c tests/host/fmt_test.c
HOST_MM_OBJS   := $(patsubst %.c,$(HOST_BUILD)/obj/%.o,$(HOST_MM_SRCS) $(HOST_ENV_SRCS))
HOST_TSAN_OBJS := $(patsubst %.c,$(HOST_BUILD)/obj/tsan/%.o,$(HOST_MM_SRCS) $(HOST_ENV_SRCS))

# tests/host/t_NAME.c -> build/host/NAME.t (AddressSanitizer + UBSan), except
# *_tsan, built with ThreadSanitizer.
HOST_T_SRCS    := $(wildcard tests/host/t_*.c)
HOST_ASAN_T    := $(patsubst tests/host/t_%.c,$(HOST_BUILD)/%.t,$(filter-out %_tsan.c,$(HOST_T_SRCS)))
HOST_TSAN_T    := $(patsubst tests/host/t_%.c,$(HOST_BUILD)/%.t,$(filter %_tsan.c,$(HOST_T_SRCS)))
HOST_TESTS     := $(HOST_ASAN_T) $(HOST_TSAN_T)

# The benchmark (not a test): mm/ and the host environment built -O2 without
# sanitizers.  scripts/bench.sh builds and runs it.
HOST_BENCH       := $(HOST_BUILD)/bench_tdp
HOST_BENCH_FLAGS := -std=gnu11 -O2 -g $(HOST_WARN) -I. -MMD -MP
HOST_BENCH_OBJS  := $(patsubst %.c,$(HOST_BUILD)/obj/bench/%.o,$(HOST_MM_SRCS) $(HOST_ENV_SRCS) tests/host/bench_tdp.c)

.PHONY: host-tests host-test host-clean host-bench
host-tests: $(HOST_TESTS)

host-test: $(HOST_TESTS)
	prove -v $(HOST_TESTS)

host-clean:
	rm -rf $(HOST_BUILD)

$(HOST_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_ASAN) -c $< -o $@

$(HOST_BUILD)/obj/bench/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_BENCH_FLAGS) -c $< -o $@

host-bench: $(HOST_BENCH)

$(HOST_BENCH): $(HOST_BENCH_OBJS)
	$(HOST_CC) $(HOST_BENCH_FLAGS) $^ -o $@ $(HOST_LDLIBS)

$(HOST_BUILD)/obj/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_TSAN) -c $< -o $@

$(HOST_ASAN_T): $(HOST_BUILD)/%.t: $(HOST_BUILD)/obj/tests/host/t_%.o $(HOST_MM_OBJS)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_ASAN) $^ -o $@ $(HOST_LDLIBS)

$(HOST_TSAN_T): $(HOST_BUILD)/%.t: $(HOST_BUILD)/obj/tsan/tests/host/t_%.o $(HOST_TSAN_OBJS)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_TSAN) $^ -o $@ $(HOST_LDLIBS)

-include $(wildcard $(HOST_BUILD)/obj/*/*.d $(HOST_BUILD)/obj/*/*/*.d $(HOST_BUILD)/obj/*/*/*/*.d)
