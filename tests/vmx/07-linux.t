#!/usr/bin/env bash
# Debian's kernel on the VMX backend (Bochs, corei7_skylake_x): the bzImage
# with its initramfs boots to the marker on 1 vCPU and powers off through
# ACPI S5.  Slow: Bochs decompresses and boots the whole kernel, about 4
# minutes on the 2-core machine (README, "Linux guests").  Bochs runs with
# --ips 100000000: its TSC and timers advance by instructions / ips, and at
# the default 4 MIPS a 4 ms Linux tick is only 16000 instructions, most of
# them spent in the tick itself (exits, the EOI through the emulator), so
# the kernel made almost no progress.  The wait timeout is in the VMM's
# (emulated) time.  The clock: CPUID 0x15 gives the TSC rate, so the
# loader adds only tsc=reliable; the guest runs on the TSC, and its
# sleep 3 is 3 s of the VMM's (emulated) clock as well.
. "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../linux/payload.sh"
vmx_require
linux_payload_or_skip
plan 8
vmx_boot corei7_skylake_x 1500 'mem
create l mem=128M image=vmlinuz initrd=initramfs.cpio.gz cmdline="console=ttyS0"
start l
wait l timeout=3000
destroy l
mem
poweroff' --mem 512M --ips 100000000 --file "$LINUX_DIR/vmlinuz" --file "$LINUX_DIR/initramfs.cpio.gz"

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "the bzImage boots to the marker on VMX" \
	'vmm: guest l created: .* bzimage entry=0x' \
	'guest l: \[ *[0-9.]+\] Linux version' \
	'guest l: \[ *[0-9.]+\] Run /init as init process' \
	'guest l(/[0-9])?: PAGODA-LINUX-OK cpus=1' \
	'ok wait name=l state=exited status=0 power=off'
expect_seq "the guest's TSC frequency is the measured one (CPUID 0x15/0x16)" \
	'boot: TSC 1000[0-9][0-9] kHz' \
	'guest l: \[ *[0-9.]+\] tsc: Detected 100\.000 MHz processor'
expect_seq "the loader adds tsc=reliable and no rate (CPUID gives it)" \
	'loader: guest l: tsc=reliable added to the command line' \
	'guest l: \[ *[0-9.]+\] Command line: console=ttyS0 tsc=reliable$'
expect_seq "the TSC is the guest's clocksource" \
	'guest l(/[0-9])?: pagoda-linux: clocksource tsc(-early)? \(available: .*acpi_pm'
check_sleep_3 l
# (0x19b, IA32_THERM_INTERRUPT, was read and written while CPUID said
# ACPI thermal monitoring: vmm/cpuid.c hides it now.)
expect_no_line "no MSR warning, the TSC is not found unusable" \
	'guest l(/[0-9])?: .*(unchecked MSR access error|Marking TSC unstable|Unable to calibrate against PIT)'
# The figures of README's "Linux guests" (the VMM's emulated time).
c=$(field '^\[ *([0-9.]+)\] vmm: guest l created' 1)
f=$(field '^\[ *([0-9.]+)\] guest l: \[ *[0-9.]+\] Linux version' 1)
m=$(field '^\[ *([0-9.]+)\] guest l[^ :]*: PAGODA-LINUX-OK' 1)
echo "# VMM time from create: first kernel line $(awk -v a="${c:-0}" -v b="${f:-0}" 'BEGIN { print b - a }') s, marker $(awk -v a="${c:-0}" -v b="${m:-0}" 'BEGIN { print b - a }') s"
expect_pages_back
tap_end
