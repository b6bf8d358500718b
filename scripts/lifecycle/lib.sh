# Shared helpers of the lifecycle scripts (sourced, not run).
#
#   boot_pagoda [TIMEOUT]   boot pagoda in QEMU (scripts/run-qemu.sh) with the
#                           console on a UNIX socket; sets SOCK, LOG, QEMU_PID.
#                           With $PAGODA_SOCKET set, use that running pagoda
#                           instead (and $PAGODA_LOG, if set, as its serial log).
#   ctl ARGS...             scripts/pagoda-ctl on that console
#   field NAME TEXT         the value of NAME=value in TEXT (first match)
#   guest_lines NAME        the output lines of guest NAME in the serial log
#   shutdown_pagoda         poweroff and wait for QEMU to end (status 0 if clean)
#   say / die               progress line / failure (exit 1)

LC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL="$LC_TOP/scripts/pagoda-ctl"
QEMU_PID=""
OWN_QEMU=0
LC_WORK=""

say() { echo "== $*"; }

die() {
	echo "FAIL: $*" >&2
	if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
		echo "--- last 30 lines of the serial log ($LOG) ---" >&2
		tail -n 30 "$LOG" | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' >&2
	fi
	exit 1
}

# Kill PID and every process below it, by id, deepest first.
kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$pid" 2>/dev/null
}

lc_cleanup() {
	if [ "$OWN_QEMU" = 1 ] && [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill_tree "$QEMU_PID"
		wait "$QEMU_PID" 2>/dev/null
	fi
	[ -n "$LC_WORK" ] && [ -z "${KEEP_WORK:-}" ] && rm -rf "$LC_WORK"
}

boot_pagoda() {
	local timeout=${1:-300}
	if [ -n "${PAGODA_SOCKET:-}" ]; then
		SOCK=$PAGODA_SOCKET
		LOG=${PAGODA_LOG:-}
		say "using the running pagoda on $SOCK"
		return
	fi
	if [ ! -f "$LC_TOP/build/pagoda.efi" ]; then
		say "building pagoda (make all)"
		make -C "$LC_TOP" all >/dev/null || die "make all failed"
	fi
	LC_WORK=$(mktemp -d /tmp/pagoda-lifecycle.XXXXXX)
	SOCK=$LC_WORK/console.sock
	LOG=$LC_WORK/serial.log
	trap lc_cleanup EXIT
	"$LC_TOP/scripts/run-qemu.sh" --serial-socket "$SOCK" --timeout "$timeout" --log "$LOG" \
		>/dev/null 2>"$LC_WORK/run-qemu.err" &
	QEMU_PID=$!
	OWN_QEMU=1
	say "booting pagoda in QEMU (pid $QEMU_PID, serial log $LOG)"
	ctl mem >/dev/null || die "pagoda did not come up"
}

ctl() { "$CTL" --socket "$SOCK" "$@"; }

field() { sed -n -E "s/.*(^| )$1=\"?([^\" ]*).*/\\2/p" <<<"$2" | head -n 1; }

guest_lines() {
	[ -n "${LOG:-}" ] && [ -f "$LOG" ] || return 0
	tr -d '\r' < "$LOG" | grep -E "\] guest $1: " | sed -E 's/^(pagoda> )*//; s/^\[ *[0-9.]+\] //'
}

shutdown_pagoda() {
	if [ "$OWN_QEMU" != 1 ]; then
		return 0
	fi
	say "poweroff"
	ctl poweroff >/dev/null || echo "poweroff: no ok line" >&2
	local i rc
	for i in $(seq 1 300); do
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$QEMU_PID" 2>/dev/null; then
		echo "QEMU still running 30 s after poweroff" >&2
		return 1
	fi
	wait "$QEMU_PID"
	rc=$?
	[ $rc -eq 0 ] || echo "run-qemu.sh ended with status $rc" >&2
	return $rc
}
