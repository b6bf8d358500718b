#!/usr/bin/env bash
# Build a bootable disk image for a USB stick, without root or loop devices:
# a GPT disk (sgdisk) with one FAT32 EFI system partition (mtools) holding
#   \EFI\BOOT\BOOTX64.EFI   pagoda
#   \pagoda\startup.txt     the startup file
#   \pagoda\...             the guest images (the test guest, the C test guests)
#
#   scripts/mkimage.sh [--size MIB] OUT EFI STARTUP [GUEST-FILE...]
#   scripts/mkimage.sh --offset IMAGE
#
#   --size MIB     the whole disk (default 64; FAT32 needs about 33 at least)
#   --offset IMAGE print the byte offset of partition 1 of IMAGE, for
#                  mtools' IMAGE@@OFFSET syntax, e.g. to replace the startup
#                  file of a copy:  mcopy -o -i "copy.img@@$(scripts/mkimage.sh
#                  --offset copy.img)" my.txt ::/pagoda/startup.txt
#
# `make image` runs it into build/pagoda.img; `dd` writes that to a stick.
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "mkimage: $*" >&2; exit 1; }
for c in sgdisk mformat mmd mcopy; do
	command -v "$c" >/dev/null || die "missing $c (scripts/install-deps.sh: gdisk, mtools)"
done

# The first sector of partition 1, from sgdisk's own reading of the table.
part_start() {
	sgdisk -i 1 "$1" 2>/dev/null | sed -n 's/^First sector: \([0-9]*\).*/\1/p'
}
part_last() {
	sgdisk -i 1 "$1" 2>/dev/null | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'
}

size=64
case "${1:-}" in
-h|--help) usage; exit 0 ;;
--offset)
	[ $# -eq 2 ] || die "--offset takes one image"
	s=$(part_start "$2")
	[ -n "$s" ] || die "$2: no partition 1 in a GPT"
	echo $((s * 512))
	exit 0 ;;
--size) size=$2; shift 2 ;;
esac
[ $# -ge 3 ] || { usage >&2; exit 64; }
out=$1 efi=$2 startup=$3
shift 3
for f in "$efi" "$startup" "$@"; do [ -f "$f" ] || die "missing $f"; done

tmp=$out.tmp
rm -f "$tmp"
truncate -s "${size}M" "$tmp" || die "cannot create $tmp"
# GPT, partition 1 from 1 MiB to the end, type EF00 (EFI system partition).
sgdisk --clear --new=1:2048:0 --typecode=1:ef00 --change-name=1:"EFI system partition" \
	"$tmp" >/dev/null || die "sgdisk failed"
first=$(part_start "$tmp") last=$(part_last "$tmp")
[ -n "$first" ] && [ -n "$last" ] || die "cannot read back partition 1"
part="$tmp@@$((first * 512))"
mformat -i "$part" -F -T $((last - first + 1)) -h 64 -s 32 -H "$first" -v PAGODA :: >/dev/null ||
	die "mformat failed"
mmd -i "$part" ::/EFI ::/EFI/BOOT ::/pagoda || die "mmd failed"
mcopy -i "$part" "$efi" ::/EFI/BOOT/BOOTX64.EFI || die "mcopy failed"
mcopy -i "$part" "$startup" ::/pagoda/startup.txt || die "mcopy failed"
for f in "$@"; do mcopy -i "$part" "$f" "::/pagoda/$(basename "$f")" || die "mcopy $f failed"; done
mv "$tmp" "$out"
echo "mkimage: $out: GPT, ESP (FAT32) at sector $first, $((last - first + 1)) sectors" >&2
