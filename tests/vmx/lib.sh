# Shared by tests/vmx/*.t: boot pagoda in Bochs (scripts/run-bochs.sh) with a
# startup file; the TAP and log checks are tests/lib/tap.sh's.  Sourced, not run.
#
#   vmx_require                 skip the whole test (1..0 # SKIP) without Bochs
#   vmx_guest_image SRC         assemble a guest from tests/vmx/ into $WORK
#   vmx_boot MODEL TIMEOUT STARTUP-TEXT [run-bochs options...]
#                               boot once; the log is in $LOG, status $RC

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

vmx_require() {
	local why=""
	command -v bochs-bin >/dev/null || why="bochs-bin not installed"
	[ -f /usr/share/OVMF/OVMF_CODE.fd ] || why="${why:+$why, }no 2 MiB OVMF (ovmf)"
	[ -f /usr/share/vgabios/vgabios.bin ] || why="${why:+$why, }no vgabios"
	ls /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so* >/dev/null 2>&1 ||
		why="${why:+$why, }no Bochs term display (bochs-term)"
	command -v mformat >/dev/null || why="${why:+$why, }no mtools"
	if [ -n "$why" ] && [ "${PAGODA_REQUIRE_BOCHS:-0}" = 1 ]; then
		# make test installed these: their absence is a failure, not a skip
		echo "Bail out! $why (scripts/install-deps.sh --bochs did not provide it)"
		exit 1
	fi
	if [ -n "$why" ]; then
		echo "1..0 # SKIP $why (scripts/install-deps.sh --bochs)"
		exit 0
	fi
	if [ ! -f "$TOP/build/pagoda.efi" ] || [ ! -f "$TOP/build/guest/testguest.bin" ]; then
		echo "Bail out! build/pagoda.efi or the test guest is missing (run make)"
		exit 1
	fi
}

vmx_guest_image() {
	nasm -f bin -o "$WORK/$(basename "${1%.asm}").bin" "$TOP/tests/vmx/$1" ||
		{ echo "Bail out! cannot assemble tests/vmx/$1"; exit 1; }
}

vmx_boot() {
	local model=$1 timeout=$2 startup=$3
	shift 3
	boot_startup run-bochs.sh serial "$timeout" --cpu "$model" "$@" <<<"$startup"
}
