/* One console's picture as QEMU last showed it: a BGRX back buffer (pixman
 * x8r8g8b8 / DRM XRGB8888 bytes, stride = width * 4) and the bounding box
 * of what changed since the encoder last looked. Plain data: the owner
 * (stream.c) serialises access. */
#ifndef QE_FRAMESTORE_H
#define QE_FRAMESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QE_FRAMESTORE_MAX_DIM 16384

struct qe_rect {
	int x0, y0, x1, y1; /* half-open; empty when x0 >= x1 */
};

struct qe_framestore {
	uint8_t *pixels;
	uint32_t width, height, stride;
	bool valid; /* holds a picture */
	struct qe_rect damage;
	uint64_t resizes; /* bumped on every size change */
};

/* A new picture size; contents undefined until written, all damaged.
 * -EINVAL for a size out of range, -ENOMEM. */
int qe_framestore_resize(struct qe_framestore *fs, uint32_t width, uint32_t height);
/* Copies a rectangle of 32-bit pixels (src is its top-left pixel, with its
 * own stride) to (x, y); clipped to the store; src_len is checked. Returns
 * false when nothing fitted. */
bool qe_framestore_put(struct qe_framestore *fs, int x, int y, int w, int h, const uint8_t *src,
		       size_t src_stride, size_t src_len);
/* Copies the rectangle (x, y, w, h) out of a whole frame of the store's
 * size (shared memory, a DMA-BUF), which is stored bottom-up when
 * !y0_top (GL). */
bool qe_framestore_put_from_frame(struct qe_framestore *fs, int x, int y, int w, int h,
				  const uint8_t *frame, size_t frame_stride, size_t frame_len,
				  bool y0_top);
/* A whole width x height frame of 32-bit pixels at stride fits in len
 * bytes (what a Scanout or a shared surface must hold). */
bool qe_framestore_frame_fits(uint32_t width, uint32_t height, size_t stride, size_t len);
void qe_framestore_invalidate(struct qe_framestore *fs);
void qe_framestore_finish(struct qe_framestore *fs);
/* Takes the damage box (and clears it); false when nothing is damaged. */
bool qe_framestore_take_damage(struct qe_framestore *fs, struct qe_rect *out);
void qe_framestore_damage_all(struct qe_framestore *fs);

#endif
