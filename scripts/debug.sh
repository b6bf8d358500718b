#!/usr/bin/env bash
# Debug pagoda with gdb: QEMU runs with its gdb stub; once pagoda has logged
# where UEFI loaded it ("vmm: ... image at 0x..."), gdb attaches (which
# stops the machine) with build/pagoda.so's symbols at that address.
#
#   scripts/debug.sh [options] [run-qemu options...] [-- extra QEMU args]
#
#   --port N          the gdb stub's TCP port on 127.0.0.1 (default 1234)
#   --batch FILE      run gdb in batch mode with FILE's commands once the
#                     symbols are loaded (tests/qemu/13-gdb.t); default: an
#                     interactive gdb on this terminal
#   --then-wait       when gdb ends, let QEMU run on until it ends by itself
#                     (its --timeout still applies) instead of killing it;
#                     the exit status is then run-qemu.sh's
#   --wait S          how long to wait for the load line (default 120)
#   everything else goes to scripts/run-qemu.sh (--startup, --mem, --machine,
#   --image, --timeout: default 0 here, i.e. none, ...).
#
# The serial console is on a UNIX socket (--serial-socket PATH, default
# build/debug/console.sock): talk to it with `scripts/pagoda-ctl --socket
# PATH CMD` or `socat -,raw,echo=0 UNIX-CONNECT:PATH`; the log is in
# --log FILE (default build/debug/serial.log; `tail -f` it).
#
# Symbols can only be loaded once pagoda runs (the load address is the
# firmware's choice), so code before that line (efi_main, the start of
# vmm_main) has run by the time gdb attaches; breakpoints on anything later
# (console commands, guest creation, exits, teardown) work, software or
# hbreak.  The load address is usually the same from one boot to the next
# with the same QEMU options, but nothing promises it.
#
# How the symbols are placed: pagoda.so is linked at 0 and objcopy keeps the
# section addresses, so in pagoda.efi (ImageBase 0) every section's RVA is
# its VMA in the .so; UEFI loads the PE at image_base, so a section is at
# image_base + its VMA (checked below against pagoda.efi's headers).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
port=1234 batch="" then_wait=0 wait_s=120
sock="" log="" timeout=0
pass=() extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--batch) batch=$2; shift 2 ;;
	--then-wait) then_wait=1; shift ;;
	--wait) wait_s=$2; shift 2 ;;
	--serial-socket) sock=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--interactive) echo "debug: the console is on a socket here (see --help)" >&2; exit 64 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--accel|--mem|--machine|--smp|--ovmf|--startup|--file|--image|--efi) pass+=("$1" "$2"); shift 2 ;;
	*) echo "debug: unknown option $1 (see --help)" >&2; exit 64 ;;
	esac
done
for c in gdb qemu-system-x86_64 objdump; do
	command -v "$c" >/dev/null || { echo "debug: missing $c (scripts/install-deps.sh --bochs installs gdb)" >&2; exit 66; }
done
so=$here/build/pagoda.so efi=$here/build/pagoda.efi
for f in "$so" "$efi"; do [ -f "$f" ] || { echo "debug: missing $f (run make)" >&2; exit 66; }; done

# Section VMAs of the .so and of the PE (RVAs: ImageBase is 0) must agree.
vma() { objdump -h "$1" | awk -v s="$2" '$2 == s { print $4 }'; }
for s in .text .data; do
	a=$(vma "$so" "$s") b=$(vma "$efi" "$s")
	if [ -z "$a" ] || [ "$a" != "$b" ]; then
		echo "debug: section $s at 0x$a in pagoda.so but 0x$b in pagoda.efi: cannot place symbols" >&2
		exit 1
	fi
done
if [ "$(objdump -p "$efi" | awk '$1 == "ImageBase" { print $2 }' | sed 's/^0*//')" != "" ]; then
	echo "debug: pagoda.efi has a non-zero ImageBase; scripts/debug.sh assumes 0" >&2
	exit 1
fi

mkdir -p "$here/build/debug"
[ -n "$sock" ] || sock=$here/build/debug/console.sock
[ -n "$log" ] || log=$here/build/debug/serial.log
rm -f "$sock"
: > "$log"
gen=$(mktemp /tmp/pagoda-debug.XXXXXX.gdb)

qpid=""
kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill_tree "$child"; done
	kill "$pid" 2>/dev/null
}
cleanup() {
	rm -f "$gen"
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill_tree "$qpid"
		wait "$qpid" 2>/dev/null
	fi
}
trap cleanup EXIT

"$here/scripts/run-qemu.sh" ${pass[@]+"${pass[@]}"} --timeout "$timeout" --serial-socket "$sock" --log "$log" \
	-- -gdb tcp:127.0.0.1:"$port" ${extra[@]+"${extra[@]}"} > /dev/null &
qpid=$!
echo "debug: QEMU (pid $qpid) with its gdb stub on 127.0.0.1:$port; console: $sock; log: $log" >&2

base=""
for _ in $(seq 1 $((wait_s * 10))); do
	base=$(sed -n 's/.*vmm: boot services exited;.* image at \(0x[0-9a-f]*\).*/\1/p' "$log" | head -n 1)
	[ -n "$base" ] && break
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$base" ]; then
	echo "debug: no load-address line in $log after ${wait_s}s; its tail:" >&2
	tail -n 20 "$log" | tr -d '\r' >&2
	exit 1
fi
text=$(printf '0x%x' $((base + 0x$(vma "$so" .text))))
data=$(printf '0x%x' $((base + 0x$(vma "$so" .data))))
echo "debug: pagoda loaded at $base: .text at $text, .data (with .rodata and .bss) at $data" >&2
cat > "$gen" <<GDB
add-symbol-file $so $text -s .data $data
target remote 127.0.0.1:$port
GDB

gdb_args=(-q -nx -x "$here/scripts/pagoda.gdb" -x "$gen")
if [ -n "$batch" ]; then
	gdb -batch "${gdb_args[@]}" -x "$batch" </dev/null
else
	gdb "${gdb_args[@]}"
fi
grc=$?
if [ "$then_wait" = 1 ]; then
	wait "$qpid"
	rc=$?
	qpid=""
	exit $rc
fi
exit $grc
