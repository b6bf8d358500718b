#!/usr/bin/env bash
# Several guests on one CPU: four guests at once each print their own lines
# under their own prefix and end with their own status; a guest spinning
# forever is preempted (local APIC timer + INTR intercept on AMD), so the
# others complete and the console keeps answering; stop, resume and
# destroy work mid-run; each guest keeps its own x87/SSE state across
# preemption by the others; all memory comes back.
source "$(dirname "$0")/lib.sh"
plan 11
boot several 180 <<'CMDS'
mem
create spin mem=32M image=test cmdline="spin"
start spin
create g1 mem=32M image=test cmdline="tick=3 exit=1"
create g2 mem=32M image=test cmdline="tick=3 exit=2"
create g3 mem=48M image=test cmdline="tick=3 exit=3"
create g4 mem=64M image=test cmdline="tick=3 exit=4"
start g1
start g2
start g3
start g4
wait g1 timeout=60
wait g2 timeout=60
wait g3 timeout=60
wait g4 timeout=60
list
stop spin
list
create late mem=32M image=test cmdline="hello exit=6"
start late
wait late timeout=60
resume spin
wait spin timeout=1
destroy spin
destroy g1
destroy g2
destroy g3
destroy g4
destroy late
create f1 mem=16M image=test cmdline="fpu=10 exit=1"
create f2 mem=16M image=test cmdline="fpu=10 exit=2"
start f1
start f2
wait f1 timeout=60
wait f2 timeout=60
destroy f1
destroy f2
list
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
for i in 1 2 3 4; do
	expect_seq "guest g$i printed its own lines and exited with its own status" \
		"guest g$i: tick 1" "guest g$i: tick 2" "guest g$i: tick 3" \
		"event guest g$i exited status=$((i * 2 + 1))"
done
expect_seq "the spinning guest was preempted: the others finished, the console answered" \
	'guest spin: spin: looping forever' \
	'ok wait name=g4 state=exited status=9' \
	'guest name=spin id=1 state=running' \
	'ok list count=5' \
	'ok stop name=spin state=stopped' \
	'guest name=spin id=1 state=stopped' \
	'ok wait name=late state=exited status=13' \
	'ok resume name=spin state=running' \
	'err wait timeout after [0-9]+s, guest spin still running' \
	'vmm: guest spin destroyed' \
	'ok list count=0'
# f1 and f2 share the CPU: nothing orders f1's lines against f2's, so each
# guest's own check line comes before its own result, and the two wait
# results come in the order the console ran the commands.
for i in 1 2; do
	expect_seq "guest f$i, preempted by the other, kept its own SSE registers" \
		"guest f$i: fpu: 10 checks ok" "event guest f$i exited status=$((i * 2 + 1))" \
		"ok wait name=f$i state=exited status=$((i * 2 + 1))"
done
expect_seq "the console answered both waits in order" \
	'ok wait name=f1 state=exited status=3' 'ok wait name=f2 state=exited status=5'
expect_pages_back
expect_no_line "no VMM exception in the log" 'VMM exception'
tap_end
