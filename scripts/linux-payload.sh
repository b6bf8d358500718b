#!/usr/bin/env bash
# The Linux test payload, from Debian packages (no kernel is compiled):
#   build/linux/vmlinuz            Debian's stock bzImage (linux-image-amd64)
#   build/linux/vmlinux            its uncompressed ELF payload (for PVH)
#   build/linux/initramfs.cpio.gz  static busybox and an /init that prints
#                                  what the guest sees (CPUs, memory,
#                                  interrupts, clocksource, a timed
#                                  sleep 3), then the marker line
#                                  "PAGODA-LINUX-OK cpus=N" and powers off
#                                  (or, with pagoda.shell on the kernel
#                                  command line, gives a shell on ttyS0)
# Usage: scripts/linux-payload.sh [OUTDIR]   (default build/linux)
# Idempotent: what is already built is kept (delete OUTDIR to start over).
# Tools it needs (cpio, xz-utils, zstd, lz4, gzip, binutils) are installed
# by name with apt-get when missing (as root, or with sudo).
set -euo pipefail

out=${1:-build/linux}
mkdir -p "$out"
out=$(cd "$out" && pwd)
die() { echo "linux-payload: $*" >&2; exit 1; }
say() { echo "linux-payload: $*" >&2; }

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
apt_updated=0
apt_update_once() {
	[ $apt_updated -eq 1 ] && return 0
	$sudo apt-get update -qq || die "apt-get update failed"
	apt_updated=1
}

# Tools, installed by package name when missing.
pkgs=()
need() { # need PACKAGE COMMAND
	command -v "$2" >/dev/null 2>&1 || pkgs+=("$1")
}
need cpio cpio
need xz-utils xz
need zstd zstd
need lz4 lz4
need gzip gzip
need binutils readelf
need dpkg dpkg-deb
if [ ${#pkgs[@]} -gt 0 ]; then
	say "installing ${pkgs[*]}"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${pkgs[@]}" >&2 || die "cannot install ${pkgs[*]}"
fi

# Download PACKAGE's .deb into $out/debs unless one is there; prints its path.
# apt-get download needs no root; the package lists may (apt-get update).
fetch_deb() {
	local pkg=$1 deb
	mkdir -p "$out/debs"
	deb=$(ls "$out/debs/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		if ! (cd "$out/debs" && apt-get download -qq "$pkg" >&2); then
			apt_update_once
			(cd "$out/debs" && apt-get download -qq "$pkg" >&2) ||
				die "cannot download $pkg (apt-get download)"
		fi
		deb=$(ls "$out/debs/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
	fi
	echo "$deb"
}

# --- the kernel -------------------------------------------------------------
# linux-image-amd64 is a metapackage: its Depends names the versioned package.
if [ ! -s "$out/vmlinuz" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$kpkg" ]; then
		apt_update_once
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 to a versioned kernel package"
	say "kernel package $kpkg"
	deb=$(fetch_deb "$kpkg")
	rm -rf "$out/kernel"
	dpkg-deb -x "$deb" "$out/kernel" || die "dpkg-deb -x $deb failed"
	img=$(ls "$out"/kernel/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
	[ -n "$img" ] || die "no /boot/vmlinuz-* in $deb"
	cp "$img" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
fi

# --- its uncompressed ELF ---------------------------------------------------
# The bzImage's protected-mode part starts after (setup_sects + 1) * 512
# bytes (setup_sects: byte 0x1f1, 0 meaning 4); the setup header's
# payload_offset (0x248, relative to that start) and payload_length (0x24c)
# locate the compressed vmlinux (boot protocol 2.08+).  The kernel config in
# the package says which compressor made it.
u8()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
if [ ! -s "$out/vmlinux" ]; then
	z="$out/vmlinuz"
	[ "$(dd if="$z" bs=1 skip=514 count=4 2>/dev/null)" = "HdrS" ] ||
		die "$z: no HdrS signature at 0x202: not a bzImage"
	ss=$(u8 "$z" $((0x1f1)))
	[ "$ss" -eq 0 ] && ss=4
	pm=$(( (ss + 1) * 512 ))
	poff=$(u32 "$z" $((0x248)))
	plen=$(u32 "$z" $((0x24c)))
	cfg=$(ls "$out"/kernel/boot/config-* 2>/dev/null | head -n1 || true)
	comp=""
	if [ -n "$cfg" ]; then
		comp=$(sed -n 's/^CONFIG_KERNEL_\(GZIP\|XZ\|ZSTD\|LZ4\|LZMA\|BZIP2\|LZO\)=y$/\1/p' "$cfg")
	fi
	if [ -z "$comp" ]; then # no config: the payload's magic
		magic=$(od -An -tx1 -j $((pm + poff)) -N6 "$z" | tr -d ' ')
		case $magic in
		1f8b*) comp=GZIP ;;
		fd377a585a00) comp=XZ ;;
		28b52ffd*) comp=ZSTD ;;
		02214c18*) comp=LZ4 ;;
		*) die "$z: unknown payload magic $magic" ;;
		esac
	fi
	case $comp in
	GZIP) dec=(gzip -dc) ;;
	XZ) dec=(xz -dc --single-stream) ;;
	ZSTD) dec=(zstd -dcq) ;;
	LZ4) dec=(lz4 -dcq) ;;
	*) die "kernel compressed with $comp: no decompressor wired here" ;;
	esac
	say "payload: $comp, $plen bytes at offset $((pm + poff))"
	# The payload ends with the 4-byte uncompressed size: decompressors
	# may call it trailing garbage; the ELF magic below is the real check.
	tail -c +$((pm + poff + 1)) "$z" | head -c "$plen" | "${dec[@]}" >"$out/vmlinux.tmp" 2>/dev/null || true
	[ "$(head -c4 "$out/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = "7f454c46" ] ||
		die "decompressing the $comp payload gave no ELF file"
	mv "$out/vmlinux.tmp" "$out/vmlinux"
fi
# PVH: an ELF note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY), name "Xen".
if readelf -n "$out/vmlinux" 2>/dev/null | grep -Eq 'Xen[[:space:]]+0x[0-9a-f]+[[:space:]]+(Unknown note type: \(0x00000012\)|.*PHYS32_ENTRY)'; then
	say "vmlinux has the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"
else
	say "vmlinux has NO PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"
fi

# --- busybox and the initramfs ----------------------------------------------
# The /init of the initramfs.  A payload built with another /init (an
# older version of this script) is rebuilt: the tests look for its lines.
init_script() {
	cat <<'EOF'
#!/bin/sh
# pagoda's Linux test payload (scripts/linux-payload.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
ncpu=$(nproc)
ncpuinfo=$(grep -c '^processor' /proc/cpuinfo)
mem=$(sed -n 's/^MemTotal: *//p' /proc/meminfo)
echo "pagoda-linux: cpus=$ncpu (cpuinfo $ncpuinfo) mem=$mem uptime=$(cut -d' ' -f1 /proc/uptime)s"
echo "pagoda-linux: kernel $(uname -r)"
head -n 12 /proc/interrupts
ls /
cs=/sys/devices/system/clocksource/clocksource0
echo "pagoda-linux: clocksource $(cat $cs/current_clocksource) (available: $(cat $cs/available_clocksource))"
# A timed sleep: the test compares the guest's uptime across it with the
# VMM's clock (the lines' timestamps in the VMM log).
echo "pagoda-linux: sleep 3 from uptime=$(cut -d' ' -f1 /proc/uptime)s"
sleep 3
echo "pagoda-linux: slept until uptime=$(cut -d' ' -f1 /proc/uptime)s"
echo "PAGODA-LINUX-OK cpus=$ncpu"
if grep -qw pagoda.shell /proc/cmdline; then
	exec setsid cttyhack sh
fi
poweroff -f
EOF
}
if [ -s "$out/initramfs.cpio.gz" ] && ! init_script | cmp -s - "$out/root/init"; then
	say "the initramfs's /init is not this script's: rebuilding it"
	rm -f "$out/initramfs.cpio.gz"
fi
if [ ! -s "$out/initramfs.cpio.gz" ]; then
	deb=$(fetch_deb busybox-static)
	rm -rf "$out/busybox" "$out/root"
	dpkg-deb -x "$deb" "$out/busybox" || die "dpkg-deb -x $deb failed"
	bb="$out/busybox/bin/busybox"
	[ -x "$bb" ] || die "no bin/busybox in $deb"
	r="$out/root"
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
	cp "$bb" "$r/bin/busybox"
	# One link per applet, where busybox says it belongs.
	"$bb" --list-full | while read -r a; do
		[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
	done
	init_script >"$r/init"
	chmod 755 "$r/init"
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) \
		>"$out/initramfs.tmp" || die "cpio/gzip of the initramfs failed"
	mv "$out/initramfs.tmp" "$out/initramfs.cpio.gz"
fi
say "ready: $out/vmlinuz $out/vmlinux $out/initramfs.cpio.gz"
