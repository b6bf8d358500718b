#!/usr/bin/env bash
# Host CPUs under VMX (Bochs, corei7_skylake_x, cpu: count=2).  OVMF under
# Bochs installs no ACPI tables, so the CPUs come from the UEFI MP services
# before ExitBootServices; the AP starts through INIT-SIPI-SIPI, enters VMX
# operation on a VMXON region of its own (IA32_FEATURE_CONTROL locked on it
# too), answers the boot CPU's call IPI, and runs guests: a 2-vCPU guest
# (ptouch=) has its vCPUs on both CPUs at once and moving between them
# (VMCLEAR on one CPU before VMPTRLD on the other, the host-state area
# written again), every page correct, and gives its pages back.  Then the same on corei7_haswell_4770 (which
# has x2APIC) with build/x2apic-chain.efi switching the boot CPU to x2APIC
# mode before pagoda: the IPIs go through the x2APIC ICR MSR, and the AP,
# which INIT left in xAPIC mode, is switched to x2APIC (it reads its APIC
# ID from MSR 0x802 to check in, which would fault in xAPIC mode).
. "$(dirname "$0")/lib.sh"
vmx_require
plan 11

vmx_boot corei7_skylake_x 240 'set smp=on
mem
create one mem=32M image=test cmdline="hello exit=3"
start one
wait one timeout=60
destroy one
create two mem=32M image=test vcpus=2 cmdline="ptouch=1M:2:3"
start two
wait two timeout=120
stats two
destroy two
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
	'ipi: cpu 1: call IPI answered in [0-9]+ us \(it called cpu 0 back\)' \
	'ipi: 1 of 1 APs answered the call IPI' \
	'smp: 2 CPUs online \(of 2 listed by the UEFI MP services\)'
expect_seq "a guest runs and exits" \
	'ok create name=one' 'ok wait name=one state=exited'
expect_seq "a 2-vCPU guest touches its pages from both vCPUs at once, every one correct" \
	'guest two: ptouch: 2 vcpus x 256 pages x 3 rounds, 64 shared pages = 6 each, ok' \
	'ok wait name=two state=exited status=1'
pmax=$(field 'ok stats name=two .* parallel_max=([0-9]+)' 1)
used=$(field 'ok stats name=two .* cpus_used=([0-9]+) ' 1)
ok_if "its vCPUs ran on both CPUs ($used), both at once (parallel_max $pmax)" \
	test "${used:-0}" -eq 2 -a "${pmax:-0}" -eq 2
expect_pages_back

[ -f "$TOP/build/x2apic-chain.efi" ] || { echo "Bail out! build/x2apic-chain.efi is missing (run make)"; exit 1; }
vmx_boot corei7_haswell_4770 240 'create one mem=32M image=test cmdline="hello exit=3"
start one
wait one timeout=60
destroy one
poweroff' --cpus 2 --efi "$TOP/build/x2apic-chain.efi" \
	--esp-file "$TOP/build/pagoda.efi:/EFI/pagoda/pagoda.efi"
expect_clean_poweroff "x2APIC: the VMM powered off cleanly"
expect_seq "x2APIC: the boot CPU in x2APIC mode, the AP online in it too, the IPI answered" \
	'x2apic-chain: .*x2APIC mode on' 'lapic: x2APIC mode, timer' \
	'smp: cpu 1: apic id [0-9]+ online \(vmx enabled\)' \
	'ipi: 1 of 1 APs answered the call IPI' 'smp: 2 CPUs online'
expect_seq "x2APIC: a guest runs and exits" 'ok create name=one' 'ok wait name=one state=exited'
tap_end
