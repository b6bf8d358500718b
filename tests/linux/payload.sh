# The Linux test payload (scripts/linux-payload.sh, built by make test's
# dependency step scripts/install-deps.sh --bochs), for tests/linux and
# tests/vmx/07-linux.t.  Sourced after tests/lib/tap.sh (which sets TOP).
LINUX_DIR=$TOP/build/linux
# Skip the whole file when the payload is missing (no network for apt-get
# download), unless PAGODA_REQUIRE_LINUX=1.
linux_payload_or_skip() {
	local f
	for f in vmlinuz vmlinux initramfs.cpio.gz; do
		if [ ! -s "$LINUX_DIR/$f" ]; then
			if [ "${PAGODA_REQUIRE_LINUX:-0}" = 1 ]; then
				echo "Bail out! $LINUX_DIR/$f is missing (scripts/install-deps.sh --linux)"
				exit 1
			fi
			echo "1..0 # SKIP no Linux payload ($LINUX_DIR/$f): scripts/install-deps.sh --linux"
			exit 0
		fi
	done
}

# check_sleep_3 GUEST: the payload's /init runs `sleep 3` between two lines
# giving the guest's uptime; GUEST's uptime must move by at least 3 s across
# it, and by as much (within half a second, scaled) as the VMM's timestamps
# of the two lines, which are drained from the guest's ring between slices.
check_sleep_3() {
	local g=$1 line0 line1 s0 s1 u0 u1
	line0=$(grep -m1 -E "guest $g(/[0-9])?: pagoda-linux: sleep 3 from uptime=" "$LOG")
	line1=$(grep -m1 -E "guest $g(/[0-9])?: pagoda-linux: slept until uptime=" "$LOG")
	s0=$(echo "$line0" | sed -n -E 's/^\[ *([0-9.]+)\].*/\1/p')
	s1=$(echo "$line1" | sed -n -E 's/^\[ *([0-9.]+)\].*/\1/p')
	u0=$(echo "$line0" | sed -n -E 's/.*uptime=([0-9.]+)s.*/\1/p')
	u1=$(echo "$line1" | sed -n -E 's/.*uptime=([0-9.]+)s.*/\1/p')
	ok_if "sleep 3 takes 3 s of the guest's clock and as much of the VMM's (guest ${u0:-?}..${u1:-?}, VMM ${s0:-?}..${s1:-?})" \
		awk -v a="${s0:-x}" -v b="${s1:-x}" -v c="${u0:-x}" -v d="${u1:-x}" -v sc="$PAGODA_TIMEOUT_SCALE" \
		'BEGIN { vmm = b - a; g = d - c; dd = vmm - g; if (dd < 0) dd = -dd
			exit !(a != "x" && c != "x" && g >= 3 && g < 3 + 3 * sc && dd <= 0.5 * sc) }'
}
