#!/usr/bin/env bash
# Host CPUs under VMX (Bochs, corei7_skylake_x, cpu: count=2).  OVMF under
# Bochs installs no ACPI tables, so the CPUs come from the UEFI MP services
# before ExitBootServices; the AP starts through INIT-SIPI-SIPI, enters VMX
# operation on a VMXON region of its own (IA32_FEATURE_CONTROL locked on it
# too), answers the boot CPU's call IPI, and idles; a guest runs on the boot
# CPU and gives its pages back.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 6

vmx_boot corei7_skylake_x 240 'mem
create one mem=32M image=test cmdline="hello exit=3"
start one
wait one timeout=60
destroy one
mem
poweroff' --cpus 2
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "the two CPUs come from the UEFI MP services" \
	'boot: UEFI MP services: 2 processors, 2 enabled' \
	'boot: ACPI MADT not used: no MADT \(APIC\) table; CPUs from the UEFI MP services'
vmxon=$(field 'vmx: VMX enabled: VMXON region at (0x[0-9a-f]+)' 1)
vmxon_ap=$(field 'vmx: VMX enabled: VMXON region at (0x[0-9a-f]+)' 2)
ok_if "each CPU enters VMX operation on its own VMXON region ($vmxon, $vmxon_ap)" \
	test -n "$vmxon_ap" -a "$vmxon" != "$vmxon_ap"
expect_seq "the AP comes online with VMX, answers the call IPI; the summary follows" \
	'smp: cpu 1: apic id [0-9]+ online \(vmx enabled\)' \
	'ipi: cpu 1: call IPI answered in [0-9]+ us' \
	'ipi: 1 of 1 APs answered the call IPI' \
	'smp: 2 CPUs online \(of 2 listed by the UEFI MP services\)'
expect_seq "a guest runs on the boot CPU and exits" \
	'ok create name=one' 'ok wait name=one state=exited'
expect_pages_back
tap_end
