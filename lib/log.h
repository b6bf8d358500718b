/*
 * The VMM log.  One call is one line on the serial console:
 *
 *   [   12.345678] svm: vmrun failed: exitcode=0x...
 *
 * (seconds since VMM start, subsystem, message; the newline is added).  The
 * printer never blocks on a lock another context may hold: the VMM runs its
 * exit handlers on the CPU that prints, with interrupts off, and the serial
 * writer is a polled 16550, so a line is written start to end in one go.
 *
 * mm/ uses this header too; the host-side tests provide their own log_msg()
 * that writes to stderr.
 */
#ifndef PAGODA_LOG_H
#define PAGODA_LOG_H

#include "lib/types.h"
#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Print one log line at LOG_INFO for subsystem SUBSYS. */
void log_msg(const char *subsys, const char *fmt, ...) __printf(2, 3);
/* Print one log line at LEVEL; dropped when LEVEL is above the current level. */
void log_lvl(enum log_level level, const char *subsys, const char *fmt, ...) __printf(3, 4);

#define pr_err(sub, ...) log_lvl(LOG_ERR, sub, __VA_ARGS__)
#define pr_warn(sub, ...) log_lvl(LOG_WARN, sub, __VA_ARGS__)
#define pr_info(sub, ...) log_lvl(LOG_INFO, sub, __VA_ARGS__)
#define pr_debug(sub, ...) log_lvl(LOG_DEBUG, sub, __VA_ARGS__)

void log_set_level(enum log_level l);
/* Show info/debug lines only of these comma-separated subsystems ("all":
 * every one); a subsystem matches by prefix ("guest" covers "guest demo").
 * 0 or -E_INVAL. */
int log_set_only(const char *csv);
void log_get_only(char *buf, size_t len);
enum log_level log_get_level(void);
/* Write bytes to the console as they are (no timestamp, no newline added). */
void log_raw(const char *s, size_t n);
/*
 * Where log lines and raw console bytes go: up to LOG_NR_SINKS writers
 * (boot/ installs the UART and the screen), each enabled or not at run time
 * (`set console=`).  lib/ knows no device, only slots.  Until an installed
 * sink is enabled, output is kept in a backlog (8 KiB, the oldest bytes
 * dropped first) that the first enabled sinks receive, so lines logged
 * before boot/ has read its configuration are not lost.
 */
typedef void (*log_sink_fn)(const char *s, size_t n);
enum log_sink_id { LOG_SINK_SERIAL = 0, LOG_SINK_SCREEN = 1, LOG_NR_SINKS };
#define LOG_TO_SERIAL (1u << LOG_SINK_SERIAL)
#define LOG_TO_SCREEN (1u << LOG_SINK_SCREEN)
/* Install FN in slot ID (NULL removes it); enables nothing by itself. */
void log_set_sink(enum log_sink_id id, log_sink_fn fn);
/* Write to the sinks in MASK (LOG_TO_*) from now on; the backlog, if any,
 * goes to them first.  0, or -E_INVAL when MASK is empty or names a slot
 * with no sink installed (nothing changes then). */
int log_set_outputs(unsigned mask);
/* The enabled sinks (LOG_TO_* mask). */
unsigned log_get_outputs(void);
/* The installed sinks (LOG_TO_* mask), enabled or not. */
unsigned log_get_sinks(void);

#endif
