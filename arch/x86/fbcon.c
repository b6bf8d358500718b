/*
 * The screen console (arch/x86/fbcon.h).  The text is kept in a character
 * grid, and what the framebuffer shows in a second one; a character is
 * drawn when it is written, and on a scroll the grid moves up and only the
 * cells that now differ from what is shown are redrawn (blank ends of short
 * lines cost nothing).  The framebuffer is only ever written, never read
 * (reading video memory is slow on real hardware).  Character cells start at pixel (0, 0), FONT_W x FONT_H each.
 */
#include "arch/x86/fbcon.h"
#include "arch/x86/font8x16.h"
#include "lib/string.h"

#define FB_MAX_COLS 256
#define FB_MAX_ROWS 128
#define FB_FG_RGB 0xc0c0c0u /* light grey on black */
#define FB_BG_RGB 0x000000u

static struct {
	volatile u32 *base; /* the framebuffer, one u32 per pixel */
	u32 stride;         /* pixels from one row to the next */
	u32 cols, rows;     /* the text grid */
	u32 cx, cy;         /* the cursor: next cell written */
	u32 fg, bg;         /* pixel values of ink and paper */
	bool on;
} fb;

static char grid[FB_MAX_ROWS][FB_MAX_COLS];  /* the text of each cell */
static char shown[FB_MAX_ROWS][FB_MAX_COLS]; /* what the framebuffer shows there */

/* The pixel value of 0xRRGGBB in the framebuffer's byte order. */
static u32 pixel(u32 rgb, bool bgr)
{
	if (bgr)
		return rgb; /* little-endian u32 0x00RRGGBB = bytes B, G, R, 0 */
	return ((rgb & 0xff) << 16) | (rgb & 0xff00) | ((rgb >> 16) & 0xff);
}

/* Draw character C into cell (COL, ROW); a byte outside the font draws '?'. */
static void draw_cell(u32 col, u32 row, char c)
{
	unsigned char ch = (unsigned char)c;
	if (ch < FONT_FIRST || ch > FONT_LAST)
		ch = '?';
	const unsigned char *g = font8x16[ch - FONT_FIRST];
	volatile u32 *p = fb.base + (u64)row * FONT_H * fb.stride + (u64)col * FONT_W;
	shown[row][col] = c;
	for (u32 y = 0; y < FONT_H; y++, p += fb.stride)
		for (u32 x = 0; x < FONT_W; x++)
			p[x] = (g[y] & (0x80 >> x)) ? fb.fg : fb.bg;
}

/* Move the grid up one row, blank the last, and redraw the cells whose
 * text now differs from what they show. */
static void scroll(void)
{
	memmove(grid[0], grid[1], (size_t)(fb.rows - 1) * FB_MAX_COLS);
	memset(grid[fb.rows - 1], ' ', FB_MAX_COLS);
	for (u32 r = 0; r < fb.rows; r++)
		for (u32 c = 0; c < fb.cols; c++)
			if (grid[r][c] != shown[r][c])
				draw_cell(c, r, grid[r][c]);
}

/* Go to the start of the next line, scrolling at the bottom. */
static void newline(void)
{
	fb.cx = 0;
	if (fb.cy + 1 < fb.rows)
		fb.cy++;
	else
		scroll();
}

int fbcon_init(u64 base, u32 width, u32 height, u32 stride, bool bgr)
{
	if (!base || width < FONT_W || height < FONT_H || stride < width)
		return -E_INVAL;
	fb.base = (volatile u32 *)(uintptr_t)base;
	fb.stride = stride;
	fb.cols = MIN(width / FONT_W, FB_MAX_COLS);
	fb.rows = MIN(height / FONT_H, FB_MAX_ROWS);
	fb.cx = fb.cy = 0;
	fb.fg = pixel(FB_FG_RGB, bgr);
	fb.bg = pixel(FB_BG_RGB, bgr);
	for (u32 y = 0; y < height; y++)
		for (u32 x = 0; x < width; x++)
			fb.base[(u64)y * stride + x] = fb.bg;
	memset(grid, ' ', sizeof(grid));
	memset(shown, ' ', sizeof(shown)); /* blank cells look like spaces */
	fb.on = true;
	return 0;
}

bool fbcon_present(void) { return fb.on; }

void fbcon_size(u32 *cols, u32 *rows)
{
	*cols = fb.on ? fb.cols : 0;
	*rows = fb.on ? fb.rows : 0;
}

void fbcon_write(const char *s, size_t n)
{
	if (!fb.on)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			newline();
		} else if (c == '\r') {
			fb.cx = 0;
		} else if (c == '\b') {
			if (fb.cx)
				fb.cx--;
		} else if (c == '\t') {
			do
				fbcon_write(" ", 1);
			while (fb.cx % 8);
		} else {
			if (fb.cx == fb.cols)
				newline();
			grid[fb.cy][fb.cx] = c;
			draw_cell(fb.cx, fb.cy, c);
			fb.cx++;
		}
	}
}
