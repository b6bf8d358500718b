#!/usr/bin/env bash
# Platform matrix: QEMU -machine pc (i440fx + PIIX4: another chipset, with
# its ACPI PM block at 0xb004 rather than q35's ICH9 at 0x604, and the ESP
# on IDE rather than AHCI), everything else as the baseline row: boot, the
# guests and the power-off (firmware ResetSystem first) work there too.
source "$(dirname "$0")/lib.sh"
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh machine-pc 120 2 --machine pc
platform_checks svm
tap_end
