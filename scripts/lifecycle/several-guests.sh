#!/usr/bin/env bash
# Run several guests side by side: boot pagoda, create N guests (default 3)
# with different names and command lines, start them all, wait for each,
# print each guest's output lines, destroy them, check the free pages are
# back, power off.
#
#   scripts/lifecycle/several-guests.sh [N]
#
# The VMM has no preemption yet: guests run one VM exit at a time, round
# robin, while the console waits (wait) or is idle, so every guest here ends
# by itself (tick=K then exit=K).  With $PAGODA_SOCKET set, uses that running
# pagoda instead of booting one.  Exit status 0 when every step went as
# expected, else 1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

n=${1:-3}
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "usage: $0 [N >= 1]"

boot_pagoda 300
free0=$(field free_pages "$(ctl mem)")
[ -n "$free0" ] || die "no free_pages from mem"
say "free pages at the start: $free0"

for i in $(seq 1 "$n"); do
	name=guest$i
	cmdline="hello tick=$((i % 4 + 1)) exit=$i"
	say "create $name: cmdline \"$cmdline\""
	ctl create "$name" mem=$((8 + 8 * (i % 3)))M image=test cmdline="$cmdline" || die "create $name"
done
for i in $(seq 1 "$n"); do
	say "start guest$i"
	ctl start "guest$i" || die "start guest$i"
done
for i in $(seq 1 "$n"); do
	out=$(ctl --timeout 120 wait "guest$i" timeout=100) || die "wait guest$i: $out"
	echo "$out"
	status=$(field status "$out")
	want=$(( ((i & 0xff) << 1) | 1 ))
	[ "$status" = "$want" ] || die "guest$i ended with status $status, expected $want (exit=$i)"
done
say "list"
ctl list || die "list"
for i in $(seq 1 "$n"); do
	say "output of guest$i"
	lines=$(guest_lines "guest$i")
	if [ -n "${LOG:-}" ]; then
		[ -n "$lines" ] || die "no output lines of guest$i in the log"
		grep -q "hello from the pagoda test guest" <<<"$lines" || die "guest$i did not say hello"
		echo "$lines" | sed 's/^/    /'
	else
		echo "    (no serial log: set PAGODA_LOG)"
	fi
done
for i in $(seq 1 "$n"); do
	ctl destroy "guest$i" || die "destroy guest$i"
done
free1=$(field free_pages "$(ctl mem)")
say "free pages at the end: $free1 (start $free0)"
[ "$free1" = "$free0" ] || die "free pages $free1 != $free0 after destroying every guest"
shutdown_pagoda || die "pagoda did not power off cleanly"
say "PASS: $n guests ran, exited with their codes and were destroyed"
