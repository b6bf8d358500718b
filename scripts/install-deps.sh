#!/usr/bin/env bash
# Install what pagoda needs to build, run and test, when it is missing:
# Debian/Ubuntu packages by name, with sudo when not root.
#   scripts/install-deps.sh          build + QEMU (make run, make test)
#   scripts/install-deps.sh --bochs  also Bochs (the VMX tests), clang with
#                                    libFuzzer (tests/fuzz), gdb
#                                    (tests/qemu/13-gdb.t) and the Linux test
#                                    payload (as --linux): all make test needs
#   scripts/install-deps.sh --linux  only the Linux test payload: build/linux/
#                                    from Debian's kernel and busybox
#                                    (scripts/linux-payload.sh; tests/linux)
set -euo pipefail

if [ "${1:-}" = "--linux" ]; then
	exec "$(dirname "$0")/linux-payload.sh" "$(dirname "$0")/../build/linux"
fi

pkgs=()
need() { # need PACKAGE TEST-COMMAND...
	local pkg=$1; shift
	"$@" >/dev/null 2>&1 || pkgs+=("$pkg")
}
need qemu-system-x86 command -v qemu-system-x86_64
need ovmf test -f /usr/share/OVMF/OVMF_CODE_4M.fd
need gnu-efi test -f /usr/lib/crt0-efi-x86_64.o
need nasm command -v nasm
need mtools command -v mcopy
need gdisk command -v sgdisk
need gcc command -v gcc
need make command -v make
need binutils command -v objcopy
need perl command -v prove
need python3 command -v python3
if [ "${1:-}" = "--bochs" ]; then
	need bochs command -v bochs-bin
	need bochs-term test -f /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so
	need bochsbios test -f /usr/share/bochs/BIOS-bochs-latest
	need vgabios test -f /usr/share/vgabios/vgabios.bin
	need ovmf test -f /usr/share/OVMF/OVMF_CODE.fd
	need clang command -v clang
	need libclang-rt-14-dev test -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
	need gdb command -v gdb
	need libzydis-dev test -f /usr/include/Zydis/Zydis.h
fi
# make test's step (--bochs) also builds the Linux payload, once: a failure
# (no network) leaves tests/linux skipping, not the other tests failing.
linux_payload() {
	[ "${1:-}" = "--bochs" ] || return 0
	"$(dirname "$0")/linux-payload.sh" "$(dirname "$0")/../build/linux" ||
		echo "install-deps: no Linux payload: tests/linux will skip" >&2
}
if [ ${#pkgs[@]} -eq 0 ]; then
	linux_payload "${1:-}"
	exit 0
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
linux_payload "${1:-}"
