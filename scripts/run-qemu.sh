#!/usr/bin/env bash
# Boot pagoda in QEMU with OVMF.
#
#   scripts/run-qemu.sh [options] [-- extra QEMU arguments]
#
#   --accel auto|tcg|kvm  auto (default): KVM with nested virtualization when
#                         /dev/kvm can run a guest, else TCG with -cpu max
#   --mem SIZE            machine memory (QEMU syntax, default 1G)
#   --machine TYPE        QEMU machine type (default q35; pc = i440fx + PIIX4)
#   --smp N[,maxcpus=M]   CPUs (default $PAGODA_QEMU_SMP, else 1): pagoda starts
#                         every CPU of the MADT (under TCG guests run on the
#                         APs, docs/design.md "Host CPUs"); with maxcpus=M the MADT also lists M-N
#                         CPUs that are not there.  Above 1 CPU TCG runs one
#                         host thread per CPU (-accel tcg,thread=multi)
#   --ovmf CODE,VARS      firmware: the OVMF code and variable-store templates
#                         (default /usr/share/OVMF/OVMF_CODE_4M.fd,OVMF_VARS_4M.fd;
#                         the 2 MiB build is OVMF_CODE.fd,OVMF_VARS.fd); the
#                         variable store is a fresh copy for each run
#   --startup FILE        console commands to run at boot (\pagoda\startup.txt)
#   --file FILE           also put FILE into \pagoda\ on the ESP (repeatable)
#   --esp-file SRC:DEST   also put the file SRC at the ESP path DEST, e.g.
#                         build/pagoda.efi:/EFI/pagoda/pagoda.efi (repeatable;
#                         directories are made; with --efi, for a boot step
#                         that starts pagoda: tests/platform/09-x2apic.t)
#   --image FILE          boot this disk image (make image: build/pagoda.img)
#                         instead of an ESP generated from build/: the file is
#                         never written (QEMU snapshot=on); --startup, --file,
#                         --esp-file and --efi cannot add to it and are refused;
#                         change its startup file with mtools (see
#                         tests/qemu/12-image.t)
#   --timeout SECONDS     end QEMU after this long (default 120; 0 = never)
#   --log FILE            also write the serial log to FILE
#   --serial-socket PATH  serial console on a UNIX socket (for scripts/pagoda-ctl)
#   --interactive         serial console on this terminal (Ctrl-A X quits)
#   --efi FILE            the image to boot (default build/pagoda.efi)
#   --vga                 give the machine QEMU's standard VGA: the firmware's
#                         GOP framebuffer, on which pagoda mirrors its console
#                         (default: no display device, since nobody looks at
#                         it here and drawing every log line costs time)
#   --poweroff-log FILE   the log that must show "vmm: powering off" for exit
#                         status 0 (default: the COM1 log; for a console that
#                         pagoda's \pagoda\config moved to another UART)
#
# The serial log goes to stdout.  Exit status: 0 when the VMM powered off
# cleanly ("powering off" in the log and QEMU exited by itself), 124 on a
# timeout, 2 when QEMU ended otherwise (a reset or triple fault of the VMM,
# which -no-reboot turns into an exit), else QEMU's own status.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
accel=auto mem=1G startup="" timeout=120 log="" interactive=0 sock=""
machine=q35 smp=${PAGODA_QEMU_SMP:-1} image="" efi_given=0 vga="-vga none" poweroff_log=""
efi="$here/build/pagoda.efi"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
files=()
esp_files=()
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--accel) accel=$2; shift 2 ;;
	--vga) vga="-vga std"; shift ;;
	--poweroff-log) poweroff_log=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--ovmf)
		case "$2" in
		?*,?*) code=${2%%,*} vars=${2#*,} ;;
		*) echo "run-qemu: --ovmf takes CODE,VARS (two files)" >&2; exit 64 ;;
		esac
		shift 2 ;;
	--image) image=$2; shift 2 ;;
	--startup) startup=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--esp-file)
		case "$2" in
		?*:/?*) esp_files+=("$2") ;;
		*) echo "run-qemu: --esp-file takes SRC:/DEST (an ESP path from its root)" >&2; exit 64 ;;
		esac
		shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--serial-socket) sock=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--efi) efi=$2; efi_given=1; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-qemu: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
done

if [ -n "$image" ]; then
	if [ -n "$startup" ] || [ ${#files[@]} -gt 0 ] || [ ${#esp_files[@]} -gt 0 ] || [ "$efi_given" = 1 ]; then
		echo "run-qemu: --image boots the image as it is: --startup, --file, --esp-file and --efi cannot add to it" \
			"(replace \\pagoda\\startup.txt in a copy with mcopy, as tests/qemu/12-image.t does)" >&2
		exit 64
	fi
	efi=$image # checked below like the others
fi
case "$smp" in
''|*[!0-9]*,*|0|0,*) echo "run-qemu: --smp takes a CPU count, optionally with ,maxcpus=M" >&2; exit 64 ;;
*,maxcpus=*[!0-9]*|*,maxcpus=) echo "run-qemu: --smp takes N or N,maxcpus=M" >&2; exit 64 ;;
*,maxcpus=*) ;;
*,*|*[!0-9]*) echo "run-qemu: --smp takes N or N,maxcpus=M" >&2; exit 64 ;;
esac
for f in "$efi" "$code" "$vars" ${esp_files[@]+"${esp_files[@]%%:*}"}; do
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
	[ "${smp%%,*}" != 1 ] && accel_args=(-accel tcg,thread=multi -cpu max)
fi

work=$(mktemp -d /tmp/pagoda-qemu.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -n "$image" ]; then
	disk=(-drive format=raw,snapshot=on,file="$image")
else
	mkdir -p "$work/esp/EFI/BOOT" "$work/esp/pagoda"
	cp "$efi" "$work/esp/EFI/BOOT/BOOTX64.EFI"
	[ -f "$here/build/guest/testguest.bin" ] && cp "$here/build/guest/testguest.bin" "$work/esp/pagoda/"
	[ -n "$startup" ] && cp "$startup" "$work/esp/pagoda/startup.txt"
	for f in ${files[@]+"${files[@]}"}; do cp "$f" "$work/esp/pagoda/"; done
	for f in ${esp_files[@]+"${esp_files[@]}"}; do
		mkdir -p "$(dirname "$work/esp/${f#*:}")" && cp "${f%%:*}" "$work/esp/${f#*:}" || exit 1
	done
	disk=(-drive format=raw,file=fat:rw:"$work/esp")
fi
cp "$vars" "$work/vars.fd"
serial_log="$work/serial.log"
[ -n "$log" ] && serial_log=$log

qemu=(qemu-system-x86_64 -machine "$machine" "${accel_args[@]}" -m "$mem" -smp "$smp"
	-display none $vga -no-reboot -net none -monitor none
	-drive if=pflash,format=raw,readonly=on,file="$code"
	-drive if=pflash,format=raw,file="$work/vars.fd"
	"${disk[@]}")

echo "run-qemu: accel=$accel machine=$machine mem=$mem smp=$smp firmware=$(basename "$code")" \
	"${image:+image=$image }timeout=${timeout}s" >&2
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
	if grep -q "vmm: powering off" "${poweroff_log:-$serial_log}"; then
		exit 0
	fi
	echo "run-qemu: QEMU ended without a clean poweroff (reset or triple fault of the VMM?)" >&2
	exit 2
fi
echo "run-qemu: QEMU exited with status $rc" >&2
exit $rc
