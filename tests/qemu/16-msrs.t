#!/usr/bin/env bash
# The MSRs a guest OS owns (vmm/msr.c): guest/tests/msrs.c writes each one
# and reads it back, checks that bad values raise #GP, that the TSC follows
# a write and TSC_ADJUST with it, and that unknown MSRs still #GP.  Two
# guests run at once with different patterns ("a", "b"): each first reads
# the reset values and re-reads its own after a busy wait, so a value that
# leaked between the two (one vCPU's MSRs not switched) fails a check.
source "$(dirname "$0")/lib.sh"
plan 4
if [ ! -f "$TOP/build/guest/msrs.elf" ]; then
	echo "Bail out! build/guest/msrs.elf is missing (make guests)"
	exit 1
fi
boot msrs 180 --file "$TOP/build/guest/msrs.elf" <<'CMDS'
mem
create a mem=8M image=msrs.elf cmdline="a"
create b mem=8M image=msrs.elf cmdline="b"
start a
start b
wait a timeout=60
wait b timeout=60
destroy a
destroy b
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
for g in a b; do
	expect_seq "msrs ($g): every check passes and it exits 0 (status 1)" \
		"guest $g: # msrs: cmdline \"$g\"" \
		"guest $g: ok [0-9]+ - PAT reads back what was written" \
		"guest $g: ok [0-9]+ - RDMSR TSC right after the write" \
		"guest $g: # msrs: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS" \
		"ok wait name=$g state=exited status=1"
done
expect_no_line "no check failed in either guest" 'guest [ab]: not ok'
tap_end
