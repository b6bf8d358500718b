#!/usr/bin/env bash
# First light: pagoda boots from UEFI, enables SVM, runs the default test
# guest (built in, and loaded from the ESP), which prints hello, measures
# CPUID exits and exits with its code; the teardown line follows.  The
# guest finds the flat GDT a Multiboot loader leaves (GDTR at the end of
# the info page, CS 0x08, DS 0x10).  Bad console input gets clear err lines
# and changes nothing.
source "$(dirname "$0")/lib.sh"
plan 14
printf 'not a multiboot image\n' > "$WORK/garbage.bin"
long=a123456789b123456789c123456789d123456789e123456789f123456789g123456789.bin
printf 'x' > "$WORK/$long"
boot hello 120 --file "$WORK/garbage.bin" --file "$WORK/$long" <<'CMDS'
mem
create demo mem=64M image=test cmdline="hello cpuid=1000 exit=3"
start demo
wait demo
destroy demo
create demo mem=32M image=/pagoda/testguest.bin cmdline="hello sgdt exit=0"
start demo
wait demo
destroy demo
create bad1 mem=64M image=nosuchfile
create bad2 mem=1M image=test
create bad3 mem=64M image=garbage.bin
create bad!name mem=64M image=test
create bad4 mem=64Q image=test
destroy nosuchguest
frobnicate
create dup mem=16M image=test mem=32M
create 0x1 mem=16M image=test
list extra
help
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly (run-qemu.sh status 0)"
expect_seq "boot, SVM, guest output, exit and teardown lines in order" \
	'boot: pagoda starting' \
	'boot: exiting boot services' \
	'pmm: [0-9]+ MiB usable' \
	'pmm: reclaimed [1-9][0-9]* MiB of boot-services memory' \
	'svm: SVM enabled' \
	'ok create name=demo id=1 mem=64M' \
	'guest demo: pagoda test guest: cmdline "hello cpuid=1000 exit=3" mem=64M' \
	'guest demo: hello from the pagoda test guest' \
	'guest demo: cpuid: 1000 exits, [0-9]+ cycles/exit' \
	'event guest demo exited status=7' \
	'ok wait name=demo state=exited status=7' \
	'vmm: guest demo destroyed: mode=skip tables=[0-9]+ visited=[0-9]+ skipped=[0-9]+ changed=[0-9]+ tables_freed=[0-9]+ pages_freed=[1-9][0-9]* us=[0-9]+' \
	'ok destroy name=demo'
expect_seq "the image loaded from the ESP runs too (name and id reusable after destroy)" \
	'boot: loaded \\pagoda\\testguest.bin' \
	'ok create name=demo id=1 mem=32M' \
	'guest demo: hello from the pagoda test guest' \
	'ok wait name=demo state=exited status=1'
expect_seq "a file name too long for the VMM is skipped with a reason; the others load" \
	'boot: skipped \\pagoda\\a123456789b123456789c123456789d123456789e123456789f123456789g12: name longer than 63 characters' \
	'boot: 1 file\(s\) of \\pagoda skipped'
ok_if "every other file of \\pagoda was loaded" grep -q 'boot: loaded \\pagoda\\garbage.bin' "$LOG"
expect_seq "the guest enters with GDTR = the flat loader GDT (0x8fe8, limit 23), CS 0x08, DS 0x10" \
	'ok create name=demo id=1 mem=32M' \
	'guest demo: sgdt: gdtr base=0x8fe8 limit=23 cs=0x8 ds=0x10 ok' \
	'ok wait name=demo state=exited status=1'
expect_seq "missing image, tiny memory and a malformed image are refused" \
	'err create no image "nosuchfile"' \
	'err create mem must be' \
	'err create bad image: no known image format \(no Multiboot header'
expect_seq "bad names, sizes, guests and commands are refused" \
	'err create bad name' \
	'err create bad size "64Q"' \
	'err destroy no guest "nosuchguest"' \
	'err frobnicate unknown command'
expect_seq "a repeated key, a name that reads as an id and a stray argument are refused" \
	'err create key "mem" given twice' \
	'err create bad name' \
	'err list unexpected argument "extra"'
expect_seq "help lists every command from the command table" \
	'^  create NAME mem=SIZE image=PATH\|test' '^  start NAME' '^  stop NAME' '^  resume NAME' \
	'^  wait NAME \[timeout=S\]' '^  destroy NAME' '^  list' '^  stats NAME' '^  mem' \
	'^  set ' '^  dirtylog NAME on\|harvest\|off' '^  log ' '^  help' '^  poweroff' '^  reboot' \
	'^ok help'
expect_pages_back
td_tables=$(field 'guest demo destroyed: .* tables=([0-9]+) .*' 1)
td_freed=$(field 'guest demo destroyed: .* tables_freed=([0-9]+) .*' 1)
ok_if "teardown freed every table ($td_freed of $td_tables)" test -n "$td_tables" -a "$td_tables" = "$td_freed"
expect_no_line "no VMM exception in the log" 'VMM exception'
expect_no_line "the image is pagoda's own, not the EXIT_FLOOR measurement image" 'EXIT_FLOOR image'
tap_end
