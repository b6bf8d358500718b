#!/usr/bin/env bash
# A Linux shell driven through pagoda-ctl, as a script or a user at a
# terminal would: Debian's bzImage with the payload's shell (pagoda.shell),
# pagoda's console on a UNIX socket.  `expect NAME REGEX` finds the shell's
# prompt (a partial line, flushed after the idle time), `send NAME TEXT`
# types a command and `expect` reads its answer; `console NAME` attaches
# (stdin a pipe here): a typed command's output comes back raw, without the
# "guest sh:" prefix, and the console detaches; `poweroff -f` typed at the
# shell ends the guest (on_poweroff=destroy) and every page comes back.
source "$(dirname "$0")/../ctl/lib.sh"
source "$(dirname "$0")/payload.sh"
linux_payload_or_skip
plan 7

boot_socket 600 --file "$LINUX_DIR/vmlinuz" --file "$LINUX_DIR/initramfs.cpio.gz"

console_up
free0=$FREE0

out=$(ctl create sh mem=256M image=vmlinuz initrd=initramfs.cpio.gz \
	cmdline="console=ttyS0 pagoda.shell" on_poweroff=destroy 2>&1 && ctl start sh 2>&1)
ok_if "the Linux guest is created and started" grep -q '^ok start name=sh' <<<"$out"

# busybox's prompt "/ # " has no newline (a terminal query follows it):
# the partial-line flush puts it in a line of its own.
out=$(ctl expect sh '^/ # ' --timeout 400 2>&1)
ok_if "expect sh '^/ # ': the shell's prompt ($(tail -n 1 <<<"$out"))" grep -q '^ok expect name=sh line="/ # ' <<<"$out"

out=$(ctl send sh 'echo answer-$((6*7)) from $(nproc) cpu' 2>&1 &&
	ctl expect sh '^answer-\d+ from \d+ cpu$' --timeout 120 2>&1)
ok_if "send sh TEXT, expect sh REGEX: the shell's answer ($(tail -n 1 <<<"$out"))" \
	grep -q '^ok expect name=sh line="answer-42 from 1 cpu"' <<<"$out"

out=$(printf 'uname -r\r' | ctl console sh --idle 3 2> "$WORK/console.err")
rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | tr -d '\r' | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$' &&
	! grep -q 'guest sh' <<<"$out" && grep -q '^console: detached from sh$' "$WORK/console.err"; then
	pass "console sh: uname -r typed, the kernel's release comes back raw, then the detach"
else
	fail "console sh: uname -r typed, the kernel's release comes back raw, then the detach" \
		"exit $rc" "stdout: $(printf '%s' "$out" | tr -d '\r' | tail -n 5)" "stderr: $(cat "$WORK/console.err")"
fi

# (wait-event sends the input on its own connection first, so the event
# that follows at once cannot be missed.)
out=$(ctl wait-event --guest sh --kind destroyed --timeout 120 --send 'input sh text="poweroff -f"' 2>&1)
ok_if "poweroff -f at the shell ends the guest, destroyed by its policy ($(tail -n 1 <<<"$out"))" \
	grep -q '^event guest sh destroyed by policy' <<<"$out"
out=$(ctl mem 2>&1)
free1=$(sed -n 's/^ok mem free_pages=\([0-9]*\).*/\1/p' <<<"$out")
ok_if "every page is back ($free1 free, $free0 before)" [ "$free1" = "$free0" ]
ctl send poweroff > /dev/null 2>&1
finish_qemu 60
tap_end
