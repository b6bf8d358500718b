/*
 * The console: a line shell on the serial port ("pagoda> "), also fed by the
 * startup file from the ESP.  Every command answers one machine-readable
 * result line, "ok <cmd> key=value ..." or "err <cmd> <reason>"; guest state
 * changes print "event guest NAME ..." lines.
 */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include "boot/boot_info.h"
#include "lib/types.h"

void console_init(struct boot_info *bi);
/* Run each line of the startup file as if typed. */
void console_run_startup(const char *text, u64 len);
/* Run one command line. */
void console_exec(const char *line, size_t len);
/* The interactive loop: read lines, run guests while idle.  Never returns. */
__noreturn void console_loop(void);
/* Read waiting serial input; true when a whole line is ready to run. */
bool console_poll(void);
/* Print an asynchronous event line. */
void console_event(const char *fmt, ...) __printf(1, 2);

#endif
