/*
 * guest/lib/report.h -- TAP-like results of a test guest, on the serial
 * port, and the guest's exit status.
 *
 *   ok 1 - what
 *   not ok 2 - what (got 0x5, want 0x6)
 *   ok 3 - what # SKIP why
 *   1..3
 *   # NAME: 2 passed, 1 failed, 1 skipped: FAIL
 *
 * The guest then exits through the debug-exit port 0xf4 (guest_exit):
 * code 0 when nothing failed (status 1 under pagoda and QEMU's
 * isa-debug-exit), else 1 (status 3).
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include "lib/types.h"

/* One result: "ok N - " or "not ok N - " and the formatted description.
 * Returns OK. */
bool expect(bool ok, const char *fmt, ...) __printf(2, 3);
/* One result, GOT == WANT; a failure adds "(got 0x.., want 0x..)".
 * Returns whether they were equal. */
bool expect_eq(u64 got, u64 want, const char *fmt, ...) __printf(3, 4);
/* One result that was not checked: "ok N - what # SKIP why". */
void skip(const char *why, const char *fmt, ...) __printf(2, 3);
/* A comment line: "# " and the formatted text. */
void diag(const char *fmt, ...) __printf(1, 2);
/* The plan line ("1..N") and the summary, then guest_exit(0 or 1). */
__noreturn void report_done(void);
/* One failing result with the formatted text, then report_done(). */
__noreturn void report_abort(const char *fmt, ...) __printf(1, 2);
/* OUT 0xf4, CODE: the guest ends with status (CODE << 1) | 1.  Where no
 * device ends it, the CPU halts for good. */
__noreturn void guest_exit(u8 code);

#endif
