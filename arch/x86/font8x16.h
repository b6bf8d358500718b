/*
 * The screen console's font: 8x16 cells for printable ASCII, pagoda's own
 * design (scripts/mkfont.py generates font8x16.c).  No types beyond C's, so
 * host tools (the screen test's decoder) build the same table.
 */
#ifndef PAGODA_FONT8X16_H
#define PAGODA_FONT8X16_H

#define FONT_W 8
#define FONT_H 16
#define FONT_FIRST 0x20 /* ' ' */
#define FONT_LAST 0x7e  /* '~' */
#define FONT_GLYPHS (FONT_LAST - FONT_FIRST + 1)

/* Row bytes of character FONT_FIRST + i; bit 7 is the leftmost pixel. */
extern const unsigned char font8x16[FONT_GLYPHS][FONT_H];

#endif
