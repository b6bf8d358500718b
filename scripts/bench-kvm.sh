#!/usr/bin/env bash
# `make bench-kvm`: pagoda against Linux KVM, side by side, on the same
# timed guest (a benchmark, not a test: nothing here gates make test).
#
#   scripts/bench-kvm.sh [--pairs N] [--runs N] [--timeout S] [--out DIR]
#
#   --pairs N     KVM/pagoda segment pairs (default 3, at least 1)
#   --runs N      guest runs per segment (default 3, at least 3: pagoda
#                 destroys run k with teardown mode skip, summary, noskip
#                 in turn)
#   --timeout S   wall-time limit of each segment's QEMU (default 900)
#   --out DIR     work and log directory (default build/bench-kvm)
#   --floor       pagoda's segments run the EXIT_FLOOR image instead
#                 (build/floor/pagoda.efi, make EXIT_FLOOR=1), whose world
#                 switch answers CPUID leaf 0 itself: the CPUID column then
#                 measures the emulator's floor for an exit, what no
#                 hypervisor's exit path can go below (README, "Where the
#                 floor is"); the other columns stay pagoda's own
#
# What it does:
#   1. builds pagoda and the timed guest build/guest/kvmbench.elf
#      (guest/tests/kvmbench.c: one source, the same bytes under both), and
#      bench/kvm/kvmrun.c static (the program that runs that ELF through
#      /dev/kvm);
#   2. gets Debian's kernel package and busybox-static through
#      scripts/linux-payload.sh (build/linux), and makes an initramfs of
#      busybox, kvm.ko, kvm-amd.ko and what they depend on (read from
#      each module's "depends=" field), kvmrun, the guest and
#      bench/kvm/init;
#   3. runs alternately (ABBA order, so that drift hits both sides alike)
#      a KVM segment -- that kernel booted in QEMU TCG -cpu max (AMD SVM
#      with nested paging), its /init running the guest under KVM --runs
#      times -- and a pagoda segment -- pagoda booted by scripts/run-qemu.sh,
#      running the same guest (6 GiB each) --runs times, each run started
#      once its pools of pages zeroed ahead are full (`pool wait`);
#   4. prints bench/kvm/report.py's tables: per segment, per pair (the
#      pagoda/KVM ratios, which are what this measures: TCG on a shared
#      host runs in two speeds about 2x apart, so pooled times mean little),
#      and the speed mode each segment saw, from the guest's calibration
#      loop.  The output is Markdown (README's "make bench-kvm" section is
#      one run of it).  Logs stay in DIR/logs.
# Exit status: 0 when every segment gave all its results, else 1 (with the
# failing step and the tail of its log on stderr).
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

pairs=3 runs=3 seg_timeout=900 out=build/bench-kvm floor=0
while [ $# -gt 0 ]; do
	case "$1" in
	--pairs) pairs=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--timeout) seg_timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--floor) floor=1; shift ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-kvm: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
done
case "$pairs$runs$seg_timeout" in *[!0-9]*) echo "bench-kvm: --pairs, --runs, --timeout take numbers" >&2; exit 64 ;; esac
[ "$pairs" -ge 1 ] && [ "$runs" -ge 3 ] || { echo "bench-kvm: needs --pairs >= 1 and --runs >= 3" >&2; exit 64; }

die() { echo "bench-kvm: error: $*" >&2; exit 1; }
say() { echo "bench-kvm: $*" >&2; }
mkdir -p "$out/logs" || die "cannot make $out/logs"
out=$(cd "$out" && pwd)
logs=$out/logs
rm -f "$logs"/*

# The segment running now (its QEMU and the timeout or run-qemu.sh above
# it) runs in a session of its own (setsid: session id = its pid); if we
# stop early, every process of that session is ended by that id (timeout(1)
# moves itself into a process group of its own, so the group is not enough).
# Its messages go to fd 3, the script's own stderr (a segment's stderr may
# be redirected to its log when the trap fires).
seg_pid=""
exec 3>&2
cleanup() {
	if [ -n "$seg_pid" ] && pgrep -s "$seg_pid" >/dev/null 2>&1; then
		echo "bench-kvm: stopping the segment still running (session $seg_pid)" >&3
		pkill -TERM -s "$seg_pid" 2>/dev/null
		sleep 2
		pkill -KILL -s "$seg_pid" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. pagoda, the guest, the runner ----------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (make deps installs it)"
command -v python3 >/dev/null || die "python3 is missing"
say "building pagoda and the timed guest"
make -s build/pagoda.efi build/guest/kvmbench.elf >&2 || die "make build/pagoda.efi build/guest/kvmbench.elf failed"
efi=$top/build/pagoda.efi
if [ "$floor" = 1 ]; then
	say "building the EXIT_FLOOR image (build/floor/pagoda.efi)"
	make -s B=build/floor EXIT_FLOOR=1 build/floor/pagoda.efi >&2 ||
		die "make B=build/floor EXIT_FLOOR=1 build/floor/pagoda.efi failed"
	efi=$top/build/floor/pagoda.efi
fi
libc_a=$(gcc -print-file-name=libc.a)
[ -f "$libc_a" ] || die "no static libc (libc.a): install libc6-dev"
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$out/kvmrun" bench/kvm/kvmrun.c ||
	die "building bench/kvm/kvmrun.c (gcc -static) failed"

# --- 2. kernel, modules, initramfs -------------------------------------------
say "Debian's kernel and busybox (scripts/linux-payload.sh build/linux)"
scripts/linux-payload.sh build/linux >&2 || die "scripts/linux-payload.sh failed"
linux=$top/build/linux
moddir=$(ls -d "$linux"/kernel/lib/modules/*/kernel 2>/dev/null | head -n1)
[ -n "$moddir" ] || die "no lib/modules/*/kernel in $linux/kernel (delete build/linux and rerun: it is unpacked again)"
[ -x "$linux/busybox/bin/busybox" ] || die "no busybox in $linux/busybox (delete build/linux and rerun)"

# The file of module NAME (kvm-amd and kvm_amd are the same name), maybe
# compressed (.ko.xz, .ko.zst, .ko.gz).
module_file() {
	local n=$1 f
	f=$(find "$moddir" \( -name "$n.ko*" -o -name "${n//-/_}.ko*" -o -name "${n//_/-}.ko*" \) | head -n1)
	[ -n "$f" ] || die "module $n not found under $moddir"
	echo "$f"
}
# Write module FILE uncompressed to DEST.
module_plain() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -dcq "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) die "unknown module format: $1" ;;
	esac || die "cannot decompress $1"
}
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,modules}
cp "$linux/busybox/bin/busybox" "$root/bin/busybox"
for a in sh mount sed grep cat insmod echo poweroff dmesg tail uname; do ln -s busybox "$root/bin/$a"; done
# Depth first: a module goes into modules.load after everything it
# depends on (the modinfo field "depends=a,b").
declare -A loaded=()
add_module() {
	local n=${1//_/-} f d
	[ -n "${loaded[$n]:-}" ] && return
	loaded[$n]=1
	f=$(module_file "$n") || exit 1
	module_plain "$f" "$root/modules/$n.ko"
	for d in $(tr '\0' '\n' <"$root/modules/$n.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$d"
	done
	echo "$n" >>"$root/modules/modules.load"
}
add_module kvm-amd
say "modules: $(tr '\n' ' ' <"$root/modules/modules.load")"
cp bench/kvm/init "$root/init" && chmod 755 "$root/init"
cp "$out/kvmrun" "$root/kvmrun"
cp build/guest/kvmbench.elf "$root/kvmbench.elf"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz" ||
	die "cpio/gzip of the initramfs failed"

# The pagoda segment's console commands: runs guests, teardown mode
# skip, summary, noskip in turn, each started once the pools of pages
# zeroed ahead are full (`pool wait`: as after idle time; the report
# gives how many first touches they served) and followed by `pool`.
startup=$out/pagoda-startup.txt
modes=(skip summary noskip)
: >"$startup"
for ((k = 0; k < runs; k++)); do
	cat >>"$startup" <<EOF
set teardown=${modes[k % 3]}
create b mem=6G image=kvmbench.elf
pool wait timeout=120
start b
wait b timeout=$seg_timeout
pool
destroy b
EOF
done
echo poweroff >>"$startup"

# --- 3. the segments ---------------------------------------------------------
# Run "$@" in a session of its own, in the background, and wait for it.
run_segment() {
	setsid "$@" &
	seg_pid=$!
	wait "$seg_pid"
	local rc=$?
	seg_pid=""
	return $rc
}
# Fail with the tail of LOG.
seg_fail() {
	echo "bench-kvm: error: $1; last lines of $2:" >&2
	[ -s "$2" ] || echo "    (empty)" >&2
	tail -n 15 "$2" | sed 's/\r//; s/^/    /' >&2
	exit 1
}
kvm_segment() { # PAIR
	local log=$logs/kvm-$1.log
	say "pair $1: KVM segment (Linux $(basename "$(dirname "$moddir")") in QEMU TCG -cpu max, $runs runs)"
	run_segment timeout -k 5 "$seg_timeout" qemu-system-x86_64 -machine q35 -accel tcg -cpu max \
		-m 1G -smp 1 -kernel "$linux/vmlinuz" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 kvmbench.runs=$runs kvmbench.mem=6144" \
		-display none -monitor none -nic none -no-reboot -serial "file:$log" </dev/null
	local rc=$?
	[ $rc -eq 124 ] && seg_fail "KVM segment $1 timed out after ${seg_timeout}s" "$log"
	[ $rc -eq 0 ] || seg_fail "QEMU of KVM segment $1 exited with status $rc" "$log"
	grep -q 'KVMBENCH-INIT-DONE' "$log" || seg_fail "KVM segment $1: /init did not finish" "$log"
	[ "$(grep -c 'kvmrun: exit=0 ' "$log")" -eq "$runs" ] ||
		seg_fail "KVM segment $1: not all $runs guest runs ended with exit=0" "$log"
}
pagoda_segment() { # PAIR
	local log=$logs/pagoda-$1.log
	say "pair $1: pagoda segment (scripts/run-qemu.sh, TCG, $runs runs)"
	run_segment scripts/run-qemu.sh --accel tcg --efi "$efi" --startup "$startup" \
		--file build/guest/kvmbench.elf --timeout "$seg_timeout" --log "$log" \
		>/dev/null 2>"$logs/pagoda-$1.err"
	local rc=$?
	sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$log"
	[ $rc -eq 124 ] && seg_fail "pagoda segment $1 timed out after ${seg_timeout}s" "$log"
	[ $rc -eq 0 ] || seg_fail "pagoda segment $1: run-qemu.sh exited with status $rc" "$log"
	[ "$(grep -c 'guest b: # kvmbench: .* PASS' "$log")" -eq "$runs" ] ||
		seg_fail "pagoda segment $1: not all $runs guest runs passed" "$log"
	[ "$(grep -c 'guest b destroyed: mode=' "$log")" -eq "$runs" ] ||
		seg_fail "pagoda segment $1: not all $runs destroy lines" "$log"
	if [ "$floor" = 1 ]; then
		grep -q 'svm: EXIT_FLOOR image' "$log" ||
			seg_fail "pagoda segment $1: --floor, but the image did not say it is the EXIT_FLOOR one" "$log"
	elif grep -q 'EXIT_FLOOR image' "$log"; then
		seg_fail "pagoda segment $1: an EXIT_FLOOR image ran where pagoda's own should" "$log"
	fi
}
start=$(date +%s)
for ((p = 1; p <= pairs; p++)); do
	if [ $((p % 2)) -eq 1 ]; then kvm_segment "$p"; pagoda_segment "$p"
	else pagoda_segment "$p"; kvm_segment "$p"; fi
done
say "all segments done in $(( $(date +%s) - start )) s"

# --- 4. the report -----------------------------------------------------------
side=""
[ "$floor" = 1 ] && side=" pagoda's segments ran the EXIT_FLOOR image (--floor): its CPUID column is the emulator's floor for an exit, its other columns pagoda's own"
python3 bench/kvm/report.py "$logs" "$pairs" "$(uname -n), load average $(cut -d' ' -f1-3 /proc/loadavg), $(qemu-system-x86_64 --version | head -n1).$side" |
	tee "$out/report.md" || die "bench/kvm/report.py failed"
