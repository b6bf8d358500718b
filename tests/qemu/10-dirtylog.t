#!/usr/bin/env bash
# The TDP MMU's dirty log through the console, on QEMU's nested paging: a
# guest touches 4 MiB, then keeps writing its stack and line buffer while it
# ticks.  Harvest after "on" reports every page written (the 1024 touched
# ones and its own few), a second harvest at once reports none (the guest is
# stopped between the two: on several host CPUs it would run meanwhile), and
# after the guest ran again the pages it wrote come back through
# write-protection faults on the real walker (dirty_faults in stats).
source "$(dirname "$0")/lib.sh"
plan 7
boot dirty 120 <<'CMDS'
mem
create d mem=64M image=test cmdline="touch=4M tick=100000"
dirtylog d harvest
dirtylog d on
dirtylog d on
start d
wait d timeout=3
stop d
dirtylog d harvest
dirtylog d harvest
resume d
wait d timeout=2
dirtylog d harvest
stats d
dirtylog d off
destroy d
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "on/off are checked; the guest touched its 4 MiB while logging was on" \
	'err dirtylog dirty logging of d is off' \
	'ok dirtylog name=d state=on' \
	'err dirtylog dirty logging of d is already on' \
	'guest d: touch: 1024 pages at 0x1000000 stride 4096 size 4194304 ok'
h1=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 1)
h2=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 2)
h3=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 3)
last1=$(field 'ok dirtylog name=d dirty_pages=[0-9]+ first=0x[0-9a-f]+ last=(0x[0-9a-f]+)' 1)
ok_if "the first harvest holds the 1024 touched pages and the guest's own few (got $h1)" \
	test -n "$h1" -a "${h1:-0}" -ge 1024 -a "${h1:-0}" -le 1088
ok_if "its last dirty page is the last touched one, 0x13ff000 (got $last1)" test "$last1" = 0x13ff000
ok_if "a harvest right after finds nothing new (got $h2)" test "$h2" = 0
df=$(field 'ok stats name=d .* dirty_faults=([0-9]+) .*' 1)
ok_if "after running again, the pages it wrote are logged ($h3) through write-protection faults ($df)" \
	test -n "$h3" -a "${h3:-0}" -ge 1 -a "${df:-0}" -ge 1
expect_pages_back
tap_end
