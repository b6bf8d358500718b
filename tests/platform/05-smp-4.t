#!/usr/bin/env bash
# Platform matrix: QEMU with 4 CPUs.  pagoda runs on the boot CPU only (the
# application processors stay where the firmware parked them); this row
# proves it boots and runs its guests with APs present.
source "$(dirname "$0")/lib.sh"
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh smp-4 150 2 --smp 4
platform_checks svm
tap_end
