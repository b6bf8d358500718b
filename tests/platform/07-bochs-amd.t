#!/usr/bin/env bash
# Platform matrix: the SVM path under a second emulator - Bochs with an AMD
# CPU model (zambezi, Bulldozer: SVM with nested paging), its i440fx
# machine, 2 MiB OVMF and 256 MiB.  QEMU's TCG is what every other SVM test
# runs on; this row is the second opinion on the VMCB, NPT and world switch.
source "$(dirname "$0")/lib.sh"
vmx_require
plan $((PLATFORM_CHECKS + 1))
platform_boot run-bochs.sh bochs-amd 300 2 --cpu zambezi
platform_checks svm
expect_seq "Bochs' AMD model reports SVM with nested paging" \
	'svm: SVM revision [0-9]+, [0-9]+ ASIDs, features 0x[0-9a-f]+ \(NPT'
tap_end
