# Shared helpers of the pagoda-ctl tests (sourced by tests/ctl/*.t).
#
#   boot_socket TIMEOUT      boot pagoda in QEMU with its console on a UNIX
#                            socket, in the background; sets SOCK, LOG, QEMU_PID
#   ctl ARGS...              scripts/pagoda-ctl --socket $SOCK ARGS...
#   ok_if DESC COMMAND...    one TAP line from a command's status
#   pass DESC / fail DESC [DIAG...]
#   finish_qemu SECONDS      wait for QEMU to end; sets QRC (run-qemu.sh status,
#                            or 999 when it had to be killed)
# A failing check prints why and the last 30 lines of the serial log.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL="$TOP/scripts/pagoda-ctl"
TAPN=0
FAILS=0
QEMU_PID=""
WORK=$(mktemp -d /tmp/pagoda-ctl-test.XXXXXX)

kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$pid" 2>/dev/null
}

cleanup() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill_tree "$QEMU_PID"
		wait "$QEMU_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

plan() { echo "1..$1"; }

tail_log() {
	echo "# --- last 30 lines of the serial log ---"
	tail -n 30 "$LOG" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' | awk '{ print "#   " $0 }'
}

pass() { TAPN=$((TAPN + 1)); echo "ok $TAPN - $1"; }
fail() {
	TAPN=$((TAPN + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $TAPN - $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
	tail_log
}

ok_if() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc" "check failed: $*"; fi
}

boot_socket() {
	local timeout=$1
	if [ ! -f "$TOP/build/pagoda.efi" ] || [ ! -f "$TOP/build/guest/testguest.bin" ]; then
		echo "# building pagoda (make all)"
		make -C "$TOP" all > "$WORK/make.log" 2>&1 || { echo "# make all failed"; sed 's/^/# /' "$WORK/make.log" | tail -n 20; }
	fi
	SOCK=$WORK/console.sock
	LOG=$WORK/serial.log
	"$TOP/scripts/run-qemu.sh" --serial-socket "$SOCK" --timeout "$timeout" --log "$LOG" \
		> /dev/null 2> "$WORK/run-qemu.err" &
	QEMU_PID=$!
}

ctl() { "$CTL" --socket "$SOCK" "$@"; }

finish_qemu() {
	local limit=$1 i
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
