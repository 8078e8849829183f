/* Deterministic test patterns for the frame plane's end-to-end checks.
 *
 * Pattern k (any unsigned, 16 bits are coded) at WxH in XRGB8888 is a smooth
 * background that changes every pixel from one k to the next (its phase is
 * k mod PATTERN_PERIOD), with k drawn on top as two rows of 16 big
 * black/white blocks: bits 15..0 of k, then their complement. The blocks
 * survive H.264 at any sane quality, so a decoded frame names its pattern;
 * the PSNR against pattern k then says how faithful the frame is.
 *
 * Drawing is split so that a flipper can pre-render PATTERN_PERIOD
 * backgrounds once and redraw only the small code area per flip. */
#ifndef LC_PATTERNS_H
#define LC_PATTERNS_H

#include <stddef.h>
#include <stdint.h>

#define PATTERN_PERIOD 8u
#define PATTERN_BITS 16u
/* The picture a flipper shows before and after its patterns. */
#define PATTERN_IDLE 0xffffu
#define PATTERN_MIN_WIDTH 288
#define PATTERN_MIN_HEIGHT 64

/* Where the code blocks are: a (PATTERN_BITS x 2) grid of block x block
 * squares whose top-left corner is (x0, y0). */
struct pattern_geom {
	int block, x0, y0;
};

/* -1 when w x h is below the minimum. */
int pattern_geom(int w, int h, struct pattern_geom *g);

/* px: w x h XRGB8888 pixels, stride_px pixels per row. */
void pattern_draw_background(uint32_t *px, size_t stride_px, int w, int h, unsigned k);
void pattern_draw_code(uint32_t *px, size_t stride_px, int w, int h, unsigned k);
void pattern_draw(uint32_t *px, size_t stride_px, int w, int h, unsigned k);

/* Small damage: redraws a SMALL_W x SMALL_H bar in the middle of the
 * picture whose content moves with tick (text being typed, a clock), and
 * says where: rect = {x, y, w, h}. */
#define PATTERN_SMALL_W 256
#define PATTERN_SMALL_H 64
void pattern_draw_tick(uint32_t *px, size_t stride_px, int w, int h, unsigned tick, int rect[4]);

/* Reads the code from a decoded frame's luma plane: the pattern index
 * (0..65535), or -1 when the blocks are unreadable or inconsistent. */
int pattern_identify(const uint8_t *y, int y_stride, int w, int h);

struct pattern_checker;

/* Reference images at w x h, converted to I420 as the exporter does
 * (libyuv ARGBToI420: BT.601, limited range). NULL on bad size or OOM. */
struct pattern_checker *pattern_checker_create(int w, int h);
void pattern_checker_destroy(struct pattern_checker *c);

/* PSNR (dB, over Y, U and V samples) of a decoded I420 frame against
 * pattern k; 128 for identical frames. */
double pattern_checker_psnr(struct pattern_checker *c, unsigned k, const uint8_t *y, int ys,
			    const uint8_t *u, int us, const uint8_t *v, int vs);

/* The reference ARGB image of the last pattern given to _psnr (or drawn by
 * _reference) and its I420 planes, for tools that encode patterns. */
const uint32_t *pattern_checker_reference(struct pattern_checker *c, unsigned k);

/* The cursor of lc-pattern-flip --cursor-moves (vm-frames-cursor): a
 * CURSOR_PATTERN_SIZE square ARGB8888 image, alpha premultiplied (so QEMU
 * and the exporter hand it on byte for byte), with hotspot
 * (CURSOR_PATTERN_HOT_X, CURSOR_PATTERN_HOT_Y). Its four quadrants differ
 * in colour and alpha (opaque red, opaque green, half-transparent blue,
 * faint grey) and carry their coordinates in the colour channels, so a
 * mirrored, transposed or shifted image does not match. */
#define CURSOR_PATTERN_SIZE 64
#define CURSOR_PATTERN_HOT_X 5
#define CURSOR_PATTERN_HOT_Y 9
uint32_t cursor_pattern_pixel(int x, int y);
void cursor_pattern_draw(uint32_t *px, size_t stride_px);
/* Step i of the cursor's path: the image's top-left, as given to
 * drmModeMoveCursor (a subscriber's CURSOR_MOVE is that plus the hotspot).
 * Distinct consecutive positions; the image stays inside 1280x720. */
void cursor_pattern_position(unsigned i, int *x, int *y);

#endif
