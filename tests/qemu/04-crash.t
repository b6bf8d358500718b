#!/usr/bin/env bash
# A misbehaving guest ends alone: a triple fault and a guest that exhausts
# host memory are each ended with a clear log line and event (an access
# outside every memslot with no device there is not fatal: it reads all
# ones, logged once per page, and that guest exits), and the VMM goes on to run
# the next guest of the startup file.  The guest that drained the host
# cannot take the VMM's reserve: a new guest can still be created (its
# touches then fail until the hog is destroyed), and a guest created with
# reserve=1 before the hog has all its memory and runs to its end after.
# All their memory comes back.
source "$(dirname "$0")/lib.sh"
plan 10
boot crash 240 --mem 256M <<'CMDS'
mem
create tf mem=32M image=test cmdline="hello triple"
start tf
wait tf
destroy tf
create oob mem=32M image=test cmdline="mmio"
start oob
wait oob
destroy oob
create safe mem=32M image=test reserve=1 cmdline="touch=12M exit=4"
create huge mem=8G image=test reserve=1
create hog mem=2G image=test cmdline="touch=1G"
start hog
wait hog
create lazy mem=32M image=test cmdline="touch=24M exit=5"
start lazy
wait lazy
start safe
wait safe
destroy lazy
destroy safe
destroy hog
create next mem=32M image=test cmdline="hello exit=9"
start next
wait next
destroy next
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "a triple fault ends that guest only" \
	'guest tf: triple: faulting now' \
	'vmm: guest tf ended by the VMM: triple fault' \
	'event guest tf crashed reason="triple fault' \
	'ok wait name=tf state=crashed reason="triple fault'
expect_seq "an access to an unassigned guest-physical address reads all ones, logged once" \
	'ok start name=oob' \
	'mmio: guest oob: read of unassigned gpa 0xc0000000 at rip=0x[0-9a-f]+: reads as all ones, writes ignored \(logged once per page\)' \
	'guest oob: mmio: read 0xffffffff$' \
	'guest oob: test guest: done' \
	'ok wait name=oob state=exited status=1$'
expect_seq "a guest that exhausts host memory is ended, the VMM goes on" \
	'ok create name=hog' \
	'vmm: guest hog ended by the VMM: host out of memory' \
	'ok wait name=hog state=crashed reason="host out of memory' \
	'vmm: guest hog destroyed'
expect_seq "reserve=1 backs all of a guest at create, or refuses it clearly" \
	'ok create name=safe id=[0-9]+ mem=32M huge=0 vcpus=1 reserve=1' \
	'err create not enough host memory for reserve=1'
expect_seq "the VMM kept its reserve: a guest is still created after the hog, its touches fail" \
	'vmm: guest hog ended by the VMM: host out of memory' \
	'ok create name=lazy' \
	'ok wait name=lazy state=crashed reason="host out of memory'
expect_seq "the reserved guest touches its memory after the hog drained the host, and exits" \
	'ok wait name=lazy state=crashed' \
	'guest safe: touch: 3072 pages at 0x1000000 stride 4096 size 12582912 ok' \
	'ok wait name=safe state=exited status=9'
expect_seq "the next guest in the startup file runs" \
	'guest next: hello from the pagoda test guest' \
	'ok wait name=next state=exited status=19'
expect_pages_back
expect_no_line "no VMM exception in the log" 'VMM exception'
tap_end
