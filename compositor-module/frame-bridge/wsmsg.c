#include "wsmsg.h"

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

size_t lcb_ws_stream_init(uint8_t *out, size_t cap, uint16_t width, uint16_t height,
			  const char *codec)
{
	size_t n = strlen(codec);
	if (n > 255 || cap < 7 + n)
		return 0;
	out[0] = LCB_WS_STREAM_INIT;
	out[1] = LCB_WS_CODEC_H264;
	be16(out + 2, width);
	be16(out + 4, height);
	out[6] = (uint8_t)n;
	memcpy(out + 7, codec, n);
	return 7 + n;
}

size_t lcb_ws_cursor_image_size(int32_t w, int32_t h)
{
	if (w < 1 || h < 1 || w > 0xffff || h > 0xffff)
		return 0;
	return 9u + (size_t)w * (size_t)h * 4u;
}

size_t lcb_ws_cursor_image(uint8_t *out, size_t cap, int32_t w, int32_t h, int32_t hot_x,
			   int32_t hot_y, const uint8_t *argb_premul)
{
	size_t size = lcb_ws_cursor_image_size(w, h);
	if (size == 0 || cap < size || hot_x < -32768 || hot_x > 32767 || hot_y < -32768 ||
	    hot_y > 32767)
		return 0;
	out[0] = LCB_WS_CURSOR_IMAGE;
	be16(out + 1, (uint16_t)w);
	be16(out + 3, (uint16_t)h);
	be16(out + 5, (uint16_t)(int16_t)hot_x);
	be16(out + 7, (uint16_t)(int16_t)hot_y);
	uint8_t *px = out + 9;
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

void lcb_ws_cursor_move(uint8_t out[LCB_WS_CURSOR_MOVE_SIZE], int32_t x, int32_t y, bool visible)
{
	out[0] = LCB_WS_CURSOR_MOVE;
	be32(out + 1, (uint32_t)x);
	be32(out + 5, (uint32_t)y);
	out[9] = visible ? 1 : 0;
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

size_t lcb_ws_pong(uint8_t *out, size_t cap, const uint8_t *ping, size_t ping_len, uint64_t now_us)
{
	if (ping_len == 0 || ping_len > LCB_WS_PING_MAX || cap < ping_len + 8)
		return 0;
	memcpy(out, ping, ping_len);
	out[0] = LCB_WS_PONG;
	be64(out + ping_len, now_us);
	return ping_len + 8;
}

void lcb_ws_rights(uint8_t out[LCB_WS_RIGHTS_SIZE], bool control)
{
	out[0] = LCB_WS_RIGHTS;
	out[1] = control ? 1 : 0;
}
