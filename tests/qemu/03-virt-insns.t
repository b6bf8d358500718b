#!/usr/bin/env bash
# A guest may not use SVM: VMRUN, VMLOAD, VMSAVE, STGI, CLGI and INVLPGA
# raise #UD inside the guest and the VMM survives.  Denied MSRs raise #GP,
# CPUID shows pagoda's signature with SVM hidden, hypercalls answer and an
# unknown number returns -ENOSYS.
source "$(dirname "$0")/lib.sh"
plan 6
boot virt 120 <<'CMDS'
create ud mem=32M image=test cmdline="vmrun svm-insns msr hypercall exit=5"
start ud
wait ud
destroy ud
create after mem=32M image=test cmdline="hello hcexit=42"
start after
wait after
destroy after
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "VMRUN in the guest is intercepted and becomes #UD" \
	'exit: guest ud: VMRUN at rip=0x[0-9a-f]+ -> #UD' \
	'guest ud: vmrun: #UD caught'
expect_seq "every other SVM instruction raises #UD" \
	'exit: guest ud: VMLOAD' 'exit: guest ud: VMSAVE' 'exit: guest ud: STGI' \
	'exit: guest ud: CLGI' 'exit: guest ud: INVLPGA' \
	'guest ud: svm-insns: 5 of 5 raised #UD'
expect_seq "denied MSRs raise #GP; hypercalls answer, unknown ones return -38" \
	'guest ud: msr: #GP caught 2 of 2' \
	'guest ud: hypercall: version=0x10000 unknown=-38' \
	'guest ud: hypercall: console write ok' \
	'ok wait name=ud state=exited status=11'
expect_seq "the VMM runs the next guest; HC_EXIT sets its status" \
	'guest after: hello from the pagoda test guest' \
	'event guest after exited status=42' \
	'ok wait name=after state=exited status=42'
expect_no_line "no VMM exception in the log" 'VMM exception'
tap_end
