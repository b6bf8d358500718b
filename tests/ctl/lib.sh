# Shared helpers of the pagoda-ctl tests (sourced by tests/ctl/*.t); the TAP
# and log checks are tests/lib/tap.sh's (plan, pass, fail, ok_if, ...).
#
# Every timeout here goes through `scaled` (tests/lib/tap.sh); pagoda-ctl
# scales its own by the same $PAGODA_TIMEOUT_SCALE.
#
#   boot_socket TIMEOUT [RUN-QEMU ARGS...]
#                            boot pagoda in QEMU with its console on a UNIX
#                            socket, in the background (e.g. --file F puts F
#                            on the ESP); sets SOCK, LOG, QEMU_PID
#   console_up               wait for the console (pagoda-ctl mem): a TAP
#                            line; sets FREE0 (free pages), or fails the rest
#   ctl ARGS...              scripts/pagoda-ctl --socket $SOCK ARGS...
#   finish_qemu SECONDS      wait for QEMU to end; sets QRC (run-qemu.sh status,
#                            or 999 when it had to be killed)

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
CTL="$TOP/scripts/pagoda-ctl"
QEMU_PID=""

kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$pid" 2>/dev/null
}

tap_exit_hook() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill_tree "$QEMU_PID"
		wait "$QEMU_PID" 2>/dev/null
	fi
}

boot_socket() {
	local timeout=$1
	shift
	if [ ! -f "$TOP/build/pagoda.efi" ] || [ ! -f "$TOP/build/guest/testguest.bin" ]; then
		echo "# building pagoda (make all)"
		make -C "$TOP" all > "$WORK/make.log" 2>&1 || { echo "# make all failed"; sed 's/^/# /' "$WORK/make.log" | tail -n 20; }
	fi
	SOCK=$WORK/console.sock
	LOG=$WORK/serial.log
	"$TOP/scripts/run-qemu.sh" --serial-socket "$SOCK" --timeout "$(scaled "$timeout")" --log "$LOG" \
		"$@" > /dev/null 2> "$WORK/run-qemu.err" &
	QEMU_PID=$!
}

console_up() {
	local out
	out=$(ctl --boot-timeout 120 mem 2>&1)
	FREE0=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
	if [ -n "$FREE0" ]; then
		pass "pagoda came up ($FREE0 pages free)"
	else
		fail "pagoda came up" "$out" "$(cat "$WORK/run-qemu.err")"
		fail_rest "no console"
	fi
}

ctl() { "$CTL" --socket "$SOCK" "$@"; }

finish_qemu() {
	local limit i
	limit=$(scaled "$1")
	for i in $(seq 1 $((limit * 10))); do
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$QEMU_PID" 2>/dev/null; then
		kill_tree "$QEMU_PID"
		wait "$QEMU_PID" 2>/dev/null
		QRC=999
	else
		wait "$QEMU_PID"
		QRC=$?
	fi
	QEMU_PID=""
}
