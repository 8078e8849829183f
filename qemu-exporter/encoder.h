/* An H.264 encoder for one scanout: a persistent input picture that is
 * updated from BGRX only where the screen changed, and one Annex-B access
 * unit out per picture in (no B-frames, no reordering, SPS/PPS in front of
 * every IDR). Used by one thread at a time. */
#ifndef QE_ENCODER_H
#define QE_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qe_encoder_kind {
	QE_ENCODER_X264,  /* libx264 through libavcodec (default) */
	QE_ENCODER_VAAPI, /* h264_vaapi on a render node */
};

struct qe_encoder_params {
	enum qe_encoder_kind kind;
	const char *preset;       /* x264 preset ("ultrafast") */
	const char *vaapi_device; /* render node for VAAPI */
	uint32_t width, height;   /* even, >= 2 */
	uint32_t bitrate_bps;
	uint32_t fps_num, fps_den; /* rate control hint; frames come on damage */
};

struct qe_encoder;

/* Logs why on failure. -errno. */
int qe_encoder_create(struct qe_encoder **out, const struct qe_encoder_params *p);
void qe_encoder_destroy(struct qe_encoder *enc);
const char *qe_encoder_name(const struct qe_encoder *enc);

/* Converts the rectangle [x0,x1)x[y0,y1) (even coordinates, inside the
 * encoder's size) of a BGRX picture (bgrx: its top-left, stride bytes per
 * row) into the input picture (BT.601 limited range, as the VUI says). */
void qe_encoder_convert(struct qe_encoder *enc, const uint8_t *bgrx, uint32_t stride, int x0,
			int y0, int x1, int y1);

/* Encodes the input picture; idr forces an IDR. On success *au (valid until
 * the next call) holds one access unit and *idr whether it is one; *au_len
 * is 0 when the encoder held the picture back (hardware pipelines). */
int qe_encoder_encode(struct qe_encoder *enc, bool idr, const uint8_t **au, size_t *au_len,
		      bool *is_idr);

#endif
