#!/bin/sh
# Benchmarks of pagoda (not tests: nothing here gates CI).
#  1. mm/ on the host: builds build/host/bench_tdp (-O2, no sanitizers) and
#     runs it: teardown of sparse address spaces in the three teardown
#     modes, the whole destroy of a 6 GiB guest with 1 page per 2 MiB, and
#     fault throughput with 1 and 2 threads (with and without pre-zeroed
#     pages, and the pool's hit counts).  About a minute or two, up to
#     ~4 GiB of RAM.
#  2. The exit path as instruction counts (repeatable where times are not):
#     boots pagoda in QEMU TCG with `set exitcount=on`, runs the test guest
#     through CPUID exits, I/O exits (its serial lines) and dense
#     first-touch faults, then a second guest through sparse ones (one
#     page per 2 MiB), and prints the `exitpath` line of `stats`: per exit
#     kind the paths counted, mean and longest instructions from the exit
#     to the next entry, and the mean number of code pages they ran on
#     (for the second guest, its tdp_fault line only).
#  3. mm/'s instruction counts on the host ("icount", not in "all": it needs
#     valgrind): bench_tdp icount under valgrind --tool=callgrind; per dense
#     first-touch fault, sparse first-touch fault (new leaf table
#     and backing each), refault, and per page freed by the destroy of each
#     guest in summary and skip mode.  Deterministic: a change in mm/ shows
#     as a count.  A few seconds.
# Usage: scripts/bench.sh [quick|faults|exits|icount]   ("quick": only the
# 6 GiB teardown cases; "faults": only the fault throughput; "exits": only
# 2.; "icount": only 3.)
set -e
cd "$(dirname "$0")/.."
what=${1:-all}
if [ "$what" = icount ]; then
	make -s -f tests/host/host.mk build/host/bench_tdp
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" build/host/bench_tdp icount \
		> "$work/out.txt" 2> "$work/valgrind.txt" || { cat "$work/valgrind.txt"; exit 1; }
	callgrind_annotate --inclusive=yes "$work/cg.out" > "$work/annotate.txt" 2>/dev/null
	echo "mm/ instructions (callgrind, bench_tdp icount; the pre-zeroed pool filled beforehand)"
	awk -v out="$work/out.txt" '
		BEGIN {
			while ((getline l < out) > 0) {
				split(l, f, /[ =]+/)
				if (f[2] == "IC_N") n = f[3]
				if (f[2] == "destroy") freed[f[3] "_" f[4]] = f[6]
			}
		}
		$1 ~ /^[0-9,]+$/ && match($0, /:ic_[a-z_]+/) {
			name = substr($0, RSTART + 4, RLENGTH - 4)
			if (name in cost) next
			c = $1; gsub(",", "", c); cost[name] = c
		}
		END {
			printf "  %-34s %8.0f\n", "dense first-touch fault", cost["dense_faults"] / n
			printf "  %-34s %8.0f\n", "sparse first-touch fault", cost["sparse_faults"] / n
			printf "  %-34s %8.0f\n", "refault (after a zap)", cost["refaults"] / n
			split("dense_summary dense_skip sparse_summary sparse_skip", k, " ")
			for (i = 1; i <= 4; i++)
				printf "  %-34s %8.0f\n", "destroy " k[i],
				       cost["destroy_" k[i]] / freed[k[i]]
		}' "$work/annotate.txt"
	exit 0
fi
if [ "$what" != exits ]; then
	make -s -f tests/host/host.mk build/host/bench_tdp
	build/host/bench_tdp "$@"
fi
[ "$what" = all ] || [ "$what" = exits ] || exit 0

echo
echo "Exit path, instructions per exit (QEMU TCG, SVM; the VMM single-steps itself:"
echo "kind=paths:mean:max:pages, pages = distinct code pages a path ran on)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/startup.txt" <<'CMDS'
set exitcount=on
create b mem=64M image=test cmdline="cpuid=2000 touch=16M exit=3"
start b
wait b timeout=300
stats b
destroy b
create s mem=768M image=test cmdline="touch=704M@32M:2M exit=3"
start s
wait s timeout=300
stats s
destroy s
poweroff
CMDS
scripts/run-qemu.sh --accel tcg --timeout 400 --startup "$work/startup.txt" > "$work/serial.log" 2>&1 || true
if grep -q '^exitpath name=b ' "$work/serial.log"; then
	grep '^exitpath name=b ' "$work/serial.log" | tr -d '\r' | tr ' ' '\n' | sed -n '3,$p' |
		awk -F'[=:]' '{ printf "  %-10s %8s paths %6s mean %6s max %4s pages\n", $1, $2, $3, $4, $5 }'
	echo "Sparse first touch (guest s: one page per 2 MiB over 704 MiB, each fault a new"
	echo "leaf table and backing page; the frame sits in the memslot radix's level-2 entry):"
	grep '^exitpath name=s ' "$work/serial.log" | tr -d '\r' | tr ' ' '\n' | grep '^tdp_fault=' |
		awk -F'[=:]' '{ printf "  %-10s %8s paths %6s mean %6s max %4s pages\n", $1, $2, $3, $4, $5 }'
else
	echo "no exitpath line: the boot failed; the serial log's tail:"
	tail -n 20 "$work/serial.log"
	exit 1
fi
