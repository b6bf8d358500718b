#!/usr/bin/env bash
# scripts/pagoda-ctl against a real pagoda: one QEMU boot with the console on
# a UNIX socket; `run` of a good script (exit 0, the ok lines), of a script
# with an err line in the middle (exit 1, nothing after it runs) and with a
# parse error; --json output that json.load accepts; argument quoting;
# wait-event; err exit status; the console answering while a guest spins;
# poweroff, and QEMU ends by itself.
source "$(dirname "$0")/lib.sh"
plan 25

boot_socket 240
t0=$(date +%s.%N)
out=$(ctl --boot-timeout 120 mem 2>&1)
rc=$?
t1=$(date +%s.%N)
free0=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
if [ $rc -eq 0 ] && [ -n "$free0" ]; then
	pass "pagoda came up; mem answers ($(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s to the first result)"
else
	fail "pagoda came up; mem answers" "pagoda-ctl exit $rc: $out" "$(cat "$WORK/run-qemu.err")"
	# Nothing else can work: report the rest as failed quickly.
	fail_rest "no console"
fi

cat > "$WORK/good.txt" <<'CMDS'
# a good script: comments and blank lines are skipped

mem
create good1 mem=8M image=test cmdline="hello exit=3"
start good1
   wait good1 timeout=60
list
destroy good1
mem
CMDS
out=$(ctl run "$WORK/good.txt" 2>"$WORK/good.err")
rc=$?
ok_if "run good script: exit status 0 (got $rc)" [ $rc -eq 0 ]
echo "$out" > "$WORK/good.out"
if grep -q '^ok create name=good1 id=[0-9]* mem=8M huge=0 vcpus=1$' "$WORK/good.out" &&
	grep -q '^ok start name=good1$' "$WORK/good.out" &&
	grep -q '^ok wait name=good1 state=exited status=7$' "$WORK/good.out" &&
	grep -q '^guest name=good1 .*state=exited' "$WORK/good.out" &&
	grep -q '^ok list count=1$' "$WORK/good.out" &&
	grep -q '^ok destroy name=good1 free_pages=[0-9]*$' "$WORK/good.out" &&
	[ "$(grep -c '^ok ' "$WORK/good.out")" -eq 7 ] && [ "$(grep -c '^> ' "$WORK/good.out")" -eq 7 ]; then
	pass "run good script: the 7 commands answered with the expected ok lines"
else
	fail "run good script: the 7 commands answered with the expected ok lines" "output:" "$out" "stderr: $(cat "$WORK/good.err")"
fi
f_end=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' "$WORK/good.out" | tail -n 1)
ok_if "run good script: free pages back to $free0 (got $f_end)" [ "$f_end" = "$free0" ]

cat > "$WORK/bad.txt" <<'CMDS'
create before1 mem=8M image=test
create bad!name mem=8M image=test
create after1 mem=8M image=test
destroy before1
CMDS
out=$(ctl run "$WORK/bad.txt" 2>"$WORK/bad.err")
rc=$?
ok_if "run script with an err line: exit status 1 (got $rc)" [ $rc -eq 1 ]
lst=$(ctl list 2>&1)
if grep -q '^err create bad name' <<<"$out" && ! grep -q 'after1' <<<"$out" &&
	grep -q 'bad.txt:2: err create' "$WORK/bad.err" &&
	grep -q '^guest name=before1 ' <<<"$lst" && ! grep -q 'name=after1' <<<"$lst"; then
	pass "run script with an err line: stops there, the commands after it did not run"
else
	fail "run script with an err line: stops there, the commands after it did not run" "output:" "$out" "stderr: $(cat "$WORK/bad.err")" "list: $lst"
fi

printf 'mem\ncreate q1 mem=8M image=test cmdline="unbalanced\nmem\n' > "$WORK/parse.txt"
out=$(ctl run "$WORK/parse.txt" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q '^err parse unbalanced quotes' <<<"$out" && [ "$(grep -c '^ok mem' <<<"$out")" -eq 1 ]; then
	pass "run script with a parse error: err parse, exit 1, stops"
else
	fail "run script with a parse error: err parse, exit 1, stops" "exit $rc" "$out"
fi

jcheck() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$2"; }
ctl --json run "$WORK/good.txt" > "$WORK/good.json" 2>"$WORK/json.err"
rc=$?
if [ $rc -eq 0 ] && jcheck 'd["ok"] is True and d["stopped_at"] is None and len(d["results"]) == 7 and all(r["result"] == "ok" for r in d["results"]) and d["results"][3]["cmd"] == "wait" and d["results"][3]["fields"]["status"] == 7 and d["results"][3]["fields"]["state"] == "exited" and any(i["fields"]["name"] == "good1" for i in d["results"][4]["info"]) and d["results"][3]["events"][0]["guest"] == "good1"' "$WORK/good.json"; then
	pass "--json run good script: json.load parses it; ok, 7 results, fields typed"
else
	fail "--json run good script: json.load parses it; ok, 7 results, fields typed" "exit $rc" "$(head -c 3000 "$WORK/good.json")" "$(cat "$WORK/json.err")"
fi
sed 's/before1/before2/; s/after1/after2/' "$WORK/bad.txt" > "$WORK/bad2.txt"
ctl run --json "$WORK/bad2.txt" > "$WORK/bad.json" 2>/dev/null
rc=$?
if [ $rc -eq 1 ] && jcheck 'd["ok"] is False and d["stopped_at"] == 2 and d["results"][-1]["result"] == "err" and d["results"][-1]["cmd"] == "create" and "bad name" in d["results"][-1]["message"]' "$WORK/bad.json"; then
	pass "--json run script with an err line: parses; ok false, stopped_at 2, the err message"
else
	fail "--json run script with an err line: parses; ok false, stopped_at 2, the err message" "exit $rc" "$(head -c 3000 "$WORK/bad.json")"
fi
ctl --json list > "$WORK/list.json" 2>/dev/null
rc=$?
if [ $rc -eq 0 ] && jcheck 'd["result"] == "ok" and d["fields"]["count"] == 2 and any(i["fields"]["name"] == "before1" and i["fields"]["state"] == "created" for i in d["info"])' "$WORK/list.json"; then
	pass "--json list: info lines parsed into fields"
else
	fail "--json list: info lines parsed into fields" "exit $rc" "$(cat "$WORK/list.json")"
fi

# Arguments are quoted again for the console: a cmdline with blanks and a quote.
out=$(ctl create quoted1 mem=8M image=test 'cmdline=hello exit=2 "q"' 2>&1) &&
	out2=$(ctl start quoted1 2>&1) && out3=$(ctl wait quoted1 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q '^ok wait name=quoted1 state=exited status=5$' <<<"$out3" &&
	tr -d '\r' < "$LOG" | grep -q 'guest quoted1: pagoda test guest: cmdline "hello exit=2 "q""'; then
	pass "pass-through create/start/wait: a cmdline with blanks and quotes arrives whole"
else
	fail "pass-through create/start/wait: a cmdline with blanks and quotes arrives whole" "$out" "${out2:-}" "${out3:-}"
fi

# wait-event --send starts the guest on its own connection, so the event
# cannot come before it listens, however fast or slow the machine is.
ctl create ev1 mem=8M image=test cmdline="tick=2 exit=4" >/dev/null 2>&1
out=$(ctl wait-event --guest ev1 --timeout 60 --send "start ev1" 2>&1)
rc=$?
ok_if "wait-event --guest ev1 --send \"start ev1\": exit 0, \"$out\"" test $rc -eq 0 -a "$out" = "event guest ev1 exited status=9"
# A guest cannot forge the VMM's event lines: its output is under its own
# prefix.  victim never runs; forger prints an event line for it.
ctl create victim mem=8M image=test >/dev/null 2>&1
ctl create forger mem=8M image=test 'cmdline=x event guest victim exited status=0' >/dev/null 2>&1
out=$(ctl wait-event --guest victim --timeout 3 --send "start forger" 2>&1)
rc=$?
if [ $rc -eq 1 ] && tr -d '\r' < "$LOG" | grep -q 'guest forger: .*event guest victim exited status=0'; then
	pass "a guest printing an event line for another guest does not fool wait-event"
else
	fail "a guest printing an event line for another guest does not fool wait-event" "exit $rc: $out"
fi
out=$(ctl create evil mem=8M image=test $'cmdline=a\npoweroff' 2>&1)
rc=$?
lst=$(ctl list 2>&1)
ok_if "a CR/LF in an argument is refused (exit 2), nothing runs: $out" \
	bash -c '[ "$1" -eq 2 ] && grep -q "^ok list" <<<"$2" && ! grep -q "name=evil" <<<"$2"' _ "$rc" "$lst"
out=$(ctl send $'list\rpoweroff' 2>&1)
ok_if "send refuses a line with a CR: $out" test $? -eq 2
out=$(ctl wait-event --guest nosuch --timeout 1 2>&1)
rc=$?
ok_if "wait-event with nothing to come: exit 1 after its timeout" [ $rc -eq 1 ]

out=$(ctl destroy nosuchguest 2>/dev/null)
rc=$?
ok_if "an err result gives exit status 1 and the err line ($out)" test $rc -eq 1 -a "$out" = 'err destroy no guest "nosuchguest"'
out=$(ctl frobnicate 2>/dev/null)
rc=$?
ok_if "an unknown console command is passed through: err frobnicate ($out)" \
	bash -c '[ "$1" -eq 1 ] && grep -q "^err frobnicate unknown command" <<<"$2"' _ "$rc" "$out"

# A guest spinning forever must not stall the interactive console: it is
# preempted, and the console reads input between its slices.
ctl create spin mem=8M image=test cmdline="spin" >/dev/null 2>&1 && ctl start spin >/dev/null 2>&1
sleep 1
t0=$(date +%s.%N)
out=$(ctl --timeout 10 list 2>&1)
rc=$?
t1=$(date +%s.%N)
ok_if "while a guest spins, list answers ($(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s) and shows it running" \
	bash -c '[ "$1" -eq 0 ] && grep -q "^guest name=spin .*state=running" <<<"$2"' _ "$rc" "$out"
# A wait without a timeout must not take the console away: a second line
# (or Ctrl-C) interrupts it and then runs.
out=$(python3 - "$SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(1.0)
def read_until(pat, secs):
    buf, end = b"", time.time() + secs
    while pat not in buf and time.time() < end:
        try:
            buf += s.recv(4096)
        except socket.timeout:
            pass
    return buf.decode(errors="replace")
s.sendall(b"wait spin\n")
a = read_until(b"wait spin", 10)
time.sleep(1)
s.sendall(b"list\n")
b = read_until(b"ok list", 20)
s.sendall(b"wait spin\n")
c = read_until(b"wait spin", 10)
time.sleep(0.5)
s.sendall(b"\x03")
d = read_until(b"interrupted", 20)
print((a + b + c + d).replace("\r", ""))
PY
)
if grep -q '^err wait interrupted by input, guest spin still running' <<<"$out" &&
	grep -q '^ok list count=' <<<"$out" &&
	[ "$(grep -c '^err wait interrupted' <<<"$out")" -eq 2 ]; then
	pass "a wait is interrupted by the next line and by Ctrl-C; the line then runs"
else
	fail "a wait is interrupted by the next line and by Ctrl-C; the line then runs" "$out"
fi
out=$(ctl wait spin timeout=99999999999999999 2>&1)
ok_if "a wait timeout past a day is refused ($out)" grep -q '^err wait timeout must be' <<<"$out"
out=$(ctl destroy spin 2>&1)
ok_if "a spinning guest is destroyed from the console ($out)" \
	bash -c 'grep -q "^ok destroy name=spin " <<<"$1"' _ "$out"

for g in before1 before2 quoted1 ev1 victim forger; do ctl destroy $g >/dev/null 2>&1; done
out=$(ctl mem 2>&1)
f_end=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
ok_if "after destroying every guest free pages are back to $free0 (got $f_end)" [ "$f_end" = "$free0" ]

out=$(ctl poweroff 2>&1)
rc=$?
ok_if "poweroff: ok poweroff, exit 0 ($out)" test $rc -eq 0 -a "$out" = "ok poweroff"
finish_qemu 30
ok_if "QEMU ended by itself within 30 s of poweroff, run-qemu.sh status 0 (got $QRC)" [ "$QRC" -eq 0 ]
tap_end
