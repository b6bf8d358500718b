#!/usr/bin/env bash
# The MMIO instruction emulator on the VMX backend (Bochs, corei7_skylake_x):
# the mmio test guest (guest/tests/mmio.c, as in tests/qemu/16-mmio.t) runs
# every instruction class against the test device at 0xfebf0000, now
# reached through EPT misconfigurations instead of NPT faults, reads an
# unassigned address (all ones, logged once) and runs REP INS/OUTS, whose
# exits on VMX come with their own qualification.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 4
if [ ! -f "$TOP/build/guest/mmio.elf" ]; then
	echo "Bail out! build/guest/mmio.elf is missing (make guests)"
	exit 1
fi

vmx_boot corei7_skylake_x 300 'mem
create m mem=8M image=mmio.elf
start m
wait m timeout=200
destroy m
mem
poweroff' --file "$TOP/build/guest/mmio.elf"

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "every instruction class on the device gives what the CPU gives, and the guest passes" \
	'ok create name=m id=[0-9]+ mem=8M' \
	'guest m: ok [0-9]+ - mov byte store and load' \
	'guest m: ok [0-9]+ - mov eax,\[eip\+disp32\]' \
	'guest m: ok [0-9]+ - rep movsb RAM -> device -> RAM' \
	'guest m: ok [0-9]+ - add on the device: results and flags as on RAM' \
	'guest m: ok [0-9]+ - btc' \
	'guest m: ok [0-9]+ - unassigned gpa 0xfe800000 reads all ones, ignores writes' \
	'guest m: ok [0-9]+ - rep insb into device memory' \
	'guest m: # mmio: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=m state=exited status=1'
expect_no_line "no check failed" 'guest m: not ok'
expect_pages_back
tap_end
