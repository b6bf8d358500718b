#!/usr/bin/env bash
# The public kvm-unit-tests x86 suite under pagoda (SVM, in QEMU's TCG; VMX
# under Bochs with KUT_EMULATOR=bochs).
# kvm-unit-tests is built outside this repository (README, "kvm-unit-tests")
# and named by $KVM_UNIT_TESTS; without it this test skips.  For each test of
# $KVM_UNIT_TESTS/x86/unittests.cfg (or only those named in $KUT_TESTS,
# space-separated), one boot of pagoda in QEMU creates one guest:
#   image=FILE.flat  the test's Multiboot ELF32 image, from x86/
#   cmdline          "FILE.flat ARGS": kvm-unit-tests takes the first word of
#                    the Multiboot command line as argv[0] (as under QEMU's
#                    -kernel), the rest (test_args, or -append of the old
#                    extra_params) as its arguments
#   vcpus            smp (at most 4, pagoda's limit; more is a SKIP)
# (A name in $KUT_TESTS that the cfg lacks but x86/NAME.flat exists, such as
# dummy, runs with 1 vCPU and no arguments.)
#   mem              -m of qemu_params/extra_params (MiB; default 128, at
#                    most 1024)
#   module=kut.env   the environment kvm-unit-tests reads from its first
#                    Multiboot module in place of fw_cfg: NR_CPUS, MEMSIZE,
#                    MEMLIMIT, TEST_DEVICE=0 (no pc-testdev behind port 0xe0)
# The guest's exit status (its write to port 0xf4: (code << 1) | 1) gives
#   1 -> ok, 77 -> ok # SKIP (lib/report.c exits with 77 >> 1 so that
#   QEMU's (code << 1) | 1 gives the autotools skip code), anything else, a crash or a
#   timeout -> not ok, with the guest's last lines and pagoda's reason.
# Tests for i386 only are skipped; qemu_params' -cpu and -device are not
# honoured (pagoda's guest CPU is its own), and tests needing them may fail.
# Per test the wait is $KUT_TIMEOUT seconds (default: the cfg's timeout, at
# most 300), scaled by PAGODA_TIMEOUT_SCALE.  TAP; KUT_VERBOSE=1 prints every
# test's guest output as diagnostics.
source "$(dirname "$0")/../lib/tap.sh"

if [ -z "${KVM_UNIT_TESTS:-}" ]; then
	echo "1..0 # SKIP KVM_UNIT_TESTS not set"
	exit 0
fi
cfg=$KVM_UNIT_TESTS/x86/unittests.cfg
if [ ! -f "$cfg" ]; then
	echo "Bail out! $cfg not found (KVM_UNIT_TESTS must be a built kvm-unit-tests tree)"
	exit 1
fi
if [ ! -f "$TOP/build/pagoda.efi" ]; then
	echo "Bail out! build/pagoda.efi is missing (make)"
	exit 1
fi

# The cfg as one line per test: name, file, smp, arch, timeout, args, params,
# separated by US (0x1f: fields may be empty, which tabs would not keep).
parse_cfg() {
	awk '
	function flush() {
		if (name != "")
			printf "%s\037%s\037%s\037%s\037%s\037%s\037%s\n", name, file, smp, arch, tmo, args, params
	}
	function unquote(v) {
		sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
		if (v ~ /^".*"$/ || v ~ /^'\''.*'\''$/) v = substr(v, 2, length(v) - 2)
		return v
	}
	/^[ \t]*#/ { next }
	/^\[.*\]/ { flush(); name = substr($0, 2, index($0, "]") - 2); file = ""; smp = 1; arch = "";
		    tmo = ""; args = ""; params = ""; next }
	/^[a-z_]+[ \t]*=/ {
		key = $0; sub(/[ \t]*=.*/, "", key)
		val = $0; sub(/^[^=]*=/, "", val)
		if (key == "file") file = unquote(val)
		else if (key == "smp") smp = unquote(val)
		else if (key == "arch") arch = unquote(val)
		else if (key == "timeout") tmo = unquote(val)
		else if (key == "test_args") args = unquote(val)
		else if (key == "qemu_params" || key == "extra_params") params = unquote(val)
	}
	END { flush() }' "$cfg"
}

# -append "..." or -append '...' of the old extra_params: the test's arguments.
append_args() {
	sed -nE "s/.*-append[ \t]+\"([^\"]*)\".*/\1/p; s/.*-append[ \t]+'([^']*)'.*/\1/p" <<< "$1" | head -n 1
}

# -m of the params in MiB (plain numbers are MiB, as QEMU takes them).
mem_mib() {
	local m
	m=$(sed -nE 's/.*(^|[ \t])-m[ \t]+([0-9]+)([mMgG]?).*/\2 \3/p' <<< "$1" | head -n 1)
	[ -n "$m" ] || { echo 128; return; }
	set -- $m
	case "${2:-}" in g|G) echo $(($1 * 1024)) ;; *) echo "$1" ;; esac
}

# KUT_EMULATOR=bochs runs the tests on the VMX backend under Bochs
# (scripts/run-bochs.sh, far slower: pick a few with KUT_TESTS).
case "${KUT_EMULATOR:-qemu}" in
qemu) runner=run-qemu.sh; host_mem=2G ;;
bochs) runner=run-bochs.sh; host_mem=1G ;;
*) echo "Bail out! KUT_EMULATOR must be qemu or bochs"; exit 1 ;;
esac

mapfile -t rows < <(parse_cfg)
if [ -n "${KUT_TESTS:-}" ]; then
	sel=()
	for t in $KUT_TESTS; do
		found=
		for r in "${rows[@]}"; do
			[ "${r%%$'\037'*}" = "$t" ] && { sel+=("$r"); found=1; }
		done
		# A built image the cfg does not list (x86/dummy.flat): run it with
		# the defaults (1 vCPU, no arguments).
		if [ -z "$found" ] && [ -f "$KVM_UNIT_TESTS/x86/$t.flat" ]; then
			sel+=("$t"$''"$t.flat"$''1$''$''$''$'')
			found=1
		fi
		[ -n "$found" ] || { echo "Bail out! no test [$t] in $cfg and no x86/$t.flat"; exit 1; }
	done
	rows=("${sel[@]}")
fi
plan "${#rows[@]}"

for r in "${rows[@]}"; do
	IFS=$'\037' read -r name file smp arch tmo args params <<< "$r"
	if [ -n "$arch" ] && [ "$arch" != x86_64 ]; then
		echo "ok $((TAPN + 1)) - $name # SKIP arch=$arch"; TAPN=$((TAPN + 1)); continue
	fi
	img=$KVM_UNIT_TESTS/x86/$file
	if [ ! -f "$img" ]; then
		fail "$name" "x86/$file not built"; continue
	fi
	case "$smp" in ''|*[!0-9]*) smp=1 ;; esac
	if [ "$smp" -gt 4 ]; then
		echo "ok $((TAPN + 1)) - $name # SKIP smp=$smp (pagoda guests have at most 4 vCPUs)"
		TAPN=$((TAPN + 1)); continue
	fi
	[ -n "$args" ] || args=$(append_args "$params")
	mem=$(mem_mib "$params")
	[ "$mem" -le 1024 ] || mem=1024
	t=${KUT_TIMEOUT:-${tmo:-30}}
	t=${t%s}
	case "$t" in ''|*[!0-9]*) t=30 ;; esac
	[ -n "${KUT_TIMEOUT:-}" ] || [ "$t" -le 300 ] || t=300
	printf 'NR_CPUS=%s\nMEMSIZE=%s\nMEMLIMIT=%s\nTEST_DEVICE=0\n' "$smp" "$mem" "$mem" > "$WORK/kut.env"
	# The console's quoting: a double quote in the arguments cannot pass.
	cmdline="$file${args:+ $args}"
	cmdline=${cmdline//\"/}
	boot_startup "$runner" "kut-$name" $((t + 60)) --mem "$host_mem" --file "$img" \
		--file "$WORK/kut.env" <<CMDS
create k mem=${mem}M vcpus=$smp image=$file module=kut.env cmdline="$cmdline"
start k
wait k timeout=$t
destroy k
poweroff
CMDS
	result=$(grep -E '^(ok|err) wait ' "$LOG" | tail -n 1)
	status=$(sed -nE 's/^ok wait name=k state=exited status=([0-9]+).*/\1/p' <<< "$result")
	guest_tail() {
		grep -E 'guest k: |vmm: guest k |^err ' "$LOG" | tail -n "${1:-15}" | sed 's/^\[ *[0-9.]*\] //'
	}
	if [ "${KUT_VERBOSE:-0}" = 1 ]; then
		grep -E 'guest k: ' "$LOG" | sed 's/^\[ *[0-9.]*\] //; s/^/# /'
	fi
	case "$status" in
	1) pass "$name" ;;
	77) TAPN=$((TAPN + 1)); echo "ok $TAPN - $name # SKIP the test skipped itself" ;;
	*)
		TAPN=$((TAPN + 1)); FAILS=$((FAILS + 1))
		echo "not ok $TAPN - $name (${result:-no wait result: pagoda did not answer})"
		guest_tail 15 | sed 's/^/# /'
		;;
	esac
done
tap_end
