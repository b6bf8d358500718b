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
#   console_up [BOOT_TIMEOUT]
#                            wait for the console (pagoda-ctl mem, up to
#                            BOOT_TIMEOUT s, default 120): a TAP
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
	out=$(ctl --boot-timeout "${1:-120}" mem 2>&1)
	FREE0=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
	if [ -n "$FREE0" ]; then
		pass "pagoda came up ($FREE0 pages free)"
	else
		fail "pagoda came up" "$out" "$(cat "$WORK/run-qemu.err")"
		fail_rest "no console"
	fi
}

ctl() { "$CTL" --socket "$SOCK" "$@"; }

# run_cycles N PER_CYCLE EXTRA TIMEOUT: run $WORK/cycles.txt (N cycles of
# PER_CYCLE commands and EXTRA others) in one `pagoda-ctl run`, each
# command within TIMEOUT seconds, into $WORK/cycles.out; three TAP lines
# (exit status, every command ok, every guest "cyc" exited with status 1).
# Then NDES (destroys seen), BAD (destroys whose free_pages is not $free0)
# and F_END (free pages at the end) are set for the caller's checks.
run_cycles() {
	local n=$1 per=$2 extra=$3 timeout=$4 t0 t1 rc nok nwait secs
	t0=$(date +%s.%N)
	ctl --timeout "$timeout" run "$WORK/cycles.txt" > "$WORK/cycles.out" 2> "$WORK/cycles.err"
	rc=$?
	t1=$(date +%s.%N)
	secs=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
	echo "# $n cycles in $secs s ($(awk "BEGIN { printf \"%.0f\", ($t1 - $t0) * 1000 / $n }") ms per cycle)"
	ok_if "run of $n cycles: exit status 0 (got $rc)" [ $rc -eq 0 ]
	if [ $rc -ne 0 ]; then
		tail -n 5 "$WORK/cycles.out" | sed 's/^/# /'
		sed 's/^/# /' "$WORK/cycles.err" | tail -n 5
	fi
	nok=$(grep -c '^ok ' "$WORK/cycles.out")
	ok_if "all $((per * n + extra)) commands answered ok (got $nok)" [ "$nok" -eq $((per * n + extra)) ]
	nwait=$(grep -c '^ok wait name=cyc state=exited status=1$' "$WORK/cycles.out")
	ok_if "every guest exited with status 1 ($nwait of $n)" [ "$nwait" -eq "$n" ]
	BAD=$(sed -n 's/^ok destroy name=cyc free_pages=\([0-9]*\)$/\1/p' "$WORK/cycles.out" | grep -vcx "$free0")
	NDES=$(grep -c '^ok destroy name=cyc free_pages=' "$WORK/cycles.out")
	F_END=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' "$WORK/cycles.out" | tail -n 1)
}

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
