#!/usr/bin/env bash
# The screen console and the serial port configuration.
#
# Boot 1: QEMU's standard VGA (OVMF gives it a GOP framebuffer); the startup
# file prints known lines with the console on both, on the screen alone and
# on the serial port alone.  The framebuffer is read back through QEMU's
# monitor (screendump) and decoded cell by cell against the console's own
# font table (tests/qemu/screen_text.c: a cell is a character only when
# every pixel matches its glyph), and the decoded rows are compared with
# the lines expected, exactly.
# Boot 2: \pagoda\config says serial=0x2f8: the whole log goes to COM2,
# nothing of pagoda's to COM1.
# Boot 3: \pagoda\config names a port where no UART answers: the screen is
# the console, and the log says so there.
source "$(dirname "$0")/../ctl/lib.sh"
boot() { boot_startup run-qemu.sh "$@"; }
plan 14

cc -std=gnu11 -Wall -Wextra -Werror -I"$TOP" -o "$WORK/screen_text" \
	"$TOP/tests/qemu/screen_text.c" "$TOP/arch/x86/font8x16.c" ||
	fail_rest "cannot build tests/qemu/screen_text.c"

# mon CMD: run one QEMU monitor command on $WORK/mon.sock and wait for its
# prompt (screendump has written the file when the prompt comes back).
mon() {
	python3 - "$WORK/mon.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
def prompt():
    buf = b""
    try:
        while not buf.endswith(b"(qemu) "):
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except socket.timeout:
        pass
prompt()
s.sendall(sys.argv[2].encode() + b"\n")
prompt()
PY
}

# wait_for FILE REGEX SECONDS: true once a line of FILE matches (scaled).
wait_for() {
	local i limit
	limit=$(scaled "$3")
	for i in $(seq 1 $((limit * 5))); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# screen NAME: dump the screen and decode it into $WORK/NAME.txt.
screen() {
	rm -f "$WORK/$1.ppm"
	mon "screendump $WORK/$1.ppm" && "$WORK/screen_text" "$WORK/$1.ppm" > "$WORK/$1.txt"
}

# on_screen NAME DESC REGEX...: the REGEXes match whole decoded rows of
# NAME's screen, in order.
on_screen() {
	local name=$1 desc=$2; shift 2
	local saved=$LOG
	LOG=$WORK/$name.txt
	expect_seq "$desc" "$@"
	LOG=$saved
}

# boot_bg NAME STARTUP-FILE [run-qemu options...] [-- QEMU args]: boot in
# the background with a monitor socket and standard VGA; sets LOG, SOCK.
boot_bg() {
	local name=$1 startup=$2; shift 2
	SOCK=$WORK/$name.sock
	LOG=$WORK/$name.log
	rm -f "$WORK/mon.sock"
	"$TOP/scripts/run-qemu.sh" --startup "$startup" --timeout "$(scaled 300)" --log "$LOG" "$@" \
		> /dev/null 2> "$WORK/$name.err" &
	QEMU_PID=$!
	local i
	for i in $(seq 1 100); do [ -S "$WORK/mon.sock" ] && break; sleep 0.1; done
}
MONARGS=(-vga std -monitor "unix:$WORK/mon.sock,server=on,wait=off")

# --- boot 1: mirroring on, screen only, serial only --------------------------
cat > "$WORK/one.startup" <<'CMDS'
set console=both
mem
create scr mem=16M image=test cmdline="hello exit=0"
start scr
wait scr
destroy scr
set console=screen
create onscreen mem=16M image=test
destroy onscreen
set console=both
set console=bogus
set console=serial
create quiet mem=16M image=test
destroy quiet
CMDS
boot_bg one "$WORK/one.startup" --serial-socket "$WORK/one.sock" -- "${MONARGS[@]}"
if wait_for "$LOG" '^ok destroy name=quiet' 120 && screen one; then
	pass "boot 1 ran its startup file and the screen was dumped"
else
	fail "boot 1 ran its startup file and the screen was dumped" "$(tail -n 3 "$WORK/one.err")"
fi
ctl poweroff > /dev/null 2>&1
finish_qemu 60
RC=$QRC
sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$LOG"
touch "$WORK/one.txt"
expect_clean_poweroff "boot 1 powered off cleanly"
mem_line=$(grep -m1 -E '^ok mem free_pages=' "$LOG")
on_screen one "the boot log and the startup file's commands, results and guest output are on the screen" \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: screen [0-9]+x[0-9]+ \([0-9]+x[0-9]+ characters\), framebuffer at 0x[0-9a-f]+$' \
	'^\[ *[0-9]+\.[0-9]{6}\] vmm: ready: [0-9]+ pages free$' \
	'^pagoda> set console=both$' \
	'^ok set teardown=skip slice=10 console=both$' \
	'^pagoda> mem$' \
	"^${mem_line:-ok mem free_pages=NONE}\$" \
	'^ok create name=scr id=1 mem=16M' \
	'^\[ *[0-9]+\.[0-9]{6}\] guest scr: hello from the pagoda test guest$' \
	'^ok wait name=scr state=exited status=1$' \
	'^ok destroy name=scr '
on_screen one "console=screen: its lines are on the screen" \
	'^pagoda> set console=screen$' \
	'^ok set teardown=skip slice=10 console=screen$' \
	'^pagoda> create onscreen mem=16M image=test$' \
	'^ok create name=onscreen id=[0-9]+ mem=16M' \
	'^ok set teardown=skip slice=10 console=both$' \
	'^err set console must be serial, screen or both$' \
	'^pagoda> set console=serial$'
expect_no_line "console=screen: its lines are not on the serial port" \
	'^ok set .*console=screen$|create onscreen|name=onscreen'
expect_seq "console=both and console=serial: every line is on the serial port" \
	'boot: pagoda starting' 'vmm: ready' '^ok set teardown=skip slice=10 console=both$' \
	'^ok mem free_pages=' 'guest scr: hello from the pagoda test guest' \
	'^ok destroy name=scr ' \
	'^ok set teardown=skip slice=10 console=both$' '^err set console must be' \
	'^ok set teardown=skip slice=10 console=serial$' '^ok create name=quiet' '^ok destroy name=quiet'
ok_if "console=serial: lines after it are not on the screen" \
	test -s "$WORK/one.txt" -a -z "$(grep -E '^ok set .*console=serial$|name=quiet|create quiet' "$WORK/one.txt")"
ok_if "every screen row is made of the font's glyphs (no unknown cell)" \
	test -s "$WORK/one.txt" -a -z "$(grep -F '~' "$WORK/one.txt")"

# --- boot 2: \pagoda\config moves the console to COM2 ------------------------
printf '# the board has its console UART on COM2\nserial = 0x2f8\nbaud=115200\nconsole=both\n' \
	> "$WORK/config"
boot hello2 120 --file "$WORK/config" -- -serial "file:$WORK/com2.log" <<'CMDS'
mem
poweroff
CMDS
sed -i 's/\r//g' "$WORK/com2.log" 2>/dev/null
COM1_LOG=$LOG
LOG=$WORK/com2.log
# run-qemu.sh decides "clean poweroff" from COM1's log, where pagoda no
# longer writes: status 2 (QEMU ended by itself, no poweroff line seen) is
# what a clean run gives here; 124 would be a timeout.
ok_if "boot 2 ended by itself (run-qemu.sh status 2: its poweroff check reads COM1)" test "$RC" = 2
expect_seq "with serial=0x2f8 in \\pagoda\\config the whole log is on COM2, from its first line" \
	'^\[ *0\.[0-9]{6}\] boot: pagoda starting' \
	'boot: loaded \\pagoda\\config' \
	'boot: \\pagoda\\config: serial=0x2f8 baud=115200 console=both$' \
	'vmm: ready' '^pagoda> mem$' '^ok mem free_pages=' 'vmm: powering off'
LOG=$COM1_LOG
expect_no_line "and nothing of pagoda's on COM1" 'boot: pagoda starting|pagoda>|vmm: '

# --- boot 3: no UART where the config says: the screen is the console ---------
mkdir -p "$WORK/three"
printf 'serial=0x2e8\n' > "$WORK/three/config"
printf 'mem\n' > "$WORK/three.startup"
boot_bg three "$WORK/three.startup" --file "$WORK/three/config" -- "${MONARGS[@]}"
found=0
for i in $(seq 1 "$(scaled 60)"); do
	sleep 1
	screen three 2> /dev/null && grep -qE '^ok mem free_pages=' "$WORK/three.txt" && { found=1; break; }
	kill -0 "$QEMU_PID" 2> /dev/null || break
done
mon quit > /dev/null 2>&1
finish_qemu 30
touch "$WORK/three.txt"
ok_if "boot 3: the startup file's result reached the screen" test "$found" = 1
on_screen three "boot 3: the log says on the screen that no UART answers and the screen is the console" \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: \\pagoda\\config: serial=0x2e8 baud=115200 console=both$' \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: no 16550 UART answers at port 0x2e8: the screen is the console$' \
	'^pagoda> mem$' '^ok mem free_pages=[0-9]+ '
LOG=$WORK/three.log
expect_no_line "boot 3: nothing of pagoda's on COM1" 'boot: pagoda starting|pagoda>|vmm: '
tap_end
