# Shared by tests/platform/*.t, the platform matrix: each row boots pagoda
# once on one platform (a machine type, a memory size, a CPU count, a
# firmware build, an emulator and CPU model) that differs from the baseline
# row (01-baseline.t: QEMU TCG -cpu max, q35, 1 GiB, 1 CPU, 4 MiB OVMF) in
# one variable only, so a failing row names the variable that broke.
# Every row runs the same startup file and makes the same checks:
#   - guest/default-startup.txt (the default guest, as `make run` and the
#     image run it: hello, CPUID exits, 4 MiB touched, exit status 1)
#   - three guests of the built-in test guest at once (hello, N ticks, each
#     its own exit code), waited for and destroyed
#   - free pages back after the demo guest's destroy and, all guests
#     destroyed, at the end; a clean poweroff
# With PLATFORM_SPIN=1 (set before platform_boot), a fourth guest, spin,
# loops forever beside the three: they can only finish if the VMM preempts
# it (platform_check_spin checks that; it is destroyed before the end).
# Sourced, not run.
#
#   platform_boot SCRIPT NAME TIMEOUT TICKS [options...]
#                         boot with SCRIPT (run-qemu.sh or run-bochs.sh) and
#                         the startup file above, guests ticking TICKS times
#   platform_checks VENDOR
#                         the common checks (7 TAP lines); VENDOR svm or vmx
#   PLATFORM_CHECKS       how many TAP lines platform_checks prints
#   platform_check_spin   with PLATFORM_SPIN=1: the spinning guest was
#                         preempted (1 TAP line)

# vmx/lib.sh brings tests/lib/tap.sh and vmx_require (the Bochs rows).
source "$(dirname "${BASH_SOURCE[0]}")/../vmx/lib.sh"
PLATFORM_CHECKS=7
TICKS=2
PLATFORM_SPIN=${PLATFORM_SPIN:-0}

platform_boot() {
	local script=$1 name=$2 timeout=$3
	TICKS=$4
	shift 4
	if [ ! -f "$TOP/build/pagoda.efi" ] || [ ! -f "$TOP/build/guest/testguest.bin" ]; then
		echo "Bail out! build/pagoda.efi or the test guest is missing (run make)"
		exit 1
	fi
	{
		grep -v '^#' "$TOP/guest/default-startup.txt"
		local i
		if [ "$PLATFORM_SPIN" = 1 ]; then
			echo 'create spin mem=32M image=test cmdline="spin"'
			echo "start spin"
		fi
		for i in 1 2 3; do
			echo "create g$i mem=32M image=test cmdline=\"hello tick=$TICKS exit=$i\""
		done
		echo "start g1"; echo "start g2"; echo "start g3"
		for i in 1 2 3; do echo "wait g$i timeout=120"; done
		if [ "$PLATFORM_SPIN" = 1 ]; then echo "list"; echo "destroy spin"; fi
		for i in 1 2 3; do echo "destroy g$i"; done
		echo "mem"
		echo "poweroff"
	} > "$WORK/$name.in"
	boot_startup "$script" "$name" "$timeout" "$@" < "$WORK/$name.in"
}

platform_checks() {
	local vendor=$1 i t
	expect_clean_poweroff "the VMM powered off cleanly (boot script status 0)"
	if [ "$vendor" = svm ]; then
		expect_seq "boot, memory map, own page tables, SVM enabled, ready" \
			'boot: pagoda starting' 'boot: exiting boot services' \
			'pmm: [0-9]+ MiB usable in [0-9]+ ranges' 'paging: identity map up to 0x[0-9a-f]+ loaded' \
			'hv: CPU vendor AuthenticAMD: using svm' 'svm: SVM enabled' 'vmm: ready: [0-9]+ pages free'
	else
		expect_seq "boot, memory map, own page tables, VMX enabled, ready" \
			'boot: pagoda starting' 'boot: exiting boot services' \
			'pmm: [0-9]+ MiB usable in [0-9]+ ranges' 'paging: identity map up to 0x[0-9a-f]+ loaded' \
			'hv: CPU vendor GenuineIntel: using vmx' 'vmx: VMX enabled' 'vmm: ready: [0-9]+ pages free'
	fi
	expect_seq "the default startup file's guest: hello, CPUID exits, 4 MiB touched, exit, destroy" \
		'^ok create name=demo id=1 mem=64M' \
		'guest demo: hello from the pagoda test guest' \
		'guest demo: cpuid: 1000 exits, [0-9]+ cycles/exit' \
		'guest demo: touch: 1024 pages at 0x1000000 stride 4096 size 4194304 ok' \
		'^ok wait name=demo state=exited status=1$' \
		'^ok destroy name=demo'
	# Each guest's own lines in order; nothing orders lines of two guests.
	local bad=""
	for i in 1 2 3; do
		local res=(guest\ g$i:\ hello\ from\ the\ pagoda\ test\ guest)
		for t in $(seq 1 "$TICKS"); do res+=("guest g$i: tick $t"); done
		res+=("^event guest g$i exited status=$((i * 2 + 1))$" "^ok wait name=g$i state=exited status=$((i * 2 + 1))$"
			"^ok destroy name=g$i")
		local from=1 re n
		for re in "${res[@]}"; do
			n=$(tail -n +"$from" "$LOG" | grep -n -E -m1 -- "$re" | cut -d: -f1)
			if [ -z "$n" ]; then bad="$bad g$i: no /$re/ after line $((from - 1));"; break; fi
			from=$((from + n))
		done
	done
	if [ -z "$bad" ]; then pass "three guests at once: each printed hello and $TICKS ticks and exited with its own status"
	else fail "three guests at once: each printed hello and $TICKS ticks and exited with its own status" "$bad"; fi
	# g1..g3 overlap (one's create count includes the others), so only
	# the demo guest's destroy line compares with its own create count.
	local after at
	after=$(field 'guest demo destroyed: .* free_pages=([0-9]+) \(at create [0-9]+\)' 1)
	at=$(field 'guest demo destroyed: .* \(at create ([0-9]+)\)' 1)
	ok_if "demo's destroy gave back every page ($after free, $at at create)" test -n "$at" -a "$after" = "$at"
	expect_pages_back
	expect_no_line "no VMM exception, failed instruction or poweroff failure" \
		'VMM exception|vmx: .*failed|svm: .*failed|poweroff failed'
}

platform_check_spin() {
	expect_seq "a guest spinning forever was preempted: the three others finished, it was still running, destroyed" \
		'guest spin: spin: looping forever' \
		'^ok wait name=g1 state=exited' '^ok wait name=g2 state=exited' '^ok wait name=g3 state=exited' \
		'guest name=spin id=[0-9]+ state=running' '^ok destroy name=spin'
}
