# Shared helpers of the Linux guest tests (tests/linux/*.t): the QEMU boot
# helpers (tests/qemu/lib.sh) and the payload scripts/linux-payload.sh
# builds (make test's dependency step: scripts/install-deps.sh --bochs).
source "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"

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
