/* The bridge -> viewer WebSocket messages: Helix's desktop-bridge protocol
 * (what Helix's unchanged web client reads; doc/helix-web-client.md) plus
 * leasecast's extensions, which only a viewer that asked for them in its
 * init ("leasecast": 1) is sent. One message per WebSocket message, the
 * first byte is its type; big-endian unless marked LE (Helix's cursor
 * messages). Every message both ways is specified in WS.md beside this
 * file; the viewer's messages are decoded by wsinput.c (input) and
 * wsinit.c (its init and control JSON). Pure: bytes out, no state. */
#ifndef LCB_WSMSG_H
#define LCB_WSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lcb_ws_type {
	LCB_WS_VIDEO = 0x01,        /* bridge -> viewer */
	LCB_WS_KEYFRAME_REQ = 0x03, /* viewer -> bridge (leasecast): decoder lost sync */
	LCB_WS_CONTROL = 0x20,      /* viewer -> bridge: JSON (Helix's set_video_enabled) */
	LCB_WS_STREAM_INIT = 0x30,  /* bridge -> viewer */
	LCB_WS_STREAM_ERROR = 0x31, /* bridge -> viewer */
	LCB_WS_PING = 0x40,         /* viewer -> bridge */
	LCB_WS_PONG = 0x41,         /* bridge -> viewer */
	LCB_WS_CURSOR_IMAGE = 0x50, /* bridge -> viewer, LE: shape and/or position */
	LCB_WS_CURSOR_NAME = 0x51,  /* bridge -> viewer, LE: a CSS cursor name */
	/* leasecast's extensions (init "leasecast" >= 1) */
	LCB_WS_STATUS = 0x60, /* bridge -> viewer */
	/* 0x61 Resize, 0x62 ReleaseAll: viewer -> bridge (wsinput.h) */
	LCB_WS_INPUT_ERROR = 0x63, /* bridge -> viewer */
	LCB_WS_RIGHTS = 0x64,      /* bridge -> viewer */
};

/* The extension version this bridge speaks (init "leasecast"). */
#define LCB_WS_EXT_VERSION 1

#define LCB_WS_CODEC_H264 0x01
#define LCB_WS_FLAG_KEY 0x01u
#define LCB_WS_FLAG_REPLAY 0x02u

/* VideoFrame: u8 type, u8 codec, u8 flags, u64 pts_us, u16 width,
 * u16 height, then the Annex-B access unit. */
#define LCB_WS_VIDEO_HEADER 15u
void lcb_ws_video_header(uint8_t out[LCB_WS_VIDEO_HEADER], uint8_t flags, uint64_t pts_us,
			 uint16_t width, uint16_t height);
#define LCB_WS_VIDEO_FLAGS_OFFSET 2u

/* StreamInit, Helix's 13 bytes: u8 type, u8 codec, u16 width, u16 height,
 * u8 fps, u8 audio_channels (0), u32 sample_rate (0), u8 touch. With codec
 * (leasecast's extension; Helix's client ignores trailing bytes): then u8
 * n and n bytes of the WebCodecs codec string (ASCII, no NUL). */
#define LCB_WS_STREAM_INIT_SIZE 13u
#define LCB_WS_STREAM_INIT_MAX (LCB_WS_STREAM_INIT_SIZE + 1u + 255u)
size_t lcb_ws_stream_init(uint8_t *out, size_t cap, uint16_t width, uint16_t height, uint8_t fps,
			  bool touch, const char *codec);

/* ConnectionComplete, Helix's text message after StreamInit and
 * CursorName: {"ConnectionComplete":{"capabilities":{"touch":B},"width":W,
 * "height":H}}. Helix's client sets its input space from it. The text's
 * length (no NUL), 0 if cap is too small. */
size_t lcb_ws_connection_complete(char *out, size_t cap, uint16_t width, uint16_t height,
				  bool touch);

/* StreamError: u8 type, u16 len, len bytes of UTF-8 text (cut at a
 * character boundary to fit 1000 bytes). */
#define LCB_WS_STREAM_ERROR_MAX (3u + 1000u)
size_t lcb_ws_stream_error(uint8_t *out, size_t cap, const char *text);

/* CursorImage (LE), Helix's: u8 type, u32 last_mover (0: no multi-user
 * presence), i32 x, i32 y, i32 hot_x, i32 hot_y, u32 bitmap_size, then,
 * when bitmap_size > 0, u32 fourcc 'AB24' (R,G,B,A bytes), u32 w, u32 h,
 * i32 stride (4 w), w*h*4 straight-alpha pixels; bitmap_size = 16 +
 * w*h*4. Without a bitmap it is a position (and hotspot) only.
 * argb_premul is HXFR's CURSOR_DEFINE pixel data (u32 LE premultiplied
 * ARGB). Returns the size, 0 if cap is too small or w, h are out of
 * 1..0xffff. */
#define LCB_WS_CURSOR_POS_SIZE 25u
#define LCB_WS_CURSOR_FOURCC_AB24 0x34324241u
size_t lcb_ws_cursor_image_size(int32_t w, int32_t h);
size_t lcb_ws_cursor_image(uint8_t *out, size_t cap, int32_t x, int32_t y, int32_t w, int32_t h,
			   int32_t hot_x, int32_t hot_y, const uint8_t *argb_premul);
void lcb_ws_cursor_pos(uint8_t out[LCB_WS_CURSOR_POS_SIZE], int32_t x, int32_t y, int32_t hot_x,
		       int32_t hot_y);

/* CursorName (LE), Helix's: u8 type, u32 last_mover (0), i32 hot_x,
 * i32 hot_y, u8 n, n bytes of a CSS cursor name ("default", "none"). */
#define LCB_WS_CURSOR_NAME_MAX (14u + 255u)
size_t lcb_ws_cursor_name(uint8_t *out, size_t cap, const char *name);

/* Pong, Helix's 29 bytes: u8 type, the Ping's u32 seq and u64 client
 * time echoed, u64 server time (leasecast: the bridge's CLOCK_MONOTONIC
 * µs as it answers), u16 encoder latency ms (the newest frame's, from
 * the change on the guest's screen to its write to this viewer), u16
 * scheduling p50, p99, max ms (this viewer's frames, from their arrival
 * at the bridge to their write). ping is the Ping's first 13 bytes. */
#define LCB_WS_PING_SIZE 13u
#define LCB_WS_PONG_SIZE 29u
struct lcb_ws_pong_figures {
	uint64_t server_us;
	uint16_t encoder_ms, sched_p50_ms, sched_p99_ms, sched_max_ms;
};
void lcb_ws_pong(uint8_t out[LCB_WS_PONG_SIZE], const uint8_t ping[LCB_WS_PING_SIZE],
		 const struct lcb_ws_pong_figures *f);

/* Status (leasecast): u8 type, u8 state (0 no stream, 1 streaming), then
 * UTF-8 text. */
enum lcb_ws_state {
	LCB_WS_STATE_WAITING = 0,
	LCB_WS_STATE_STREAMING = 1
};
size_t lcb_ws_status(uint8_t *out, size_t cap, enum lcb_ws_state state, const char *text);

/* InputError (leasecast): u8 type, u8 code, then UTF-8 text: why an input
 * message of this viewer went nowhere. */
enum lcb_ws_input_error {
	LCB_WS_IERR_MALFORMED = 1,
	LCB_WS_IERR_VIEW_ONLY = 2,
	LCB_WS_IERR_RATE_LIMITED = 3,
	LCB_WS_IERR_BUSY = 4,
	LCB_WS_IERR_REFUSED = 5,
	LCB_WS_IERR_UNAVAILABLE = 6,
};
size_t lcb_ws_input_error(uint8_t *out, size_t cap, enum lcb_ws_input_error code, const char *text);

/* Rights (leasecast): u8 type, u8 control (1: this viewer's input is
 * taken, 0: view only). The first message after the init. */
#define LCB_WS_RIGHTS_SIZE 2u
void lcb_ws_rights(uint8_t out[LCB_WS_RIGHTS_SIZE], bool control);

#endif
