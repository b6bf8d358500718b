#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz (fuzz.mk), run briefly with a fixed
# seed as part of make test: each starts from its seed corpus (text seeds in
# tests/fuzz/corpus/NAME; image seeds made here from the built test guests,
# each behind the byte that picks the guest's RAM size), runs a fixed number
# of inputs, and replays every input in tests/fuzz/regress/NAME (inputs that
# once crashed it).  `make fuzz` runs them for longer.  TAP.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pagoda-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$TOP" || exit 1

targets=(fuzz_cmdparse fuzz_startup fuzz_image fuzz_tdp_model)
declare -A runs=([fuzz_cmdparse]=200000 [fuzz_startup]=100000 [fuzz_image]=200000 [fuzz_tdp_model]=600)
echo "1..$((2 * ${#targets[@]}))"
if ! make -s fuzz-build > "$WORK/build.log" 2>&1; then
	echo "Bail out! cannot build the fuzz targets (clang with libFuzzer: scripts/install-deps.sh --bochs)"
	sed 's/^/# /' "$WORK/build.log" | tail -n 20
	exit 1
fi

# Image seeds: every built guest image behind each of the four RAM-size bytes.
mkdir -p "$WORK/seed-fuzz_image"
for img in build/guest/testguest.bin build/guest/*.elf build/guest/obj/*.elf64; do
	[ -f "$img" ] || continue
	for m in 0 1 2 3; do
		{ printf "\\x0$m"; cat "$img"; } > "$WORK/seed-fuzz_image/$(basename "$img").$m"
	done
done

n=0 fails=0
for t in "${targets[@]}"; do
	corpus=$WORK/corpus-$t
	mkdir -p "$corpus"
	cp tests/fuzz/corpus/$t/* "$corpus"/ 2>/dev/null
	cp "$WORK/seed-$t"/* "$corpus"/ 2>/dev/null
	n=$((n + 1))
	if build/fuzz/$t -seed=1 -runs="${runs[$t]}" -artifact_prefix="$WORK/crash-$t-" "$corpus" \
		> /dev/null 2> "$WORK/$t.log"; then
		echo "ok $n - $t: ${runs[$t]} inputs from seed 1, no crash, every check held ($(grep -oE 'cov: [0-9]+' "$WORK/$t.log" | tail -n 1))"
	else
		fails=$((fails + 1))
		echo "not ok $n - $t: ${runs[$t]} inputs from seed 1"
		grep -E 'fuzz check failed|ERROR|SUMMARY|^==' "$WORK/$t.log" | head -n 10 | sed 's/^/# /'
		echo "# the input is saved as: $(ls "$WORK"/crash-$t-* 2>/dev/null | head -1) (copy it to tests/fuzz/regress/$t/)"
	fi
	n=$((n + 1))
	reg=(tests/fuzz/regress/$t/*)
	if [ ! -e "${reg[0]}" ]; then
		echo "ok $n - $t: regression inputs # SKIP none in tests/fuzz/regress/$t yet"
	elif build/fuzz/$t "${reg[@]}" > /dev/null 2> "$WORK/$t.reg.log"; then
		echo "ok $n - $t: ${#reg[@]} regression input(s) pass"
	else
		fails=$((fails + 1))
		echo "not ok $n - $t: a regression input crashes it again"
		grep -E 'fuzz check failed|ERROR|SUMMARY|Running' "$WORK/$t.reg.log" | head -n 10 | sed 's/^/# /'
	fi
done
[ "$fails" -eq 0 ]
