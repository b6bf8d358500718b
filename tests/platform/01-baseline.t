#!/usr/bin/env bash
# Platform matrix, baseline row: QEMU TCG (-cpu max: SVM with NPT), machine
# q35, 1 GiB, one CPU, the 4 MiB OVMF build (OVMF_CODE_4M.fd) - what every
# other test uses.  Every other row of tests/platform changes one of these.
source "$(dirname "$0")/lib.sh"
plan $((PLATFORM_CHECKS + 1))
platform_boot run-qemu.sh baseline 120 2 --machine q35 --mem 1G --smp 1
platform_checks svm
expect_seq "firmware memory map of a 1 GiB machine: all of it below 4 GiB" \
	'pmm: [0-9]+ MiB usable in [0-9]+ ranges \(highest address 0x100000000\)'
tap_end
