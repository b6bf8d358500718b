#!/usr/bin/env bash
# The PC devices under pagoda, each through a C test guest that passes on
# plain QEMU too (tests/guest-direct/run.t): IPIs, priorities, TPR and CR8
# on the local APIC (xAPIC and x2APIC); the I/O APIC's registers and the
# PIT through pin 2; the PIT through the 8259 and its channel 2 read back
# through port 0x61; the 16550's THRE and loopback receive interrupts; and
# console input (`input NAME text=...`) reaching a guest by receive
# interrupts through the I/O APIC.
source "$(dirname "$0")/lib.sh"
plan 10
F=()
for g in apic_ipi ioapic pit_pic uart_irq uart_rx; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
	F+=(--file "$TOP/build/guest/$g.elf")
done
boot devices 300 "${F[@]}" <<'CMDS'
mem
create a mem=8M vcpus=2 image=apic_ipi.elf
start a
wait a timeout=60
destroy a
create x mem=8M vcpus=2 image=apic_ipi.elf cmdline="x2apic"
start x
wait x timeout=60
destroy x
create i mem=8M image=ioapic.elf
start i
wait i timeout=60
destroy i
create p mem=8M image=pit_pic.elf
start p
wait p timeout=60
destroy p
create u mem=8M image=uart_irq.elf
start u
wait u timeout=60
destroy u
create r mem=8M image=uart_rx.elf cmdline="ioapic"
start r
wait r timeout=2
input r text="typed at the console"
wait r timeout=60
destroy r
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "apic_ipi (xAPIC page through the emulator): every check passes" \
	'guest a: # APIC ID 0, xAPIC mode' \
	'guest a: ok [0-9]+ - highest vector first' \
	'guest a: ok [0-9]+ - writing CR8 writes the TPR' \
	'guest a: # apic_ipi: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS' \
	'ok wait name=a state=exited status=1'
expect_seq "apic_ipi in x2APIC mode: every check passes, the SELF IPI MSR too" \
	'guest x: ok [0-9]+ - x2APIC SELF IPI MSR' \
	'guest x: # apic_ipi: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=x state=exited status=1'
expect_seq "ioapic: registers and the PIT through pin 2" \
	'guest i: # I/O APIC version register 0x170011' \
	'guest i: ok [0-9]+ - PIT through I/O APIC pin 2: five interrupts' \
	'guest i: # ioapic: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=i state=exited status=1'
expect_seq "pit_pic: channel 2 by port 0x61, channel 0 through the 8259" \
	'guest p: ok [0-9]+ - OUT2 rises at terminal count' \
	'guest p: ok [0-9]+ - 21 ticks of IRQ0' \
	'guest p: # pit_pic: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS' \
	'ok wait name=p state=exited status=1'
expect_seq "uart_irq: THRE and loopback receive interrupts on IRQ 4" \
	'guest u: ok [0-9]+ - THRE interrupt once ETBEI is set' \
	'guest u: ok [0-9]+ - loopback: 4 bytes received by interrupt' \
	'guest u: # uart_irq: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=u state=exited status=1'
expect_seq "uart_rx: a console line reaches the guest by receive interrupts" \
	'guest r: # waiting for a line on COM1 \(IRQ 4 via I/O APIC\)' \
	'guest r: # line: "typed at the console"' \
	'guest r: # uart_rx: 3 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=r state=exited status=1'
expect_seq "input: the console took the line and its carriage return" 'ok input name=r bytes=21'
expect_no_line "no check failed" 'guest [axipur]: not ok'
expect_pages_back
tap_end
