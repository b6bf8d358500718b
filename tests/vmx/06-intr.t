#!/usr/bin/env bash
# Interrupts on the VMX backend (Bochs, corei7_skylake_x): the intr guest
# (guest/tests/intr.c, as in tests/qemu/18-intr.t) on the virtual local APIC
# in xAPIC mode with 2 vCPUs: self-IPI, the STI shadow (VMX's
# interruptibility state), TPR (CR8 exits), HLT woken by the timer, an NMI
# through NMI-window exiting, INIT-SIPI into real mode (unrestricted guest);
# the PIT through the 8259 (guest/tests/pit_pic.c), the local APIC timer
# in its three modes (apic_timer.c), the PIT through I/O APIC pin 2
# (ioapic.c) and the 16550's interrupts (uart_irq.c).  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 8
for g in intr pit_pic apic_timer ioapic uart_irq; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
done

vmx_boot corei7_skylake_x 400 'mem
create x mem=8M vcpus=2 image=intr.elf cmdline="smp"
start x
wait x timeout=200
destroy x
create p mem=8M image=pit_pic.elf
start p
wait p timeout=200
destroy p
create t mem=8M image=apic_timer.elf
start t
wait t timeout=200
destroy t
create i mem=8M image=ioapic.elf
start i
wait i timeout=200
destroy i
create u mem=8M image=uart_irq.elf
start u
wait u timeout=200
destroy u
mem
poweroff' --file "$TOP/build/guest/intr.elf" --file "$TOP/build/guest/pit_pic.elf" \
	--file "$TOP/build/guest/apic_timer.elf" --file "$TOP/build/guest/ioapic.elf" \
	--file "$TOP/build/guest/uart_irq.elf"

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "intr: every check passes on VMX" \
	'guest x: ok [0-9]+ - taken after the instruction following STI \(shadow\)' \
	'guest x: ok [0-9]+ - HLT with IF=1 wakes on the one-shot timer' \
	'guest x: ok [0-9]+ - NMI by ICR to our own APIC ID, with IF=0' \
	'guest x: ok [0-9]+ - in real mode with CS = vector \* 0x100' \
	'guest x: # intr: 12 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=x state=exited status=1'
expect_seq "pit_pic: the PIT through the 8259 on VMX" \
	'guest p: ok [0-9]+ - 21 ticks of IRQ0' \
	'guest p: # pit_pic: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS' \
	'ok wait name=p state=exited status=1'
expect_seq "apic_timer: one-shot, periodic, TSC-deadline on VMX" \
	'guest t: # apic_timer: 18 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=t state=exited status=1'
expect_seq "ioapic: the PIT through pin 2 on VMX" \
	'guest i: ok [0-9]+ - PIT through I/O APIC pin 2: five interrupts' \
	'guest i: # ioapic: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=i state=exited status=1'
expect_seq "uart_irq: THRE and receive interrupts on VMX" \
	'guest u: # uart_irq: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=u state=exited status=1'
expect_no_line "no check failed" 'guest [xptiu]: not ok'
expect_pages_back
tap_end
