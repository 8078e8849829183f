#include "wsmsg.h"

#include <stdio.h>
#include <string.h>

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

/* Helix's cursor messages are little-endian, unlike the rest. */
static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void lcb_ws_video_header(uint8_t out[LCB_WS_VIDEO_HEADER], uint8_t flags, uint64_t pts_us,
			 uint16_t width, uint16_t height)
{
	out[0] = LCB_WS_VIDEO;
	out[1] = LCB_WS_CODEC_H264;
	out[2] = flags;
	be64(out + 3, pts_us);
	be16(out + 11, width);
	be16(out + 13, height);
}

size_t lcb_ws_stream_init(uint8_t *out, size_t cap, uint16_t width, uint16_t height, uint8_t fps,
			  bool touch, const char *codec)
{
	size_t n = codec ? strlen(codec) : 0;
	size_t size = LCB_WS_STREAM_INIT_SIZE + (codec ? 1 + n : 0);
	if (n > 255 || cap < size)
		return 0;
	out[0] = LCB_WS_STREAM_INIT;
	out[1] = LCB_WS_CODEC_H264;
	be16(out + 2, width);
	be16(out + 4, height);
	out[6] = fps;
	out[7] = 0;       /* audio channels: no audio */
	be32(out + 8, 0); /* sample rate */
	out[12] = touch ? 1 : 0;
	if (codec) {
		out[13] = (uint8_t)n;
		memcpy(out + 14, codec, n);
	}
	return size;
}

size_t lcb_ws_connection_complete(char *out, size_t cap, uint16_t width, uint16_t height,
				  bool touch)
{
	int n = snprintf(out, cap,
			 "{\"ConnectionComplete\":{\"capabilities\":{\"touch\":%s},"
			 "\"width\":%u,\"height\":%u}}",
			 touch ? "true" : "false", width, height);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t lcb_ws_stream_error(uint8_t *out, size_t cap, const char *text)
{
	size_t n = strlen(text);
	if (n > LCB_WS_STREAM_ERROR_MAX - 3) {
		n = LCB_WS_STREAM_ERROR_MAX - 3;
		/* Not inside a character: back over continuation bytes. */
		while (n > 0 && ((uint8_t)text[n] & 0xc0) == 0x80)
			n--;
	}
	if (cap < 3 + n)
		return 0;
	out[0] = LCB_WS_STREAM_ERROR;
	be16(out + 1, (uint16_t)n);
	memcpy(out + 3, text, n);
	return 3 + n;
}

size_t lcb_ws_cursor_image_size(int32_t w, int32_t h)
{
	if (w < 1 || h < 1 || w > 0xffff || h > 0xffff)
		return 0;
	return LCB_WS_CURSOR_POS_SIZE + 16u + (size_t)w * (size_t)h * 4u;
}

static void cursor_head(uint8_t *out, int32_t x, int32_t y, int32_t hot_x, int32_t hot_y,
			uint32_t bitmap_size)
{
	out[0] = LCB_WS_CURSOR_IMAGE;
	le32(out + 1, 0); /* last mover: no multi-user presence */
	le32(out + 5, (uint32_t)x);
	le32(out + 9, (uint32_t)y);
	le32(out + 13, (uint32_t)hot_x);
	le32(out + 17, (uint32_t)hot_y);
	le32(out + 21, bitmap_size);
}

size_t lcb_ws_cursor_image(uint8_t *out, size_t cap, int32_t x, int32_t y, int32_t w, int32_t h,
			   int32_t hot_x, int32_t hot_y, const uint8_t *argb_premul)
{
	size_t size = lcb_ws_cursor_image_size(w, h);
	if (size == 0 || cap < size || size - LCB_WS_CURSOR_POS_SIZE > UINT32_MAX)
		return 0;
	cursor_head(out, x, y, hot_x, hot_y, (uint32_t)(size - LCB_WS_CURSOR_POS_SIZE));
	uint8_t *b = out + LCB_WS_CURSOR_POS_SIZE;
	/* 'AB24': Helix's client reads each pixel as R, G, B, A bytes with
	 * straight alpha (the pixels go to putImageData). */
	le32(b, LCB_WS_CURSOR_FOURCC_AB24);
	le32(b + 4, (uint32_t)w);
	le32(b + 8, (uint32_t)h);
	le32(b + 12, (uint32_t)(4 * w));
	uint8_t *px = b + 16;
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		const uint8_t *s = argb_premul + 4 * i; /* B G R A in memory */
		unsigned a = s[3];
		for (int c = 0; c < 3; c++) {
			unsigned v = s[2 - c];
			/* Un-premultiply, rounding; a colour above alpha is invalid
			 * premultiplied data and saturates. */
			unsigned straight = a ? (v * 255u + a / 2) / a : 0;
			px[4 * i + (size_t)c] = (uint8_t)(straight > 255 ? 255 : straight);
		}
		px[4 * i + 3] = (uint8_t)a;
	}
	return size;
}

void lcb_ws_cursor_pos(uint8_t out[LCB_WS_CURSOR_POS_SIZE], int32_t x, int32_t y, int32_t hot_x,
		       int32_t hot_y)
{
	cursor_head(out, x, y, hot_x, hot_y, 0);
}

size_t lcb_ws_cursor_name(uint8_t *out, size_t cap, const char *name)
{
	size_t n = strlen(name);
	if (n > 255 || cap < 14 + n)
		return 0;
	out[0] = LCB_WS_CURSOR_NAME;
	le32(out + 1, 0); /* last mover */
	le32(out + 5, 0); /* hotspot: a named cursor has its own */
	le32(out + 9, 0);
	out[13] = (uint8_t)n;
	memcpy(out + 14, name, n);
	return 14 + n;
}

void lcb_ws_pong(uint8_t out[LCB_WS_PONG_SIZE], const uint8_t ping[LCB_WS_PING_SIZE],
		 const struct lcb_ws_pong_figures *f)
{
	memcpy(out, ping, LCB_WS_PING_SIZE);
	out[0] = LCB_WS_PONG;
	be64(out + 13, f->server_us);
	be16(out + 21, f->encoder_ms);
	be16(out + 23, f->sched_p50_ms);
	be16(out + 25, f->sched_p99_ms);
	be16(out + 27, f->sched_max_ms);
}

/* u8 type, u8 value, then the text's bytes (no NUL): Status and InputError. */
static size_t byte_and_text(uint8_t *out, size_t cap, uint8_t type, uint8_t value, const char *text)
{
	size_t n = strlen(text);
	if (cap < 2 + n)
		return 0;
	out[0] = type;
	out[1] = value;
	memcpy(out + 2, text, n);
	return 2 + n;
}

size_t lcb_ws_status(uint8_t *out, size_t cap, enum lcb_ws_state state, const char *text)
{
	return byte_and_text(out, cap, LCB_WS_STATUS, (uint8_t)state, text);
}

size_t lcb_ws_input_error(uint8_t *out, size_t cap, enum lcb_ws_input_error code, const char *text)
{
	return byte_and_text(out, cap, LCB_WS_INPUT_ERROR, (uint8_t)code, text);
}

void lcb_ws_rights(uint8_t out[LCB_WS_RIGHTS_SIZE], bool control)
{
	out[0] = LCB_WS_RIGHTS;
	out[1] = control ? 1 : 0;
}
