#!/usr/bin/env bash
# Platform matrix: the local APIC in x2APIC mode at hand-over, as some real
# firmware leaves it.  No emulator here does that by itself (QEMU 7.2's TCG
# has no x2APIC at all: CPUID.1:ECX[21] stays clear even with +x2apic), so
# the firmware boots build/x2apic-chain.efi (boot/x2apic_chain.c) as
# \EFI\BOOT\BOOTX64.EFI, which sets IA32_APIC_BASE EN|EXTD and starts
# pagoda from \EFI\pagoda\pagoda.efi.  Bochs with corei7_haswell_4770 (as
# 08-bochs-haswell, which has x2APIC; Bochs' AMD models do not, so this is
# the VMX path): pagoda must find x2APIC mode and calibrate its timer
# through the x2APIC MSRs, guests run, a guest spinning forever is
# preempted, pages come back, poweroff is clean.
source "$(dirname "$0")/lib.sh"
vmx_require
[ -f "$TOP/build/x2apic-chain.efi" ] || { echo "Bail out! build/x2apic-chain.efi is missing (run make)"; exit 1; }
plan $((PLATFORM_CHECKS + 4))
PLATFORM_SPIN=1
platform_boot run-bochs.sh bochs-x2apic 300 2 --cpu corei7_haswell_4770 \
	--efi "$TOP/build/x2apic-chain.efi" --esp-file "$TOP/build/pagoda.efi:/EFI/pagoda/pagoda.efi"
platform_checks vmx
expect_seq "the boot step switched the APIC to x2APIC mode and started pagoda" \
	'x2apic-chain: IA32_APIC_BASE 0x[0-9A-Fa-f]+ -> 0x[0-9A-Fa-f]*[4-7C-Fc-f][0-9A-Fa-f]{2}: x2APIC mode on' \
	'x2apic-chain: starting \\EFI\\pagoda\\pagoda\.efi' 'boot: pagoda starting'
expect_seq "pagoda found the local APIC in x2APIC mode and its timer counting" \
	'lapic: x2APIC mode, timer [1-9][0-9]* kHz'
expect_no_line "no xAPIC (memory-mapped) line: the APIC stayed in x2APIC mode" 'lapic: xAPIC at'
platform_check_spin
tap_end
