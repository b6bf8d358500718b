#!/usr/bin/env bash
# The C test guests (guest/tests/*.c on guest/lib/), loaded from the ESP as
# ELF32 Multiboot kernels.  basics checks each part of the guest library and
# what a guest sees of pagoda: CPUID's hypervisor bit and leaves
# 0x40000000-1, #GP for a denied RDMSR, HC_VERSION, an unknown hypercall,
# HC_CONSOLE_WRITE.  idt_first loads a 32-bit IDT whose #UD gate names
# selector 0x08 of the GDT the loader left, before any GDT of its own, and
# takes a #UD through it: that needs pagoda to start a Multiboot guest on a
# flat GDT (code at 0x08, data at 0x10) as GRUB and QEMU do; with an empty
# GDTR the delivery faults and the guest triple-faults.
source "$(dirname "$0")/lib.sh"
plan 9
for g in basics idt_first hc_user reinject prefixes; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
done
boot cguests 180 --file "$TOP/build/guest/basics.elf" \
	--file "$TOP/build/guest/idt_first.elf" --file "$TOP/build/guest/hc_user.elf" \
	--file "$TOP/build/guest/reinject.elf" --file "$TOP/build/guest/prefixes.elf" <<'CMDS'
mem
create b mem=8M image=basics.elf cmdline="hv=pagoda"
start b
wait b timeout=60
destroy b
create i mem=8M image=idt_first.elf
start i
wait i timeout=60
destroy i
create u mem=8M image=hc_user.elf
start u
wait u timeout=60
destroy u
create r mem=8M image=reinject.elf
start r
wait r timeout=60
stats r
destroy r
create p mem=8M image=prefixes.elf
start p
wait p timeout=60
destroy p
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "basics: every check passes under pagoda, in order, and it exits 0 (status 1)" \
	'ok create name=b id=1 mem=8M' \
	'guest b: # basics: cmdline "hv=pagoda"' \
	'guest b: # mode: pagoda, hypercall instruction (vmmcall|vmcall)' \
	'guest b: # printf: -42 42 beef 123456789abcdef str c 0x1000' \
	'guest b: ok [0-9]+ - printf formats' \
	'guest b: ok [0-9]+ - #BP hook ran once' \
	'guest b: ok [0-9]+ - non-canonical load raises #GP' \
	'guest b: ok [0-9]+ - RDMSR EFER allowed, LME and LMA set' \
	'guest b: ok [0-9]+ - RDMSR 0x1234 denied with #GP$' \
	'guest b: ok [0-9]+ - CPUID.1:ECX hypervisor bit set' \
	'guest b: ok [0-9]+ - CPUID 0x40000000: signature "pagodapagoda", max leaf 0x40000001' \
	'guest b: ok [0-9]+ - CPUID 0x40000001: version' \
	'guest b: ok [0-9]+ - (vmmcall|vmcall) HC_VERSION returns 0x10000' \
	'guest b: ok [0-9]+ - unknown hypercall returns -38' \
	'guest b: basics: console write hypercall' \
	'guest b: ok [0-9]+ - HC_CONSOLE_WRITE returns its length' \
	'guest b: # basics: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=b state=exited status=1'
expect_no_line "basics: no check failed" 'guest b: not ok'
expect_seq "idt_first: its #UD handler ran through an IDT loaded before any GDT of its own" \
	'ok create name=i id=1 mem=8M' \
	'guest i: # idt_first: cmdline ""' \
	"guest i: ok 1 - 32-bit #UD handler ran once, IDT loaded before any GDT of the guest's own" \
	'guest i: ok 2 - #UD frame: EIP is the UD2' \
	"guest i: ok 3 - #UD frame: CS is the gate's selector 0x08" \
	'guest i: ok 4 - execution went on after the UD2' \
	'guest i: # idt_first: 4 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=i state=exited status=1'
expect_seq "hc_user: hypercalls from CPL 3 get -EPERM, the guest goes on; from CPL 0 they answer" \
	'guest u: ok 1 - CPL-3 code ran and came back through INT 0x80' \
	'guest u: ok 2 - no #UD at CPL 3' \
	'guest u: ok 3 - HC_VERSION from CPL 3: -EPERM' \
	'guest u: ok 4 - HC_EXIT from CPL 3: -EPERM, the guest goes on' \
	'guest u: ok 5 - HC_VERSION from CPL 0 answers' \
	'ok wait name=u state=exited status=1'
expect_seq "reinject: #DB, INT3 and an injected #UD with their frames on never-touched pages, once each" \
	'guest r: ok 1 - single-step #DB delivered once, its frame on an untouched page' \
	'guest r: ok 2 - \.\.\. for the first instruction, not the next \(not lost\)' \
	'guest r: ok 4 - INT3.s #BP delivered once, its frame on an untouched page' \
	'guest r: ok 6 - the #UD the VMM injected for VMRUN, its frame on an untouched page, delivered once' \
	'guest r: # reinject: 6 passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=r state=exited status=1'
reinj=$(field '^ok stats name=r .*reinjected=([0-9]+) ' 1)
ok_if "the #UD's delivery was cut by the nested fault and injected again (reinjected=$reinj)" \
	test -n "$reinj" -a "${reinj:-0}" -ge 1
# QEMU's TCG saves no NRIP: the VMM counts the prefixes itself.
expect_seq "prefixes: CPUID and RDMSR with 66/F3/REX.W prefixes, and CPUID split across pages or remapped, are stepped over whole; IN zero-extends" \
	'guest p: ok 1 - CPUID as 66 0f a2' 'guest p: ok 2 - CPUID as f3 0f a2' \
	'guest p: ok 3 - CPUID as 48 0f a2' \
	'guest p: ok 4 - CPUID as 66 . 48 0f a2 across a page boundary' \
	'guest p: ok 5 - CPUID as 0f . a2 across a page boundary' \
	'guest p: ok 6 - CPUID at the same address after its page was remapped' \
	'guest p: ok 7 - RDMSR EFER as 66 0f 32' \
	'guest p: ok 8 - 32-bit IN from an unassigned port: EAX all ones, RAX.63:32. zero' \
	'ok wait name=p state=exited status=1'
expect_pages_back
tap_end
