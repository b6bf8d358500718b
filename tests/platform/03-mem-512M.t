#!/usr/bin/env bash
# Platform matrix: QEMU with 512 MiB, a small machine (the firmware takes a
# larger share; the guests still fit), everything else as the baseline row.
source "$(dirname "$0")/lib.sh"
plan $((PLATFORM_CHECKS + 1))
platform_boot run-qemu.sh mem-512M 120 2 --mem 512M
platform_checks svm
mib=$(field 'pmm: reclaimed [0-9]+ MiB of boot-services memory; ([0-9]+) MiB free in all' 1)
ok_if "the VMM has between 256 and 512 MiB free after boot ($mib MiB)" test -n "$mib" -a "${mib:-0}" -gt 256 -a "${mib:-0}" -lt 512
tap_end
