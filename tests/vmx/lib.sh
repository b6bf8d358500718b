# Shared by tests/vmx/*.t: boot pagoda in Bochs (scripts/run-bochs.sh) with a
# startup file and check the serial log, printing TAP.  Sourced, not run.
#
#   vmx_require                 skip the whole test (1..0 # SKIP) without Bochs
#   vmx_guest_image SRC         assemble a guest from tests/vmx/ into $VMX_TMP
#   vmx_boot MODEL TIMEOUT STARTUP-TEXT [run-bochs options...]
#                               boot once; the log is in $VMX_LOG, status $VMX_RC
#   check_rc DESC               the run powered off cleanly (status 0)
#   check_order DESC RE...      each extended regex matches a log line, in order
#   check_free_pages DESC       every "guest X destroyed" line has free_pages
#                               equal to the count at create
#   vmx_done                    print the plan; the log tail if anything failed

VMX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMX_TMP=$(mktemp -d /tmp/pagoda-vmx-test.XXXXXX)
trap 'rm -rf "$VMX_TMP"' EXIT
VMX_LOG=$VMX_TMP/serial.log
VMX_RC=
_n=0
_failed=0

vmx_require() {
	local why=""
	command -v bochs-bin >/dev/null || why="bochs-bin not installed"
	[ -f /usr/share/OVMF/OVMF_CODE.fd ] || why="${why:+$why, }no 2 MiB OVMF (ovmf)"
	[ -f /usr/share/vgabios/vgabios.bin ] || why="${why:+$why, }no vgabios"
	ls /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so* >/dev/null 2>&1 ||
		why="${why:+$why, }no Bochs term display (bochs-term)"
	command -v mformat >/dev/null || why="${why:+$why, }no mtools"
	if [ -n "$why" ] && [ "${PAGODA_REQUIRE_BOCHS:-0}" = 1 ]; then
		# make test installed these: their absence is a failure, not a skip
		echo "Bail out! $why (scripts/install-deps.sh --bochs did not provide it)"
		exit 1
	fi
	if [ -n "$why" ]; then
		echo "1..0 # SKIP $why (scripts/install-deps.sh --bochs)"
		exit 0
	fi
	if [ ! -f "$VMX_ROOT/build/pagoda.efi" ] || [ ! -f "$VMX_ROOT/build/guest/testguest.bin" ]; then
		echo "Bail out! build/pagoda.efi or the test guest is missing (run make)"
		exit 1
	fi
}

vmx_guest_image() {
	nasm -f bin -o "$VMX_TMP/$(basename "${1%.asm}").bin" "$VMX_ROOT/tests/vmx/$1" ||
		{ echo "Bail out! cannot assemble tests/vmx/$1"; exit 1; }
}

vmx_boot() {
	local model=$1 timeout=$2 startup=$3
	shift 3
	printf '%s\n' "$startup" > "$VMX_TMP/startup.txt"
	"$VMX_ROOT/scripts/run-bochs.sh" --cpu "$model" --timeout "$timeout" \
		--startup "$VMX_TMP/startup.txt" --log "$VMX_LOG" "$@" >/dev/null 2>"$VMX_TMP/stderr"
	VMX_RC=$?
	[ -f "$VMX_LOG" ] || : > "$VMX_LOG"
	# Drop the firmware's terminal escape sequences: plain lines only.
	sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r$//' "$VMX_LOG"
}

_ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
_not_ok() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	echo "not ok $_n - $1"
	shift
	local m
	for m in "$@"; do echo "#   $m"; done
}

check_rc() {
	if [ "$VMX_RC" = 0 ]; then _ok "$1"
	else _not_ok "$1" "run-bochs.sh exited $VMX_RC (124: timeout, 2: no clean poweroff)" \
		"$(tail -n 5 "$VMX_TMP/stderr" 2>/dev/null | tr '\n' ' ')"; fi
}

check_order() {
	local desc=$1 from=0 re hit
	shift
	for re in "$@"; do
		hit=$(tail -n +"$((from + 1))" "$VMX_LOG" | grep -nE -m1 -- "$re" | cut -d: -f1)
		if [ -z "$hit" ]; then
			_not_ok "$desc" "no line matching /$re/ after log line $from"
			return
		fi
		from=$((from + hit))
	done
	_ok "$desc"
}

check_free_pages() {
	local lines bad
	lines=$(grep -E 'vmm: guest [^ ]+ destroyed:' "$VMX_LOG")
	bad=$(echo "$lines" | sed -nE 's/.*guest ([^ ]+) destroyed:.* free_pages=([0-9]+) \(at create ([0-9]+)\).*/\1 \2 \3/p' |
		awk '$2 != $3 { print $1 ": " $2 " free after destroy, " $3 " at create" }')
	if [ -z "$lines" ]; then _not_ok "$1" "no destroyed line"
	elif [ -n "$bad" ]; then _not_ok "$1" "$bad"
	else _ok "$1"; fi
}

vmx_done() {
	echo "1..$_n"
	if [ "$_failed" -gt 0 ]; then
		echo "# serial log tail:"
		tail -n 40 "$VMX_LOG" | sed 's/^/#   /'
		exit 1
	fi
	exit 0
}
