#!/usr/bin/env bash
# Guests with several vCPUs: vCPU 0 enters the Multiboot image, the others
# start when the guest asks (HC_VCPU_START) and share the CPU with it by
# preemption; each vCPU's UART lines keep their own prefix.  A start beyond
# the guest's vCPUs is refused, a halted vCPU leaves the others running, and
# more vCPUs than pagoda offers is a clear err.
source "$(dirname "$0")/lib.sh"
plan 9
boot smp 120 <<'CMDS'
mem
create quad mem=32M image=test vcpus=4 cmdline="hello smp=4 fpu=3 exit=4"
start quad
wait quad timeout=60
list
destroy quad
create duo mem=32M image=test vcpus=2 cmdline="smp=3 exit=5"
start duo
wait duo timeout=60
destroy duo
create many mem=32M image=test vcpus=5
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
# The four vCPUs share the CPU: only each vCPU's own lines are ordered
# (started before its hello), and the BSP's "4 vcpus ran" follows every
# hello because each AP counts in after printing.
for i in 1 2 3; do
	expect_seq "vCPU $i of a 4-vCPU guest is started and says hello under its own prefix" \
		'ok create name=quad id=1 mem=32M huge=0 vcpus=4' \
		"vmm: guest quad: vcpu $i started at 0x" \
		"guest quad/$i: vcpu $i: hello from an application processor" \
		'guest quad: smp: 4 vcpus ran'
done
expect_seq "the BSP goes on after its APs counted in (its SSE state intact) and exits" \
	'guest quad: smp: 4 vcpus ran' \
	'guest quad: fpu: 3 checks ok' \
	'ok wait name=quad state=exited status=9' \
	'guest name=quad id=1 state=exited mem=32M vcpus=4'
# An AP halts right after counting in; the guest may end before the last
# ones get to their HLT, so at least one halt is logged, in any order.
ok_if "an AP that halts with interrupts off is taken off the CPU" \
	grep -qE 'exit: guest quad: vcpu [1-3] halted' "$LOG"
expect_seq "starting a vCPU the guest does not have is refused" \
	'guest duo: smp: vcpu 2 not started \(-22\)' \
	'ok wait name=duo state=exited status=11'
ok_if "more vCPUs than offered is a clear err" grep -q '^err create vcpus must be 1..4' "$LOG"
expect_pages_back
tap_end
