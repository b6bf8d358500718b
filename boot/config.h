/*
 * \pagoda\config: the machine settings boot/ applies before the first log
 * line is written.  Plain `key=value` lines; blank lines and lines starting
 * with '#' are ignored; spaces around key and value are allowed.
 *
 *   serial=0x2f8     I/O port of the console UART (default: the ACPI SPCR
 *                    table's UART if there is one, else 0x3f8, COM1)
 *   baud=115200      its speed (a divisor of 115200)
 *   console=both     where the log and console go: serial, screen or both
 *
 * A pure parser (no UEFI, no I/O): the host tests build it for Linux.
 */
#ifndef PAGODA_BOOT_CONFIG_H
#define PAGODA_BOOT_CONFIG_H

#include "lib/types.h"

enum boot_console { BOOT_CONSOLE_DEFAULT = 0, BOOT_CONSOLE_SERIAL, BOOT_CONSOLE_SCREEN,
		    BOOT_CONSOLE_BOTH };

struct boot_config {
	u16 serial_port;          /* 0x3f8 unless set */
	u32 baud;                 /* 115200 unless set */
	enum boot_console console; /* DEFAULT: both when there is a screen */
	bool serial_set;          /* serial= was given (it overrides SPCR) */
	bool baud_set;            /* baud= was given (it overrides SPCR's) */
};

/* The settings with nothing given. */
void boot_config_defaults(struct boot_config *cfg);
/*
 * Apply the LEN bytes of TEXT to CFG, line by line; a bad line changes
 * nothing and is counted.  Returns the number of bad lines; WHY (WHYLEN
 * bytes, NUL-terminated) says what was wrong with the first one.
 */
unsigned boot_config_parse(struct boot_config *cfg, const char *text, u64 len, char *why,
			   size_t whylen);

#endif
