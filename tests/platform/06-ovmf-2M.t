#!/usr/bin/env bash
# Platform matrix: the 2 MiB OVMF build without Secure Boot
# (/usr/share/OVMF/OVMF_CODE.fd + OVMF_VARS.fd, the build Bochs uses)
# under QEMU, everything else as the baseline row (which uses the 4 MiB one).
source "$(dirname "$0")/lib.sh"
if [ ! -f /usr/share/OVMF/OVMF_CODE.fd ] || [ ! -f /usr/share/OVMF/OVMF_VARS.fd ]; then
	echo "1..0 # SKIP no 2 MiB OVMF build (package ovmf)"
	exit 0
fi
plan $PLATFORM_CHECKS
platform_boot run-qemu.sh ovmf-2M 120 2 --ovmf /usr/share/OVMF/OVMF_CODE.fd,/usr/share/OVMF/OVMF_VARS.fd
platform_checks svm
tap_end
