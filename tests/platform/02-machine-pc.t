#!/usr/bin/env bash
# Platform matrix: QEMU -machine pc (i440fx + PIIX4: another chipset, the
# ACPI PM block at 0xb004 rather than q35's ICH9 at 0x604, IDE rather than
# AHCI for the ESP), everything else as the baseline row.
source "$(dirname "$0")/lib.sh"
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh machine-pc 120 2 --machine pc
platform_checks svm
tap_end
