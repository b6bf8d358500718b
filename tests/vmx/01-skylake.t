#!/usr/bin/env bash
# The VMX backend under Bochs, CPU model corei7_skylake_x (EPT with 2 MiB and
# 1 GiB pages and A/D flags, unrestricted guest, VPID, preemption timer).
# One boot runs four guests one after the other:
#   demo  hello, 100 CPUID exits, exit code 3 (status 7)
#   more  the loader's flat GDT at entry (SGDT), hypercalls (VMCALL),
#         RDMSR/WRMSR -> #GP, VMRUN and the other SVM instructions -> #UD
#         (natively on Intel), 8 MiB touched, HC_EXIT 5
#   vi    tests/vmx/vmxinsn.asm: each VMX instruction -> VM exit -> #UD;
#         CR4.VMXE hidden (#GP), CR0.NE through the read shadow
#   tf    a triple fault ends that guest only
#   hp    memory backed by 2 MiB blocks, mapped with 2 MiB EPT leaves
#   i, b  the C test guests idt_first and basics
#   m     guest/tests/msrs.c: the OS-owned MSRs (FS/GS bases and SYSENTER in
#         VMCS guest fields, PAT, MTRRs, MISC_ENABLE) read back, bad values
#         #GP, the TSC follows a write (the VMCS TSC offset)
#   h     guest/tests/hostile.c "insns": MONITOR/MWAIT #UD, RDPMC #GP (VM
#         exits), CPUID hides MONITOR/PKU/XSAVE/leaf 0xA, CR4.OSXSAVE and
#         CR4.PKE refused (#GP through the CR4 guest/host mask); "dbsteps"
#         1000 single steps; "msrs=1" writes KERNEL_GS_BASE, STAR, LSTAR,
#         CSTAR, SFMASK (passed through the MSR bitmap) and TSC_AUX
#   h2    "msrs=2 dr7" after h ("msrs=1 dr7"): starts from 0, not h's values
#         (VMX switches none of them by itself: the backend does), and DR7
#         is 0x400, not h's armed breakpoint (the debug controls)
#   a     guest/tests/acloop: the recursive #AC of CVE-2015-5307 (an #AC at
#         CPL 3 whose delivery raises #AC again).  With #AC in the exception
#         bitmap each round is a VM exit: the guest loops, preemptible, the
#         console's wait times out with it still running, stats counts the
#         exception exits and destroy ends it; without the intercept the
#         emulated CPU loops inside the delivery as hardware does, the VMM
#         never runs again and the boot times out.  No guest runs beside it:
#         the per-destroy page check above needs guests not to overlap.
# and checks the pages come back after every destroy.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 22
vmx_guest_image vmxinsn.asm

vmx_boot corei7_skylake_x 240 'mem
create demo mem=64M image=test cmdline="hello cpuid=100 exit=3"
start demo
wait demo
destroy demo
create more mem=256M image=test cmdline="sgdt hypercall msr vmrun svm-insns touch=8M hcexit=5"
start more
wait more
destroy more
create vi mem=16M image=vmxinsn.bin
start vi
wait vi
destroy vi
create tf mem=16M image=test cmdline="triple"
start tf
wait tf
destroy tf
create hp mem=64M image=test huge=1 cmdline="touch=8M exit=0"
start hp
wait hp
stats hp
destroy hp
create i mem=8M image=idt_first.elf
start i
wait i timeout=60
destroy i
create r mem=8M image=reinject.elf
start r
wait r timeout=60
stats r
destroy r
create b mem=8M image=basics.elf cmdline="hv=pagoda"
start b
wait b timeout=60
destroy b
create m mem=8M image=msrs.elf cmdline="a"
start m
wait m timeout=60
destroy m
create h mem=8M image=hostile.elf cmdline="insns dbsteps msrs=1 dr7"
start h
wait h timeout=60
destroy h
create h2 mem=8M image=hostile.elf cmdline="msrs=2 dr7"
start h2
wait h2 timeout=60
destroy h2
create a mem=8M image=acloop.elf
start a
wait a timeout=3
stats a
destroy a
mem
poweroff' --file "$WORK/vmxinsn.bin" --file "$TOP/build/guest/idt_first.elf" \
	--file "$TOP/build/guest/basics.elf" --file "$TOP/build/guest/reinject.elf" \
	--file "$TOP/build/guest/hostile.elf" --file "$TOP/build/guest/acloop.elf" \
	--file "$TOP/build/guest/msrs.elf"

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "the speculative-execution defences chosen at boot are logged (RSB fill on every CPU)" \
	'spec: mitigations: ibpb=(guest-switch|unavailable) rsb=fill-on-exit l1tf=[a-zA-Z-]+ mds=[a-zA-Z-]+ spec_ctrl=(unavailable|guest-owned\(0x[0-7]\))$'
expect_seq "VMX probed with EPT 2M/1G/A-D, unrestricted guest, VPID; vmx selected; VMXON" \
	'vmx: VMX revision 0x[0-9a-f]+, VMCS [0-9]+ bytes, true controls; EPT \(4-level, WB, 2M, 1G, A/D\), unrestricted guest, VPID' \
	'hv: CPU vendor GenuineIntel: using vmx' \
	'vmx: VMX enabled: VMXON region at'
expect_seq "demo: hello, cpuid exits, exit status 7, teardown" \
	'guest demo: hello from the pagoda test guest' \
	'guest demo: cpuid: 100 exits, [0-9]+ cycles/exit' \
	'^event guest demo exited status=7$' \
	'^ok wait name=demo state=exited status=7$' \
	'vmm: guest demo destroyed: mode=[a-z]+ tables=[0-9]+ .* free_pages=[0-9]+ \(at create [0-9]+\)'
expect_seq "more: enters with GDTR = the flat loader GDT (0x8fe8, limit 23), CS 0x08, DS 0x10" \
	'guest more: sgdt: gdtr base=0x8fe8 limit=23 cs=0x8 ds=0x10 ok' \
	'^ok wait name=more state=exited status=5$'
expect_seq "more: VMCALL hypercalls, MSR #GP, SVM instructions #UD, touch, HC_EXIT" \
	'guest more: hypercall: version=0x[0-9a-f]+ unknown=-38' \
	'guest more: hypercall: console write ok' \
	'guest more: msr: #GP caught 2 of 2' \
	'guest more: vmrun: #UD caught' \
	'guest more: svm-insns: 5 of 5 raised #UD' \
	'guest more: touch: 2048 pages at 0x1000000 stride 4096 size 8388608 ok' \
	'^ok wait name=more state=exited status=5$'
expect_seq "vi: every VMX instruction exits and gets #UD; CR4.VMXE hidden; CR0 shadow" \
	'exit: guest vi: VMXON at rip=0x[0-9a-f]+ -> #UD' \
	'exit: guest vi: VMCLEAR at' 'exit: guest vi: VMPTRLD at' 'exit: guest vi: VMPTRST at' \
	'exit: guest vi: VMREAD at' 'exit: guest vi: VMWRITE at' 'exit: guest vi: VMLAUNCH at' \
	'exit: guest vi: VMRESUME at' 'exit: guest vi: VMXOFF at' 'exit: guest vi: INVEPT at' \
	'exit: guest vi: INVVPID at' \
	'guest vi: vmxinsn: cr4.vmxe hidden, setting it is #GP' \
	'guest vi: vmxinsn: cr0.ne reads back as written' \
	'guest vi: vmxinsn: 11 of 11 raised #UD' \
	'^ok wait name=vi state=exited status=23$'
expect_seq "tf: a triple fault ends that guest only" \
	'guest tf: triple: faulting now' \
	'^event guest tf crashed reason="triple fault at rip=0x[0-9a-f]+"$' \
	'^ok destroy name=tf '
expect_seq "hp: huge-backed guest memory is mapped with 2 MiB EPT leaves" \
	'guest hp: touch: 2048 pages at 0x1000000 stride 4096 size 8388608 ok' \
	'^ok stats name=hp .* leaves_4k=0 leaves_2m=[1-9][0-9]* ' \
	'^ok destroy name=hp '
expect_seq "idt_first (C guest): #UD through an IDT loaded before any GDT of its own, under VMX" \
	"guest i: ok 1 - 32-bit #UD handler ran once, IDT loaded before any GDT of the guest's own" \
	"guest i: ok 3 - #UD frame: CS is the gate's selector 0x08" \
	'guest i: # idt_first: 4 passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=i state=exited status=1$'
expect_seq "reinject (C guest): a #DB trap and INT3 with frames on never-touched pages, once each" \
	'guest r: ok 1 - single-step #DB delivered once, its frame on an untouched page' \
	'guest r: ok 6 - the #UD the VMM injected for VMXON, its frame on an untouched page, delivered once' \
	'guest r: # reinject: 6 passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=r state=exited status=1$'
reinj=$(field '^ok stats name=r .*reinjected=([0-9]+) ' 1)
ok_if "the #UD's delivery was cut by an EPT violation and injected again (reinjected=$reinj)" \
	test -n "$reinj" -a "${reinj:-0}" -ge 1
expect_seq "basics (C guest): every check passes under VMX (VMCALL)" \
	'guest b: # mode: pagoda, hypercall instruction vmcall' \
	'guest b: # basics: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=b state=exited status=1$'
expect_seq "msrs (C guest): every check passes under VMX" \
	'guest m: ok [0-9]+ - PAT reads back what was written' \
	'guest m: ok [0-9]+ - RDTSC follows the written TSC' \
	'guest m: # msrs: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS' \
	'^ok wait name=m state=exited status=1$'
# The VMM's exit lines and the guest's own lines are each in order; the
# guest's reach the log later (its console ring is drained between slices).
expect_seq "hostile (C guest): the VMM intercepts MONITOR, MWAIT (#UD) and RDPMC (#GP)" \
	'exit: guest h: MONITOR at rip=0x[0-9a-f]+ -> #UD' \
	'exit: guest h: MWAIT at rip=0x[0-9a-f]+ -> #UD' \
	'exit: guest h: RDPMC at rip=0x[0-9a-f]+ -> #GP'
expect_seq "hostile (C guest): MONITOR/MWAIT #UD, RDPMC #GP, CPUID hides them, CR4.OSXSAVE/PKE #GP" \
	'guest h: ok [0-9]+ - MONITOR raises #UD' \
	'guest h: ok [0-9]+ - MWAIT raises #UD' \
	'guest h: ok [0-9]+ - RDPMC raises #GP' \
	'guest h: ok [0-9]+ - setting CR4.OSXSAVE raises #GP' \
	'guest h: ok [0-9]+ - setting CR4.PKE raises #GP' \
	'guest h: # hostile: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=h state=exited status=1$'
expect_seq "hostile msrs/dr7: h's guest-owned MSRs, TSC_AUX and DR7 are its own; h2 after it starts from 0 / 0x400" \
	'guest h: ok [0-9]+ - guest-owned MSRs readable, 0 at start \(TSC_AUX: vCPU id 0\), RDTSCP agrees' \
	'guest h: ok [0-9]+ - own values still read back after a spin' \
	'guest h: ok [0-9]+ - DR7 write \(L0, breakpoint at 0\) survives a VM exit' \
	'guest h: ok [0-9]+ - single-stepping: 1000 #DB delivered to the guest' \
	'^ok wait name=h state=exited status=1$' \
	'guest h2: ok [0-9]+ - guest-owned MSRs readable, 0 at start \(TSC_AUX: vCPU id 0\), RDTSCP agrees' \
	'guest h2: ok [0-9]+ - own values still read back after a spin' \
	'guest h2: ok [0-9]+ - DR7 starts at its reset value 0x400' \
	'guest h2: # hostile: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'^ok wait name=h2 state=exited status=1$'
expect_seq "acloop: a recursive #AC exits once per round; the guest loops preemptibly; stats and destroy answer" \
	'guest a: acloop: recursive #AC at CPL 3 now' \
	'^err wait timeout after [0-9]+s, guest a still running$' \
	'^ok stats name=a .* exception=[1-9][0-9]* ' \
	'^ok destroy name=a '
expect_no_line "hostile: no check failed; acloop never crashed (no triple fault)" \
	'guest h2?: not ok|event guest a crashed'
expect_destroy_pages_back "free pages after every destroy equal the count at create"
expect_seq "poweroff after all guests" '^ok mem free_pages=' 'vmm: powering off'
expect_no_line "no VMM exception or failed VMX instruction" 'VMM exception|vmx: .*failed'
tap_end
