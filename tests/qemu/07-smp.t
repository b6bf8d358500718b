#!/usr/bin/env bash
# Guests with several vCPUs: vCPU 0 enters the Multiboot image, the others
# start when the guest asks (HC_VCPU_START) and share the CPU with it by
# preemption; each vCPU's UART lines keep their own prefix.  A start beyond
# the guest's vCPUs is refused, a halted vCPU leaves the others running, and
# more vCPUs than pagoda offers is a clear err.
source "$(dirname "$0")/lib.sh"
plan 6
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
expect_seq "a 4-vCPU guest starts its three other vCPUs, each says hello under its own prefix" \
	'ok create name=quad id=1 mem=32M huge=0 vcpus=4' \
	'vmm: guest quad: vcpu 1 started at 0x' \
	'vmm: guest quad: vcpu 3 started at 0x' \
	'guest quad/[1-3]: vcpu [1-3]: hello from an application processor' \
	'guest quad/[1-3]: vcpu [1-3]: hello from an application processor' \
	'guest quad/[1-3]: vcpu [1-3]: hello from an application processor' \
	'guest quad: smp: 4 vcpus ran'
expect_seq "after its APs halted the BSP goes on (its SSE state intact) and exits" \
	'exit: guest quad: vcpu [1-3] halted' \
	'guest quad: fpu: 3 checks ok' \
	'ok wait name=quad state=exited status=9' \
	'guest name=quad id=1 state=exited mem=32M vcpus=4'
expect_seq "starting a vCPU the guest does not have is refused" \
	'guest duo: smp: vcpu 2 not started \(-22\)' \
	'ok wait name=duo state=exited status=11'
ok_if "more vCPUs than offered is a clear err" grep -q '^err create vcpus must be 1..4' "$LOG"
expect_pages_back
tap_end
