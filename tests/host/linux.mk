# Host tests of the Linux-guest parsers and builders: vmm/loader/bzimage.c
# (bzImage, zero page, memory map), vmm/loader/pvh.c (PVH ELF note, start
# info), vmm/loader/linux_cmdline.c (tsc_early_khz=) and vmm/acpi_tables.c (RSDP, RSDT, XSDT, FADT, FACS, DSDT, MADT),
# built with AddressSanitizer + UBSan against the host libc.  Included by
# the top-level Makefile after tests/host/host.mk and parsers.mk: host.mk's
# wildcard already lists build/host/{bzimage,pvh,acpi_tables}.t in
# HOST_TESTS, compiles build/host/obj/%.o from %.c and links each test from
# its prerequisites ($^); this file adds the objects under test.  The tests
# use the real payload (build/linux/vmlinuz, vmlinux, initramfs.cpio.gz from
# scripts/linux-payload.sh) when it is there and skip those parts when not.
#
# Every variable is prefixed LINUX_.

LINUX_BUILD := build/host
LINUX_TESTS := $(LINUX_BUILD)/bzimage.t $(LINUX_BUILD)/pvh.t $(LINUX_BUILD)/acpi_tables.t
LINUX_LOADER_OBJS := $(LINUX_BUILD)/obj/vmm/loader/bzimage.o $(LINUX_BUILD)/obj/vmm/loader/elf.o \
	$(LINUX_BUILD)/obj/vmm/vcpu_state.o

HOST_TESTS += $(filter-out $(HOST_TESTS),$(LINUX_TESTS))

.PHONY: linux-test
linux-test: $(LINUX_TESTS)
	prove --exec '' -v $(LINUX_TESTS)

$(LINUX_BUILD)/bzimage.t: $(LINUX_LOADER_OBJS)
$(LINUX_BUILD)/pvh.t: $(LINUX_BUILD)/obj/vmm/loader/pvh.o $(LINUX_LOADER_OBJS)
$(LINUX_BUILD)/acpi_tables.t: $(LINUX_BUILD)/obj/vmm/acpi_tables.o

# The VMM's additions to a Linux command line (vmm/loader/linux_cmdline.c).
HOST_TESTS += $(filter-out $(HOST_TESTS),$(LINUX_BUILD)/linux_cmdline.t)
$(LINUX_BUILD)/linux_cmdline.t: $(LINUX_BUILD)/obj/vmm/loader/linux_cmdline.o

# The machine power devices (vmm/dev/acpi_pm.c, pc_reset.c): t_power.c.
HOST_TESTS += $(filter-out $(HOST_TESTS),$(LINUX_BUILD)/power.t)
$(LINUX_BUILD)/power.t: $(LINUX_BUILD)/obj/vmm/dev/acpi_pm.o $(LINUX_BUILD)/obj/vmm/dev/pc_reset.o
