#!/usr/bin/env bash
# Create, run and destroy a guest N times (default 20) and check that the
# free page count (console `mem`) comes back to its starting value after
# every cycle and at the end.
#
#   scripts/lifecycle/cycle.sh [N] [CMDLINE]     (CMDLINE default "hello exit=0")
#
# Each cycle is one `pagoda-ctl run` of create/start/wait/destroy, so a
# failing step stops the cycle with its err line.  With $PAGODA_SOCKET set,
# uses that running pagoda.  Exit status 0 when every cycle ran and no page
# leaked, else 1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

n=${1:-20}
cmdline=${2:-hello exit=0}
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "usage: $0 [N >= 1] [CMDLINE]"

boot_pagoda 600
free0=$(field free_pages "$(ctl mem)")
[ -n "$free0" ] || die "no free_pages from mem"
say "free pages at the start: $free0; $n cycles of create/start/wait/destroy, cmdline \"$cmdline\""

script=$(mktemp /tmp/pagoda-cycle.XXXXXX)
trap 'rm -f "$script"; lc_cleanup' EXIT
esc=${cmdline//\\/\\\\}
esc=${esc//\"/\\\"}
cat > "$script" <<CMDS
create cyc mem=16M image=test cmdline="$esc"
start cyc
wait cyc timeout=60
destroy cyc
CMDS
t0=$(date +%s.%N)
for i in $(seq 1 "$n"); do
	out=$(ctl run "$script" 2>&1) || die "cycle $i: $(grep -E '^(err|pagoda-ctl)' <<<"$out" | head -n 3)"
	wait_line=$(grep '^ok wait' <<<"$out")
	free=$(field free_pages "$(grep '^ok destroy' <<<"$out")")
	printf 'cycle %3d: %s; after destroy free_pages=%s\n' "$i" "${wait_line#ok wait }" "$free"
	[ "$free" = "$free0" ] || die "cycle $i: free pages $free != $free0 after destroy (leak)"
done
t1=$(date +%s.%N)
free1=$(field free_pages "$(ctl mem)")
say "free pages at the end: $free1 (start $free0); $n cycles in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
[ "$free1" = "$free0" ] || die "free pages $free1 != $free0 at the end"
shutdown_pagoda || die "pagoda did not power off cleanly"
say "PASS: $n cycles, no page leaked"
