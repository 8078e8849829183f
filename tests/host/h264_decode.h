/* An H.264 decoder for checkers: one Annex-B access unit in, the pictures
 * it completes out (libavcodec's h264 decoder, no frame threading, so a
 * picture comes out with its own access unit). */
#ifndef LC_H264_DECODE_H
#define LC_H264_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h264_picture {
	int width, height;
	const uint8_t *y, *u, *v; /* I420 (yuv420p) */
	int y_stride, u_stride, v_stride;
	bool key; /* the decoder saw an IDR */
};

typedef void (*h264_picture_fn)(const struct h264_picture *pic, void *data);

struct h264_decoder;

struct h264_decoder *h264_decoder_create(void);
void h264_decoder_destroy(struct h264_decoder *d);
/* Decodes one access unit; calls fn for each picture it yields. 0, or a
 * negative AVERROR with a message in err (decode error, or a picture that
 * is not 8-bit 4:2:0). */
int h264_decoder_decode(struct h264_decoder *d, const uint8_t *au, size_t len, h264_picture_fn fn,
			void *data, char *err, size_t err_len);

/* true when the Annex-B access unit holds an IDR slice (NAL type 5), and
 * sets *sps_pps when it also carries both an SPS (7) and a PPS (8). */
bool h264_au_is_idr(const uint8_t *au, size_t len, bool *sps_pps);

#endif
