#include "h264_encode.h"

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>

struct h264_encoder {
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t pts;
};

void h264_encoder_destroy(struct h264_encoder *e)
{
	if (!e)
		return;
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->frame);
	av_packet_free(&e->pkt);
	free(e);
}

struct h264_encoder *h264_encoder_create(int width, int height, int fps, int crf,
					 uint32_t bitrate_bps, int threads)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	struct h264_encoder *e = calloc(1, sizeof(*e));
	if (!codec || !e)
		goto fail;
	e->ctx = avcodec_alloc_context3(codec);
	e->frame = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!e->ctx || !e->frame || !e->pkt)
		goto fail;
	AVCodecContext *c = e->ctx;
	c->width = width;
	c->height = height;
	c->pix_fmt = AV_PIX_FMT_YUV420P;
	c->time_base = (AVRational){1, fps};
	c->framerate = (AVRational){fps, 1};
	c->gop_size = 0x7fffffff; /* IDRs only on request */
	c->max_b_frames = 0;
	c->thread_count = threads;
	c->color_range = AVCOL_RANGE_MPEG;
	c->colorspace = AVCOL_SPC_SMPTE170M;
	av_opt_set(c->priv_data, "preset", "ultrafast", 0);
	av_opt_set(c->priv_data, "tune", "zerolatency", 0);
	av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
	if (crf > 0) {
		av_opt_set_double(c->priv_data, "crf", crf, 0);
	} else {
		c->bit_rate = bitrate_bps;
		c->rc_max_rate = bitrate_bps;
		c->rc_buffer_size = (int)(bitrate_bps / 2);
	}
	av_opt_set(c->priv_data, "x264-params", "repeat-headers=1:scenecut=0:annexb=1", 0);
	if (avcodec_open2(c, codec, NULL) < 0)
		goto fail;
	e->frame->format = AV_PIX_FMT_YUV420P;
	e->frame->width = width;
	e->frame->height = height;
	return e;
fail:
	h264_encoder_destroy(e);
	return NULL;
}

int h264_encoder_encode(struct h264_encoder *e, const uint8_t *y, int ys, const uint8_t *u, int us,
			const uint8_t *v, int vs, bool force_idr, const uint8_t **au,
			size_t *au_len, bool *is_key)
{
	AVFrame *f = e->frame;
	/* The frame borrows the caller's planes for this call only. */
	f->data[0] = (uint8_t *)y;
	f->data[1] = (uint8_t *)u;
	f->data[2] = (uint8_t *)v;
	f->linesize[0] = ys;
	f->linesize[1] = us;
	f->linesize[2] = vs;
	f->pts = e->pts++;
	f->pict_type = force_idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	f->key_frame = force_idr;
	*au = NULL;
	*au_len = 0;
	*is_key = false;
	av_packet_unref(e->pkt);
	int r = avcodec_send_frame(e->ctx, f);
	memset(f->data, 0, sizeof(f->data));
	if (r < 0)
		return r;
	r = avcodec_receive_packet(e->ctx, e->pkt);
	if (r == AVERROR(EAGAIN))
		return 0;
	if (r < 0)
		return r;
	*au = e->pkt->data;
	*au_len = (size_t)e->pkt->size;
	*is_key = e->pkt->flags & AV_PKT_FLAG_KEY;
	return 0;
}
