# Shared helpers of the Linux guest tests (tests/linux/*.t): the QEMU boot
# helpers (tests/qemu/lib.sh) and the payload check (payload.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/payload.sh"
