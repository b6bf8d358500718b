#!/usr/bin/env bash
# A guest that floods its console (guest/tests/flood.c: 256 Ki newlines by
# hypercall, 4096 UART lines) costs the VMM no more than its output rate:
# its lines wait in its own ring and are written between time slices, what
# does not fit is dropped and counted (stats out_dropped, one log line),
# and meanwhile another guest runs to its end and the console answers.
source "$(dirname "$0")/lib.sh"
plan 6
if [ ! -f "$TOP/build/guest/flood.elf" ]; then
	echo "Bail out! build/guest/flood.elf is missing (make guests)"
	exit 1
fi
boot output 180 --file "$TOP/build/guest/flood.elf" <<'CMDS'
mem
create f mem=8M image=flood.elf
create t mem=8M image=test cmdline="tick=3 exit=2"
start f
start t
wait t timeout=60
list
wait f timeout=120
stats f
destroy f
destroy t
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "the other guest ran to its end beside the flood, and the console answered" \
	'guest t: tick 3' 'ok wait name=t state=exited status=5' '^ok list count=2'
# Its own result line may be among the dropped ones: its exit status says
# it (1: every check passed).
expect_seq "the flood ended with every write accepted (status 1)" \
	'event guest f exited status=1' 'ok wait name=f state=exited status=1'
dropped=$(field '^ok stats name=f .*out_dropped=([0-9]+)' 1)
lines=$(grep -c '^\[[ 0-9.]*\] guest f: ' "$LOG")
echo "# the flood wrote 266240+ lines; $lines reached the log, $dropped bytes were dropped"
# About 620 KiB of lines against an 8 KiB ring drained at 4 KiB/s: more
# than 200 KB dropped unless the run took over 100 s of wall time.
ok_if "most of the flood was dropped and counted in stats (out_dropped=$dropped)" \
	test -n "$dropped" -a "${dropped:-0}" -gt 200000
ok_if "the drop was reported in the log" grep -qE 'vmm: guest f: [0-9]+ bytes of console output dropped' "$LOG"
expect_pages_back
tap_end
