#!/usr/bin/env bash
# 100 create/start/wait/destroy cycles of a guest (cmdline "exit=0",
# mem=8M) through one `pagoda-ctl run` session in one boot: every cycle
# answers ok, every guest exits with status 1 ((0 << 1) | 1), every destroy
# gives the pages back, and the free page count at the end equals the start.
# CYCLES=N in the environment changes the count.
source "$(dirname "$0")/lib.sh"
n=${CYCLES:-100}
plan 7

boot_socket 300
console_up
free0=$FREE0

{
	echo "mem"
	for i in $(seq 1 "$n"); do
		echo "create cyc mem=8M image=test cmdline=\"exit=0\""
		echo "start cyc"
		echo "wait cyc timeout=$(scaled 30)"
		echo "destroy cyc"
	done
	echo "mem"
} > "$WORK/cycles.txt"
run_cycles "$n" 4 2 60
bad=$BAD ndes=$NDES f_end=$F_END
ok_if "every destroy gave every page back ($ndes destroys, $bad with free_pages != $free0)" test "$ndes" -eq "$n" -a "$bad" -eq 0
ok_if "free pages at the end ($f_end) == at the start ($free0)" [ "$f_end" = "$free0" ]
ctl poweroff > /dev/null 2>&1
finish_qemu 30
ok_if "poweroff: QEMU ended by itself, run-qemu.sh status 0 (got $QRC)" [ "$QRC" -eq 0 ]
tap_end
