#!/usr/bin/env bash
# Dirty logging on EPT (Bochs, corei7_skylake_x): the same scenario as
# tests/qemu/10-dirtylog.t -- the write-protection faults now come from the
# EPT walker (EPT violations on present, read-only entries).  Bochs' clock is
# its instruction count, so the waits are longer in guest time.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 6

vmx_boot corei7_skylake_x 240 'mem
create d mem=64M image=test cmdline="touch=4M tick=100000"
dirtylog d on
start d
wait d timeout=20
dirtylog d harvest
dirtylog d harvest
wait d timeout=15
dirtylog d harvest
stats d
dirtylog d off
destroy d
mem
poweroff'

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "the guest touched its 4 MiB while logging was on" \
	'^ok dirtylog name=d state=on$' \
	'guest d: touch: 1024 pages at 0x1000000 stride 4096 size 4194304 ok'
h1=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 1)
h2=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 2)
h3=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) .*' 3)
df=$(field 'ok stats name=d .* dirty_faults=([0-9]+) .*' 1)
ok_if "the first harvest holds the 1024 touched pages and the guest's own few (got $h1)" \
	test -n "$h1" -a "${h1:-0}" -ge 1024 -a "${h1:-0}" -le 1088
ok_if "a harvest right after finds nothing new (got $h2)" test "$h2" = 0
ok_if "after running again, pages are logged ($h3) through EPT write-protection faults ($df)" \
	test -n "$h3" -a "${h3:-0}" -ge 1 -a "${df:-0}" -ge 1
expect_pages_back
tap_end
