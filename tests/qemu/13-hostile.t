#!/usr/bin/env bash
# A hostile guest (guest/tests/hostile.c) under SVM: MONITOR/MWAIT raise
# #UD and RDPMC #GP (intercepted), CPUID hides MONITOR, PKU, XSAVE and leaf
# 0xA, CR4.OSXSAVE and CR4.PKE cannot be set (the CR4 write intercept; QEMU's
# TCG has no decode assists, so the backend decodes the MOV itself) while an
# allowed CR4 write goes through; single-stepping delivers every #DB to the
# guest through the #DB intercept (reflected by vmm/, counted in stats'
# exception=).  The guest-owned MSRs (KERNEL_GS_BASE, STAR, LSTAR, CSTAR,
# SFMASK, TSC_AUX) are each guest's own: one guest writes them, the next
# starts from 0 (TSC_AUX: its vCPU id), two guests side by side each keep
# their own; likewise DR7 (m1 leaves a breakpoint armed, m2 sees 0x400).  Then a guest that single-steps forever (one VM exit per
# instruction on SVM, as a recursive #DB or #AC delivery now is) while a
# second guest runs to completion: the console answers and the looping
# guest is destroyed.  QEMU's TCG cannot show the hardware's endless
# delivery loop itself (it checks for interrupts between deliveries, and
# does not check alignment at all: the #AC case is in tests/vmx/01-skylake,
# where Bochs shows the loop).  Every guest here also runs through the RSB
# fill after each exit; the boot logs the defences chosen ("mitigations:").
source "$(dirname "$0")/lib.sh"
plan 9
for g in hostile basics; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
done
boot hostile 180 --file "$TOP/build/guest/hostile.elf" --file "$TOP/build/guest/basics.elf" <<'CMDS'
mem
create h mem=8M image=hostile.elf cmdline="insns dbsteps"
start h
wait h timeout=60
stats h
destroy h
create m1 mem=8M image=hostile.elf cmdline="msrs=1 dr7"
start m1
wait m1 timeout=60
destroy m1
create m2 mem=8M image=hostile.elf cmdline="msrs=2 dr7"
start m2
wait m2 timeout=60
destroy m2
create m3 mem=8M image=hostile.elf cmdline="msrs=3"
create m4 mem=8M image=hostile.elf cmdline="msrs=4"
start m3
start m4
wait m3 timeout=60
wait m4 timeout=60
destroy m3
destroy m4
create l mem=8M image=hostile.elf cmdline="dbloop"
start l
create b mem=8M image=basics.elf cmdline="hv=pagoda"
start b
wait b timeout=90
stats l
destroy l
destroy b
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "the speculative-execution defences chosen at boot are logged (RSB fill on every CPU)" \
	'spec: mitigations: ibpb=(guest-switch|unavailable) rsb=fill-on-exit l1tf=[a-zA-Z-]+ mds=[a-zA-Z-]+ spec_ctrl=(unavailable|guest-owned\(0x[0-7]\))$'
expect_seq "hostile insns: MONITOR/MWAIT #UD, RDPMC #GP, CPUID hides them, CR4.OSXSAVE/PKE refused" \
	'guest h: ok [0-9]+ - CPUID.1:ECX MONITOR hidden' \
	'guest h: ok [0-9]+ - CPUID.1:ECX XSAVE and OSXSAVE hidden' \
	'guest h: ok [0-9]+ - CPUID.7.0:ECX PKU and OSPKE hidden' \
	'guest h: ok [0-9]+ - CPUID.7.0:EDX L1D_FLUSH and ARCH_CAPABILITIES hidden' \
	'guest h: ok [0-9]+ - RDMSR SPEC_CTRL (answers|raises #GP), as CPUID says' \
	'guest h: ok [0-9]+ - CPUID leaf 0xA \(performance monitoring\) is zero' \
	'guest h: ok [0-9]+ - MONITOR raises #UD' \
	'guest h: ok [0-9]+ - MWAIT raises #UD' \
	'guest h: ok [0-9]+ - RDPMC raises #GP' \
	'guest h: ok [0-9]+ - setting CR4.OSXSAVE raises #GP' \
	'guest h: ok [0-9]+ - setting CR4.PKE raises #GP' \
	'guest h: ok [0-9]+ - CR4 unchanged by the refused writes' \
	'guest h: ok [0-9]+ - allowed CR4 writes'
expect_seq "hostile dbsteps: 1000 single-step #DB reflected, every check passes, 1000+ exception exits" \
	'guest h: ok [0-9]+ - single-stepping: 1000 #DB delivered to the guest' \
	'guest h: ok [0-9]+ - every #DB with DR6.BS set' \
	'guest h: # hostile: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=h state=exited status=1$' \
	'^ok stats name=h .* exception=[1-9][0-9][0-9][0-9]+ '
expect_seq "msrs: m1 writes KERNEL_GS_BASE/STAR/LSTAR/CSTAR/SFMASK/TSC_AUX; m2, created after, starts from 0 and keeps its own" \
	'guest m1: ok [0-9]+ - guest-owned MSRs readable, 0 at start \(TSC_AUX: vCPU id 0\), RDTSCP agrees' \
	'guest m1: ok [0-9]+ - guest-owned MSRs writable' \
	'guest m1: ok [0-9]+ - own values read back' \
	'guest m1: ok [0-9]+ - own values still read back after a spin' \
	'guest m1: ok [0-9]+ - TSC_AUX write with bits 63:32 set raises #GP' \
	'guest m1: ok [0-9]+ - DR7 write \(L0, breakpoint at 0\) survives a VM exit' \
	'^ok wait name=m1 state=exited status=1$' \
	'guest m2: ok [0-9]+ - guest-owned MSRs readable, 0 at start' \
	'guest m2: ok [0-9]+ - own values still read back after a spin' \
	'guest m2: ok [0-9]+ - DR7 starts at its reset value 0x400' \
	'^ok wait name=m2 state=exited status=1$'
ok_if "msrs: m3 and m4 run side by side, each passes every check (its own values only)" \
	test "$(grep -cE 'guest m[34]: # hostile: [0-9]+ passed, 0 failed, 0 skipped: PASS' "$LOG")" = 2
expect_no_line "hostile: no check failed" 'guest ([hl]|m[0-9]): not ok'
expect_seq "a guest looping on #DB: another guest completes, its exits are counted, destroy works" \
	'guest l: # dbloop: single-stepping forever' \
	'^ok wait name=b state=exited status=1$' \
	'^ok stats name=l .* exception=[1-9][0-9]* ' \
	'^ok destroy name=l'
expect_pages_back
tap_end
