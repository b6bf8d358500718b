#!/usr/bin/env bash
# Several guests on one CPU under VMX (Bochs, corei7_skylake_x): a guest
# that spins forever is preempted by the VMX-preemption timer (exit reason
# 52 -> VM_EXIT_PREEMPT), so two ticking guests finish and the console keeps
# answering; stop/resume work mid-run; each switch between guests is a
# VMPTRLD of another VMCS.  A 3-vCPU guest starts its other vCPUs by
# hypercall (one VMCS and VPID each).  All memory comes back.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 9

vmx_boot corei7_skylake_x 240 'mem
create spin mem=32M image=test cmdline="spin"
start spin
create g1 mem=32M image=test cmdline="tick=3 exit=1"
create g2 mem=48M image=test cmdline="tick=3 exit=2"
start g1
start g2
wait g1 timeout=120
wait g2 timeout=120
list
stop spin
create late mem=32M image=test cmdline="hello exit=6"
start late
wait late timeout=60
resume spin
wait spin timeout=1
destroy spin
create smp mem=32M image=test vcpus=3 cmdline="smp=3 exit=7"
start smp
wait smp timeout=60
destroy smp
destroy g1
destroy g2
destroy late
list
mem
poweroff'

expect_clean_poweroff "Bochs run ends with a clean poweroff"
for i in 1 2; do
	expect_seq "g$i printed its own ticks in order and ended with its own status" \
		"guest g$i: tick 1" "guest g$i: tick 2" "guest g$i: tick 3" \
		"^event guest g$i exited status=$((i * 2 + 1))\$"
done
# A tick is a busy-wait of many 10 ms slices: round robin must run g2 long
# before g1 has done three of them (an order the scheduler guarantees, not a
# race).
expect_seq "the ticking guests share the CPU: g2 ticks before g1 ends" \
	'guest g2: tick 1' '^event guest g1 exited status=3$'
expect_seq "the spinning guest is preempted; stop, resume and destroy work mid-run" \
	'guest spin: spin: looping forever' \
	'^ok wait name=g2 state=exited status=5$' \
	'^guest name=spin id=[0-9]+ state=running' \
	'^ok stop name=spin state=stopped$' \
	'^ok wait name=late state=exited status=13$' \
	'^ok resume name=spin state=running$' \
	'^err wait timeout after [0-9]+s, guest spin still running$' \
	'vmm: guest spin destroyed' \
	'^ok list count=0$'
expect_pages_back
for i in 1 2; do
	expect_seq "vCPU $i of a 3-vCPU guest is started under VMX and says hello" \
		'^ok create name=smp id=[0-9]+ mem=32M huge=0 vcpus=3$' \
		"guest smp/$i: vcpu $i: hello from an application processor" \
		'guest smp: smp: 3 vcpus ran' \
		'^ok wait name=smp state=exited status=15$'
done
expect_no_line "no VMM exception or failed VMX instruction" 'VMM exception|vmx: .*failed'
tap_end
