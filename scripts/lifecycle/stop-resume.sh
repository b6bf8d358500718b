#!/usr/bin/env bash
# Stop and resume a running guest, then destroy it in mid-run:
#   create a guest printing "tick i" TICKS times (default 50), start it,
#   stop it (list must show it stopped, and its exit count must not move
#   while stopped), resume it (list: running), destroy it while it still
#   runs, and check the free pages are back to their starting value.
#
#   scripts/lifecycle/stop-resume.sh [TICKS]
#
# With fast hardware virtualization 50 ticks may end before `stop` arrives;
# give more ticks then.  With $PAGODA_SOCKET set, uses that running pagoda.
# Exit status 0 when every step went as expected, else 1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ticks=${1:-50}
[[ "$ticks" =~ ^[0-9]+$ ]] || die "usage: $0 [TICKS]"
name=sr

state_of() { field state "$(ctl list | grep "^guest name=$name ")"; }
exits_of() { field exits "$(ctl list | grep "^guest name=$name ")"; }

boot_pagoda 300
free0=$(field free_pages "$(ctl mem)")
[ -n "$free0" ] || die "no free_pages from mem"
say "free pages at the start: $free0"

say "create and start $name (cmdline \"hello tick=$ticks exit=5\")"
ctl create $name mem=16M image=test cmdline="hello tick=$ticks exit=5" || die "create"
ctl start $name || die "start"
say "stop $name"
out=$(ctl stop $name) || die "stop: $out (did the guest end already? try more ticks)"
echo "$out"
st=$(state_of)
say "list: state=$st"
[ "$st" = stopped ] || die "list shows $name $st, expected stopped"
e1=$(exits_of)
sleep 0.5
e2=$(exits_of)
say "exits while stopped: $e1 -> $e2"
[ -n "$e1" ] && [ "$e1" = "$e2" ] || die "the stopped guest kept running ($e1 -> $e2 exits)"
for c in wait start stop; do
	ctl $c $name >/dev/null 2>&1 && die "$c on a stopped guest should be refused"
done
ticks_stopped=$(guest_lines $name | grep -c '^guest sr: tick ')

say "resume $name, then list and destroy it while it runs"
ctl resume $name || die "resume"
# One console session for list + destroy: the guest runs between them only
# for as long as the console takes to read the next line.
script=$(mktemp /tmp/pagoda-sr.XXXXXX)
printf 'resume %s\nlist\ndestroy %s\n' $name $name > "$script"
out=$(ctl run "$script" 2>&1)
rm -f "$script"
echo "$out" | grep -v '^>'
grep -q "^err resume guest $name is running" <<<"$out" || die "resume of a running guest should be refused: $out"
script=$(mktemp /tmp/pagoda-sr.XXXXXX)
printf 'list\ndestroy %s\n' $name > "$script"
out=$(ctl run "$script" 2>&1) || die "list/destroy: $out"
rm -f "$script"
echo "$out" | grep -v '^>'
line=$(grep "^guest name=$name " <<<"$out")
st=$(field state "$line")
e3=$(field exits "$line")
[ "$st" = running ] || die "list shows $name $st after resume, expected running (ended already? try more ticks)"
[ "$e3" -gt "$e2" ] || die "the resumed guest made no progress ($e2 -> $e3 exits)"
ticks_seen=$(guest_lines $name | grep -c '^guest sr: tick ')
say "ticks printed: $ticks_stopped before the stop, $ticks_seen of $ticks at the destroy"
if [ -n "${LOG:-}" ]; then
	tr -d '\r' < "$LOG" | grep -q "event guest $name exited" && die "the guest exited before the destroy (try more ticks)"
	[ "$ticks_seen" -lt "$ticks" ] || die "all $ticks ticks printed before the destroy (try more ticks)"
fi
out=$(ctl list)
grep -q "^guest name=$name " <<<"$out" && die "$name still listed after destroy"
free1=$(field free_pages "$(ctl mem)")
say "free pages at the end: $free1 (start $free0)"
[ "$free1" = "$free0" ] || die "free pages $free1 != $free0 after destroy"
shutdown_pagoda || die "pagoda did not power off cleanly"
say "PASS: stop, resume and destroy mid-run"
