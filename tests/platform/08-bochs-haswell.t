#!/usr/bin/env bash
# Platform matrix: the VMX path on a third Intel model - Bochs with
# corei7_haswell_4770 (EPT with 2 MiB and 1 GiB pages and A/D flags,
# unrestricted guest, VPID, no PML), 2 MiB OVMF, 256 MiB.  Skylake and
# Sandy Bridge run in tests/vmx; this row is the same short boot as the
# rest of the matrix on a generation between them.
source "$(dirname "$0")/lib.sh"
vmx_require
plan $((PLATFORM_CHECKS + 1))
platform_boot run-bochs.sh bochs-haswell 300 2 --cpu corei7_haswell_4770
platform_checks vmx
expect_seq "VMX probed with EPT 2M/1G/A-D, unrestricted guest, VPID" \
	'vmx: VMX revision 0x[0-9a-f]+, VMCS [0-9]+ bytes, true controls; EPT \(4-level, WB, 2M, 1G, A/D\), unrestricted guest, VPID'
tap_end
