/*
 * The screen console: text drawn with the built-in 8x16 font into a linear
 * 32-bit framebuffer (UEFI's GOP one, which boot/ records), with
 * scrolling, newline, carriage return, tab and backspace.  A log sink
 * (lib/log.h) like the UART's.
 */
#ifndef PAGODA_FBCON_H
#define PAGODA_FBCON_H

#include "lib/types.h"

/* Use the framebuffer at physical BASE (identity-mapped), WIDTH x HEIGHT
 * pixels of 4 bytes, STRIDE pixels from one row to the next; BGR when the
 * byte order is blue, green, red (else red, green, blue).  Clears it.
 * 0, or -E_INVAL when it is too small for one character. */
int fbcon_init(u64 base, u32 width, u32 height, u32 stride, bool bgr);
/* Whether fbcon_init() succeeded. */
bool fbcon_present(void);
/* The text grid: columns and rows. */
void fbcon_size(u32 *cols, u32 *rows);
/* Draw N bytes at the cursor (a log sink). */
void fbcon_write(const char *s, size_t n);

#endif
