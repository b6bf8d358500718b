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
