/* libx264 through libavcodec, set up as the exporter's encoder is
 * (ultrafast, zerolatency, no B-frames, Annex B with in-band SPS/PPS, an
 * IDR on request): the reference the checkers and benchmarks encode with. */
#ifndef LC_H264_ENCODE_H
#define LC_H264_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h264_encoder;

/* crf > 0: x264 constant quality (23 is x264's default); else a bit rate
 * of bitrate_bps with half a second of VBV, as the exporter runs it.
 * threads: x264's (the exporter uses 2). */
struct h264_encoder *h264_encoder_create(int width, int height, int fps, int crf,
					 uint32_t bitrate_bps, int threads);
void h264_encoder_destroy(struct h264_encoder *e);
/* Encodes one I420 picture; *au / *au_len is the access unit (valid until
 * the next call), *au_len 0 when the encoder held it back. 0 or AVERROR. */
int h264_encoder_encode(struct h264_encoder *e, const uint8_t *y, int ys, const uint8_t *u, int us,
			const uint8_t *v, int vs, bool force_idr, const uint8_t **au,
			size_t *au_len, bool *is_key);

#endif
