#!/usr/bin/env bash
# make debug works: scripts/debug.sh boots pagoda in QEMU (TCG) with the gdb
# stub, reads the load address pagoda logs, and gdb (batch mode) attaches
# with build/pagoda.so's symbols placed there.  A breakpoint on the console's
# `mem` handler (cmd_mem) is hit when `mem` is typed on the serial console;
# gdb names the function, its source line and its caller (console_exec); after
# gdb detaches, the command completes and pagoda powers off cleanly.
source "$(dirname "$0")/lib.sh"
plan 5
if ! command -v gdb >/dev/null; then
	if [ "${PAGODA_REQUIRE_BOCHS:-0}" = 1 ]; then
		echo "Bail out! gdb is missing (scripts/install-deps.sh --bochs installs it)"
		exit 1
	fi
	echo "1..0 # SKIP no gdb (scripts/install-deps.sh --bochs)"
	exit 0
fi
CTL=$TOP/scripts/pagoda-ctl
SOCK=$WORK/console.sock
LOG=$WORK/serial.log
cat > "$WORK/cmds.gdb" <<'GDB'
break cmd_mem
echo pagoda-gdb: continuing\n
continue
bt 3
info symbol $pc
detach
GDB
# A free TCP port for the stub, so parallel runs do not collide.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TOP/scripts/debug.sh" --batch "$WORK/cmds.gdb" --then-wait --port "$port" --wait "$(scaled 120)" \
	--timeout "$(scaled 180)" --serial-socket "$SOCK" --log "$LOG" > "$WORK/gdb.out" 2>&1 &
DPID=$!
kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill_tree "$child"; done
	kill "$pid" 2>/dev/null
}
tap_exit_hook() {
	if kill -0 "$DPID" 2>/dev/null; then kill_tree "$DPID"; wait "$DPID" 2>/dev/null; fi
}
gdb_tail() { echo "gdb and debug.sh output:"; tail -n 30 "$WORK/gdb.out"; }

# The command file echoes a marker once symbols are loaded and the
# breakpoint is set, just before it continues.
for _ in $(seq 1 $(($(scaled 150) * 10))); do
	grep -qs '^pagoda-gdb: continuing' "$WORK/gdb.out" && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
if grep -q '^Breakpoint 1 at 0x[0-9a-f]*: file vmm/console/commands.c' "$WORK/gdb.out" &&
	grep -q '^pagoda-gdb: continuing' "$WORK/gdb.out"; then
	pass "gdb attached with pagoda's symbols at the logged load address; breakpoint set on cmd_mem"
else
	fail "gdb attached with pagoda's symbols at the logged load address; breakpoint set on cmd_mem" "$(gdb_tail)"
	fail_rest "gdb did not get to continue"
fi
# The reply comes only once gdb has let the VMM go on (detach).
"$CTL" --socket "$SOCK" --timeout "$(scaled 60)" mem > "$WORK/ctl-mem.out" 2>&1
mem_rc=$?
"$CTL" --socket "$SOCK" --timeout "$(scaled 60)" poweroff > /dev/null 2>&1
limit=$(($(scaled 60) * 10))
for _ in $(seq 1 "$limit"); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
	RC=999
	kill_tree "$DPID"
else
	wait "$DPID"
	RC=$?
fi
sed -i 's/\x1b\[[0-9;=]*[A-Za-z]//g; s/\r//g' "$LOG"
if grep -qE '^(Thread [0-9]+ hit )?Breakpoint 1, cmd_mem \(c=0x[0-9a-f]*\) at vmm/console/commands.c:[0-9]*' "$WORK/gdb.out"; then
	pass "typing mem hits the breakpoint in cmd_mem (vmm/console/commands.c)"
else
	fail "typing mem hits the breakpoint in cmd_mem (vmm/console/commands.c)" "$(gdb_tail)"
fi
if grep -q '^#0  cmd_mem (' "$WORK/gdb.out" && grep -q '^#1  0x[0-9a-f]* in console_exec (' "$WORK/gdb.out"; then
	pass "the backtrace names cmd_mem and its caller console_exec"
else
	fail "the backtrace names cmd_mem and its caller console_exec" "$(gdb_tail)"
fi
if [ "$mem_rc" = 0 ] && grep -q '^ok mem free_pages=' "$WORK/ctl-mem.out"; then
	pass "after gdb detached, the mem command completed (ok mem)"
else
	fail "after gdb detached, the mem command completed (ok mem)" "pagoda-ctl mem: status $mem_rc: $(cat "$WORK/ctl-mem.out")" "$(gdb_tail)"
fi
if [ "$RC" = 0 ] && grep -q 'vmm: powering off' "$LOG"; then
	pass "pagoda powered off cleanly afterwards"
else
	fail "pagoda powered off cleanly afterwards" "debug.sh status $RC" "$(gdb_tail)"
fi
tap_end
