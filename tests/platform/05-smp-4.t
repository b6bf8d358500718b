#!/usr/bin/env bash
# Platform matrix: QEMU with 4 CPUs.  pagoda starts the application
# processors (tests/qemu/22-smp-host.t checks how); guests run on the boot
# CPU until `set smp=on`: this row proves it boots and runs its guests with
# the APs online.
source "$(dirname "$0")/lib.sh"
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh smp-4 150 2 --smp 4
platform_checks svm
tap_end
