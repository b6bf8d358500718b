#!/usr/bin/env bash
# The timed guest of `make bench-kvm` (guest/tests/kvmbench.c) and its KVM
# runner (bench/kvm/kvmrun.c), checked cheaply; the benchmark itself
# (scripts/bench-kvm.sh) is not part of make test.  Under pagoda the guest
# runs whole in a 6 GiB guest: its own 2 MiB mappings above 4 GiB, ~3000
# sparse and 16384 dense first touches, each page read back.  The runner
# must build static; when this host's /dev/kvm can create a VM, it runs the
# same ELF there (small: 512 MiB of it) and the guest's checks must pass.
source "$(dirname "$0")/lib.sh"
plan 5
[ -f "$TOP/build/guest/kvmbench.elf" ] || { echo "Bail out! build/guest/kvmbench.elf is missing (make guests)"; exit 1; }
boot kvmbench 180 --file "$TOP/build/guest/kvmbench.elf" <<'CMDS'
create b mem=6G image=kvmbench.elf
start b
wait b timeout=120
destroy b
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "under pagoda the timed guest reports every segment and its pages keep their values; it exits 0 (status 1)" \
	'ok create name=b id=1 mem=6144M' \
	'guest b: kvmbench: calib=[1-9][0-9]* cpuid=[1-9][0-9]* sparse=[1-9][0-9]* sparse_pages=3008 dense=[1-9][0-9]* dense_pages=16384$' \
	'guest b: ok 1 - 3008 sparse pages \(1 per 2 MiB up to 6144 MiB\) keep what was written' \
	'guest b: ok 2 - 16384 dense pages keep what was written' \
	'guest b: # kvmbench: 3 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=b state=exited status=1'
expect_seq "its destroy line gives the time the benchmark reads (us=)" \
	'vmm: guest b destroyed: mode=[a-z]+ .* us=[0-9]+ '

runner=$WORK/kvmrun
if gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$runner" "$TOP/bench/kvm/kvmrun.c" 2> "$WORK/cc.err"; then
	pass "bench/kvm/kvmrun.c builds static with -Wall -Wextra -Werror"
else
	fail "bench/kvm/kvmrun.c builds static with -Wall -Wextra -Werror" "$(head -n 5 "$WORK/cc.err" | tr '\n' ' ')"
fi
desc="under this host's KVM the same ELF passes its checks and kvmrun times the destroy"
if [ ! -x "$runner" ]; then
	fail "$desc" "no runner"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	pass "$desc # SKIP no usable /dev/kvm"
else
	timeout -k 5 "$(scaled 60)" "$runner" -m 1024 -t "$(scaled 50)" "$TOP/build/guest/kvmbench.elf" small \
		> "$WORK/kvm.out" 2> "$WORK/kvm.err"
	rc=$?
	if [ $rc -eq 106 ]; then
		pass "$desc # SKIP KVM cannot create a VM here: $(head -n1 "$WORK/kvm.err")"
	elif [ $rc -eq 0 ] && grep -q '^# kvmbench: 3 passed, 0 failed, 0 skipped: PASS$' "$WORK/kvm.out" &&
		grep -Eq '^kvmrun: exit=0 destroy_us=[0-9]+ unmap_us=[0-9]+$' "$WORK/kvm.out"; then
		pass "$desc"
	else
		fail "$desc" "kvmrun exited $rc: $(tail -n 3 "$WORK/kvm.out" "$WORK/kvm.err" | tr '\n' ' ')"
	fi
fi
tap_end
