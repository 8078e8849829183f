/* The exporter's picture store: rectangles land where QEMU said, clipped
 * (also against int32 overflow) with the source offset kept; short sources
 * and invalid pictures are refused without damage; damage is the bounding
 * box of what changed; bottom-up frames (GL) are flipped. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "check.h"
#include "framestore.h"

static uint32_t px_at(const struct qe_framestore *fs, int x, int y)
{
	uint32_t v;
	memcpy(&v, fs->pixels + (size_t)y * fs->stride + (size_t)x * 4, 4);
	return v;
}

/* A source of w x h pixels whose value encodes its own coordinates. */
static uint32_t *coded_source(int w, int h, uint32_t tag)
{
	uint32_t *p = malloc((size_t)w * h * 4);
	for (int y = 0; p && y < h; y++)
		for (int x = 0; x < w; x++)
			p[(size_t)y * w + x] = tag | (uint32_t)(y << 12) | (uint32_t)x;
	return p;
}

static void test_resize(void)
{
	struct qe_framestore fs = {0};
	CHECK_EQ(qe_framestore_resize(&fs, 0, 10), -EINVAL);
	CHECK_EQ(qe_framestore_resize(&fs, 10, QE_FRAMESTORE_MAX_DIM + 1), -EINVAL);
	CHECK(!fs.valid);
	CHECK_EQ(qe_framestore_resize(&fs, 64, 32), 0);
	CHECK(fs.valid);
	CHECK_EQ(fs.stride, 256);
	CHECK_EQ(fs.resizes, 1);
	struct qe_rect d;
	CHECK(qe_framestore_take_damage(&fs, &d)); /* a new picture is all damage */
	CHECK(d.x0 == 0 && d.y0 == 0 && d.x1 == 64 && d.y1 == 32);
	CHECK(!qe_framestore_take_damage(&fs, &d)); /* taken */
	CHECK_EQ(qe_framestore_resize(&fs, 64, 32), 0);
	CHECK_EQ(fs.resizes, 1); /* same size: no new buffer */
	CHECK_EQ(qe_framestore_resize(&fs, 32, 64), 0);
	CHECK_EQ(fs.resizes, 2);
	qe_framestore_finish(&fs);
	CHECK(fs.pixels == NULL && !fs.valid);
}

static void test_put_and_clip(void)
{
	struct qe_framestore fs = {0};
	struct qe_rect d;
	CHECK_EQ(qe_framestore_resize(&fs, 64, 32), 0);
	qe_framestore_take_damage(&fs, &d);
	uint32_t *src = coded_source(16, 8, 0xA0000000u);
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK(qe_framestore_put(&fs, 10, 5, 16, 8, (const uint8_t *)src, 64, 16 * 8 * 4));
	CHECK_EQ(px_at(&fs, 10, 5), 0xA0000000u);
	CHECK_EQ(px_at(&fs, 25, 12), 0xA0000000u | (7u << 12) | 15u);
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 10 && d.y0 == 5 && d.x1 == 26 && d.y1 == 13);

	/* Off the top-left corner: what lies inside comes from the source's
	 * matching offset. */
	CHECK(qe_framestore_put(&fs, -4, -3, 16, 8, (const uint8_t *)src, 64, 16 * 8 * 4));
	CHECK_EQ(px_at(&fs, 0, 0), 0xA0000000u | (3u << 12) | 4u);
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 0 && d.y0 == 0 && d.x1 == 12 && d.y1 == 5);

	/* Off the bottom-right corner. */
	CHECK(qe_framestore_put(&fs, 60, 30, 16, 8, (const uint8_t *)src, 64, 16 * 8 * 4));
	CHECK_EQ(px_at(&fs, 63, 31), 0xA0000000u | (1u << 12) | 3u);
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 60 && d.y0 == 30 && d.x1 == 64 && d.y1 == 32);

	/* Two rectangles: damage is their bounding box. */
	CHECK(qe_framestore_put(&fs, 2, 2, 1, 1, (const uint8_t *)src, 4, 4));
	CHECK(qe_framestore_put(&fs, 40, 20, 2, 2, (const uint8_t *)src, 64, 64 + 8));
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 2 && d.y0 == 2 && d.x1 == 42 && d.y1 == 22);

	/* Refused, and no damage: outside, empty, a source too short for its
	 * rows, a stride shorter than a row, a rectangle whose end overflows
	 * int32 is clipped rather than wrapped. */
	CHECK(!qe_framestore_put(&fs, 64, 0, 4, 4, (const uint8_t *)src, 64, 16 * 8 * 4));
	CHECK(!qe_framestore_put(&fs, 0, 0, 0, 4, (const uint8_t *)src, 64, 16 * 8 * 4));
	CHECK(!qe_framestore_put(&fs, 0, 0, 16, 8, (const uint8_t *)src, 64, 16 * 8 * 4 - 1));
	CHECK(!qe_framestore_put(&fs, 0, 0, 16, 8, (const uint8_t *)src, 60, 16 * 8 * 4));
	CHECK(!qe_framestore_put(&fs, -100, 0, 50, 1, (const uint8_t *)src, 200, 200));
	CHECK(!qe_framestore_take_damage(&fs, &d));
	/* x + w past INT_MAX: clipped in 64 bits to the one pixel inside, so
	 * only the source's first pixel is read. */
	uint32_t one[4] = {0x11, 0x22, 0x33, 0x44};
	CHECK(qe_framestore_put(&fs, 63, 31, INT_MAX, 1, (const uint8_t *)one, (size_t)INT_MAX * 4,
				(size_t)INT_MAX * 4));
	CHECK_EQ(px_at(&fs, 63, 31), 0x11);
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 63 && d.y0 == 31 && d.x1 == 64 && d.y1 == 32);

	/* An invalid picture takes nothing. */
	qe_framestore_invalidate(&fs);
	CHECK(!qe_framestore_put(&fs, 0, 0, 1, 1, (const uint8_t *)src, 4, 4));
	CHECK(!qe_framestore_take_damage(&fs, &d));
	free(src);
	qe_framestore_finish(&fs);
}

static void test_put_from_frame(void)
{
	struct qe_framestore fs = {0};
	struct qe_rect d;
	CHECK_EQ(qe_framestore_resize(&fs, 8, 4), 0);
	qe_framestore_take_damage(&fs, &d);
	uint32_t *frame = coded_source(10, 4, 0xB0000000u); /* stride 40 > 32 */
	CHECK(frame != NULL);
	if (!frame)
		return;
	/* Top-down: pixel (x, y) of the frame lands at (x, y). */
	CHECK(qe_framestore_put_from_frame(&fs, 2, 1, 3, 2, (const uint8_t *)frame, 40, 160, true));
	CHECK_EQ(px_at(&fs, 2, 1), 0xB0000000u | (1u << 12) | 2u);
	CHECK_EQ(px_at(&fs, 4, 2), 0xB0000000u | (2u << 12) | 4u);
	CHECK(qe_framestore_take_damage(&fs, &d));
	CHECK(d.x0 == 2 && d.y0 == 1 && d.x1 == 5 && d.y1 == 3);
	/* Bottom-up (GL): row y of the picture is row height-1-y of the frame. */
	CHECK(qe_framestore_put_from_frame(&fs, 0, 0, 8, 4, (const uint8_t *)frame, 40, 160,
					   false));
	CHECK_EQ(px_at(&fs, 0, 0), 0xB0000000u | (3u << 12) | 0u);
	CHECK_EQ(px_at(&fs, 7, 3), 0xB0000000u | (0u << 12) | 7u);
	/* A frame too small for the picture is refused. */
	CHECK(!qe_framestore_put_from_frame(&fs, 0, 0, 1, 1, (const uint8_t *)frame, 40,
					    40 * 3 + 31, true));
	CHECK(!qe_framestore_put_from_frame(&fs, 0, 0, 1, 1, (const uint8_t *)frame, 28, 160,
					    true));
	CHECK(qe_framestore_frame_fits(8, 4, 40, 40 * 3 + 32));
	CHECK(!qe_framestore_frame_fits(8, 4, 40, 40 * 3 + 31));
	CHECK(!qe_framestore_frame_fits(0, 4, 40, 1000));
	CHECK(!qe_framestore_frame_fits(8, 4, 31, 1000));
	free(frame);
	qe_framestore_finish(&fs);
}

int main(void)
{
	test_resize();
	test_put_and_clip();
	test_put_from_frame();
	return check_report();
}
