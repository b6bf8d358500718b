#!/usr/bin/env bash
# Platform matrix: QEMU with 4 CPUs.  pagoda starts the application
# processors (tests/qemu/22-smp-host.t checks how); under TCG the APs run
# the guests and the boot CPU keeps the console: this row proves it boots
# and runs its guests that way.
source "$(dirname "$0")/lib.sh"
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh smp-4 150 2 --smp 4
platform_checks svm
tap_end
