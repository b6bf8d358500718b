#!/usr/bin/env bash
# The Multiboot boot information (vmm/loader/multiboot.c) as a guest reads
# it: guest/tests/mbinfo.c checks the info page's place and flags, the
# memory map (RAM to 0x9fc00, the EBDA/VGA/BIOS hole reserved, RAM from
# 1 MiB), and the modules of `create ... module=kut.env,msrs.elf`: their
# bytes, strings and page-aligned places above the image.  A third create
# names a module that is not on the ESP and is refused.
source "$(dirname "$0")/lib.sh"
plan 5
for g in mbinfo msrs; do
	if [ ! -f "$TOP/build/guest/$g.elf" ]; then
		echo "Bail out! build/guest/$g.elf is missing (make guests)"
		exit 1
	fi
done
printf 'NR_CPUS=1\nMEMSIZE=8\n' > "$WORK/kut.env"
boot mbinfo 120 --file "$TOP/build/guest/mbinfo.elf" --file "$TOP/build/guest/msrs.elf" \
	--file "$WORK/kut.env" <<'CMDS'
mem
create two mem=8M image=mbinfo.elf module=kut.env,msrs.elf cmdline="mods=2"
start two
wait two timeout=60
destroy two
create none mem=8M image=mbinfo.elf cmdline="mods=0"
start none
wait none timeout=60
destroy none
create bad mem=8M image=mbinfo.elf module=kut.env,nosuch.bin
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "two modules: listed with their strings and bytes, page-aligned above the image" \
	'guest two: # mbinfo: cmdline "mods=2"' \
	'guest two: ok [0-9]+ - the boot information is at 0x8000' \
	'guest two: ok [0-9]+ - mmap 1: \[0x9fc00, 1 MiB\) reserved' \
	'guest two: ok [0-9]+ - module 0: the text file kut.env, its bytes in place' \
	'guest two: ok [0-9]+ - module 1: msrs.elf, its bytes in place' \
	'guest two: # mbinfo: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=two state=exited status=1'
expect_seq "no modules: mods_count 0, the same map" \
	'guest none: ok [0-9]+ - mods_count 0' \
	'guest none: # mbinfo: [0-9]+ passed, 0 failed, 0 skipped: PASS' \
	'ok wait name=none state=exited status=1'
expect_seq "a module that is not on the ESP is refused by name" \
	'err create no module "nosuch.bin"'
expect_pages_back
tap_end
