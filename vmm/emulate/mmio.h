/*
 * The glue between the exit path and the instruction emulator: an MMIO
 * access (a nested page fault on a GPA with no RAM) or a string I/O
 * instruction is emulated from the bytes at the guest's CS:rIP, through
 * the guest's page tables, against the device bus or guest RAM.
 */
#ifndef PAGODA_EMULATE_MMIO_H
#define PAGODA_EMULATE_MMIO_H

#include "lib/types.h"

struct vcpu;
struct vm_exit;

/*
 * V exited on a guest-physical access to GPA that no memslot backs (a
 * device row, or nothing: an unassigned address reads as all ones and
 * ignores writes, logged once per 4 KiB page).  Fetch, decode and execute
 * the instruction at CS:rIP; its memory operand goes to the device row
 * covering its GPA, to guest RAM (MOVS between RAM and a device), or to
 * nothing.  A page fault of the walk is injected (#PF), a non-canonical
 * address gives #GP.  Returns true when the guest goes on, false when it
 * was ended (an instruction the emulator does not know, named with its
 * bytes in the crash reason; or a device that ended it).
 */
bool emulate_mmio(struct vcpu *v, u64 gpa);

/*
 * V exited on INS or OUTS (E->io: port, size, rep).  Decode the
 * instruction at CS:rIP for its address size and segment and run it one
 * element at a time through the port bus (at most EMUL_REP_BUDGET
 * elements per exit: rIP stays on the instruction until rCX is 0).  Same
 * results as emulate_mmio.
 */
bool emulate_string_io(struct vcpu *v, const struct vm_exit *e);

#endif
