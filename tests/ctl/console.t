#!/usr/bin/env bash
# The console's attach mode and pagoda-ctl's console, send NAME TEXT and
# expect NAME REGEX, against the echo_shell test guest (a prompt with no
# newline, an answer "echo:LINE" per line, "quit" ends it), one QEMU boot
# with the console on a UNIX socket:
#  - outside attach mode the prompt "sh> " is flushed as a prefixed line;
#  - `pagoda-ctl console c` (stdin a pipe) attaches; the typed line's
#    answer comes back raw (no "guest c:" prefix) on its stdout and in the
#    serial log; Ctrl-] detaches: "console: detached from c", "pagoda> ";
#  - send/expect with a regex, also with the answer printed long before the
#    expect starts (the recent lines), and a bad regex is refused;
#  - attaching to a spinning guest: Ctrl-] still detaches at once;
#  - typing quit while attached: the guest ends, the console detaches by
#    itself and the event line held meanwhile follows; destroy gives every
#    page back.
source "$(dirname "$0")/lib.sh"
plan 17

if [ ! -f "$TOP/build/guest/echo_shell.elf" ]; then
	echo "Bail out! build/guest/echo_shell.elf is missing (make guests)"
	exit 1
fi
boot_socket 300 --file "$TOP/build/guest/echo_shell.elf"

# The serial log without CRs and terminal escapes.
clean_log() { tr -d '\r' < "$LOG" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g'; }

console_up
free0=$FREE0

out=$(ctl create c mem=8M image=echo_shell.elf 2>&1 && ctl start c 2>&1)
ok_if "echo_shell created and started" grep -q '^ok start name=c' <<<"$out"

# The prompt has no newline: it reaches the log as a line of its own after
# the idle time, and expect re= sees it.
out=$(ctl expect c '^sh> $' --timeout 30 2>&1)
ok_if "expect c '^sh> \$' finds the flushed prompt ($out)" grep -q '^ok expect name=c line="sh> "' <<<"$out"
prompt_logged() { clean_log | grep -qE 'guest c: sh> $'; }
ok_if "the prompt is a prefixed line in the log" prompt_logged

# Attach with stdin a pipe: the line goes in, the answer comes out raw.
out=$(printf 'hello\r' | ctl console c --idle 1 2>"$WORK/console.err")
rc=$?
err=$(cat "$WORK/console.err")
if [ $rc -eq 0 ] && printf '%s' "$out" | tr -d '\r' | grep -qx 'echo:hello' &&
	printf '%s' "$out" | tr -d '\r' | grep -q '^sh> $' && ! grep -q 'guest c:' <<<"$out"; then
	pass "console c: the answer comes back raw on stdout, then the next prompt"
else
	fail "console c: the answer comes back raw on stdout, then the next prompt" "exit $rc" "stdout: $out" "stderr: $err"
fi
ok_if "console c: pagoda-ctl reports the detach on stderr" grep -q '^console: detached from c$' <<<"$err"
# (expect_seq reads $LOG: give it a cleaned copy.)
clean_log > "$WORK/clean.log"
LOG=$WORK/clean.log expect_seq "serial log: ok console, the raw answer without prefix, the detach line, the prompt" \
	'^(pagoda> )?ok console name=c escape=\^\]' \
	'^echo:hello$' \
	'^console: detached from c$' \
	'^pagoda> '


# send NAME TEXT and expect NAME REGEX; then an answer printed well before
# the expect starts is still found (it is among the recent lines).
out=$(ctl send c 'w0rld 42' 2>&1 && ctl expect c '^echo:w.rld \d+$' 2>&1)
ok_if "send c TEXT, expect c REGEX: the answer ($(tail -n 1 <<<"$out"))" grep -q '^ok expect name=c line="echo:w0rld 42"' <<<"$out"
ctl send c 'late' > /dev/null 2>&1
sleep 2
out=$(ctl expect c '^echo:late$' --timeout 10 2>&1)
ok_if "an answer printed 2 s before expect began is found ($out)" grep -q '^ok expect name=c line="echo:late"' <<<"$out"
out=$(ctl expect c 'a(b|c)' 2>&1)
ok_if "a regex with a group is refused ($out)" grep -q '^err expect bad re=' <<<"$out"

# Only a running or stopped guest can be attached to.
out=$(ctl create idle mem=8M image=test 2>&1; ctl console idle 2>&1; ctl console nosuch 2>&1; ctl destroy idle 2>&1)
ok_if "console of a guest never started, and of no guest, is refused" \
	bash -c 'grep -q "^err console idle: the guest is neither running nor stopped (state created)" <<<"$1" && grep -q "^err console no guest" <<<"$1"' _ "$out"

printf 'list\nconsole c\n' > "$WORK/attach.txt"
ctl send 'console c' > /dev/null 2>&1; r1=$?
ctl run "$WORK/attach.txt" > "$WORK/attach.out" 2>&1; r2=$?
ok_if "attach mode is refused from send LINE and run SCRIPT (exit $r1, $r2; list did not run)" \
	bash -c '[ "$1" -eq 2 ] && [ "$2" -eq 2 ] && ! grep -q "^ok list" "$3"' _ "$r1" "$r2" "$WORK/attach.out"

# A spinning guest: Ctrl-] detaches without delay.
ctl create spin mem=8M image=test cmdline="spin" > /dev/null 2>&1 && ctl start spin > /dev/null 2>&1
t0=$(date +%s.%N)
out=$(printf '\035' | ctl console spin 2>&1)
rc=$?
t1=$(date +%s.%N)
secs=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
ok_if "console spin: Ctrl-] detaches from a spinning guest ($secs s, exit $rc)" \
	bash -c '[ "$1" -eq 0 ] && grep -q "^console: detached from spin$" <<<"$2"' _ "$rc" "$out"
out=$(ctl destroy spin 2>&1)
ok_if "the spinning guest is destroyed" grep -q '^ok destroy name=spin' <<<"$out"

# quit while attached: the guest ends, the console detaches by itself, the
# event line printed meanwhile comes after the detach line.
out=$(printf 'quit\r' | ctl console c --idle 30 2>"$WORK/quit.err")
err=$(cat "$WORK/quit.err")
if printf '%s' "$out" | tr -d '\r' | grep -q '^bye$' &&
	grep -q '^console: detached from c (the guest ended)$' <<<"$err" &&
	grep -q '^event guest c exited status=' <<<"$err"; then
	pass "quit: the guest ends, the console detaches by itself, the event line follows"
else
	fail "quit: the guest ends, the console detaches by itself, the event line follows" "stdout: $out" "stderr: $err"
fi
out=$(ctl destroy c 2>&1 && ctl mem 2>&1)
free1=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
ok_if "destroyed; free pages back to $free0 (got $free1)" [ "$free1" = "$free0" ]
ctl send poweroff > /dev/null 2>&1
finish_qemu 60
ok_if "poweroff: QEMU ends by itself (status $QRC)" [ "$QRC" != 999 ]
tap_end
