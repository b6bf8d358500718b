#!/usr/bin/env bash
# Debian's stock kernel under pagoda (SVM, QEMU TCG), in one boot of the
# VMM to save time: the bzImage alone with 4 vCPUs (its clock: the TSC at
# the rate pagoda supplies, a timed sleep against the VMM's clock); then the PVH vmlinux with 2 vCPUs
# and the bzImage beside it and the built-in test guest, all at once; then
# an interactive session on ttyS0 (input/expect on the console) with
# reboot -f restarting the guest (on_reboot=restart) and poweroff -f
# destroying it (on_poweroff=destroy).  Guest lines and VMM lines are not
# ordered against each other: each sequence is one source.
source "$(dirname "$0")/lib.sh"
linux_payload_or_skip
plan 19
boot linux 900 --mem 1536M --file "$LINUX_DIR/vmlinuz" --file "$LINUX_DIR/vmlinux" \
	--file "$LINUX_DIR/initramfs.cpio.gz" <<'CMDS'
mem
create bz mem=256M vcpus=4 image=vmlinuz initrd=initramfs.cpio.gz cmdline="console=ttyS0"
start bz
wait bz timeout=400
destroy bz
create pvh mem=256M vcpus=2 image=vmlinux initrd=initramfs.cpio.gz cmdline="console=ttyS0"
create bz2 mem=192M image=vmlinuz initrd=initramfs.cpio.gz cmdline="console=ttyS0"
create t mem=8M image=test
start pvh
start bz2
start t
wait pvh timeout=500
wait bz2 timeout=500
wait t timeout=120
destroy pvh
destroy bz2
destroy t
create sh mem=256M image=vmlinux initrd=initramfs.cpio.gz cmdline="console=ttyS0 pagoda.shell" on_reboot=restart on_poweroff=destroy
start sh
expect sh text="Enter 'help'" timeout=400
input sh text="echo answer-$((6*7)) from $(nproc) cpu"
expect sh text="answer-42 from 1 cpu" timeout=120
input sh text="time sleep 1"
expect sh text="real" timeout=120
input sh text="reboot -f"
expect sh text="Enter 'help'" timeout=400
input sh text="poweroff -f"
wait sh timeout=120
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "bzImage with 4 vCPUs: detected, all CPUs up, the marker, ACPI S5 power-off" \
	'vmm: guest bz created: .* vcpus=4 bzimage entry=0x' \
	'guest bz: \[ *[0-9.]+\] Linux version' \
	'guest bz(/[0-9])?: \[ *[0-9.]+\] smp: Brought up 1 node, 4 CPUs' \
	'guest bz(/[0-9])?: \[ *[0-9.]+\] Run /init as init process' \
	'guest bz(/[0-9])?: PAGODA-LINUX-OK cpus=4' \
	'ok wait name=bz state=exited status=0 power=off'
# The clock.  The guest's CPUID (AMD under QEMU) has no TSC frequency, so
# the loader passes the rate pagoda measured as tsc_early_khz=, and Linux
# takes it to the kHz (as "MHz processor", or "MHz TSC" after a CPU
# frequency its quick PIT loop found within 10%) instead of calibrating
# against the PIT or the PM timer (whose reads are VM exits too slow for its loops under TCG); with
# tsc=reliable (pagoda's TSC is one constant-rate counter on every vCPU)
# it keeps the TSC as its clocksource on 1 to 4 vCPUs.
khz=$(field 'loader: guest bz: tsc_early_khz=([0-9]+) added' 1)
mhz=$(awk -v k="${khz:-0}" 'BEGIN { printf "%d\\.%03d", k / 1000, k % 1000 }')
expect_seq "the loader supplies the measured TSC rate, Linux uses it" \
	'loader: guest bz: tsc_early_khz=[0-9]+ added to the command line' \
	'loader: guest bz: tsc=reliable added to the command line' \
	"guest bz(/[0-9])?: \\[ *[0-9.]+\\] tsc: Detected $mhz MHz (processor|TSC)$"
expect_no_line "the TSC is not found unusable" \
	'guest [a-z0-9]+(/[0-9])?: .*(Unable to calibrate against PIT|Marking TSC unstable|TSC synchronization.*failed|Measured [0-9]+ cycles TSC warp)'
expect_seq "bzImage: the TSC is the clocksource, the PM timer is there too" \
	'guest bz(/[0-9])?: pagoda-linux: clocksource tsc(-early)? \(available: .*acpi_pm'
# sleep 3 in the guest against the VMM's clock (payload.sh).
check_sleep_3 bz
expect_no_line "no MSR access of Linux is refused with a warning" \
	'guest [a-z0-9]+(/[0-9])?: .*unchecked MSR access error'
expect_seq "event line for the power-off" 'event guest bz poweroff source=acpi-s5'
expect_seq "PVH with 2 vCPUs: both CPUs come up, nproc says 2, the TSC is its clock" \
	'vmm: guest pvh created: .* vcpus=2 pvh entry=0x' \
	'guest pvh(/[0-9])?: \[ *[0-9.]+\] smp: Brought up 1 node, 2 CPUs' \
	'guest pvh(/[0-9])?: pagoda-linux: clocksource tsc(-early)? ' \
	'guest pvh(/[0-9])?: PAGODA-LINUX-OK cpus=2' \
	'ok wait name=pvh state=exited status=0 power=off'
expect_seq "a second Linux guest at the same time reaches its own marker, on the TSC" \
	'guest bz2(/[0-9])?: pagoda-linux: clocksource tsc(-early)? ' \
	'guest bz2(/[0-9])?: PAGODA-LINUX-OK cpus=1' \
	'ok wait name=bz2 state=exited status=0 power=off'
expect_seq "the built-in test guest beside them passes" \
	'ok wait name=t state=exited status='
# Knowing its TSC rate, with the TSC-deadline timer, Linux needs no PIT
# (apic_needs_pit()): its ticks are the local APIC timers' on each CPU.
expect_seq "local APIC timer ticks on both CPUs, UART interrupts through the I/O APIC" \
	'guest pvh(/[0-9])?: +4: +[0-9]+ +[0-9]+ +IO-APIC +4-edge +ttyS0' \
	'guest pvh(/[0-9])?: LOC: +[1-9][0-9]* +[1-9][0-9]* +Local timer interrupts'
expect_seq "interactive: a command typed at the shell is answered" \
	'ok expect name=sh' \
	'ok input name=sh' \
	'ok expect name=sh' \
	'ok input name=sh'
expect_seq "the guest's answer" 'guest sh(/[0-9])?: answer-42 from 1 cpu'
expect_seq "sleep 1 takes about a second of the guest's clock" \
	'guest sh(/[0-9])?: real.0m 1\.[0-2][0-9]s'
expect_seq "reboot -f restarts the guest (on_reboot=restart), it boots again" \
	'event guest sh reboot source=' \
	'event guest sh restarted id=' \
	'ok expect name=sh'
expect_seq "poweroff -f then destroys it (on_poweroff=destroy)" \
	'event guest sh poweroff source=acpi-s5' \
	'event guest sh destroyed by policy' \
	'ok wait name=sh state=destroyed'
# Guests that ran alone (bz, sh): each destroy gives back what its create
# took; the three that ran together are covered by the mem lines below.
alone=$(grep -E 'vmm: guest (bz|sh) destroyed:' "$LOG" |
	sed -nE 's/.* free_pages=([0-9]+) \(at create ([0-9]+)\).*/\1 \2/p')
ok_if "destroying a Linux guest that ran alone returns every page" \
	test "$(echo "$alone" | grep -c .)" -ge 3 -a -z "$(echo "$alone" | awk '$1 != $2')"
expect_pages_back
tap_end
