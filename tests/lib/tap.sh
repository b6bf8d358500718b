# TAP and serial-log helpers shared by the boot tests (tests/qemu, tests/vmx,
# tests/ctl); sourced by their lib.sh, not run.  Every test prints its plan
# up front and ends with tap_end.
#
#   TOP, WORK                   the source tree; a scratch directory removed
#                               at exit (after tap_exit_hook, which a lib.sh
#                               may redefine)
#   LOG                         the serial log every check below reads
#   plan N                      print "1..N"
#   pass DESC / fail DESC [DIAG...]
#                               one TAP line; a failure prints each DIAG and
#                               the last 40 lines of $LOG
#   fail_rest REASON            fail every planned test not yet run, exit 1
#   ok_if DESC COMMAND...       one TAP line from a command's status
#   tap_end                     exit 1 if a test failed or the count is not
#                               the plan, else 0
#   boot_startup SCRIPT NAME TIMEOUT [options...] <<'EOF' ... EOF
#                               run scripts/SCRIPT (run-qemu.sh, run-bochs.sh)
#                               with the startup file read from stdin (its
#                               timeout=N and TIMEOUT scaled); sets
#                               LOG (escapes and CRs removed), RC (its exit
#                               status) and BOOT_ERR (its stderr)
#   expect_clean_poweroff DESC  RC is 0; else the status and stderr's tail
#   expect_seq DESC REGEX...    the REGEXes match lines of the log in order
#   expect_no_line DESC REGEX   no log line matches (else the first 3 that do)
#   expect_pages_back           the log has two or more `ok mem` lines (at the
#                               start of a line) and the first and last
#                               free_pages counts are equal
#   expect_destroy_pages_back DESC
#                               there is a "vmm: guest X destroyed:" line and
#                               each has free_pages equal to "(at create N)"
#   field REGEX N               the Nth (1-based, -1 = last) match of REGEX's
#                               first capture group in the log
#   masks_outside LIST ALLOWED  of the `stats` vcpu_cpus= masks in LIST
#                               ("0x2/0xe/..."), those that are 0 or name a
#                               CPU not in the mask ALLOWED (empty: all in)
#   scaled SECONDS              SECONDS times $PAGODA_TIMEOUT_SCALE (default 1,
#                               may be fractional), rounded up: every timeout
#                               of the boot tests goes through it, so a slow
#                               machine raises them all with one variable
#
# Rules every boot test keeps (make test must not be flaky): assert only
# what pagoda guarantees.  Lines of one guest (or one vCPU) come in the order
# it printed them, and its result lines after its own output; but nothing
# orders the lines of two guests or two vCPUs running at once, so no
# expect_seq may mix them.  No figure that depends on speed is compared
# with a fixed bound, and every wait is a timeout through `scaled`.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/pagoda-test.XXXXXX)
TAPN=0
FAILS=0
TAP_PLAN=
LOG=${LOG:-$WORK/serial.log}

tap_exit_hook() { :; }
trap 'tap_exit_hook; rm -rf "$WORK"' EXIT

plan() { TAP_PLAN=$1; echo "1..$1"; }

PAGODA_TIMEOUT_SCALE=${PAGODA_TIMEOUT_SCALE:-1}
export PAGODA_TIMEOUT_SCALE
scaled() { awk -v t="$1" -v s="$PAGODA_TIMEOUT_SCALE" 'BEGIN { v = t * s; r = int(v); if (r < v) r++; print r }'; }

# The startup text on stdin with every "timeout=N" of a console command
# scaled (a wait's timeout is wall time too).
scale_startup() {
	local s=$PAGODA_TIMEOUT_SCALE
	awk -v s="$s" '{
		out = ""
		while (match($0, /timeout=[0-9]+/)) {
			v = substr($0, RSTART + 8, RLENGTH - 8) * s; r = int(v); if (r < v) r++
			out = out substr($0, 1, RSTART - 1) "timeout=" r
			$0 = substr($0, RSTART + RLENGTH)
		}
		print out $0
	}'
}

tail_log() {
	echo "# --- last 40 lines of the serial log ($LOG) ---"
	# awk ends every line, the log's last one (often a bare prompt) too.
	tail -n 40 "$LOG" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' | awk '{ print "#   " $0 }'
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

fail_rest() {
	while [ "$TAPN" -lt "$TAP_PLAN" ]; do fail "skipped: $1"; done
	exit 1
}

ok_if() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc" "check failed: $*"; fi
}

tap_end() {
	if [ "$TAPN" != "$TAP_PLAN" ]; then
		echo "# planned $TAP_PLAN tests but ran $TAPN"
		exit 1
	fi
	[ "$FAILS" -eq 0 ] && exit 0
	exit 1
}

boot_startup() {
	local script=$1 name=$2 timeout=$3; shift 3
	LOG=$WORK/$name.log
	BOOT_ERR=$WORK/$name.err
	scale_startup > "$WORK/$name.startup"
	"$TOP/scripts/$script" --startup "$WORK/$name.startup" --timeout "$(scaled "$timeout")" \
		--log "$LOG" "$@" > /dev/null 2> "$BOOT_ERR"
	RC=$?
	[ -f "$LOG" ] || : > "$LOG"
	# Plain lines only: no CRs, no firmware terminal escape sequences.
	sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$LOG"
}

expect_clean_poweroff() {
	if [ "$RC" = 0 ]; then pass "$1"
	else fail "$1" "the boot script exited $RC (124: timeout, 2: no clean poweroff)" \
		"$(tail -n 5 "$BOOT_ERR" 2>/dev/null | tr '\n' ' ')"; fi
}

expect_seq() {
	local desc=$1; shift
	local from=1 re n
	for re in "$@"; do
		n=$(tail -n +"$from" "$LOG" | grep -n -E -m1 -- "$re" | cut -d: -f1)
		if [ -z "$n" ]; then
			fail "$desc" "no line matching /$re/ after line $((from - 1)) of the log"
			return
		fi
		from=$((from + n))
	done
	pass "$desc"
}

expect_no_line() {
	local hits
	hits=$(grep -E -- "$2" "$LOG" | head -n 3)
	if [ -z "$hits" ]; then pass "$1"; else fail "$1" "$hits"; fi
}

masks_outside() {
	local m bad=""
	for m in ${1//\// }; do
		[ $((m)) -eq 0 -o $((m & ~$2)) -ne 0 ] && bad="$bad $m"
	done
	echo "$bad"
}

field() {
	local all
	all=$(sed -n -E "s/.*$1.*/\\1/p" "$LOG")
	if [ "$2" = -1 ]; then echo "$all" | tail -n 1; else echo "$all" | sed -n "${2}p"; fi
}

expect_pages_back() {
	local m0 m1 n
	m0=$(grep -m1 -oE '^ok mem free_pages=[0-9]+' "$LOG" | cut -d= -f2)
	m1=$(grep -oE '^ok mem free_pages=[0-9]+' "$LOG" | tail -n 1 | cut -d= -f2)
	n=$(grep -c '^ok mem free_pages=' "$LOG")
	ok_if "free pages at the end ($m1) == at the start ($m0)" \
		test -n "$m0" -a "$m0" = "$m1" -a "${n:-0}" -ge 2
}

expect_destroy_pages_back() {
	local lines bad
	lines=$(grep -E 'vmm: guest [^ ]+ destroyed:' "$LOG")
	bad=$(echo "$lines" | sed -nE 's/.*guest ([^ ]+) destroyed:.* free_pages=([0-9]+) \(at create ([0-9]+)\).*/\1 \2 \3/p' |
		awk '$2 != $3 { print $1 ": " $2 " free after destroy, " $3 " at create" }')
	if [ -z "$lines" ]; then fail "$1" "no destroyed line"
	elif [ -n "$bad" ]; then fail "$1" "$bad"
	else pass "$1"; fi
}
