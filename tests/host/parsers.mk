# Host tests of the parsers: vmm/console/cmdparse.c (console lines),
# vmm/loader/multiboot.c (Multiboot images, boot information) and boot/'s
# config.c and acpi.c (\pagoda\config, the ACPI walk to SPCR), and of one
# more pure file, arch/x86/spec_choice.c (speculative-execution defences),
# built for Linux with
# AddressSanitizer + UBSan against the host libc.  Included by the top-level
# Makefile (paths relative to the repository root), before or after
# tests/host/host.mk.  Standalone:
#   make -f tests/host/parsers.mk parsers-test
#
# Every variable is prefixed PARSERS_.
#
# How this fits with tests/host/host.mk: host.mk's wildcard already picks up
# tests/host/t_cmdparse.c and t_multiboot.c and gives build/host/cmdparse.t
# and multiboot.t a link rule (its objects + $^).  So this file
#   - appends the two tests to HOST_TESTS only where they are not there yet
#     (prove refuses a test listed twice),
#   - adds the parser objects as prerequisites of the two tests (host.mk's
#     recipe links $^, so they get linked in),
#   - builds those objects with an explicit rule (no clash with host.mk's
#     pattern rule for build/host/obj/%.o),
#   - gives the link recipe as a pattern rule, used only when no explicit
#     recipe exists (that is, without host.mk), so make never warns about an
#     overriding recipe whichever file is included first.
# The test guest image is an order-only prerequisite of multiboot.t, built
# here by a pattern rule that the top-level Makefile's explicit rule for
# build/guest/testguest.bin overrides silently.

PARSERS_CC     := $(if $(HOST_CC),$(HOST_CC),$(CC))
PARSERS_NASM   := $(if $(NASM),$(NASM),nasm)
PARSERS_BUILD  := build/host
PARSERS_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-Wall -Wextra -Werror -I. -MMD -MP
PARSERS_GUEST  := build/guest/testguest.bin

PARSERS_TESTS  := $(PARSERS_BUILD)/cmdparse.t $(PARSERS_BUILD)/multiboot.t $(PARSERS_BUILD)/bootcfg.t \
	$(PARSERS_BUILD)/spec.t $(PARSERS_BUILD)/madt.t
PARSERS_OBJS   := $(PARSERS_BUILD)/obj/vmm/console/cmdparse.o $(PARSERS_BUILD)/obj/vmm/loader/multiboot.o $(PARSERS_BUILD)/obj/vmm/loader/elf.o $(PARSERS_BUILD)/obj/vmm/vcpu_state.o \
	$(PARSERS_BUILD)/obj/boot/config.o $(PARSERS_BUILD)/obj/boot/acpi.o \
	$(PARSERS_BUILD)/obj/arch/x86/spec_choice.o \
	$(PARSERS_BUILD)/obj/tests/host/t_cmdparse.o $(PARSERS_BUILD)/obj/tests/host/t_multiboot.o \
	$(PARSERS_BUILD)/obj/tests/host/t_bootcfg.o $(PARSERS_BUILD)/obj/tests/host/t_spec.o \
	$(PARSERS_BUILD)/obj/tests/host/t_madt.o

HOST_TESTS += $(filter-out $(HOST_TESTS),$(PARSERS_TESTS))

.PHONY: parsers-tests parsers-test
parsers-tests: $(PARSERS_TESTS)

parsers-test: $(PARSERS_TESTS)
	prove --exec '' -v $(PARSERS_TESTS)

$(PARSERS_OBJS): $(PARSERS_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(PARSERS_CC) $(PARSERS_CFLAGS) -c $< -o $@

$(PARSERS_BUILD)/cmdparse.t: $(PARSERS_BUILD)/obj/vmm/console/cmdparse.o
$(PARSERS_BUILD)/bootcfg.t: $(PARSERS_BUILD)/obj/boot/config.o $(PARSERS_BUILD)/obj/boot/acpi.o
$(PARSERS_BUILD)/spec.t: $(PARSERS_BUILD)/obj/arch/x86/spec_choice.o
$(PARSERS_BUILD)/madt.t: $(PARSERS_BUILD)/obj/boot/acpi.o
$(PARSERS_BUILD)/multiboot.t: $(PARSERS_BUILD)/obj/vmm/loader/multiboot.o $(PARSERS_BUILD)/obj/vmm/loader/elf.o $(PARSERS_BUILD)/obj/vmm/vcpu_state.o | $(PARSERS_GUEST)

# Link recipe for a parser test when host.mk does not provide one.
$(PARSERS_BUILD)/%.t: $(PARSERS_BUILD)/obj/tests/host/t_%.o
	@mkdir -p $(dir $@)
	$(PARSERS_CC) $(PARSERS_CFLAGS) $(filter %.o,$^) -o $@

build/guest/%.bin: guest/%.asm
	@mkdir -p $(dir $@)
	$(PARSERS_NASM) -f bin -o $@ $<

-include $(PARSERS_OBJS:.o=.d)
