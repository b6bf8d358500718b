#!/usr/bin/env bash
# The MMIO instruction emulator (vmm/emulate/) end to end: the mmio test
# guest (guest/tests/mmio.c) runs every instruction class the emulator
# knows against the test device at 0xfebf0000 (vmm/dev/mmio_testdev.c) --
# MOV of each width with immediates, moffs and EIP-relative addresses,
# MOVZX/MOVSX/MOVSXD, REP STOS and MOVS to, from and within the device (DF
# both ways), the ALU ops with their flags compared with the same op on
# RAM, XCHG, BT/BTS/BTR/BTC -- then reads an unassigned address (all ones,
# logged once per page) and runs REP INS/OUTS on ports (string I/O).
source "$(dirname "$0")/lib.sh"
plan 6
if [ ! -f "$TOP/build/guest/mmio.elf" ]; then
	echo "Bail out! build/guest/mmio.elf is missing (make guests)"
	exit 1
fi
boot mmio 180 --file "$TOP/build/guest/mmio.elf" <<'CMDS'
mem
create m mem=8M image=mmio.elf
start m
wait m timeout=120
destroy m
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "every instruction class on the device gives what the CPU gives, in order" \
	'ok create name=m id=[0-9]+ mem=8M' \
	'guest m: ok [0-9]+ - mov byte store and load' \
	'guest m: ok [0-9]+ - mov qword \(48 89 / 48 8b\)' \
	'guest m: ok [0-9]+ - mov moffs64' \
	'guest m: ok [0-9]+ - mov ah to and from the device' \
	'guest m: ok [0-9]+ - mov eax,\[eip\+disp32\]' \
	'guest m: ok [0-9]+ - movsxd r64, dword' \
	'guest m: ok [0-9]+ - rep stosd: 16 dwords to the device' \
	'guest m: ok [0-9]+ - rep movsb RAM -> device -> RAM: "emulated movs, ram to device!"' \
	'guest m: ok [0-9]+ - std; rep movsw device -> device' \
	'guest m: ok [0-9]+ - add on the device: results and flags as on RAM \(88 runs\)' \
	'guest m: ok [0-9]+ - sbb on the device: results and flags as on RAM' \
	'guest m: ok [0-9]+ - test on the device: results and flags as on RAM' \
	'guest m: ok [0-9]+ - xchg \[dev\], r32' \
	'guest m: ok [0-9]+ - bt dword \[dev\],r32=40' \
	'guest m: ok [0-9]+ - btc' \
	'guest m: ok [0-9]+ - unassigned gpa 0xfe800000 reads all ones, ignores writes' \
	'guest m: ok [0-9]+ - rep outsb: 4 bytes to the UART scratch register' \
	'guest m: ok [0-9]+ - rep insw from an unassigned port: all ones' \
	'guest m: ok [0-9]+ - rep insb into device memory' \
	'guest m: # mmio: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=m state=exited status=1'
expect_no_line "no check failed" 'guest m: not ok'
expect_seq "the unassigned page is logged, once for its read and write" \
	'ok start name=m' \
	'mmio: guest m: read of unassigned gpa 0xfe800000 at rip=0x[0-9a-f]+: reads as all ones, writes ignored \(logged once per page\)'
n=$(grep -c 'mmio: guest m: .* unassigned gpa 0xfe800' "$LOG")
ok_if "three accesses to the unassigned page, one log line (got $n)" test "$n" = 1
expect_pages_back
tap_end
