#!/usr/bin/env bash
# A Multiboot kernel in ELF32 form (no a.out kludge), loaded from the ESP:
# pagoda places its PT_LOAD segments, leaves its bss-only segment to fresh
# zero pages, enters it in 32-bit protected mode with the Multiboot magic,
# and its exit code comes back.  guest/elfguest.asm checks the magic and
# that its bss reads zero before it prints.
source "$(dirname "$0")/lib.sh"
plan 3
if ! nasm -f elf32 -o "$WORK/elfguest.o" "$TOP/guest/elfguest.asm" ||
	! ld -m elf_i386 -T "$TOP/guest/elfguest.ld" -o "$WORK/elfguest.elf" "$WORK/elfguest.o"; then
	echo "Bail out! cannot build the ELF test guest"
	exit 1
fi
boot elf 120 --file "$WORK/elfguest.elf" <<'CMDS'
mem
create e mem=8M image=elfguest.elf
start e
wait e timeout=60
destroy e
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "the ELF32 kernel is loaded, sees its magic and a zero bss, and exits" \
	'vmm: guest e created: .* entry=0x100080 ' \
	'ok create name=e id=1 mem=8M' \
	'guest e: elf guest: multiboot ELF32 loaded, bss zero' \
	'ok wait name=e state=exited status=67'
expect_pages_back
tap_end
