# Shared helpers of the QEMU boot tests (sourced by tests/qemu/*.t); the
# TAP and log checks are tests/lib/tap.sh's (plan, ok_if, expect_seq, ...).
#
#   boot NAME TIMEOUT [run-qemu options...] <<'EOF' ... startup commands ... EOF
#       boots pagoda with the startup file read from stdin; sets LOG (the
#       serial log) and RC (run-qemu.sh's exit status).
#
# PAGODA_QEMU_SMP=N (or N,maxcpus=M) boots every test without its own
# --smp on N CPUs (run-qemu.sh reads it), e.g. to run 06-tdp.t with idle
# application processors present.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

boot() { boot_startup run-qemu.sh "$@"; }
