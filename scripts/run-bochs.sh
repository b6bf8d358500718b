#!/usr/bin/env bash
# Boot pagoda in Bochs with OVMF: the one place here where the Intel VMX
# backend (EPT, unrestricted guest, VPID) runs, since QEMU's TCG has no VMX.
#
#   scripts/run-bochs.sh [options]
#
#   --cpu MODEL           Bochs CPU model (default corei7_skylake_x; see
#                         /work/shared/notes/emulators.md for which have EPT)
#   --cpus N              processors (default 1; Bochs' cpu: count=N): pagoda
#                         starts the others and leaves them idle
#   --mem SIZE            machine memory: N, NM or NG (default 256M; 64M..2G)
#   --startup FILE        console commands to run at boot (\pagoda\startup.txt)
#   --file FILE           also put FILE into \pagoda\ on the ESP (repeatable)
#   --esp-file SRC:DEST   also put the file SRC at the ESP path DEST, e.g.
#                         build/pagoda.efi:/EFI/pagoda/pagoda.efi (repeatable;
#                         directories are made; with --efi, for a boot step
#                         that starts pagoda: tests/platform/09-x2apic.t)
#   --timeout SECONDS     end Bochs after this long (default 180; 0 = never)
#   --log FILE            also write the serial log to FILE
#   --efi FILE            the image to boot (default build/pagoda.efi)
#   --ips N               emulated instructions per second (default 4000000)
#   --keep DIR            keep the disk image, bochsrc and Bochs log in DIR
#
# The serial log (COM1) goes to stdout once Bochs has ended; Bochs' own
# screen output (the "term" display) and its log go to a temporary file,
# shown on stderr only when the run failed.  Exit status: 0 when the VMM
# powered off cleanly ("vmm: powering off" in the log; Bochs ends a soft
# power-off with status 1, which counts as clean), 124 on a timeout, 2 when
# Bochs ended without that line (VMM reset, panic, triple fault), 66 when a
# file is missing.
#
# The ESP is an MBR disk image with one FAT32 partition of type 0xEF, built
# with mtools only (no root, no loop devices).  OVMF must be a 2 MiB build
# (/usr/share/OVMF/OVMF_CODE.fd): Bochs refuses 4 MiB ROM images.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cpu=corei7_skylake_x cpus=1 mem=256M startup="" timeout=180 log="" keep="" ips=4000000
efi="$here/build/pagoda.efi"
files=()
esp_files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu) cpu=$2; shift 2 ;;
	--cpus)
		case "$2" in
		''|*[!0-9]*|0) echo "run-bochs: --cpus takes a CPU count" >&2; exit 64 ;;
		esac
		cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--startup) startup=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--esp-file)
		case "$2" in
		?*:/?*) esp_files+=("$2") ;;
		*) echo "run-bochs: --esp-file takes SRC:/DEST (an ESP path from its root)" >&2; exit 64 ;;
		esac
		shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--efi) efi=$2; shift 2 ;;
	--ips) ips=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-bochs: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
done

case "$mem" in
*[gG]) megs=$(( ${mem%[gG]} * 1024 )) ;;
*[mM]) megs=${mem%[mM]} ;;
*[0-9]) megs=$mem ;;
*) echo "run-bochs: --mem must be N, NM or NG" >&2; exit 64 ;;
esac

ovmf=/usr/share/OVMF/OVMF_CODE.fd
vgabios=/usr/share/vgabios/vgabios.bin
for f in "$efi" "$ovmf" "$vgabios" "$here/build/guest/testguest.bin" ${esp_files[@]+"${esp_files[@]%%:*}"}; do
	[ -f "$f" ] || { echo "run-bochs: missing $f (run make, or scripts/install-deps.sh --bochs)" >&2; exit 66; }
done
for c in bochs-bin mformat mmd mcopy python3; do
	command -v "$c" >/dev/null || { echo "run-bochs: missing $c (scripts/install-deps.sh --bochs)" >&2; exit 66; }
done

if [ -n "$keep" ]; then
	work=$keep
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/pagoda-bochs.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi

# --- the disk: MBR, one FAT32 partition (type 0xEF) from sector 2048 ----------
cyl=100 heads=16 spt=63
total=$((cyl * heads * spt))
start=2048
disk="$work/disk.img"
rm -f "$disk" "$disk.lock"
truncate -s $((total * 512)) "$disk"
python3 - "$disk" "$start" "$((total - start))" <<'EOF'
import struct, sys
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    # One partition entry: not bootable, CHS fields saturated (LBA is what
    # UEFI reads), type 0xEF (EFI system partition), start LBA, sector count.
    f.seek(446)
    f.write(bytes([0x00, 0xFE, 0xFF, 0xFF, 0xEF, 0xFE, 0xFF, 0xFF]) + struct.pack("<II", start, count))
    f.seek(510)
    f.write(b"\x55\xaa")
EOF
part="$disk@@$((start * 512))"
mformat -i "$part" -F -T $((total - start)) -h $heads -s $spt -H $start -v PAGODA :: >/dev/null || exit 1
mmd -i "$part" ::/EFI ::/EFI/BOOT ::/pagoda || exit 1
mcopy -i "$part" "$efi" ::/EFI/BOOT/BOOTX64.EFI || exit 1
mcopy -i "$part" "$here/build/guest/testguest.bin" ::/pagoda/testguest.bin || exit 1
[ -n "$startup" ] && { mcopy -i "$part" "$startup" ::/pagoda/startup.txt || exit 1; }
for f in ${files[@]+"${files[@]}"}; do mcopy -i "$part" "$f" "::/pagoda/$(basename "$f")" || exit 1; done
for f in ${esp_files[@]+"${esp_files[@]}"}; do
	dest=${f#*:} dir=""
	IFS=/ read -r -a comps <<<"${dest%/*}"
	for c in "${comps[@]}"; do
		[ -n "$c" ] || continue
		dir="$dir/$c"
		mdir -i "$part" "::$dir" >/dev/null 2>&1 || mmd -i "$part" "::$dir" || exit 1
	done
	mcopy -i "$part" "${f%%:*}" "::$dest" || exit 1
done

# --- bochsrc: the configuration emulators.md measured as working ---------------
com1="$work/com1.txt"
cat > "$work/bochsrc" <<EOF
megs: $megs
cpu: model=$cpu, count=$cpus, ips=$ips, reset_on_triple_fault=0
romimage: file=$ovmf
vgaromimage: file=$vgabios
pci: enabled=1, chipset=i440fx
ata0-master: type=disk, path=$disk, mode=flat, cylinders=$cyl, heads=$heads, spt=$spt
boot: disk
display_library: term
com1: enabled=1, mode=file, dev=$com1
port_e9_hack: enabled=1
magic_break: enabled=1
panic: action=fatal
log: $work/bochs.log
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOF
# The debugger build of Bochs reads commands: continue, then quit when the
# simulation stops.
printf 'c\nquit\n' > "$work/cmds"
: > "$com1"

echo "run-bochs: cpu=$cpu mem=${megs}M timeout=${timeout}s" >&2
bochs=(bochs-bin -unlock -q -f "$work/bochsrc" -rc "$work/cmds")
if [ "$timeout" != 0 ]; then
	( cd "$work" && timeout -k 5 "$timeout" "${bochs[@]}" </dev/null >"$work/screen.txt" 2>&1 )
else
	( cd "$work" && "${bochs[@]}" </dev/null >"$work/screen.txt" 2>&1 )
fi
rc=$?
# The term display leaves the terminal in odd modes only on a tty; stdout is a
# file here.  The serial log is what callers want.
cat "$com1"
[ -n "$log" ] && cp "$com1" "$log"

if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "run-bochs: TIMEOUT after ${timeout}s" >&2
	exit 124
fi
if grep -q "vmm: powering off" "$com1" && { [ $rc -eq 0 ] || [ $rc -eq 1 ]; }; then
	exit 0
fi
echo "run-bochs: Bochs ended (status $rc) without a clean poweroff; its log:" >&2
tail -n 30 "$work/bochs.log" >&2 2>/dev/null
exit 2
