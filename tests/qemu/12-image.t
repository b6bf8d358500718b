#!/usr/bin/env bash
# The USB-stick image (make image: build/pagoda.img, GPT + one FAT32 ESP)
# boots: the firmware finds \EFI\BOOT\BOOTX64.EFI on it, pagoda loads the
# files of \pagoda\ from it (the test guest, the C test guests, the startup
# file) and runs the default startup file's guest.  The default startup file
# leaves the console waiting, so the image booted is a copy of the real one
# with only \pagoda\startup.txt replaced (mtools): the default file plus a
# `poweroff` line.  This test builds nothing: make test makes the image.
source "$(dirname "$0")/lib.sh"
plan 5
img=$TOP/build/pagoda.img
if [ ! -f "$img" ]; then
	echo "Bail out! $img is missing (make image)"
	exit 1
fi
cp "$img" "$WORK/pagoda.img"
off=$("$TOP/scripts/mkimage.sh" --offset "$WORK/pagoda.img")
{ cat "$TOP/guest/default-startup.txt"; echo poweroff; } > "$WORK/startup.txt"
LOG=$WORK/image.log
if [ -z "$off" ] || ! mcopy -o -i "$WORK/pagoda.img@@$off" "$WORK/startup.txt" ::/pagoda/startup.txt; then
	fail_rest "cannot replace \\pagoda\\startup.txt in a copy of the image"
fi
"$TOP/scripts/run-qemu.sh" --image "$WORK/pagoda.img" --timeout "$(scaled 120)" --log "$LOG" \
	> /dev/null 2> "$WORK/image.err"
RC=$?
BOOT_ERR=$WORK/image.err
sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$LOG"
expect_clean_poweroff "the image boots and the VMM powers off cleanly (run-qemu.sh status 0)"
expect_seq "pagoda started from the image and loaded its files from the image's ESP" \
	'boot: pagoda starting' \
	'boot: loaded \\pagoda\\startup.txt' \
	'boot: loaded \\pagoda\\testguest.bin' \
	'boot: loaded \\pagoda\\basics.elf' \
	'boot: exiting boot services' \
	'svm: SVM enabled' \
	'console: running the startup file'
expect_seq "the default startup file's guest ran: hello, CPUID exits, 4 MiB touched, exit 0, destroyed" \
	'^ok create name=demo id=1 mem=64M' \
	'guest demo: hello from the pagoda test guest' \
	'guest demo: cpuid: 1000 exits, [0-9]+ cycles/exit' \
	'guest demo: touch: 1024 pages at 0x1000000 stride 4096 size 4194304 ok' \
	'^event guest demo exited status=1$' \
	'^ok wait name=demo state=exited status=1$' \
	'^ok destroy name=demo' \
	'vmm: powering off'
expect_pages_back
expect_no_line "no VMM exception in the log" 'VMM exception'
tap_end
