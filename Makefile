# pagoda: one Makefile for everything.
#   make            build build/pagoda.efi, the test guest and the C test guests
#                   (and build/x2apic-chain.efi, a test step: tests/platform/09-x2apic.t,
#                   and build/madt-chain.efi, one for tests/qemu/22-smp-host.t)
#   make guests     the C test guests alone (guest/tests/*.c -> build/guest/*.elf)
#   make run        boot pagoda with its default guest in QEMU (installs what is missing)
#   make test       run every test through prove (installs what is missing)
#   make test-smp   the tests of guests on several host CPUs alone (-smp 4; in make test)
#   make kvm-unit-tests KVM_UNIT_TESTS=DIR [KUT_TESTS="name ..."]
#                   the kvm-unit-tests x86 suite (built outside this tree) under pagoda
#   make test-repeat N=10 [BUSY=1]
#                   make test N times in a row, stopping at a failure
#                   (BUSY=1: with every core kept busy meanwhile)
#   make fuzz [FUZZ_SECONDS=60]
#                   run the libFuzzer targets of tests/fuzz (parsers, images, the TDP MMU model)
#   make bench      benchmarks (not tests): teardown modes, fault throughput
#   make bench-kvm [BENCH_KVM_ARGS="--pairs N ..."]
#                   pagoda against Linux KVM on the same timed guest, both
#                   in QEMU TCG (scripts/bench-kvm.sh; a benchmark, not a test)
#   make esp        the ESP directory build/esp, ready to copy to a FAT partition
#   make image      build/pagoda.img: a GPT disk image with that ESP, for dd to a USB stick
#   make debug      QEMU + gdb, pagoda's symbols loaded where UEFI put it (scripts/debug.sh)

CC       ?= gcc
NASM     ?= nasm
OBJCOPY  ?= objcopy
LD       ?= ld
B        := build

EFI_INC  := /usr/include/efi
EFI_LIB  := /usr/lib

# Every C file of the VMM: vendor-neutral and both vendors, one image.
VMM_C    := $(filter-out arch/x86/asm-offsets.c arch/x86/svm/vmcb-offsets.c boot/x2apic_chain.c boot/madt_chain.c boot/chain_start.c,$(wildcard lib/*.c boot/*.c arch/x86/*.c arch/x86/svm/*.c arch/x86/vmx/*.c mm/*.c vmm/*.c vmm/*/*.c))
VMM_ASM  := $(wildcard arch/x86/*.asm arch/x86/svm/*.asm arch/x86/vmx/*.asm)
VMM_OBJ  := $(VMM_C:%.c=$(B)/obj/%.o) $(VMM_ASM:%.asm=$(B)/obj/%.asm.o) $(B)/obj/testguest.o

CFLAGS_VMM := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. \
	-ffreestanding -fpic -fvisibility=hidden -fno-stack-protector -fno-stack-check \
	-fshort-wchar -mno-red-zone -maccumulate-outgoing-args -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -ffunction-sections -fdata-sections -DPAGODA_VMM
CFLAGS_EFI := -I$(EFI_INC) -I$(EFI_INC)/x86_64 -DGNU_EFI_USE_MS_ABI

# make B=build/floor EXIT_FLOOR=1 build/floor/pagoda.efi: the measurement
# image of scripts/bench-kvm.sh --floor, whose world switch answers CPUID
# leaf 0 itself (arch/x86/svm/vmrun.asm).  Never the image of make or make test.
NASM_DEFS :=
ifeq ($(EXIT_FLOOR),1)
CFLAGS_VMM += -DEXIT_FLOOR
NASM_DEFS  += -DEXIT_FLOOR
endif

.PHONY: all guests run debug test test-smp test-repeat kvm-unit-tests bench esp image deps deps-test clean check-layering host-tests
all: $(B)/pagoda.efi $(B)/x2apic-chain.efi $(B)/madt-chain.efi $(B)/guest/testguest.bin guests

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --bochs

# --- the VMM image ---------------------------------------------------------
$(B)/obj/boot/%.o: boot/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_VMM) $(CFLAGS_EFI) -MMD -MP -c $< -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_VMM) -MMD -MP -c $< -o $@

# Struct offsets the assembly needs are generated from C, never typed by
# hand: each "@@OFFSET NAME value" line of the compiled file becomes
# "%define NAME value".  asm-offsets.inc for arch/x86, vmcb-offsets.inc for
# the SVM backend's VMCB (vendor code stays in its directory).
define gen_offsets
	@mkdir -p $(B)
	$(CC) $(CFLAGS_VMM) -S $< -o $(@:.inc=.s)
	sed -n 's/.*@@OFFSET \([A-Z_0-9]*\) \$$\{0,1\}\([0-9]*\).*/%define \1 \2/p' $(@:.inc=.s) > $@
endef
$(B)/asm-offsets.inc: arch/x86/asm-offsets.c arch/x86/regs.h
	$(gen_offsets)
$(B)/vmcb-offsets.inc: arch/x86/svm/vmcb-offsets.c arch/x86/svm/vmcb.h
	$(gen_offsets)

$(B)/obj/%.asm.o: %.asm $(B)/asm-offsets.inc $(B)/vmcb-offsets.inc arch/x86/guest_regs.inc arch/x86/spec.inc
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -Werror $(NASM_DEFS) -I$(B)/ -Iarch/x86/ -I$(dir $<) $< -o $@

$(B)/guest/testguest.bin: $(wildcard guest/*.asm guest/*.inc)
	@mkdir -p $(dir $@)
	$(NASM) -f bin -Wall -o $@ guest/testguest.asm

# The test guest is also built into the VMM image (image=test).
$(B)/obj/testguest.o: $(B)/guest/testguest.bin
	@mkdir -p $(dir $@)
	$(OBJCOPY) -I binary -O elf64-x86-64 -B i386:x86-64 \
		--redefine-sym _binary_$(subst /,_,$(subst .,_,$<))_start=testguest_image_start \
		--redefine-sym _binary_$(subst /,_,$(subst .,_,$<))_end=testguest_image_end \
		--strip-symbol _binary_$(subst /,_,$(subst .,_,$<))_size \
		--rename-section .data=.rodata.testguest,alloc,load,readonly,data,contents $< $@

# GNU-EFI's libefi defines memset and memcpy (byte loops) in the same member
# as InitializeLib; a copy with those two weakened lets lib/string.c's
# string-instruction versions win.
$(B)/libefi.a: $(EFI_LIB)/libefi.a
	@mkdir -p $(B)
	$(OBJCOPY) --weaken-symbol=memset --weaken-symbol=memcpy $< $@

$(B)/pagoda.so: $(VMM_OBJ) linker.ld $(B)/libefi.a
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T linker.ld -o $@ \
		$(EFI_LIB)/crt0-efi-x86_64.o $(VMM_OBJ) -L$(EFI_LIB) -lgnuefi $(B)/libefi.a

$(B)/pagoda.efi: $(B)/pagoda.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# A test step, not part of pagoda: a separate EFI application that puts the
# local APIC into x2APIC mode and then starts \EFI\pagoda\pagoda.efi
# (tests/platform/09-x2apic.t).  Built like pagoda.efi; it links its own
# object, boot/chain_start.c (which starts pagoda.efi) and GNU-EFI only.
$(B)/x2apic-chain.so: $(B)/obj/boot/x2apic_chain.o $(B)/obj/boot/chain_start.o linker.ld
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T linker.ld -o $@ \
		$(EFI_LIB)/crt0-efi-x86_64.o $(filter %.o,$^) -L$(EFI_LIB) -lgnuefi $(EFI_LIB)/libefi.a

# Each test boot step's EFI application from its ELF, as pagoda.efi's.
$(B)/%-chain.efi: $(B)/%-chain.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

-include $(B)/obj/boot/x2apic_chain.d $(B)/obj/boot/chain_start.d

# Another test step (tests/qemu/22-smp-host.t): rewrites one MADT entry to
# name a CPU that is not there, then starts \EFI\pagoda\pagoda.efi.  Links
# boot/acpi.c's table walk (which calls nothing else), boot/chain_start.c
# and GNU-EFI.
$(B)/madt-chain.so: $(B)/obj/boot/madt_chain.o $(B)/obj/boot/acpi.o $(B)/obj/boot/chain_start.o linker.ld
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T linker.ld -o $@ \
		$(EFI_LIB)/crt0-efi-x86_64.o $(filter %.o,$^) -L$(EFI_LIB) -lgnuefi $(EFI_LIB)/libefi.a

-include $(B)/obj/boot/madt_chain.d

# --- C test guests --------------------------------------------------------
# Each guest/tests/NAME.c, with guest/tests/NAME.asm when there is one (32-bit
# code run before the library enters long mode), is linked with the guest
# library guest/lib/ and lib/'s string and fmt into an ELF64 for debuggers,
# then converted into build/guest/NAME.elf: an ELF32 Multiboot kernel, which
# pagoda (image=NAME.elf) and QEMU -kernel (no ELF64 there) both load.
GUEST_TESTS    := $(patsubst guest/tests/%.c,%,$(wildcard guest/tests/*.c))
GUEST_ELFS     := $(GUEST_TESTS:%=$(B)/guest/%.elf)
GUESTLIB_OBJ   := $(patsubst %.c,$(B)/guest/obj/%.o,$(wildcard guest/lib/*.c) lib/string.c lib/fmt.c) \
	$(patsubst %.asm,$(B)/guest/obj/%.asm.o,$(wildcard guest/lib/*.asm))

CFLAGS_GUEST := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -m64 \
	-ffreestanding -nostdlib -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
	-fno-stack-protector -fno-stack-check -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing

guests: $(GUEST_ELFS)

$(B)/guest/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (guest)"
	@$(CC) $(CFLAGS_GUEST) -MMD -c $< -o $@

$(B)/guest/obj/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -Werror $< -o $@

# A test's own .asm, when it has one, is one more prerequisite of its link.
$(foreach t,$(patsubst guest/tests/%.asm,%,$(wildcard guest/tests/*.asm)),\
	$(eval $(B)/guest/obj/$(t).elf64: $(B)/guest/obj/guest/tests/$(t).asm.o))

$(B)/guest/obj/%.elf64: $(B)/guest/obj/guest/tests/%.o $(GUESTLIB_OBJ) guest/lib/guest.ld
	$(LD) -m elf_x86_64 -nostdlib -static -no-pie -z noexecstack -z max-page-size=4096 \
		-T guest/lib/guest.ld -o $@ $(filter %.o,$^)

$(B)/guest/%.elf: $(B)/guest/obj/%.elf64
	$(OBJCOPY) -O elf32-i386 $< $@

# Keep the objects and ELF64s that the pattern chain above makes on the way.
.SECONDARY: $(GUESTLIB_OBJ) $(GUEST_TESTS:%=$(B)/guest/obj/guest/tests/%.o) \
	$(patsubst %.asm,$(B)/guest/obj/%.asm.o,$(wildcard guest/tests/*.asm)) \
	$(GUEST_TESTS:%=$(B)/guest/obj/%.elf64)

-include $(GUESTLIB_OBJ:.o=.d) $(GUEST_TESTS:%=$(B)/guest/obj/guest/tests/%.d)

esp: all
	rm -rf $(B)/esp && mkdir -p $(B)/esp/EFI/BOOT $(B)/esp/pagoda
	cp $(B)/pagoda.efi $(B)/esp/EFI/BOOT/BOOTX64.EFI
	cp $(B)/guest/testguest.bin $(B)/esp/pagoda/testguest.bin
	cp $(GUEST_ELFS) $(B)/esp/pagoda/
	cp guest/default-startup.txt $(B)/esp/pagoda/startup.txt

# A disk image for a USB stick (GPT, one FAT32 ESP with what `make esp` holds),
# made with sgdisk and mtools: no root, no loop devices.
image: $(B)/pagoda.img
$(B)/pagoda.img: $(B)/pagoda.efi $(B)/guest/testguest.bin $(GUEST_ELFS) guest/default-startup.txt scripts/mkimage.sh
	@scripts/install-deps.sh
	scripts/mkimage.sh $@ $(B)/pagoda.efi guest/default-startup.txt $(B)/guest/testguest.bin $(GUEST_ELFS)

-include $(VMM_OBJ:.o=.d)

# --- running -------------------------------------------------------------
run: deps all
	scripts/run-qemu.sh --interactive --startup guest/default-startup.txt

# QEMU with its gdb stub; gdb attaches once pagoda logged its load address.
debug: deps all
	scripts/debug.sh --startup guest/default-startup.txt

# --- tests ---------------------------------------------------------------
-include tests/host/host.mk
-include tests/host/parsers.mk
-include tests/host/apic.mk
-include tests/host/pcdev.mk
-include tests/host/emulate.mk
-include tests/host/linux.mk
-include tests/host/console.mk
include tests/fuzz/fuzz.mk

check-layering:
	@tests/layering.t

# The VMX path runs under Bochs (tests/vmx), the SVM path under QEMU's TCG.
# tests/platform: the platform matrix (machine types, memory sizes, CPU
# counts, firmware builds, emulators), one variable per row.
test: deps-test all image $(HOST_TESTS)
	PAGODA_REQUIRE_BOCHS=1 prove --exec '' $(HOST_TESTS) tests/layering.t tests/fuzz/run.t \
		tests/guest-direct/run.t \
		$(sort $(wildcard tests/qemu/*.t)) $(sort $(wildcard tests/ctl/*.t)) \
		$(sort $(wildcard tests/linux/*.t)) $(sort $(wildcard tests/smp/*.t)) \
		$(sort $(wildcard tests/vmx/*.t)) $(sort $(wildcard tests/platform/*.t)) \
		tests/kvm-unit-tests/run.t

# Guests on several host CPUs (QEMU -smp 4, multi-threaded TCG), alone.
test-smp: deps-test all image
	prove --exec '' $(sort $(wildcard tests/smp/*.t))

# The public kvm-unit-tests x86 suite, built outside this tree (README):
#   make kvm-unit-tests KVM_UNIT_TESTS=/path/to/kvm-unit-tests [KUT_TESTS="name ..."]
kvm-unit-tests: deps all
	@test -n "$(KVM_UNIT_TESTS)" || \
		{ echo "usage: make kvm-unit-tests KVM_UNIT_TESTS=/path/to/built/kvm-unit-tests"; exit 1; }
	KVM_UNIT_TESTS=$(abspath $(KVM_UNIT_TESTS)) KUT_VERBOSE=1 prove --exec '' -v tests/kvm-unit-tests/run.t

N ?= 10
test-repeat:
	scripts/test-repeat.sh $(if $(filter 1,$(BUSY)),--busy) $(N)

# Benchmarks, not tests: one run each, ratios and counts (never a CI gate).
bench: deps all
	scripts/bench.sh
	scripts/boot-timing.py

.PHONY: bench-kvm
bench-kvm: deps
	scripts/bench-kvm.sh $(BENCH_KVM_ARGS)

clean:
	rm -rf $(B)
