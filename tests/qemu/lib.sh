# Shared helpers of the QEMU boot tests (sourced by tests/qemu/*.t).
#
#   boot NAME TIMEOUT [run-qemu options...] <<'EOF' ... startup commands ... EOF
#       boots pagoda with the startup file read from stdin; sets LOG (the
#       serial log) and RC (run-qemu.sh's exit status).
#   ok_if DESC COMMAND...        one TAP line from a command's status
#   no_line REGEX                true when no log line matches
#   expect_pages_back            first and last `mem` free page counts are equal
#   expect_seq DESC REGEX...     the REGEXes match lines of the log in order
#   field REGEX N                the Nth (1-based, -1 = last) match of REGEX's
#                                first capture group in the log
# A failing check prints why and the last 40 lines of the log as diagnostics.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAPN=0
WORK=$(mktemp -d /tmp/pagoda-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

plan() { echo "1..$1"; }

tail_log() {
	echo "# --- last 40 lines of the serial log ($1) ---"
	tail -n 40 "$LOG" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/^/#   /'
}

pass() { TAPN=$((TAPN + 1)); echo "ok $TAPN - $1"; }
fail() { TAPN=$((TAPN + 1)); echo "not ok $TAPN - $1"; shift; for l in "$@"; do echo "# $l"; done; tail_log "$LOG"; }

boot() {
	local name=$1 timeout=$2; shift 2
	LOG="$WORK/$name.log"
	cat > "$WORK/$name.startup"
	"$TOP/scripts/run-qemu.sh" --startup "$WORK/$name.startup" --timeout "$timeout" \
		--log "$LOG" "$@" > /dev/null 2> "$WORK/$name.err"
	RC=$?
	tr -d '\r' < "$LOG" > "$LOG.clean" && mv "$LOG.clean" "$LOG"
	[ $RC -eq 0 ] || echo "# run-qemu.sh exited $RC: $(tail -n 2 "$WORK/$name.err" | tr '\n' ' ')"
}

ok_if() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc" "check failed: $*"; fi
}

expect_seq() {
	local desc=$1; shift
	local from=1 re n
	for re in "$@"; do
		n=$(tail -n +"$from" "$LOG" | grep -n -E -m1 -- "$re" | cut -d: -f1)
		if [ -z "$n" ]; then
			fail "$desc" "no line matching /$re/ after line $from of the log"
			return
		fi
		from=$((from + n))
	done
	pass "$desc"
}

no_line() { ! grep -q -E -- "$1" "$LOG"; }

# The first and last "ok mem free_pages=N" of the log are equal.
expect_pages_back() {
	local m0 m1
	m0=$(field 'ok mem free_pages=([0-9]+).*' 1)
	m1=$(field 'ok mem free_pages=([0-9]+).*' -1)
	ok_if "free pages at the end ($m1) == at the start ($m0)" test -n "$m0" -a "$m0" = "$m1"
}

field() {
	local all
	all=$(sed -n -E "s/.*$1.*/\\1/p" "$LOG")
	if [ "$2" = -1 ]; then echo "$all" | tail -n 1; else echo "$all" | sed -n "${2}p"; fi
}
