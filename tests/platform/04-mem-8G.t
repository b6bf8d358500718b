#!/usr/bin/env bash
# Platform matrix: QEMU with 8 GiB: RAM above 4 GiB (QEMU puts 2 or 3 GiB
# below the PCI hole and the rest from 4 GiB up).  The VMM must take the
# memory above 4 GiB into its allocator and its identity map reach it;
# the guests run as on the baseline row.
source "$(dirname "$0")/lib.sh"
plan $((PLATFORM_CHECKS + 3))
platform_boot run-qemu.sh mem-8G 120 2 --mem 8G
platform_checks svm
top=$(field 'pmm: [0-9]+ MiB usable in [0-9]+ ranges \(highest address (0x[0-9a-f]+)\)' 1)
ok_if "the firmware's memory map reaches above 4 GiB (highest address $top)" \
	test -n "$top" -a "$(( ${top:-0} > 0x100000000 ))" = 1
map=$(field 'paging: identity map up to (0x[0-9a-f]+) loaded' 1)
ok_if "the VMM's identity map covers it ($map >= $top)" \
	test -n "$map" -a -n "$top" -a "$(( ${map:-0} >= ${top:-1} ))" = 1
mib=$(field 'pmm: reclaimed [0-9]+ MiB of boot-services memory; ([0-9]+) MiB free in all' 1)
ok_if "the allocator holds more than 7 GiB free ($mib MiB): memory above 4 GiB is usable" \
	test -n "$mib" -a "${mib:-0}" -gt 7168
tap_end
