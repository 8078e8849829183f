/* The bridge's WebSocket messages (big-endian; one message per WebSocket
 * binary message; the first byte is the type). VideoFrame, StreamInit and
 * ping/pong follow Helix's desktop-bridge; the cursor and status messages
 * are leasecast's. Every WebSocket message, both ways, is specified in
 * WS.md beside this file (and summed up in doc/leasecast-frame-bridge.1);
 * the viewer's input messages are decoded by wsinput.c. */
#ifndef LCB_WSMSG_H
#define LCB_WSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lcb_ws_type {
	LCB_WS_VIDEO = 0x01,        /* bridge -> viewer */
	LCB_WS_KEYFRAME_REQ = 0x03, /* viewer -> bridge: decoder lost sync */
	LCB_WS_STREAM_INIT = 0x30,  /* bridge -> viewer */
	LCB_WS_PING = 0x40,         /* either way */
	LCB_WS_PONG = 0x41,
	LCB_WS_CURSOR_IMAGE = 0x50, /* bridge -> viewer */
	LCB_WS_CURSOR_MOVE = 0x51,  /* bridge -> viewer */
	LCB_WS_STATUS = 0x60,       /* bridge -> viewer */
	/* 0x61 Resize, 0x62 ReleaseAll: viewer -> bridge (wsinput.h) */
	LCB_WS_INPUT_ERROR = 0x63, /* bridge -> viewer */
	LCB_WS_RIGHTS = 0x64,      /* bridge -> viewer */
};

#define LCB_WS_CODEC_H264 0x01
#define LCB_WS_FLAG_KEY 0x01u
#define LCB_WS_FLAG_REPLAY 0x02u

/* VideoFrame: u8 type, u8 codec, u8 flags, u64 pts_us, u16 width,
 * u16 height, then the Annex-B access unit. */
#define LCB_WS_VIDEO_HEADER 15u
void lcb_ws_video_header(uint8_t out[LCB_WS_VIDEO_HEADER], uint8_t flags, uint64_t pts_us,
			 uint16_t width, uint16_t height);
#define LCB_WS_VIDEO_FLAGS_OFFSET 2u

/* StreamInit: u8 type, u8 codec, u16 width, u16 height, u8 n, then n
 * bytes of the WebCodecs codec string (ASCII, no NUL). */
#define LCB_WS_STREAM_INIT_MAX (7u + 255u)
size_t lcb_ws_stream_init(uint8_t *out, size_t cap, uint16_t width, uint16_t height,
			  const char *codec);

/* CursorImage: u8 type, u16 w, u16 h, i16 hot_x, i16 hot_y, then w*h
 * RGBA pixels, straight (not premultiplied) alpha, as ImageData wants.
 * argb_premul is HXFR's CURSOR_DEFINE pixel data (u32 LE premultiplied
 * ARGB). Returns the message size, 0 if cap is too small. */
size_t lcb_ws_cursor_image_size(int32_t w, int32_t h);
size_t lcb_ws_cursor_image(uint8_t *out, size_t cap, int32_t w, int32_t h, int32_t hot_x,
			   int32_t hot_y, const uint8_t *argb_premul);

/* CursorMove: u8 type, i32 x, i32 y, u8 visible. */
#define LCB_WS_CURSOR_MOVE_SIZE 10u
void lcb_ws_cursor_move(uint8_t out[LCB_WS_CURSOR_MOVE_SIZE], int32_t x, int32_t y, bool visible);

/* Status: u8 type, u8 state (0 no stream, 1 streaming), then UTF-8 text. */
enum lcb_ws_state {
	LCB_WS_STATE_WAITING = 0,
	LCB_WS_STATE_STREAMING = 1
};
size_t lcb_ws_status(uint8_t *out, size_t cap, enum lcb_ws_state state, const char *text);

/* InputError: u8 type, u8 code, then UTF-8 text: why an input message
 * of this viewer went nowhere. */
enum lcb_ws_input_error {
	LCB_WS_IERR_MALFORMED = 1,
	LCB_WS_IERR_VIEW_ONLY = 2,
	LCB_WS_IERR_RATE_LIMITED = 3,
	LCB_WS_IERR_BUSY = 4,
	LCB_WS_IERR_REFUSED = 5,
	LCB_WS_IERR_UNAVAILABLE = 6,
};
size_t lcb_ws_input_error(uint8_t *out, size_t cap, enum lcb_ws_input_error code, const char *text);

/* Pong: the viewer's Ping (u8 type, up to LCB_WS_PING_MAX - 1 bytes) echoed
 * with the type changed, then u64 the bridge's CLOCK_MONOTONIC in µs when
 * it answered: the clock VideoFrame pts are in, so a page can map pts into
 * its own time (the bench's clock sync; Helix's client reads only its
 * echoed timestamp). Returns the size, 0 if the ping is empty, too long or
 * cap too small. */
#define LCB_WS_PING_MAX 64u
#define LCB_WS_PONG_MAX (LCB_WS_PING_MAX + 8u)
size_t lcb_ws_pong(uint8_t *out, size_t cap, const uint8_t *ping, size_t ping_len, uint64_t now_us);

/* Rights: u8 type, u8 control (1: this viewer's input is taken, 0: view
 * only). Sent when a viewer joins, before anything else. */
#define LCB_WS_RIGHTS_SIZE 2u
void lcb_ws_rights(uint8_t out[LCB_WS_RIGHTS_SIZE], bool control);

#endif
