#!/usr/bin/env bash
# tests/guest-direct/run.sh -- boot the pagoda test guest directly in QEMU
# (no hypervisor: QEMU's own Multiboot loader via -kernel) and check the lines
# it prints.  Output is TAP.  Each scenario gets its own QEMU run (a run takes
# well under a second under TCG) so one broken scenario cannot mask another.
#
# Environment:
#   GUEST_BIN  use this prebuilt guest instead of building build/guest/testguest.bin
#   QEMU       QEMU binary (default qemu-system-x86_64)
#
# What plain QEMU does differently from the hypervisor (and so what is asserted
# here): VMMCALL/VMCALL raise #UD, so "hypercall" and "hcexit" report
# "#UD, no hypervisor"; VMRUN and friends raise #UD because EFER.SVME is 0;
# TCG returns 0 for an unknown RDMSR and accepts a WRMSR to VM_HSAVE_PA, so "msr"
# reports fewer than 2 #GPs (only the line's shape is checked).
#
# The C test guests (guest/tests/*.c, built by `make guests`) boot the same
# way.  idt_first must pass here: QEMU's Multiboot loader leaves a GDT with
# flat code at 0x08.  basics runs with "hv=none": its hypercall must raise
# #UD, and its checks of pagoda's CPUID leaves and denied MSR are skipped.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

n=0
failed=0

ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# tail of a run's log, as TAP diagnostics
show_log() {
    echo "#   --- tail of $1.log (exit status $(cat "$WORK/$1.rc" 2>/dev/null)) ---"
    tail -n 20 "$WORK/$1.log" 2>/dev/null | sed 's/^/#   | /'
}

# ---- build ----
if [ -n "${GUEST_BIN:-}" ]; then
    BIN=$GUEST_BIN
    if [ -f "$BIN" ]; then ok "guest binary $BIN exists"; else not_ok "guest binary $BIN exists"; fi
else
    BIN=$ROOT/build/guest/testguest.bin
    mkdir -p "$ROOT/build/guest"
    if nasm -f bin -Wall -Werror -o "$BIN" "$ROOT/guest/testguest.asm" >"$WORK/nasm.log" 2>&1; then
        ok "nasm builds guest/testguest.asm ($(stat -c %s "$BIN") bytes)"
    else
        not_ok "nasm builds guest/testguest.asm"
        sed 's/^/#   /' "$WORK/nasm.log"
        echo "1..$n"
        exit 1
    fi
fi

# run NAME "CMDLINE" [TIMEOUT [MEM]]: boot the guest (or the image $IMAGE
# when set) on $SMP CPUs (default 1), log serial to NAME.log
run() {
    local name=$1 cmdline=$2 tmo=${3:-60} mem=${4:-512} image=${IMAGE:-$BIN}
    tmo=$(awk -v t="$tmo" -v s="${PAGODA_TIMEOUT_SCALE:-1}" 'BEGIN { v = t * s; r = int(v); if (r < v) r++; print r }')
    timeout "$tmo" "$QEMU" -machine q35 -cpu max -smp "${SMP:-1}" -m "$mem" -display none \
        -serial stdio -no-reboot -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=1 \
        -kernel "$image" -append "$cmdline" \
        </dev/null >"$WORK/$name.log" 2>"$WORK/$name.err"
    echo $? >"$WORK/$name.rc"
}

# line NAME REGEX: some whole line of NAME's log matches the ERE
line() {
    if grep -qxE -- "$2" "$WORK/$1.log"; then ok "$1: /$2/"; else not_ok "$1: /$2/"; show_log "$1"; fi
}
# noline NAME REGEX: no line matches
noline() {
    if grep -qxE -- "$2" "$WORK/$1.log"; then not_ok "$1: no /$2/"; show_log "$1"; else ok "$1: no /$2/"; fi
}
# first NAME REGEX: the first line matches
first() {
    if head -n 1 "$WORK/$1.log" | grep -qxE -- "$2"; then ok "$1: first line /$2/"; else not_ok "$1: first line /$2/"; show_log "$1"; fi
}
# status NAME N: QEMU exit status
status() {
    local rc
    rc=$(cat "$WORK/$1.rc")
    if [ "$rc" = "$2" ]; then ok "$1: exit status $2"; else not_ok "$1: exit status $2 (got $rc)"; show_log "$1"; fi
}

DONE='test guest: done'

# hello: banner with cmdline and RAM size (q35 -m 512 -> usable RAM ends just
# below 512 MiB), the hello line, the final line, OUT 0xF4,0 -> status 1.
run hello "hello"
first  hello 'pagoda test guest: cmdline ".*hello" mem=(50[0-9]|51[0-2])M'
line   hello 'hello from the pagoda test guest'
line   hello "$DONE"
status hello 1

# touch: default START/STRIDE, explicit @START:STRIDE, hex and stride 8
run touch "touch=64M touch=1M@32M:64K touch=0x1000@48M:8"
line   touch 'touch: 16384 pages at 0x1000000 stride 4096 size 67108864 ok'
line   touch 'touch: 16 pages at 0x2000000 stride 65536 size 1048576 ok'
line   touch 'touch: 512 pages at 0x3000000 stride 8 size 4096 ok'
line   touch "$DONE"
status touch 1

# touch beyond RAM is a guest failure (OUT 0xF4,1 -> status 3)
run touch-beyond "touch=1G"
line   touch-beyond 'touch: range beyond RAM'
noline touch-beyond "$DONE"
status touch-beyond 3

run cpuid "cpuid=100"
line   cpuid 'cpuid: 100 exits, [0-9]+ cycles/exit'
line   cpuid "$DONE"

run exit "hello exit=3"
line   exit 'hello from the pagoda test guest'
noline exit "$DONE"
status exit 7

run msr "msr"
line   msr 'msr: #GP caught [0-2] of 2'
line   msr "$DONE"

run vmrun "vmrun"
line   vmrun 'vmrun: #UD caught'
line   vmrun "$DONE"

run svm "svm-insns"
line   svm 'svm-insns: 5 of 5 raised #UD'
line   svm "$DONE"

run hypercall "hypercall hcexit=5"
line   hypercall 'hypercall: #UD, no hypervisor'
line   hypercall 'hcexit: #UD, no hypervisor'
line   hypercall "$DONE"

run mmio "mmio"
line   mmio 'mmio: reading 0xc0000000'
line   mmio 'mmio: read 0x[0-9a-f]+'
line   mmio "$DONE"

run tick "tick=3"
line   tick 'tick 1'
line   tick 'tick 3'
line   tick "$DONE"

# unknown token: reported, then the next token still runs
run unknown "bogus-token hello"
line   unknown 'unknown scenario "bogus-token"'
line   unknown 'hello from the pagoda test guest'
line   unknown "$DONE"

# triple fault: with -no-reboot QEMU shuts down (status 0, not a timeout)
run triple "triple hello"
line   triple 'triple: faulting now'
noline triple 'hello from the pagoda test guest'
status triple 0

# spin: never ends by itself, so the timeout (status 124) must fire
run spin "spin" 3
line   spin 'spin: looping forever'
status spin 124

# ---- the C test guests ----
if make -s -C "$ROOT" guests >"$WORK/make.log" 2>&1; then
    ok "make guests builds the C test guests"
else
    not_ok "make guests builds the C test guests"
    sed 's/^/#   /' "$WORK/make.log"
fi
CG=$ROOT/build/guest

# idt_first: a #UD through a 32-bit IDT loaded before the guest's own GDT,
# its gate on QEMU's code selector 0x08; the library reports, exit 0 -> 1.
IMAGE=$CG/idt_first.elf run idt_first ""
first  idt_first '# idt_first: cmdline ""'
line   idt_first "ok 1 - 32-bit #UD handler ran once, IDT loaded before any GDT of the guest's own"
line   idt_first 'ok 2 - #UD frame: EIP is the UD2'
line   idt_first "ok 3 - #UD frame: CS is the gate's selector 0x08"
line   idt_first 'ok 4 - execution went on after the UD2'
noline idt_first 'not ok .*'
line   idt_first '# idt_first: 4 passed, 0 failed, 0 skipped: PASS'
status idt_first 1

# reinject without a hypervisor: nothing is cut, both handlers run once.
IMAGE=$CG/reinject.elf run reinject ""
line   reinject '# reinject: [0-9]+ passed, 0 failed, 0 skipped: PASS'
status reinject 1

# prefixes: CPUID and RDMSR with prefixes run and the next instruction is
# reached (under pagoda: tests/qemu/11-cguests.t).
IMAGE=$CG/prefixes.elf run prefixes ""
line   prefixes '# prefixes: 8 passed, 0 failed, 0 skipped: PASS'
status prefixes 1

# hc_user without a hypervisor: from CPL 3 both hypercall instructions
# raise #UD (under pagoda they return -EPERM: tests/qemu/11-cguests.t).
IMAGE=$CG/hc_user.elf run hc_user "hv=none"
line   hc_user 'ok 1 - CPL-3 code ran and came back through INT 0x80'
line   hc_user 'ok 2 - without a hypervisor both instructions raise #UD'
noline hc_user 'not ok .*'
status hc_user 1

# basics without a hypervisor: the image path QEMU puts first is dropped
# from the command line; what needs pagoda is skipped, hypercalls #UD.
IMAGE=$CG/basics.elf run basics "hv=none"
first  basics '# basics: cmdline "hv=none"'
line   basics '# printf: -42 42 beef 123456789abcdef str c 0x1000'
line   basics 'ok [0-9]+ - printf formats %d %u %x %lx %s %c %p'
line   basics 'ok [0-9]+ - #BP hook ran once'
line   basics 'ok [0-9]+ - #BP frame: RIP right after the INT3'
line   basics 'ok [0-9]+ - non-canonical load raises #GP'
line   basics 'ok [0-9]+ - RDMSR EFER allowed, LME and LMA set .*'
line   basics 'ok [0-9]+ - RDMSR 0x1234 denied with #GP # SKIP no hypervisor'
line   basics "ok [0-9]+ - CPUID hypervisor bit and pagoda's leaves # SKIP no hypervisor"
line   basics 'ok [0-9]+ - (vmmcall|vmcall) raises #UD without a hypervisor'
noline basics 'not ok .*'
line   basics '# basics: [0-9]+ passed, 0 failed, 2 skipped: PASS'
status basics 1

# intr on QEMU's own local APIC: the checks pagoda's virtual APIC must
# pass too (tests/qemu), incl. INIT-SIPI of the second CPU into real mode.
SMP=2 IMAGE=$CG/intr.elf run intr "smp"
line   intr 'ok [0-9]+ - fixed self-IPI taken once with IF=1'
line   intr 'ok [0-9]+ - taken after the instruction following STI \(shadow\)'
line   intr 'ok [0-9]+ - HLT with IF=1 wakes on the one-shot timer'
line   intr 'ok [0-9]+ - NMI by ICR to our own APIC ID, with IF=0'
line   intr 'ok [0-9]+ - in real mode with CS = vector \* 0x100'
noline intr 'not ok .*'
line   intr '# intr: 12 passed, 0 failed, 0 skipped: PASS'
status intr 1

# The device guests on QEMU's own devices: what pagoda's models must match
# (under pagoda: tests/qemu/19-devices.t, 20-timers.t).  QEMU 7.2's TCG has
# no x2APIC and no TSC-deadline timer: those parts skip themselves here.
for g in apic_ipi apic_timer ioapic pit_pic uart_irq; do
    IMAGE=$CG/$g.elf run "$g" ""
    noline "$g" 'not ok .*'
    line   "$g" "# $g: [0-9]+ passed, 0 failed, [0-9]+ skipped: PASS"
    status "$g" 1
done
IMAGE=$CG/rtc.elf run rtc "mem=512"
line   rtc 'ok [0-9]+ - a plausible date and time'
noline rtc 'not ok .*'
line   rtc '# rtc: [0-9]+ passed, 0 failed, 0 skipped: PASS'
status rtc 1

echo "1..$n"
[ "$failed" -eq 0 ]
