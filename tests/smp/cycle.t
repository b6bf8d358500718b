#!/usr/bin/env bash
# create/start/wait/destroy cycles on every host CPU (QEMU -smp 4,
# multi-threaded TCG) through one `pagoda-ctl run` session: each cycle's
# guest has 4 vCPUs (cmdline "smp=4": vCPU 0 starts the others, each says
# hello) and its stats before the destroy say which CPUs ran them.  Every
# command answers ok, every guest exits with status 1, every destroy gives
# the pages back, the free page count at the end equals the start, and the
# cycles' vCPUs ran on every CPU that runs guests (the boot line `sched:
# guests run on cpus ...`: the three APs under TCG, docs/design.md).
# CYCLES=N in the environment changes the count (default 50).
export PAGODA_QEMU_SMP=4
source "$(dirname "$0")/../ctl/lib.sh"
n=${CYCLES:-50}
plan 7

boot_socket 600
console_up 180
free0=$FREE0

{
	echo "mem"
	for i in $(seq 1 "$n"); do
		echo "create cyc mem=16M image=test vcpus=4 cmdline=\"smp=4\""
		echo "start cyc"
		echo "wait cyc timeout=$(scaled 60)"
		echo "stats cyc"
		echo "destroy cyc"
	done
	echo "mem"
} > "$WORK/cycles.txt"
run_cycles "$n" 5 2 120
bad=$BAD ndes=$NDES f_end=$F_END
ok_if "every destroy gave every page back ($ndes destroys, $bad with free_pages != $free0; at the end $f_end)" \
	test "$ndes" -eq "$n" -a "$bad" -eq 0 -a "$f_end" = "$free0"
# The union of the CPUs that ran each cycle's vCPUs, and how many cycles
# had vCPUs running at once.
masks=$(sed -n 's/^ok stats name=cyc .* vcpu_cpus=\([0-9a-fx/]*\) .*/\1/p' "$WORK/cycles.out" | tr '/' '\n')
all=0
for m in $masks; do all=$((all | m)); done
par=$(grep -c '^ok stats name=cyc .* parallel_max=[2-4]$' "$WORK/cycles.out")
echo "# CPUs that ran the cycles' vCPUs: mask $all; cycles with vCPUs at once: $par of $n"
# The guest CPUs of the boot line, as a mask ("1-3" -> 14, "0-3" -> 15).
want=0
for r in $(sed -n 's/.*sched: guests run on cpus \([0-9,-]*\).*/\1/p' "$LOG" | head -n 1 | tr ',' ' '); do
	lo=${r%-*} hi=${r#*-}
	for ((c = lo; c <= hi; c++)); do want=$((want | (1 << c))); done
done
ok_if "the cycles' vCPUs ran on every CPU that runs guests (mask $all, the boot line's $want)" \
	[ "$want" -ne 0 -a "$all" -eq "$want" ]
ctl poweroff > /dev/null 2>&1
finish_qemu 30
ok_if "poweroff: QEMU ended by itself, run-qemu.sh status 0 (got $QRC)" [ "$QRC" -eq 0 ]
tap_end
