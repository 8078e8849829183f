#include "patterns.h"

#include <libyuv/compare.h>
#include <libyuv/convert_from_argb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WHITE 0x00ffffffu
#define BLACK 0x00000000u

int pattern_geom(int w, int h, struct pattern_geom *g)
{
	if (w < PATTERN_MIN_WIDTH || h < PATTERN_MIN_HEIGHT)
		return -1;
	/* Multiples of 16 line the blocks up with H.264 macroblocks, so each
	 * is coded flat and reads back cleanly even at low quality. */
	int b = (h / 16) & ~15;
	int bw = (w / (int)(PATTERN_BITS + 2)) & ~15;
	if (bw < b)
		b = bw;
	if (b < 16)
		b = 16;
	g->block = b;
	g->x0 = b;
	g->y0 = b;
	return 0;
}

void pattern_draw_background(uint32_t *px, size_t stride_px, int w, int h, unsigned k)
{
	unsigned phase = k % PATTERN_PERIOD;
	/* Smooth ramps (cheap to encode) whose offsets move with the phase:
	 * every pixel differs between consecutive patterns. */
	uint32_t blue = 40u + phase * 24u;
	uint32_t *row0 = px;
	for (int x = 0; x < w; x++) {
		uint32_t r = ((uint32_t)x * 256u / (uint32_t)w + phase * 32u) & 0xffu;
		row0[x] = (r << 16) | blue;
	}
	for (int y = h - 1; y >= 0; y--) {
		uint32_t g = (((uint32_t)y * 256u / (uint32_t)h) + phase * 8u) & 0xffu;
		uint32_t *row = px + (size_t)y * stride_px;
		for (int x = 0; x < w; x++)
			row[x] = (row0[x] & 0x00ff00ffu) | (g << 8);
	}
}

static void fill_rect(uint32_t *px, size_t stride_px, int x0, int y0, int w, int h, uint32_t c)
{
	for (int y = y0; y < y0 + h; y++) {
		uint32_t *row = px + (size_t)y * stride_px;
		for (int x = x0; x < x0 + w; x++)
			row[x] = c;
	}
}

void pattern_draw_code(uint32_t *px, size_t stride_px, int w, int h, unsigned k)
{
	struct pattern_geom g;
	if (pattern_geom(w, h, &g) < 0)
		return;
	for (unsigned i = 0; i < PATTERN_BITS; i++) {
		bool bit = (k >> (PATTERN_BITS - 1 - i)) & 1u;
		int x = g.x0 + (int)i * g.block;
		fill_rect(px, stride_px, x, g.y0, g.block, g.block, bit ? WHITE : BLACK);
		fill_rect(px, stride_px, x, g.y0 + g.block, g.block, g.block, bit ? BLACK : WHITE);
	}
}

void pattern_draw(uint32_t *px, size_t stride_px, int w, int h, unsigned k)
{
	pattern_draw_background(px, stride_px, w, h, k);
	pattern_draw_code(px, stride_px, w, h, k);
}

void pattern_draw_tick(uint32_t *px, size_t stride_px, int w, int h, unsigned tick, int rect[4])
{
	int x0 = (w / 2) & ~1, y0 = (h / 2) & ~1;
	for (int y = 0; y < PATTERN_SMALL_H; y++) {
		uint32_t *row = px + (size_t)(y0 + y) * stride_px + x0;
		for (int x = 0; x < PATTERN_SMALL_W; x++) {
			bool on = ((unsigned)x / 16u + tick) % 4u == 0;
			row[x] = on ? WHITE : (0x00204060u + (tick % 64u) * 0x00020200u);
		}
	}
	rect[0] = x0;
	rect[1] = y0;
	rect[2] = PATTERN_SMALL_W;
	rect[3] = PATTERN_SMALL_H;
}

/* Mean luma of the block's inner half (away from blurred edges): 0 black,
 * 1 white, -1 neither. Limited range: black is 16, white 235. */
static int read_block(const uint8_t *y, int ys, int bx, int by, int b)
{
	unsigned sum = 0, n = 0;
	for (int j = by + b / 4; j < by + 3 * b / 4; j++)
		for (int i = bx + b / 4; i < bx + 3 * b / 4; i++, n++)
			sum += y[(size_t)j * (size_t)ys + (size_t)i];
	unsigned mean = sum / n;
	if (mean < 80)
		return 0;
	if (mean > 170)
		return 1;
	return -1;
}

int pattern_identify(const uint8_t *y, int ys, int w, int h)
{
	struct pattern_geom g;
	if (pattern_geom(w, h, &g) < 0)
		return -1;
	unsigned k = 0;
	for (unsigned i = 0; i < PATTERN_BITS; i++) {
		int x = g.x0 + (int)i * g.block;
		int top = read_block(y, ys, x, g.y0, g.block);
		int bottom = read_block(y, ys, x, g.y0 + g.block, g.block);
		if (top < 0 || bottom < 0 || top == bottom)
			return -1;
		k = (k << 1) | (unsigned)top;
	}
	return (int)k;
}

/* The reference of pattern k is the I420 background of its phase (made
 * once per phase) with the code area converted on top: a subscriber checks
 * every frame, and redrawing and converting whole 1080p pictures per frame
 * would take CPU from the exporter it measures. */
struct phase_planes {
	uint8_t *y, *u, *v; /* NULL until first needed */
};

struct pattern_checker {
	int w, h;
	bool have_ref, have_argb; /* y/u/v hold ref_k; argb holds ref_k whole */
	unsigned ref_k;
	uint32_t *argb;
	uint8_t *y, *u, *v;
	struct phase_planes phase[PATTERN_PERIOD];
};

struct pattern_checker *pattern_checker_create(int w, int h)
{
	struct pattern_geom g;
	if (pattern_geom(w, h, &g) < 0)
		return NULL;
	struct pattern_checker *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	size_t n = (size_t)w * (size_t)h;
	size_t cn = (size_t)((w + 1) / 2) * (size_t)((h + 1) / 2);
	c->w = w;
	c->h = h;
	c->argb = malloc(n * 4);
	c->y = malloc(n);
	c->u = malloc(cn);
	c->v = malloc(cn);
	if (!c->argb || !c->y || !c->u || !c->v) {
		pattern_checker_destroy(c);
		return NULL;
	}
	return c;
}

void pattern_checker_destroy(struct pattern_checker *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < PATTERN_PERIOD; i++) {
		free(c->phase[i].y);
		free(c->phase[i].u);
		free(c->phase[i].v);
	}
	free(c->argb);
	free(c->y);
	free(c->u);
	free(c->v);
	free(c);
}

static void to_i420(struct pattern_checker *c, uint8_t *y, uint8_t *u, uint8_t *v)
{
	int cw = (c->w + 1) / 2;
	ARGBToI420((const uint8_t *)c->argb, c->w * 4, y, c->w, u, cw, v, cw, c->w, c->h);
}

/* The whole ARGB picture and its I420 planes. */
static void make_full_reference(struct pattern_checker *c, unsigned k)
{
	if (c->have_argb && c->ref_k == k)
		return;
	pattern_draw(c->argb, (size_t)c->w, c->w, c->h, k);
	to_i420(c, c->y, c->u, c->v);
	c->have_ref = c->have_argb = true;
	c->ref_k = k;
}

/* The I420 planes only: the phase's background, then the code area (whole
 * blocks, on 16-pixel boundaries, so its chroma does not mix with the
 * background) converted on top. Falls back to the whole picture when out
 * of memory. */
static void make_reference(struct pattern_checker *c, unsigned k)
{
	if (c->have_ref && c->ref_k == k)
		return;
	struct phase_planes *ph = &c->phase[k % PATTERN_PERIOD];
	size_t n = (size_t)c->w * (size_t)c->h;
	int cw = (c->w + 1) / 2;
	size_t cn = (size_t)cw * (size_t)((c->h + 1) / 2);
	if (!ph->y) {
		ph->y = malloc(n);
		ph->u = malloc(cn);
		ph->v = malloc(cn);
		if (!ph->y || !ph->u || !ph->v) {
			free(ph->y);
			free(ph->u);
			free(ph->v);
			*ph = (struct phase_planes){0};
			make_full_reference(c, k);
			return;
		}
		pattern_draw_background(c->argb, (size_t)c->w, c->w, c->h, k);
		to_i420(c, ph->y, ph->u, ph->v);
	}
	memcpy(c->y, ph->y, n);
	memcpy(c->u, ph->u, cn);
	memcpy(c->v, ph->v, cn);
	struct pattern_geom g;
	if (pattern_geom(c->w, c->h, &g) < 0) {
		make_full_reference(c, k);
		return;
	}
	pattern_draw_code(c->argb, (size_t)c->w, c->w, c->h, k);
	int x0 = g.x0, y0 = g.y0, cw_px = (int)PATTERN_BITS * g.block, ch_px = 2 * g.block;
	const uint8_t *src = (const uint8_t *)(c->argb + (size_t)y0 * (size_t)c->w + (size_t)x0);
	ARGBToI420(src, c->w * 4, c->y + (size_t)y0 * (size_t)c->w + (size_t)x0, c->w,
		   c->u + (size_t)(y0 / 2) * (size_t)cw + (size_t)(x0 / 2), cw,
		   c->v + (size_t)(y0 / 2) * (size_t)cw + (size_t)(x0 / 2), cw, cw_px, ch_px);
	c->have_ref = true;
	c->have_argb = false;
	c->ref_k = k;
}

const uint32_t *pattern_checker_reference(struct pattern_checker *c, unsigned k)
{
	make_full_reference(c, k);
	return c->argb;
}

double pattern_checker_psnr(struct pattern_checker *c, unsigned k, const uint8_t *y, int ys,
			    const uint8_t *u, int us, const uint8_t *v, int vs)
{
	make_reference(c, k);
	int cw = (c->w + 1) / 2;
	return I420Psnr(c->y, c->w, c->u, cw, c->v, cw, y, ys, u, us, v, vs, c->w, c->h);
}

uint32_t cursor_pattern_pixel(int x, int y)
{
	const int half = CURSOR_PATTERN_SIZE / 2;
	uint32_t cx = (uint32_t)(x % half) * 4u, cy = (uint32_t)(y % half) * 4u;
	if (y < half && x < half)
		return 0xffff0000u | (cy << 8) | cx;
	if (y < half)
		return 0xff00ff00u | (cx << 16) | cy;
	/* Translucent quadrants: premultiplied, so no channel exceeds alpha. */
	if (x < half)
		return 0x80000000u | ((cy / 2u) << 16) | 0x80u;
	uint32_t g = (cx + cy) / 8u; /* 0..31, below alpha 0x40 */
	return 0x40000000u | (g << 16) | (g << 8) | g;
}

void cursor_pattern_draw(uint32_t *px, size_t stride_px)
{
	for (int y = 0; y < CURSOR_PATTERN_SIZE; y++)
		for (int x = 0; x < CURSOR_PATTERN_SIZE; x++)
			px[(size_t)y * stride_px + (size_t)x] = cursor_pattern_pixel(x, y);
}

void cursor_pattern_position(unsigned i, int *x, int *y)
{
	/* Steps of 53 and 29 modulo ranges they do not divide: no two
	 * consecutive positions are equal, and the path covers the screen. */
	*x = 16 + (int)((i * 53u) % 1152u);
	*y = 16 + (int)((i * 29u) % 592u);
}
