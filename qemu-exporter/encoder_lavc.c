/* qe_encoder on libavcodec: libx264 (zero-latency, forced IDRs, headers
 * repeated) or h264_vaapi; colour conversion with libyuv, which is about
 * 7x faster than swscale for BGRX -> 4:2:0 and converts any rectangle. */
#include "encoder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libyuv/convert_from_argb.h>

#include "log.h"

struct qe_encoder {
	enum qe_encoder_kind kind;
	AVCodecContext *ctx;
	AVBufferRef *hw_device, *hw_frames;
	AVFrame *pic; /* persistent software input: yuv420p (x264) or nv12 (VAAPI) */
	AVPacket *pkt;
	int64_t next_pts;
	uint8_t *au; /* copy of the last packet */
	size_t au_cap;
	char name[32];
};

static void log_averror(const char *what, int err)
{
	char buf[AV_ERROR_MAX_STRING_SIZE] = "";
	av_strerror(err, buf, sizeof(buf));
	lc_err("encoder: %s: %s", what, buf);
}

static void set_common(AVCodecContext *c, const struct qe_encoder_params *p)
{
	c->width = (int)p->width;
	c->height = (int)p->height;
	c->framerate = (AVRational){(int)p->fps_num, (int)p->fps_den};
	c->time_base = (AVRational){(int)p->fps_den, (int)p->fps_num};
	c->bit_rate = p->bitrate_bps;
	c->rc_max_rate = p->bitrate_bps;
	/* Half a second of VBV: bounds an IDR's size spike without starving it. */
	c->rc_buffer_size = (int)(p->bitrate_bps / 2);
	c->max_b_frames = 0;
	c->gop_size = 0x7fffffff; /* IDRs are ours to force (time-based, on join) */
	/* libyuv writes BT.601 limited range: say so in the VUI. */
	c->color_range = AVCOL_RANGE_MPEG;
	c->colorspace = AVCOL_SPC_SMPTE170M;
	c->color_primaries = AVCOL_PRI_SMPTE170M;
	c->color_trc = AVCOL_TRC_SMPTE170M;
}

static int open_x264(struct qe_encoder *e, const struct qe_encoder_params *p)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	if (!codec) {
		lc_err("encoder: libavcodec has no libx264");
		return -ENOENT;
	}
	e->ctx = avcodec_alloc_context3(codec);
	if (!e->ctx)
		return -ENOMEM;
	set_common(e->ctx, p);
	e->ctx->pix_fmt = AV_PIX_FMT_YUV420P;
	e->ctx->thread_count = 2;
	int r;
	if ((r = av_opt_set(e->ctx->priv_data, "preset", p->preset, 0)) < 0 ||
	    (r = av_opt_set(e->ctx->priv_data, "tune", "zerolatency", 0)) < 0 ||
	    (r = av_opt_set(e->ctx->priv_data, "forced-idr", "1", 0)) < 0 ||
	    (r = av_opt_set(e->ctx->priv_data, "x264-params",
			    "repeat-headers=1:scenecut=0:annexb=1", 0)) < 0) {
		log_averror("x264 options", r);
		return -EINVAL;
	}
	if ((r = avcodec_open2(e->ctx, codec, NULL)) < 0) {
		log_averror("cannot open libx264", r);
		return -EINVAL;
	}
	snprintf(e->name, sizeof(e->name), "libx264/%s", p->preset);
	return 0;
}

static int open_vaapi(struct qe_encoder *e, const struct qe_encoder_params *p)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("h264_vaapi");
	if (!codec) {
		lc_err("encoder: libavcodec has no h264_vaapi");
		return -ENOENT;
	}
	int r = av_hwdevice_ctx_create(&e->hw_device, AV_HWDEVICE_TYPE_VAAPI, p->vaapi_device, NULL,
				       0);
	if (r < 0) {
		log_averror(p->vaapi_device, r);
		return -ENODEV;
	}
	e->hw_frames = av_hwframe_ctx_alloc(e->hw_device);
	if (!e->hw_frames)
		return -ENOMEM;
	AVHWFramesContext *fc = (AVHWFramesContext *)e->hw_frames->data;
	fc->format = AV_PIX_FMT_VAAPI;
	fc->sw_format = AV_PIX_FMT_NV12;
	fc->width = (int)p->width;
	fc->height = (int)p->height;
	fc->initial_pool_size = 4;
	if ((r = av_hwframe_ctx_init(e->hw_frames)) < 0) {
		log_averror("VAAPI frames", r);
		return -ENODEV;
	}
	e->ctx = avcodec_alloc_context3(codec);
	if (!e->ctx)
		return -ENOMEM;
	set_common(e->ctx, p);
	e->ctx->pix_fmt = AV_PIX_FMT_VAAPI;
	e->ctx->hw_frames_ctx = av_buffer_ref(e->hw_frames);
	e->ctx->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
	/* One picture in flight: latency over throughput (not in every FFmpeg). */
	av_opt_set(e->ctx->priv_data, "async_depth", "1", 0);
	if ((r = avcodec_open2(e->ctx, codec, NULL)) < 0) {
		log_averror("cannot open h264_vaapi", r);
		return -ENODEV;
	}
	snprintf(e->name, sizeof(e->name), "h264_vaapi");
	return 0;
}

int qe_encoder_create(struct qe_encoder **out, const struct qe_encoder_params *p)
{
	if (p->width < 2 || p->height < 2 || (p->width & 1) || (p->height & 1) || !p->fps_num ||
	    !p->fps_den)
		return -EINVAL;
	struct qe_encoder *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->kind = p->kind;
	int r = p->kind == QE_ENCODER_VAAPI ? open_vaapi(e, p) : open_x264(e, p);
	if (r < 0)
		goto fail;
	e->pic = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!e->pic || !e->pkt) {
		r = -ENOMEM;
		goto fail;
	}
	e->pic->format = p->kind == QE_ENCODER_VAAPI ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
	e->pic->width = (int)p->width;
	e->pic->height = (int)p->height;
	e->pic->color_range = AVCOL_RANGE_MPEG;
	e->pic->colorspace = AVCOL_SPC_SMPTE170M;
	if ((r = av_frame_get_buffer(e->pic, 0)) < 0) {
		log_averror("picture buffer", r);
		r = -ENOMEM;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	qe_encoder_destroy(e);
	return r;
}

void qe_encoder_destroy(struct qe_encoder *e)
{
	if (!e)
		return;
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->pic);
	av_packet_free(&e->pkt);
	av_buffer_unref(&e->hw_frames);
	av_buffer_unref(&e->hw_device);
	free(e->au);
	free(e);
}

const char *qe_encoder_name(const struct qe_encoder *e)
{
	return e->name;
}

void qe_encoder_convert(struct qe_encoder *e, const uint8_t *bgrx, uint32_t stride, int x0, int y0,
			int x1, int y1)
{
	AVFrame *f = e->pic;
	const uint8_t *src = bgrx + (size_t)y0 * stride + (size_t)x0 * 4;
	uint8_t *y = f->data[0] + (size_t)y0 * (size_t)f->linesize[0] + (size_t)x0;
	if (e->kind == QE_ENCODER_VAAPI) {
		uint8_t *uv = f->data[1] + (size_t)(y0 / 2) * (size_t)f->linesize[1] + (size_t)x0;
		ARGBToNV12(src, (int)stride, y, f->linesize[0], uv, f->linesize[1], x1 - x0,
			   y1 - y0);
		return;
	}
	uint8_t *u = f->data[1] + (size_t)(y0 / 2) * (size_t)f->linesize[1] + (size_t)(x0 / 2);
	uint8_t *v = f->data[2] + (size_t)(y0 / 2) * (size_t)f->linesize[2] + (size_t)(x0 / 2);
	ARGBToI420(src, (int)stride, y, f->linesize[0], u, f->linesize[1], v, f->linesize[2],
		   x1 - x0, y1 - y0);
}

/* An IDR access unit has a NAL of type 5 (coded slice of an IDR picture). */
static bool has_idr_slice(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 && (p[i + 3] & 0x1f) == 5)
			return true;
	return false;
}

int qe_encoder_encode(struct qe_encoder *e, bool idr, const uint8_t **au, size_t *au_len,
		      bool *is_idr)
{
	*au_len = 0;
	*is_idr = false;
	AVFrame *in = e->pic, *hw = NULL;
	int r;
	if (e->kind == QE_ENCODER_VAAPI) {
		hw = av_frame_alloc();
		if (!hw)
			return -ENOMEM;
		if ((r = av_hwframe_get_buffer(e->hw_frames, hw, 0)) < 0 ||
		    (r = av_hwframe_transfer_data(hw, e->pic, 0)) < 0) {
			log_averror("upload to VAAPI", r);
			av_frame_free(&hw);
			return -EIO;
		}
		in = hw;
	}
	/* Both are needed: pict_type I asks for an I picture, forced-idr makes
	 * libx264 turn it into an IDR; VAAPI treats it as an IDR request. */
	in->pict_type = idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	in->key_frame = idr;
	in->pts = e->next_pts++;
	r = avcodec_send_frame(e->ctx, in);
	e->pic->pict_type = AV_PICTURE_TYPE_NONE;
	e->pic->key_frame = 0;
	av_frame_free(&hw);
	if (r < 0) {
		log_averror("send frame", r);
		return -EIO;
	}
	r = avcodec_receive_packet(e->ctx, e->pkt);
	if (r == AVERROR(EAGAIN))
		return 0;
	if (r < 0) {
		log_averror("receive packet", r);
		return -EIO;
	}
	size_t n = (size_t)e->pkt->size;
	if (n > e->au_cap) {
		uint8_t *p = realloc(e->au, n);
		if (!p) {
			av_packet_unref(e->pkt);
			return -ENOMEM;
		}
		e->au = p;
		e->au_cap = n;
	}
	memcpy(e->au, e->pkt->data, n);
	av_packet_unref(e->pkt);
	*au = e->au;
	*au_len = n;
	*is_idr = has_idr_slice(e->au, n);
	return 0;
}
