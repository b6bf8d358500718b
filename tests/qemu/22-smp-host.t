#!/usr/bin/env bash
# Every host CPU online, and which of them run guests.  With QEMU's -smp 4
# (TCG, one thread per CPU) pagoda finds four enabled CPUs in the ACPI
# MADT, starts the three APs one at a time with INIT-SIPI-SIPI, each
# reports itself online with SVM enabled, answers the boot CPU's call IPI
# with its own CPU number and APIC ID and calls the boot CPU back from its
# handler (the boot CPU serves that call while it waits with interrupts
# off), then waits in the scheduler's loop.  Under QEMU's TCG the APs run
# the guests and the boot CPU keeps the console (its guest entries race
# with the other CPUs' x87 state loads there: docs/design.md, "Host
# CPUs"): a 4-vCPU guest runs on the APs only, a pin to CPU 0 alone is
# refused, a pin to CPU 1 runs there; `set smp=off` is refused while that
# guest exists, and once it is gone puts guests back on the boot CPU; every
# page comes back.  With -smp 2,maxcpus=4 the MADT lists two CPUs that are
# not there: only the present one is started, and guests run on it.  With
# build/madt-chain.efi (a boot step that makes the MADT's last CPU entry
# name APIC ID 0xFE, which no CPU has) that CPU is reported as not starting
# and left out, and the boot goes on.
source "$(dirname "$0")/lib.sh"
[ -f "$TOP/build/madt-chain.efi" ] || { echo "Bail out! build/madt-chain.efi is missing (run make)"; exit 1; }
plan 20

guest_run() {
	cat <<'CMDS'
mem
create one mem=32M image=test cmdline="hello exit=3"
start one
wait one timeout=60
destroy one
create quad mem=32M image=test vcpus=4 cmdline="hello smp=4 exit=4"
start quad
wait quad timeout=60
stats quad
destroy quad
create pin0 mem=8M image=test cpus=0
create pin mem=8M image=test cpus=1 cmdline="hello exit=5"
set smp=off
start pin
wait pin timeout=60
stats pin
destroy pin
set smp=off
create solo mem=8M image=test cmdline="hello exit=6"
start solo
wait solo timeout=60
stats solo
destroy solo
mem
poweroff
CMDS
}

boot smp4 180 --smp 4 < <(guest_run)
expect_clean_poweroff "-smp 4: the VMM powered off cleanly"
expect_seq "-smp 4: the MADT's four CPUs are found" \
	'boot: ACPI MADT: 4 processor entries, 4 enabled, 0 online-capable'
expect_seq "-smp 4: each AP comes online with SVM enabled, in order, then the summary" \
	'smp: cpu 1: apic id 1 online \(svm enabled\)' \
	'smp: cpu 2: apic id 2 online \(svm enabled\)' \
	'smp: cpu 3: apic id 3 online \(svm enabled\)' \
	'ipi: cpu 1: call IPI answered in [0-9]+ us \(it called cpu 0 back\)' \
	'ipi: cpu 2: call IPI answered in [0-9]+ us \(it called cpu 0 back\)' \
	'ipi: cpu 3: call IPI answered in [0-9]+ us \(it called cpu 0 back\)' \
	'ipi: 3 of 3 APs answered the call IPI' \
	'smp: 4 CPUs online \(of 4 in the MADT\)' \
	'vmm: ready:'
expect_no_line "-smp 4: no CPU left out, no VMM exception" 'left out|VMM exception|did not answer'
expect_seq "-smp 4: a guest runs and exits after the APs started" \
	'smp: 4 CPUs online' 'ok create name=one' 'guest one: .*hello' 'ok wait name=one state=exited'
expect_seq "-smp 4: a 4-vCPU guest runs and exits" \
	'ok create name=quad' 'guest quad: smp: 4 vcpus ran' 'ok wait name=quad state=exited'
expect_seq "-smp 4: under QEMU's TCG the APs run the guests, CPU 0 keeps the console" \
	'smp: 4 CPUs online' \
	"sched: guests run on cpus 1-3 \\(CPU 0 keeps the console: under QEMU's TCG" 'vmm: ready:'
expect_seq "-smp 4: the 4-vCPU guest ran on the APs only" \
	'ok stats name=quad .* vcpu_cpus=0x[2468ace]/0x[2468ace]/0x[2468ace]/0x[2468ace] '
expect_seq "-smp 4: a pin to CPU 0 alone is refused, one to CPU 1 runs there; smp=off waits for it" \
	'err create cpus=0 names no CPU that runs guests \(cpus 1-3 do\)' \
	'ok create name=pin' 'err set smp=off would leave guest pin \(cpus=\) no CPU' \
	'guest pin: .*hello' 'ok wait name=pin state=exited' \
	'ok stats name=pin .* cpus_used=1 vcpu_cpus=0x2 '
expect_seq "-smp 4: after set smp=off guests run on CPU 0" \
	'ok set smp=off' 'ok create name=solo' 'ok wait name=solo state=exited' \
	'ok stats name=solo .* cpus_used=1 vcpu_cpus=0x1 '
expect_destroy_pages_back "-smp 4: destroy gives every page back"
expect_pages_back

boot smp2of4 180 --smp 2,maxcpus=4 < <(guest_run)
expect_clean_poweroff "-smp 2,maxcpus=4: the VMM powered off cleanly"
expect_seq "-smp 2,maxcpus=4: four MADT entries, two enabled; one AP started" \
	'boot: ACPI MADT: 4 processor entries, 2 enabled' \
	'smp: cpu 1: apic id 1 online \(svm enabled\)' \
	'ipi: 1 of 1 APs answered the call IPI' \
	'smp: 2 CPUs online \(of 4 in the MADT\)' 'sched: guests run on cpus 1 '
expect_no_line "-smp 2,maxcpus=4: the absent CPUs are not tried" 'smp: cpu 2:|apic id [23] |VMM exception'
expect_seq "-smp 2,maxcpus=4: guests run and exit" \
	'ok wait name=one state=exited' 'ok wait name=quad state=exited'

boot smpbad 180 --smp 4 --efi "$TOP/build/madt-chain.efi" \
	--esp-file "$TOP/build/pagoda.efi:/EFI/pagoda/pagoda.efi" < <(guest_run)
expect_clean_poweroff "a CPU that does not start: the VMM powered off cleanly"
expect_seq "the boot step made the MADT name APIC ID 254 instead of 3" \
	'madt-chain: MADT entry of apic id 3 now names apic id 254' 'boot: pagoda starting'
expect_seq "the CPU that does not start is reported and left out; the others come online" \
	'smp: cpu 1: apic id 1 online \(svm enabled\)' \
	'smp: cpu 2: apic id 2 online \(svm enabled\)' \
	'cpu: apic id 254 did not start, left out' \
	'ipi: 2 of 2 APs answered the call IPI' \
	'smp: 3 CPUs online \(of 4 in the MADT\)' 'sched: guests run on cpus 1-2 '
expect_seq "a CPU that does not start: guests run and exit" \
	'ok wait name=one state=exited' 'ok wait name=quad state=exited'
tap_end
