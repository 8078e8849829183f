#include "framestore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void add_damage(struct qe_framestore *fs, int x0, int y0, int x1, int y1)
{
	struct qe_rect *d = &fs->damage;
	if (d->x0 >= d->x1 || d->y0 >= d->y1) {
		*d = (struct qe_rect){x0, y0, x1, y1};
		return;
	}
	if (x0 < d->x0)
		d->x0 = x0;
	if (y0 < d->y0)
		d->y0 = y0;
	if (x1 > d->x1)
		d->x1 = x1;
	if (y1 > d->y1)
		d->y1 = y1;
}

/* Clips (x, y, w, h) to the store in 64 bits (QEMU's int32 rectangles may
 * sum past INT_MAX); *sx, *sy say how much was cut off the left and top.
 * false when nothing is left. */
static bool clip(const struct qe_framestore *fs, int *x, int *y, int *w, int *h, int *sx, int *sy)
{
	int64_t x0 = *x, y0 = *y, x1 = (int64_t)*x + *w, y1 = (int64_t)*y + *h;
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > fs->width)
		x1 = fs->width;
	if (y1 > fs->height)
		y1 = fs->height;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*sx = (int)(x0 - *x);
	*sy = (int)(y0 - *y);
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return true;
}

int qe_framestore_resize(struct qe_framestore *fs, uint32_t width, uint32_t height)
{
	if (width == 0 || height == 0 || width > QE_FRAMESTORE_MAX_DIM ||
	    height > QE_FRAMESTORE_MAX_DIM)
		return -EINVAL;
	if (width != fs->width || height != fs->height || !fs->pixels) {
		uint8_t *p = malloc((size_t)width * height * 4);
		if (!p)
			return -ENOMEM;
		free(fs->pixels);
		fs->pixels = p;
		fs->width = width;
		fs->height = height;
		fs->stride = width * 4;
		fs->resizes++;
	}
	fs->valid = true;
	qe_framestore_damage_all(fs);
	return 0;
}

bool qe_framestore_put(struct qe_framestore *fs, int x, int y, int w, int h, const uint8_t *src,
		       size_t src_stride, size_t src_len)
{
	if (!fs->valid || w <= 0 || h <= 0 || x >= (int)fs->width || y >= (int)fs->height)
		return false;
	/* The source must hold h rows of w pixels at src_stride. */
	if (src_stride < (size_t)w * 4 || src_len < src_stride * (size_t)(h - 1) + (size_t)w * 4)
		return false;
	int sx, sy;
	if (!clip(fs, &x, &y, &w, &h, &sx, &sy))
		return false;
	for (int row = 0; row < h; row++) {
		size_t srow = (size_t)(sy + row);
		memcpy(fs->pixels + (size_t)(y + row) * fs->stride + (size_t)x * 4,
		       src + srow * src_stride + (size_t)sx * 4, (size_t)w * 4);
	}
	add_damage(fs, x, y, x + w, y + h);
	return true;
}

bool qe_framestore_put_from_frame(struct qe_framestore *fs, int x, int y, int w, int h,
				  const uint8_t *frame, size_t frame_stride, size_t frame_len,
				  bool y0_top)
{
	if (!fs->valid || frame_stride < (size_t)fs->width * 4 ||
	    frame_len < frame_stride * (fs->height - 1) + (size_t)fs->width * 4)
		return false;
	int sx, sy;
	if (!clip(fs, &x, &y, &w, &h, &sx, &sy))
		return false;
	for (int row = y; row < y + h; row++) {
		size_t srow = y0_top ? (size_t)row : (size_t)(fs->height - 1 - (uint32_t)row);
		memcpy(fs->pixels + (size_t)row * fs->stride + (size_t)x * 4,
		       frame + srow * frame_stride + (size_t)x * 4, (size_t)w * 4);
	}
	add_damage(fs, x, y, x + w, y + h);
	return true;
}

bool qe_framestore_frame_fits(uint32_t width, uint32_t height, size_t stride, size_t len)
{
	return width && height && stride >= (size_t)width * 4 &&
	       len >= stride * (height - 1) + (size_t)width * 4;
}

void qe_framestore_invalidate(struct qe_framestore *fs)
{
	fs->valid = false;
	fs->damage = (struct qe_rect){0};
}

void qe_framestore_finish(struct qe_framestore *fs)
{
	free(fs->pixels);
	*fs = (struct qe_framestore){0};
}

bool qe_framestore_take_damage(struct qe_framestore *fs, struct qe_rect *out)
{
	struct qe_rect d = fs->damage;
	if (!fs->valid || d.x0 >= d.x1 || d.y0 >= d.y1)
		return false;
	*out = d;
	fs->damage = (struct qe_rect){0};
	return true;
}

void qe_framestore_damage_all(struct qe_framestore *fs)
{
	if (fs->valid)
		fs->damage = (struct qe_rect){0, 0, (int)fs->width, (int)fs->height};
}
