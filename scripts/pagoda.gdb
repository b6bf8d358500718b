# gdb settings for debugging pagoda under QEMU (read by scripts/debug.sh
# before the generated file that connects to QEMU's gdb stub and loads
# build/pagoda.so's symbols at the address UEFI loaded pagoda at).
#
# pagoda is one identity-mapped address space: a VMM address is a physical
# address, so `x/8gx 0x...` on a table page or `p *(struct vm *)0x...` reads
# what the VMM sees.  Guests run inside VMRUN/VMLAUNCH: QEMU's stub stops
# only in VMM code (a breakpoint on a guest address does not fire).
set pagination off
set confirm off
set print pretty on
set disassembly-flavor intel
# Frames above efi_main are the firmware's stack, which the unwinder cannot
# tell from code: a backtrace ends there (or in garbage) - keep it short.
set backtrace limit 16
# The VMM is built -O2: locals may be <optimized out>; `finish` and
# `info frame` still work, and `bt` names every frame (no frame pointers
# needed: the unwinder uses .debug_frame).
