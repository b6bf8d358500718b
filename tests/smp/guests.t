#!/usr/bin/env bash
# Guests on several host CPUs at once (-smp 4, multi-threaded TCG: the
# CPUs run at once on the host's cores; the three APs run the guests, the
# boot CPU the console, see docs/design.md "Host CPUs").
#  - A 4-vCPU guest (ptouch=: after a barrier each vCPU writes and reads
#    back its own 8 MiB, and all add to 64 shared pages with LOCK) runs its
#    vCPUs on different CPUs at the same time (stats parallel_max, cpus_used,
#    vcpu_cpus) and finds every page correct; a 1-vCPU run of the same
#    scenario gives the first-touch fault throughput ratio for the README.
#  - The same guest, 4 vCPUs for many rounds, with dirty logging on: the
#    console harvests (write-protects its memory, a remote TLB shootdown
#    each time) while its vCPUs write on the other CPUs; every page is still
#    correct and the shared counters exact; the free pages come back.
#  - create cpus=LIST: a bad list and an offline CPU are refused; a 4-vCPU
#    spinning guest pinned to CPUs 1-3 runs only there, three vCPUs at once,
#    and is destroyed while they run (kick, wait, then free).
#  - With a spinning guest on every CPU, the console still answers, and a
#    4-vCPU spinning guest is destroyed among them (its time is reported).
source "$(dirname "$0")/../qemu/lib.sh"
plan 15

boot smpg 400 --smp 4 <<'CMDS'
mem
create one mem=64M image=test vcpus=1 cpus=1 cmdline="ptouch=8M:1"
start one
wait one timeout=120
destroy one
create four mem=64M image=test vcpus=4 cmdline="ptouch=8M:4"
start four
wait four timeout=120
stats four
destroy four
create d mem=64M image=test vcpus=4 cmdline="ptouch=2M:4:500000"
dirtylog d on
start d
wait d timeout=1
dirtylog d harvest
wait d timeout=1
dirtylog d harvest
wait d timeout=120
dirtylog d harvest
stats d
destroy d
create bad1 mem=8M image=test cpus=7
create bad2 mem=8M image=test cpus=1-
create bad3 mem=8M image=test cpus=2,x
create p mem=32M image=test vcpus=4 cpus=1-3 cmdline="pspin=4"
start p
expect p text="pspin: 4 vcpus spinning" timeout=60
wait p timeout=1
stats p
destroy p
create s0 mem=16M image=test cmdline="spin"
create s1 mem=16M image=test cmdline="spin"
create s2 mem=16M image=test cmdline="spin"
create s3 mem=16M image=test cmdline="spin"
create w mem=32M image=test vcpus=4 cmdline="pspin=4"
start s0
start s1
start s2
start s3
start w
expect w text="pspin: 4 vcpus spinning" timeout=60
wait w timeout=1
list
stats w
destroy w
destroy s0
destroy s1
destroy s2
destroy s3
mem
poweroff
CMDS

expect_clean_poweroff "the VMM powered off cleanly"
expect_no_line "no VMM exception, no guest ended by the VMM, no mismatch" \
	'VMM exception|ended by the VMM|mismatch|holds [0-9]|only [0-9]+ other'

# --- first touch, 1 vCPU against 4 -----------------------------------------
expect_seq "1 vCPU (pinned to CPU 1) and 4 vCPUs touch their pages, every one correct" \
	'guest one: ptouch: 1 vcpus x 2048 pages x 1 rounds, 64 shared pages = 1 each, ok' \
	'ok wait name=one state=exited status=1' \
	'guest four: ptouch: 4 vcpus x 2048 pages x 1 rounds, 64 shared pages = 4 each, ok' \
	'ok wait name=four state=exited status=1'
pmax=$(field 'ok stats name=four .* parallel_max=([0-9]+)' 1)
used=$(field 'ok stats name=four .* cpus_used=([0-9]+) ' 1)
ok_if "the 4-vCPU guest ran on several CPUs ($used) with several vCPUs at once (parallel_max $pmax)" \
	test "${used:-0}" -ge 2 -a "${pmax:-0}" -ge 2
c1=$(field 'guest one: ptouch: .* cycles=([0-9]+)' 1)
c4=$(field 'guest four: ptouch: .* cycles=([0-9]+)' 1)
khz=$(field 'boot: TSC ([0-9]+) kHz' 1)
if [ -n "$c1" ] && [ -n "$c4" ] && [ -n "$khz" ]; then
	awk -v c1="$c1" -v c4="$c4" -v khz="$khz" 'BEGIN {
		p1 = 2048 / (c1 / (khz * 1000)); p4 = 8192 / (c4 / (khz * 1000));
		printf "# first-touch faults: 1 vCPU %.0f pages/s, 4 vCPUs %.0f pages/s, ratio %.2f\n", p1, p4, p4 / p1 }'
fi

# --- dirty logging while 4 vCPUs write on other CPUs ---------------------------
expect_seq "dirty log on, then two harvests while the guest still runs" \
	'ok dirtylog name=d state=on' 'ok start name=d' \
	'err wait timeout after [0-9]+s, guest d still running' 'ok dirtylog name=d dirty_pages=' \
	'err wait timeout after [0-9]+s, guest d still running' 'ok dirtylog name=d dirty_pages='
h1=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) ' 1)
h2=$(field 'ok dirtylog name=d dirty_pages=([0-9]+) ' 2)
ok_if "each harvest during the run found the pages being written ($h1, $h2: at least 2048 + 64)" \
	test "${h1:-0}" -ge 2112 -a "${h2:-0}" -ge 2112
expect_seq "every page and every shared counter correct after 500000 rounds under harvests" \
	'guest d: ptouch: 4 vcpus x 512 pages x 500000 rounds, 64 shared pages = 2000000 each, ok' \
	'ok wait name=d state=exited status=1'
df=$(field 'ok stats name=d .* dirty_faults=([0-9]+) ' 1)
rt=$(field 'ok stats name=d .* retries=([0-9]+) ' 1)
pd=$(field 'ok stats name=d .* parallel_max=([0-9]+)' 1)
echo "# dirty-log run: dirty_faults=$df retries=$rt parallel_max=$pd"
ok_if "pages written after a harvest came back through write-protection faults ($df), vCPUs in parallel ($pd)" \
	test "${df:-0}" -ge 1 -a "${pd:-0}" -ge 2

# --- cpus= -------------------------------------------------------------------
expect_seq "cpus=: an offline CPU and malformed lists are refused" \
	'err create cpu 7 is not online' \
	'err create bad cpus list "1-"' \
	'err create bad cpus list "2,x"'
vc=$(field 'ok stats name=p .* vcpu_cpus=([0-9a-fx/]+) ' 1)
pp=$(field 'ok stats name=p .* parallel_max=([0-9]+)' 1)
bad=$(masks_outside "$vc" 0xe) # CPUs 1-3
ok_if "a guest pinned to CPUs 1-3 ran only there (vcpu_cpus=$vc), 3 vCPUs at once (parallel_max $pp)" \
	test -n "$vc" -a -z "$bad" -a "${pp:-0}" -ge 3
expect_seq "destroyed while its vCPUs spin on three other CPUs: pages back" \
	'ok create name=p .* cpus=1-3' 'guest p: pspin: 4 vcpus spinning' \
	'vmm: guest p destroyed: ' 'ok destroy name=p'

# --- every CPU busy ----------------------------------------------------------
expect_seq "with spinning guests on every CPU the console answers" \
	'ok start name=w' 'ok expect name=w' 'ok list count=5' 'ok stats name=w' 'ok destroy name=w' \
	'ok destroy name=s0' 'ok destroy name=s3'
# The destroyed line gives quiesce_us= when a CPU still ran one of its
# vCPUs (none may, at that instant, with four guests more than CPUs).
us=$(field 'vmm: guest w destroyed: .* us=([0-9]+) ' 1)
qus=$(field 'vmm: guest w destroyed: .* quiesce_us=([0-9]+) ' 1)
echo "# destroy of a 4-vCPU spinning guest while every CPU runs guests: wait ${qus:-none} us, teardown ${us} us"
ok_if "that destroy gave its teardown time ($us us) and any wait for its vCPUs (${qus:-none})" \
	test -n "$us"
# Guests alone on the machine give back exactly what they took (the
# spinning ones overlap, so only the total at the end counts for them).
bad=$(sed -nE 's/.*vmm: guest (one|four|d|p) destroyed:.* free_pages=([0-9]+) \(at create ([0-9]+)\).*/\1 \2 \3/p' "$LOG" |
	awk '$2 != $3 { print } END { if (NR != 4) print "only " NR " of 4 destroy lines" }')
ok_if "guests one, four, d and p each gave every page back${bad:+: $bad}" test -z "$bad"
expect_pages_back
tap_end
