#include "h264_decode.h"

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <stdio.h>
#include <stdlib.h>

struct h264_decoder {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
};

void h264_decoder_destroy(struct h264_decoder *d)
{
	if (!d)
		return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	free(d);
}

struct h264_decoder *h264_decoder_create(void)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	struct h264_decoder *d = calloc(1, sizeof(*d));
	if (!codec || !d)
		goto fail;
	d->ctx = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame)
		goto fail;
	/* One thread and low delay: a picture per access unit, at once. */
	d->ctx->thread_count = 1;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	if (avcodec_open2(d->ctx, codec, NULL) < 0)
		goto fail;
	return d;
fail:
	h264_decoder_destroy(d);
	return NULL;
}

int h264_decoder_decode(struct h264_decoder *d, const uint8_t *au, size_t len, h264_picture_fn fn,
			void *data, char *err, size_t err_len)
{
	char msg[AV_ERROR_MAX_STRING_SIZE];
	if (len > INT32_MAX) {
		snprintf(err, err_len, "access unit too large");
		return AVERROR(EINVAL);
	}
	/* The packet borrows the caller's bytes; libavcodec copies what it keeps. */
	d->pkt->data = (uint8_t *)au;
	d->pkt->size = (int)len;
	int r = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	if (r < 0) {
		snprintf(err, err_len, "send_packet: %s",
			 av_make_error_string(msg, sizeof(msg), r));
		return r;
	}
	for (;;) {
		r = avcodec_receive_frame(d->ctx, d->frame);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0) {
			snprintf(err, err_len, "receive_frame: %s",
				 av_make_error_string(msg, sizeof(msg), r));
			return r;
		}
		AVFrame *f = d->frame;
		if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
			snprintf(err, err_len, "picture format %d is not 8-bit 4:2:0", f->format);
			av_frame_unref(f);
			return AVERROR(EINVAL);
		}
		struct h264_picture pic = {
			.width = f->width,
			.height = f->height,
			.y = f->data[0],
			.u = f->data[1],
			.v = f->data[2],
			.y_stride = f->linesize[0],
			.u_stride = f->linesize[1],
			.v_stride = f->linesize[2],
			.key = f->key_frame,
		};
		fn(&pic, data);
		av_frame_unref(f);
	}
}

bool h264_au_is_idr(const uint8_t *au, size_t len, bool *sps_pps)
{
	bool idr = false, sps = false, pps = false;
	for (size_t i = 0; i + 3 < len; i++) {
		if (au[i] != 0 || au[i + 1] != 0 || au[i + 2] != 1)
			continue;
		unsigned type = au[i + 3] & 0x1fu;
		idr |= type == 5;
		sps |= type == 7;
		pps |= type == 8;
		i += 2;
	}
	if (sps_pps)
		*sps_pps = sps && pps;
	return idr;
}
