#!/usr/bin/env bash
# Interrupts under pagoda: the intr test guest (guest/tests/intr.c) on the
# virtual local APIC, in xAPIC mode (the 0xfee00000 page, through the MMIO
# instruction emulator) and in x2APIC mode (MSRs): a fixed self-IPI, the
# STI interrupt shadow, TPR masking, HLT woken by the one-shot timer, an
# NMI by ICR, and INIT-SIPI starting vCPU 1 in real mode.  The same guest
# passes on QEMU's own APIC (tests/guest-direct/run.t).
source "$(dirname "$0")/lib.sh"
plan 6
if [ ! -f "$TOP/build/guest/intr.elf" ]; then
	echo "Bail out! build/guest/intr.elf is missing (make guests)"
	exit 1
fi
boot intr 240 --file "$TOP/build/guest/intr.elf" <<'CMDS'
mem
create x mem=8M vcpus=2 image=intr.elf cmdline="smp"
start x
wait x timeout=60
destroy x
create y mem=8M vcpus=2 image=intr.elf cmdline="smp x2apic"
start y
wait y timeout=60
destroy y
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "xAPIC: every check passes, in order" \
	'guest x: # APIC ID 0, xAPIC mode, version 0x[0-9a-f]+' \
	'guest x: ok 1 - fixed self-IPI taken once with IF=1' \
	'guest x: ok [0-9]+ - taken after the instruction following STI \(shadow\)' \
	'guest x: ok [0-9]+ - TPR 0x50 holds vector 0x45 back' \
	'guest x: ok [0-9]+ - HLT with IF=1 wakes on the one-shot timer' \
	'guest x: ok [0-9]+ - NMI by ICR to our own APIC ID, with IF=0' \
	'guest x: ok [0-9]+ - in real mode with CS = vector \* 0x100' \
	'guest x: # intr: 12 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=x state=exited status=1'
expect_seq "x2APIC: every check passes, in order" \
	'guest y: # APIC ID 0, x2APIC mode, version 0x[0-9a-f]+' \
	'guest y: ok [0-9]+ - HLT with IF=1 wakes on the one-shot timer' \
	'guest y: ok [0-9]+ - in real mode with CS = vector \* 0x100' \
	'guest y: # intr: 12 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=y state=exited status=1'
# The VMM's own lines and the guest's output are not ordered against each
# other (guest lines wait in the guest's ring): each sequence is one source.
expect_seq "vCPU 1 of each guest: INIT, then SIPI into real mode" \
	'intr: guest x: vcpu 1: INIT, waiting for SIPI' \
	'intr: guest x: vcpu 1: SIPI, starting in real mode at 0x800:0' \
	'intr: guest y: vcpu 1: INIT, waiting for SIPI' \
	'intr: guest y: vcpu 1: SIPI, starting in real mode at 0x800:0'
expect_no_line "no check failed" 'guest [xy]: not ok'
expect_pages_back
tap_end
