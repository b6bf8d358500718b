#!/usr/bin/env bash
# A guest that runs PAE paging outside long mode (a 32-bit PAE kernel's
# mode), switched on by one CR0 write that also sets CR0.NE: on VMX that
# write exits and the VMM must load the PDPTEs itself; on SVM the hardware
# does.  guest/paeguest.asm reads a marker through the new mapping.  The
# same image runs under Bochs in tests/vmx/02-sandybridge.t.
source "$(dirname "$0")/lib.sh"
plan 3
if ! nasm -f bin -o "$WORK/paeguest.bin" "$TOP/guest/paeguest.asm"; then
	echo "Bail out! cannot build the PAE test guest"
	exit 1
fi
boot pae 120 --file "$WORK/paeguest.bin" <<'CMDS'
mem
create p mem=16M image=paeguest.bin
start p
wait p timeout=60
destroy p
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "PAE paging outside long mode works and the guest exits with its code" \
	'guest p: pae guest: PAE paging on outside long mode' \
	'ok wait name=p state=exited status=69'
expect_pages_back
tap_end
