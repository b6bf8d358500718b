/*
 * Read a QEMU screendump (binary PPM, P6) and print the text on it as the
 * screen console drew it: each FONT_W x FONT_H cell from pixel (0, 0) is
 * compared, pixel for pixel (ink = any channel above 0x40), with every glyph
 * of the console's own font table (arch/x86/font8x16.c, compiled in), and
 * printed as the character whose glyph matches exactly, or '~' when none
 * does ('~' itself never matches there: the checks never expect it).
 * Trailing spaces of each text row are cut.  Built by tests/qemu/14-screen.t:
 *
 *   cc -I. -o screen_text tests/qemu/screen_text.c arch/x86/font8x16.c
 *   screen_text screen.ppm     -> one line per text row on stdout
 *
 * Exit status 0, or 1 when the file is not a P6 PPM with 255 levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/font8x16.h"

/* The next header number of the PPM F, skipping blanks and comments; -1 at
 * a malformed header. */
static long ppm_num(FILE *f)
{
	int c;
	long v = 0;
	do {
		c = fgetc(f);
		if (c == '#')
			while (c != '\n' && c != EOF)
				c = fgetc(f);
	} while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	if (c < '0' || c > '9')
		return -1;
	for (; c >= '0' && c <= '9'; c = fgetc(f))
		v = v * 10 + (c - '0');
	return v;
}

/* The character whose glyph is exactly the cell at (CX, CY) of the W-wide
 * image INK (one byte per pixel: 1 = ink), or '~' when none is. */
static char match_cell(const unsigned char *ink, long w, long cx, long cy)
{
	for (int g = 0; g < FONT_GLYPHS; g++) {
		int ok = 1;
		for (int y = 0; y < FONT_H && ok; y++)
			for (int x = 0; x < FONT_W && ok; x++) {
				int want = (font8x16[g][y] >> (7 - x)) & 1;
				ok = ink[(cy * FONT_H + y) * w + cx * FONT_W + x] == want;
			}
		if (ok)
			return (char)(FONT_FIRST + g);
	}
	return '~';
}

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
	if (!f) {
		fprintf(stderr, "usage: screen_text FILE.ppm\n");
		return 1;
	}
	if (fgetc(f) != 'P' || fgetc(f) != '6') {
		fprintf(stderr, "screen_text: not a P6 PPM\n");
		return 1;
	}
	long w = ppm_num(f), h = ppm_num(f), max = ppm_num(f);
	if (w <= 0 || h <= 0 || max != 255) {
		fprintf(stderr, "screen_text: bad PPM header\n");
		return 1;
	}
	unsigned char *rgb = malloc(w * h * 3), *ink = malloc(w * h);
	if (!rgb || !ink || fread(rgb, 3, w * h, f) != (size_t)(w * h)) {
		fprintf(stderr, "screen_text: short PPM\n");
		return 1;
	}
	for (long i = 0; i < w * h; i++)
		ink[i] = rgb[3 * i] > 0x40 || rgb[3 * i + 1] > 0x40 || rgb[3 * i + 2] > 0x40;
	char *line = malloc(w / FONT_W + 1);
	for (long cy = 0; cy < h / FONT_H; cy++) {
		long n = 0;
		for (long cx = 0; cx < w / FONT_W; cx++)
			line[n++] = match_cell(ink, w, cx, cy);
		while (n && line[n - 1] == ' ')
			n--;
		line[n] = 0;
		puts(line);
	}
	free(line);
	free(ink);
	free(rgb);
	fclose(f);
	return 0;
}
