# Host tests of the PC legacy device models in vmm/dev/: the 8259 PIC pair,
# the 8254 PIT, the CMOS RTC and the 16550A UART, built for Linux with
# AddressSanitizer + UBSan.  Included by the top-level Makefile after
# tests/host/host.mk, whose wildcard already gives build/host/pic.t, pit.t,
# rtc.t and uart.t a link rule (its objects + $^): this file appends them to
# HOST_TESTS where they are not there yet and makes each depend on its
# model's object, so it gets linked in.  The models' bus wrappers call
# bus_add_io, bus_alloc, time_ns and vcpu_console_write: each test defines
# its own stand-ins.  Every variable is prefixed PCDEV_.

PCDEV_BUILD := build/host
PCDEV_TESTS := $(PCDEV_BUILD)/pic.t $(PCDEV_BUILD)/pit.t $(PCDEV_BUILD)/rtc.t $(PCDEV_BUILD)/uart.t

HOST_TESTS += $(filter-out $(HOST_TESTS),$(PCDEV_TESTS))

.PHONY: pcdev-test
pcdev-test: $(PCDEV_TESTS)
	prove --exec '' -v $(PCDEV_TESTS)

$(PCDEV_BUILD)/pic.t: $(PCDEV_BUILD)/obj/vmm/dev/pic8259.o
$(PCDEV_BUILD)/pit.t: $(PCDEV_BUILD)/obj/vmm/dev/pit8254.o
$(PCDEV_BUILD)/rtc.t: $(PCDEV_BUILD)/obj/vmm/dev/rtc.o
$(PCDEV_BUILD)/uart.t: $(PCDEV_BUILD)/obj/vmm/dev/uart16550.o
