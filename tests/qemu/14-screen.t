#!/usr/bin/env bash
# The screen console and the serial port configuration.
#
# Boot 1: QEMU's standard VGA (OVMF gives it a GOP framebuffer); the startup
# file prints known lines with the console on both, on the screen alone and
# on the serial port alone.  The framebuffer is read back through QEMU's
# monitor (screendump) and decoded cell by cell against the console's own
# font table (tests/qemu/screen_text.c: a cell is a character only when
# every pixel matches its glyph), and the decoded rows are compared with
# the lines expected, exactly.  The startup file's output after `help`
# fits the 50 rows of OVMF's default mode on QEMU's VGA (1280x800), and the
# boot log before it makes the screen scroll.  Then typed input with a
# backspace, echoed on the screen.
# Boot 2: \pagoda\config says serial=0x2f8: the whole log goes to COM2,
# nothing of pagoda's to COM1.
# Boot 3: \pagoda\config names a port where no UART answers: the screen is
# the console, and the log says so there.
source "$(dirname "$0")/../ctl/lib.sh"
boot() { boot_startup run-qemu.sh "$@"; }
plan 18

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

# wait_count FILE REGEX N SECONDS: true once N lines of FILE match (scaled).
wait_count() {
	local i limit
	limit=$(scaled "$4")
	for i in $(seq 1 $((limit * 5))); do
		[ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
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
help
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
# Typed input is echoed to the screen too: "memx", a DEL, Enter runs "mem"
# and the screen row shows "pagoda> mem" (the x drawn over by a space).
typed() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for ch in sys.argv[2].encode().decode("unicode_escape").encode("latin-1"):
    s.sendall(bytes([ch]))
    time.sleep(0.02)
time.sleep(0.3)
s.close()
PY
}
typed 'set console=both\r'
wait_count "$LOG" '^ok set .*console=both$' 3 20
typed 'memx\x7f\r'
wait_count "$LOG" '^ok mem free_pages=' 2 20
screen two || : > "$WORK/two.txt"
ctl poweroff > /dev/null 2>&1
finish_qemu 60
RC=$QRC
sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$LOG"
touch "$WORK/one.txt"
expect_clean_poweroff "boot 1 powered off cleanly"
mem_line=$(grep -m1 -E '^ok mem free_pages=' "$LOG")
# (The boot log's own lines are checked in boot 3, whose screen does not
# scroll: here they may have scrolled away.)
on_screen one "the startup file's commands, results and guest output are on the screen" \
	'^pagoda> set console=both$' \
	'^ok set teardown=skip slice=10 console=both$' \
	'^pagoda> mem$' \
	"^${mem_line:-ok mem free_pages=NONE}\$" \
	'^ok create name=scr id=1 mem=16M' \
	'^\[ *[0-9]+\.[0-9]{6}\] guest scr: hello from the pagoda test guest$' \
	'^ok wait name=scr state=exited status=1$' \
	'^ok destroy name=scr '
on_screen one "help's last rows and the lines after them are on the screen" \
	'^  set \[teardown=noskip\|skip\|summary\] \[slice=MS\] \[console=serial\|screen\|both\] \[exitcount=on\|off\] \[smp=on\|off\]$' \
	'^ok help$' '^pagoda> set console=both$' '^pagoda> mem$'
ok_if "the screen scrolled: its first row is no longer the log's first line" \
	test -s "$WORK/one.txt" -a -z "$(head -n 1 "$WORK/one.txt" | grep 'boot: pagoda starting')"
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
# The screen's last four rows, exactly: the reply to the typed set, the
# typed line with its x erased, mem's result, the prompt.
last4=$(grep -v '^$' "$WORK/two.txt" | tail -n 4 | sed -E 's/free_pages=[0-9]+ .*/free_pages=N/')
want4=$(printf '%s\n' 'ok set teardown=skip slice=10 console=both' 'pagoda> mem' 'ok mem free_pages=N' 'pagoda>')
if [ "$last4" = "$want4" ]; then
	pass "typed input is echoed on the screen, a backspace erases"
else
	fail "typed input is echoed on the screen, a backspace erases" "last rows:" "$last4"
fi

# --- boot 2: \pagoda\config moves the console to COM2 ------------------------
printf '# the board has its console UART on COM2\nserial = 0x2f8\nbaud=115200\nconsole=both\n' \
	> "$WORK/config"
boot hello2 120 --file "$WORK/config" --poweroff-log "$WORK/com2.log" \
	-- -serial "file:$WORK/com2.log" <<'CMDS'
mem
poweroff
CMDS
sed -i 's/\r//g' "$WORK/com2.log" 2>/dev/null
COM1_LOG=$LOG
LOG=$WORK/com2.log
# run-qemu.sh checks the poweroff line in COM2's log (--poweroff-log).
ok_if "boot 2 powered off cleanly (run-qemu.sh status $RC, the poweroff line on COM2)" test "$RC" = 0
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
on_screen three "boot 3: the whole log from its first line, and that no UART answers so the screen is the console" \
	'^\[ *0\.[0-9]{6}\] boot: pagoda starting' \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: \\pagoda\\config: serial=0x2e8 baud=115200 console=both$' \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: no 16550 UART answers at port 0x2e8: the screen is the console$' \
	'^\[ *[0-9]+\.[0-9]{6}\] boot: screen [0-9]+x[0-9]+ \([0-9]+x[0-9]+ characters\), framebuffer at 0x[0-9a-f]+$' \
	'^\[ *[0-9]+\.[0-9]{6}\] vmm: ready: [0-9]+ pages free, [0-9]+ kept from guest demand$' \
	'^pagoda> mem$' '^ok mem free_pages=[0-9]+ '
ok_if "boot 3: the log's first line is the screen's first row" \
	grep -qE '^\[ *0\.[0-9]{6}\] boot: pagoda starting' <(head -n 1 "$WORK/three.txt")
LOG=$WORK/three.log
expect_no_line "boot 3: nothing of pagoda's on COM1" 'boot: pagoda starting|pagoda>|vmm: '
tap_end
