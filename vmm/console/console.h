/*
 * The console: a line shell on the serial port ("pagoda> "), also fed by the
 * startup file from the ESP.  Every command answers one machine-readable
 * result line, "ok <cmd> key=value ..." or "err <cmd> <reason>"; guest state
 * changes print "event guest NAME ..." lines.  console.c reads and edits
 * input lines and prints; commands.c holds the command table.
 */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include "boot/boot_info.h"
#include "lib/types.h"

/* Take the ESP files of BI and subscribe to guest events. */
void console_init(const struct boot_info *bi);
/* Run each line of the startup file as if typed. */
void console_run_startup(const char *text, u64 len);
/* Run one command line (commands.c). */
void console_exec(const char *line, size_t len);
/* Carry out the on_reboot/on_poweroff/on_crash policy of every guest that
 * ended since (vmm/vm.h policy_due): destroy it, or destroy it and run its
 * create line again and start it; an event line for each.  Call between
 * slices only (never from an exit handler). */
void console_run_policies(void);
/* Read waiting serial input; true when a whole line is ready to run (in
 * attach mode: typed bytes go to the guest; true when it is to detach). */
bool console_poll(void);
/* Run the line console_poll() found ready, then prompt again (in attach
 * mode: detach, then prompt). */
void console_run_ready(void);
/*
 * Attach the serial console to G (running or stopped): its console output
 * goes to the serial port raw, what is typed goes to its COM1 receiver,
 * Ctrl-] (or G ending) detaches; prints the "ok console" line.  0, or
 * negative with a static reason in *WHY (attached already, G in another
 * state, called from the startup file).
 */
struct guest;
int console_attach(struct guest *g, const char **why);
/* Whether the console is attached to a guest. */
bool console_attached(void);
/* Print the prompt (once at start; console_run_ready prints the others). */
void console_prompt(void);
/* Print one result or information line (a newline is added). */
void console_reply(const char *fmt, ...) __printf(1, 2);

#endif
