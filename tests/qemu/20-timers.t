#!/usr/bin/env bash
# Timers under pagoda: the local APIC timer (one-shot, periodic with the
# divider, masked, TSC-deadline) in xAPIC and x2APIC mode, measured against
# the TSC by guest/tests/apic_timer.c; and the CMOS RTC (guest/tests/rtc.c):
# the firmware's date in BCD, binary and 12-hour form, seconds that advance,
# the RAM size fields for the guest's 64 MiB.  Timing checks take the
# shortest of several runs and allow lateness (a paused emulator), never
# earliness.
source "$(dirname "$0")/lib.sh"
plan 6
for g in apic_timer rtc; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
done
boot timers 240 --file "$TOP/build/guest/apic_timer.elf" --file "$TOP/build/guest/rtc.elf" <<'CMDS'
mem
create t mem=8M image=apic_timer.elf
start t
wait t timeout=60
destroy t
create x mem=8M image=apic_timer.elf cmdline="x2apic"
start x
wait x timeout=60
destroy x
create c mem=64M image=rtc.elf cmdline="mem=64"
start c
wait c timeout=60
destroy c
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "apic_timer, xAPIC: one-shot, divider, periodic, masked, TSC-deadline" \
	'guest t: # APIC ID 0, xAPIC mode' \
	'guest t: ok [0-9]+ - divide by 2 takes about twice as long as divide by 1' \
	'guest t: ok [0-9]+ - five periods take about five one-shot times' \
	'guest t: ok [0-9]+ - TSC-deadline: the interrupt came' \
	'guest t: # apic_timer: 18 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=t state=exited status=1'
expect_seq "apic_timer, x2APIC: the same through the MSRs" \
	'guest x: # APIC ID 0, x2APIC mode' \
	'guest x: # apic_timer: 18 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=x state=exited status=1'
expect_seq "rtc: the date, its formats, ticking seconds, the memory fields" \
	'guest c: # RTC: 2[0-9]{3}-[01][0-9]-[0-3][0-9] ' \
	'guest c: ok [0-9]+ - the seconds advance' \
	'guest c: # rtc: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=c state=exited status=1'
expect_no_line "no check failed" 'guest [txc]: not ok'
expect_pages_back
tap_end
