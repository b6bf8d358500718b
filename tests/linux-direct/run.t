#!/usr/bin/env bash
# tests/linux-direct/run.t -- pagoda's Linux load plans, carried out under
# plain QEMU (no hypervisor): for the bzImage (vmm/loader/bzimage.c) and the
# PVH vmlinux (vmm/loader/pvh.c) of scripts/linux-payload.sh, mkboot.c writes
# the plan (kernel, zero page or start info, memory map, initrd, ACPI tables
# from vmm/acpi_tables.c, the BSP's entry state) into a boot file, and
# boot.asm, started by QEMU's Multiboot loader, copies it into place and
# enters the kernel exactly as the plan says.  Each boot must print the
# initramfs marker "PAGODA-LINUX-OK cpus=2" and power off through the FADT's
# PM1a_CNT (QEMU's q35 has its ACPI PM block at the same port, 0x600).
# Output is TAP; skipped when build/linux is missing.
#
# Environment: QEMU (default qemu-system-x86_64), LINUX_DIRECT_TIMEOUT
# (seconds per boot, default 300: TCG decompresses the bzImage slowly).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${LINUX_DIRECT_TIMEOUT:-300}
L=$ROOT/build/linux
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -s "$L/vmlinuz" ] || [ ! -s "$L/vmlinux" ] || [ ! -s "$L/initramfs.cpio.gz" ]; then
	echo "1..0 # SKIP no build/linux payload (scripts/install-deps.sh --linux makes it)"
	exit 0
fi

n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

cd "$ROOT" || exit 1
if gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -fsanitize=address,undefined \
	-o "$WORK/mkboot" tests/linux-direct/mkboot.c vmm/loader/bzimage.c vmm/loader/pvh.c \
	vmm/loader/elf.c vmm/vcpu_state.c vmm/acpi_tables.c 2>"$WORK/cc.log" &&
	nasm -f bin -o "$WORK/boot.bin" tests/linux-direct/boot.asm 2>>"$WORK/cc.log"; then
	ok "mkboot and the trampoline build"
else
	not_ok "mkboot and the trampoline build"
	sed 's/^/#   /' "$WORK/cc.log"
	echo "1..$n"
	exit 1
fi

for kind in bzimage pvh; do
	img=$L/vmlinuz
	[ $kind = pvh ] && img=$L/vmlinux
	if ! "$WORK/mkboot" $kind "$img" "$L/initramfs.cpio.gz" 512 2 "console=ttyS0" \
		"$WORK/$kind.boot" >"$WORK/$kind.mk" 2>&1; then
		not_ok "$kind: planned"
		sed 's/^/#   /' "$WORK/$kind.mk"
		continue
	fi
	ok "$kind: planned ($(sed 's/^mkboot: //' "$WORK/$kind.mk"))"
	start=$(date +%s)
	timeout "$TIMEOUT" "$QEMU" -machine q35 -cpu max -m 512 -smp 2 -kernel "$WORK/boot.bin" \
		-initrd "$WORK/$kind.boot" -display none -serial stdio -monitor none -no-reboot \
		</dev/null >"$WORK/$kind.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if grep -aq "PAGODA-LINUX-OK cpus=2" "$WORK/$kind.log"; then
		ok "$kind: Linux reached the initramfs marker with 2 CPUs (${secs}s)"
	else
		not_ok "$kind: Linux reached the initramfs marker with 2 CPUs"
		tail -n 25 "$WORK/$kind.log" | sed 's/^/#   | /'
	fi
	if grep -aq "ACPI: RSDP 0x000000000009E040 .*PAGODA" "$WORK/$kind.log" &&
		grep -aq "ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 high edge)" "$WORK/$kind.log"; then
		ok "$kind: Linux used pagoda's ACPI tables (RSDP, MADT overrides)"
	else
		not_ok "$kind: Linux used pagoda's ACPI tables (RSDP, MADT overrides)"
	fi
	if grep -aq "BIOS-e820: \[mem 0x000000000009e000-0x000000000009efff\] ACPI data" "$WORK/$kind.log"; then
		ok "$kind: Linux took pagoda's memory map"
	else
		not_ok "$kind: Linux took pagoda's memory map"
	fi
	if [ $rc -eq 0 ] && grep -aq "reboot: Power down" "$WORK/$kind.log"; then
		ok "$kind: powered off through the FADT's PM1a_CNT and \\_S5"
	else
		not_ok "$kind: powered off through the FADT's PM1a_CNT and \\_S5 (QEMU status $rc)"
	fi
done

echo "1..$n"
[ $failed -eq 0 ]
