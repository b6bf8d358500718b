#!/usr/bin/env bash
# The TDP MMU in a real guest under QEMU's nested paging: huge leaves where
# the memslot is backed by 2 MiB blocks, and the three teardown modes on the
# same sparse 6 GiB guest -- NOSKIP changes every entry it visits, SKIP skips
# the ones that are not present, SUMMARY visits only the present ones.
source "$(dirname "$0")/lib.sh"
plan 7
sparse='create s mem=6G image=test cmdline="touch=5G@512M:64M exit=0"'
boot tdp 180 <<CMDS
mem
create h mem=256M image=test huge=1 cmdline="touch=64M exit=0"
start h
wait h
stats h
destroy h
set teardown=noskip
$sparse
start s
wait s
destroy s
set teardown=skip
$sparse
start s
wait s
destroy s
set teardown=summary
$sparse
start s
wait s
destroy s
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "a huge-backed guest touching 64 MiB is mapped with 2 MiB leaves" \
	'ok create name=h id=1 mem=256M huge=1' \
	'guest h: touch: 16384 pages at 0x1000000 stride 4096 size 67108864 ok' \
	'ok stats name=h .* leaves_4k=0 leaves_2m=(3[2-9]|[4-9][0-9]) '
v() { field "guest s destroyed: mode=$1 .* $2=([0-9]+) .*" 1; }
present=$(v summary changed)
echo "# sparse 6 GiB guest: noskip visited $(v noskip visited), skip visited $(v skip visited) skipped $(v skip skipped), summary visited $(v summary visited); $present present"
ok_if "noskip changes every entry it visits" test -n "$(v noskip visited)" -a "$(v noskip visited)" = "$(v noskip changed)" -a "$(v noskip skipped)" = 0
ok_if "skip visits the same entries and changes only the present ones" \
	test "$(v skip visited)" = "$(v noskip visited)" -a "$(v skip changed)" = "$present" \
	-a $(( $(v skip skipped) + present )) = "$(v skip visited)"
ok_if "summary visits only the present entries" test -n "$present" -a "$(v summary visited)" = "$present" -a "$(v summary skipped)" = 0
ok_if "all three modes free the same tables and pages" \
	test "$(v noskip tables_freed)" = "$(v skip tables_freed)" -a "$(v skip tables_freed)" = "$(v summary tables_freed)" \
	-a "$(v noskip pages_freed)" = "$(v summary pages_freed)"
expect_pages_back
tap_end
