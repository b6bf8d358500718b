#!/usr/bin/env bash
# Run `make test` N times in a row and stop at the first failure: the check
# that the suite is not flaky (make test-repeat N=10).
#
#   scripts/test-repeat.sh [--busy] [N]     N defaults to 10
#
#   --busy   keep every core busy meanwhile with one shell busy loop per
#            core (what a loaded CI machine does to the timing)
#
# Each run's output goes to build/test-repeat/run-K.log; a line per run says
# whether it passed and how long it took.  Exit status 0 when all N passed.
# Slow machines: PAGODA_TIMEOUT_SCALE=2 (or more) raises every timeout of
# the boot tests at once.
set -uo pipefail
cd "$(dirname "$0")/.."

busy=0
n=10
while [ $# -gt 0 ]; do
	case "$1" in
	--busy) busy=1; shift ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]*|'') echo "test-repeat: N must be a number (see --help)" >&2; exit 64 ;;
	*) n=$1; shift ;;
	esac
done

out=build/test-repeat
mkdir -p "$out"
loops=()
stop_loops() { [ ${#loops[@]} -gt 0 ] && kill "${loops[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop_loops EXIT
if [ "$busy" = 1 ]; then
	for _ in $(seq 1 "$(nproc)"); do
		( while :; do :; done ) &
		loops+=($!)
	done
	echo "test-repeat: ${#loops[@]} busy loops running (one per core)"
fi

start_all=$(date +%s)
for k in $(seq 1 "$n"); do
	t0=$(date +%s)
	make test > "$out/run-$k.log" 2>&1
	rc=$?
	t1=$(date +%s)
	summary=$(grep -E '^(Result|Files=)' "$out/run-$k.log" | tr '\n' ' ')
	if [ $rc -eq 0 ]; then
		echo "test-repeat: run $k of $n passed in $((t1 - t0)) s: $summary"
	else
		echo "test-repeat: run $k of $n FAILED after $((t1 - t0)) s (log: $out/run-$k.log):"
		grep -E '^not ok|^#' "$out/run-$k.log" | head -n 40 | sed 's/^/  /'
		exit 1
	fi
done
echo "test-repeat: $n of $n runs passed in $(( $(date +%s) - start_all )) s$([ "$busy" = 1 ] && echo " with every core busy")"
