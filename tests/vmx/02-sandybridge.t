#!/usr/bin/env bash
# The VMX backend under Bochs, CPU model corei7_sandy_bridge_2600k: EPT with
# 2 MiB pages but no 1 GiB pages and no A/D flags, so ept.c must leave
# huge_1g and the A/D masks off and the EPTP without A/D.  The test guest's
# hello/cpuid/exit scenario plus 8 MiB touched; and guest/paeguest.asm, which
# turns on PAE paging outside long mode with a CR0 write that exits (it also
# sets CR0.NE), so the VMM must load the PDPTEs into the VMCS.  TAP output.
. "$(dirname "$0")/lib.sh"
vmx_require
plan 6
nasm -f bin -o "$WORK/paeguest.bin" "$TOP/guest/paeguest.asm" ||
	{ echo "Bail out! cannot assemble guest/paeguest.asm"; exit 1; }

vmx_boot corei7_sandy_bridge_2600k 240 'create demo mem=64M image=test cmdline="hello cpuid=100 touch=8M exit=3"
start demo
wait demo
destroy demo
create p mem=16M image=paeguest.bin
start p
wait p timeout=60
destroy p
mem
poweroff' --file "$WORK/paeguest.bin"

expect_clean_poweroff "Bochs run ends with a clean poweroff"
expect_seq "VMX probed: EPT with 2M pages only, no A/D; vmx selected" \
	'vmx: VMX revision 0x[0-9a-f]+, .*EPT \(4-level, WB, 2M\), unrestricted guest, VPID' \
	'hv: CPU vendor GenuineIntel: using vmx'
expect_seq "demo: hello, cpuid exits, touch, exit status 7, teardown" \
	'guest demo: hello from the pagoda test guest' \
	'guest demo: cpuid: 100 exits, [0-9]+ cycles/exit' \
	'guest demo: touch: 2048 pages at 0x1000000 stride 4096 size 8388608 ok' \
	'^event guest demo exited status=7$' \
	'^ok wait name=demo state=exited status=7$' \
	'vmm: guest demo destroyed: mode=[a-z]+ tables=[0-9]+ .* free_pages=[0-9]+ \(at create [0-9]+\)'
expect_seq "PAE paging outside long mode: the VMM loads the PDPTEs" \
	'guest p: pae guest: PAE paging on outside long mode' \
	'^ok wait name=p state=exited status=69$'
expect_destroy_pages_back "free pages after destroy equal the count at create"
expect_seq "poweroff" 'vmm: powering off'
tap_end
