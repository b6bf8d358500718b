#!/usr/bin/env bash
# Two 1-vCPU Linux guests (Debian's bzImage) boot at the same time on
# -smp 4, four rounds of create/start/wait/destroy.  Every boot must reach
# the initramfs marker and power off, no guest may crash (a triple fault, a
# kernel panic, or a VMCB that came back holding the VMM's own state), and
# every page must come back.  This is the case that found QEMU's IGNNE race
# (docs/design.md, "Host CPUs"): with a guest on the boot CPU about one boot
# in three failed; with the boot CPU kept out of guest mode under TCG, none
# may.
source "$(dirname "$0")/../linux/lib.sh"
linux_payload_or_skip
plan 4

rounds=4
startup() {
	echo "mem"
	for i in $(seq 1 $rounds); do
		for g in a b; do
			echo "create $g$i mem=192M image=vmlinuz initrd=initramfs.cpio.gz cmdline=\"console=ttyS0\""
		done
		echo "start a$i"
		echo "start b$i"
		echo "wait a$i timeout=$(scaled 300)"
		echo "wait b$i timeout=$(scaled 300)"
		echo "destroy a$i"
		echo "destroy b$i"
	done
	echo "mem"
	echo "poweroff"
}
boot linuxpair $((rounds * 600)) --smp 4 --mem 1536M --file "$LINUX_DIR/vmlinuz" \
	--file "$LINUX_DIR/initramfs.cpio.gz" < <(startup)
expect_clean_poweroff "the VMM powered off cleanly"
n=$(grep -cE 'guest [ab][0-9]+: PAGODA-LINUX-OK' "$LOG")
ok_if "all $((rounds * 2)) boots reach the initramfs marker (got $n)" test "$n" -eq $((rounds * 2))
expect_no_line "no guest crashed, no VMCB came back holding the VMM's state" \
	'crashed|triple fault|Kernel panic|holding the VMM'
expect_pages_back
tap_end
