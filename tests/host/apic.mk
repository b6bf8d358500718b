# Host tests of the interrupt controller models vmm/dev/lapic.c (the
# guest's local APIC) and vmm/dev/ioapic.c (its I/O APIC), built for Linux
# with AddressSanitizer + UBSan.  Included by the top-level Makefile (paths
# relative to the repository root) next to tests/host/parsers.mk, and
# built the same way: host.mk's wildcard already makes build/host/vlapic.t
# and ioapic.t tests with a link recipe of $^, so this file only
#   - lists them in HOST_TESTS when host.mk did not,
#   - adds the model objects as their prerequisites (linked in by $^),
#   - builds those objects with its own explicit rule,
#   - gives a link pattern rule for when host.mk is not included.
# Standalone: make -f tests/host/apic.mk apic-test
#
# Every variable is prefixed APIC_.

APIC_CC     := $(if $(HOST_CC),$(HOST_CC),$(CC))
APIC_BUILD  := build/host
APIC_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-Wall -Wextra -Werror -I. -MMD -MP

APIC_TESTS  := $(APIC_BUILD)/vlapic.t $(APIC_BUILD)/ioapic.t
APIC_OBJS   := $(APIC_BUILD)/obj/vmm/dev/lapic.o $(APIC_BUILD)/obj/vmm/dev/ioapic.o \
	$(APIC_BUILD)/obj/tests/host/t_vlapic.o $(APIC_BUILD)/obj/tests/host/t_ioapic.o

HOST_TESTS += $(filter-out $(HOST_TESTS),$(APIC_TESTS))

.PHONY: apic-tests apic-test
apic-tests: $(APIC_TESTS)

apic-test: $(APIC_TESTS)
	prove --exec '' -v $(APIC_TESTS)

$(APIC_OBJS): $(APIC_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(APIC_CC) $(APIC_CFLAGS) -c $< -o $@

$(APIC_BUILD)/vlapic.t: $(APIC_BUILD)/obj/vmm/dev/lapic.o
$(APIC_BUILD)/ioapic.t: $(APIC_BUILD)/obj/vmm/dev/ioapic.o

# Link recipe when host.mk does not provide one.
$(APIC_BUILD)/%.t: $(APIC_BUILD)/obj/tests/host/t_%.o
	@mkdir -p $(dir $@)
	$(APIC_CC) $(APIC_CFLAGS) $(filter %.o,$^) -o $@

-include $(APIC_OBJS:.o=.d)
