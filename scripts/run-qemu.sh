#!/usr/bin/env bash
# Boot pagoda in QEMU with OVMF.
#
#   scripts/run-qemu.sh [options] [-- extra QEMU arguments]
#
#   --accel auto|tcg|kvm  auto (default): KVM with nested virtualization when
#                         /dev/kvm can run a guest, else TCG with -cpu max
#   --mem SIZE            machine memory (QEMU syntax, default 1G)
#   --startup FILE        console commands to run at boot (\pagoda\startup.txt)
#   --file FILE           also put FILE into \pagoda\ on the ESP (repeatable)
#   --timeout SECONDS     end QEMU after this long (default 120; 0 = never)
#   --log FILE            also write the serial log to FILE
#   --serial-socket PATH  serial console on a UNIX socket (for scripts/pagoda-ctl)
#   --interactive         serial console on this terminal (Ctrl-A X quits)
#   --efi FILE            the image to boot (default build/pagoda.efi)
#
# The serial log goes to stdout.  Exit status: 0 when the VMM powered off
# cleanly ("powering off" in the log and QEMU exited by itself), 124 on a
# timeout, 2 when QEMU ended otherwise (a reset or triple fault of the VMM,
# which -no-reboot turns into an exit), else QEMU's own status.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
accel=auto mem=1G startup="" timeout=120 log="" interactive=0 sock=""
efi="$here/build/pagoda.efi"
files=()
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--accel) accel=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--startup) startup=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--serial-socket) sock=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--efi) efi=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-qemu: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
done

code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$efi" "$code" "$vars"; do
	[ -f "$f" ] || { echo "run-qemu: missing $f (run make, or scripts/install-deps.sh)" >&2; exit 66; }
done

# Can /dev/kvm run a guest, with nested virtualization?  (On some hosts
# /dev/kvm exists but cannot run an ordinary guest.)
kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local nested
	nested=$(cat /sys/module/kvm_amd/parameters/nested /sys/module/kvm_intel/parameters/nested 2>/dev/null | head -1)
	case "$nested" in 1|Y|y) ;; *) return 1 ;; esac
	echo quit | timeout 20 qemu-system-x86_64 -accel kvm -cpu host -machine q35 -m 64 \
		-display none -nodefaults -S -monitor stdio >/dev/null 2>&1
}

case "$accel" in
auto) if kvm_usable; then accel=kvm; else accel=tcg; fi ;;
kvm|tcg) ;;
*) echo "run-qemu: --accel must be auto, tcg or kvm" >&2; exit 64 ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel tcg -cpu max)
fi

work=$(mktemp -d /tmp/pagoda-qemu.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/esp/EFI/BOOT" "$work/esp/pagoda"
cp "$efi" "$work/esp/EFI/BOOT/BOOTX64.EFI"
[ -f "$here/build/guest/testguest.bin" ] && cp "$here/build/guest/testguest.bin" "$work/esp/pagoda/"
[ -n "$startup" ] && cp "$startup" "$work/esp/pagoda/startup.txt"
for f in ${files[@]+"${files[@]}"}; do cp "$f" "$work/esp/pagoda/"; done
cp "$vars" "$work/vars.fd"
serial_log="$work/serial.log"
[ -n "$log" ] && serial_log=$log

qemu=(qemu-system-x86_64 -machine q35 "${accel_args[@]}" -m "$mem" -smp 1
	-display none -no-reboot -net none -monitor none
	-drive if=pflash,format=raw,readonly=on,file="$code"
	-drive if=pflash,format=raw,file="$work/vars.fd"
	-drive format=raw,file=fat:rw:"$work/esp")

echo "run-qemu: accel=$accel mem=$mem timeout=${timeout}s" >&2
if [ "$interactive" = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio ${extra[@]+"${extra[@]}"}
fi
if [ -n "$sock" ]; then
	serial=(-chardev socket,id=ser0,path="$sock",server=on,wait=off,logfile="$serial_log"
		-serial chardev:ser0)
else
	serial=(-chardev stdio,id=ser0,signal=off,logfile="$serial_log" -serial chardev:ser0)
fi
: > "$serial_log"
if [ "$timeout" != 0 ]; then
	timeout -k 5 "$timeout" "${qemu[@]}" "${serial[@]}" ${extra[@]+"${extra[@]}"} </dev/null
else
	"${qemu[@]}" "${serial[@]}" ${extra[@]+"${extra[@]}"} </dev/null
fi
rc=$?
if [ $rc -eq 124 ]; then
	echo "run-qemu: TIMEOUT after ${timeout}s" >&2
	exit 124
fi
if [ $rc -eq 0 ]; then
	if grep -q "vmm: powering off" "$serial_log"; then
		exit 0
	fi
	echo "run-qemu: QEMU ended without a clean poweroff (reset or triple fault of the VMM?)" >&2
	exit 2
fi
echo "run-qemu: QEMU exited with status $rc" >&2
exit $rc
