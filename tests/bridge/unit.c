/* Unit tests of the frame bridge's pure parts: the WebSocket message
 * encoders (byte for byte), the SPS parser (hand-made SPSs and a real
 * libx264 stream), the GOP replay buffer, the per-viewer queue, the
 * viewers' input messages (decoder) and their translation to HXFR input
 * (held state across viewers, back-pressure, rights, rate limit, a change
 * of the picture's size). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gop.h"
#include "hxfr.h"
#include "input.h"
#include "h264_encode.h"
#include "sps.h"
#include "vqueue.h"
#include "wsinit.h"
#include "wsinput.h"
#include "wsmsg.h"

static int failures;
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                                           \
		}                                                                             \
	} while (0)

static void test_wsmsg(void)
{
	uint8_t h[LCB_WS_VIDEO_HEADER];
	lcb_ws_video_header(h, LCB_WS_FLAG_KEY | LCB_WS_FLAG_REPLAY, 0x0102030405060708ull, 1920,
			    1080);
	static const uint8_t want_h[] = {0x01, 0x01, 0x03, 1,    2,    3,    4,   5,
					 6,    7,    8,    0x07, 0x80, 0x04, 0x38};
	CHECK(memcmp(h, want_h, sizeof(want_h)) == 0);

	/* StreamInit: Helix's 13 bytes (codec 1, 1280x720, 60 fps, no audio,
	 * touch), then leasecast's codec string for the pages that ask. */
	uint8_t init[LCB_WS_STREAM_INIT_MAX];
	size_t n = lcb_ws_stream_init(init, sizeof(init), 1280, 720, 60, true, NULL);
	static const uint8_t want_ih[] = {0x30, 0x01, 0x05, 0x00, 0x02, 0xd0, 60, 0, 0, 0, 0, 0, 1};
	CHECK(n == LCB_WS_STREAM_INIT_SIZE && memcmp(init, want_ih, n) == 0);
	n = lcb_ws_stream_init(init, sizeof(init), 1280, 720, 30, false, "avc1.42C01F");
	static const uint8_t want_i[] = {0x30, 0x01, 0x05, 0x00, 0x02, 0xd0, 30,  0,   0,
					 0,    0,    0,    0,    11,   'a',  'v', 'c', '1',
					 '.',  '4',  '2',  'C',  '0',  '1',  'F'};
	CHECK(n == sizeof(want_i) && memcmp(init, want_i, n) == 0);
	CHECK(lcb_ws_stream_init(init, 12, 1280, 720, 60, true, NULL) == 0);
	CHECK(lcb_ws_stream_init(init, 20, 1280, 720, 60, true, "avc1.42C01F") == 0);

	char cc[128];
	n = lcb_ws_connection_complete(cc, sizeof(cc), 1920, 1080, true);
	static const char want_cc[] =
		"{\"ConnectionComplete\":{\"capabilities\":{\"touch\":true},\"width\":1920,"
		"\"height\":1080}}";
	CHECK(n == strlen(want_cc) && strcmp(cc, want_cc) == 0);
	CHECK(lcb_ws_connection_complete(cc, 20, 1920, 1080, true) == 0);

	/* StreamError: u16 length, text; a long one cut at a character. */
	uint8_t se[LCB_WS_STREAM_ERROR_MAX];
	n = lcb_ws_stream_error(se, sizeof(se), "no");
	CHECK(n == 5 && se[0] == 0x31 && se[1] == 0 && se[2] == 2 && memcmp(se + 3, "no", 2) == 0);
	char longtext[1200];
	memset(longtext, 'a', sizeof(longtext));
	memcpy(longtext + 999, "\xc3\xa9", 2); /* e-acute across the 1000-byte bound */
	longtext[sizeof(longtext) - 1] = 0;
	n = lcb_ws_stream_error(se, sizeof(se), longtext);
	CHECK(n == 3 + 999 && se[1] == 0x03 && se[2] == 0xe7);
	CHECK(lcb_ws_stream_error(se, 4, "no") == 0);

	/* CursorImage, Helix's LE layout: premultiplied ARGB (u32 LE) ->
	 * straight R,G,B,A ('AB24'): opaque red, half transparent grey (0x40
	 * premultiplied at alpha 0x80 -> 0x80), clear. */
	uint32_t argb[3] = {0xffff0000u, 0x80404040u, 0};
	uint8_t cur[25 + 16 + 12];
	n = lcb_ws_cursor_image(cur, sizeof(cur), 100, -2, 3, 1, 2, 1, (const uint8_t *)argb);
	static const uint8_t want_c[] = {
		0x50, 0,    0,    0,    0,                      /* type, last mover 0 */
		100,  0,    0,    0,    0xfe, 0xff, 0xff, 0xff, /* x 100, y -2 */
		2,    0,    0,    0,    1,    0,    0,    0,    /* hotspot 2,1 */
		28,   0,    0,    0,                            /* bitmap 16 + 12 */
		0x41, 0x42, 0x32, 0x34,                         /* 'AB24' */
		3,    0,    0,    0,    1,    0,    0,    0,    12, 0, 0, 0, /* 3x1, stride 12 */
		0xff, 0,    0,    0xff, 0x80, 0x80, 0x80, 0x80, 0,  0, 0, 0};
	CHECK(n == sizeof(want_c) && memcmp(cur, want_c, n) == 0);
	CHECK(lcb_ws_cursor_image(cur, sizeof(cur) - 1, 0, 0, 3, 1, 0, 0, (const uint8_t *)argb) ==
	      0);
	CHECK(lcb_ws_cursor_image_size(0, 4) == 0);

	uint8_t mv[LCB_WS_CURSOR_POS_SIZE];
	lcb_ws_cursor_pos(mv, -5, 700, 3, 4);
	static const uint8_t want_m[] = {0x50, 0, 0, 0, 0, 0xfb, 0xff, 0xff, 0xff, 0xbc, 2, 0, 0,
					 3,    0, 0, 0, 4, 0,    0,    0,    0,    0,    0, 0};
	CHECK(memcmp(mv, want_m, sizeof(want_m)) == 0);

	uint8_t name[LCB_WS_CURSOR_NAME_MAX];
	n = lcb_ws_cursor_name(name, sizeof(name), "none");
	static const uint8_t want_nm[] = {0x51, 0, 0, 0, 0, 0,   0,   0,   0,
					  0,    0, 0, 0, 4, 'n', 'o', 'n', 'e'};
	CHECK(n == sizeof(want_nm) && memcmp(name, want_nm, n) == 0);
	CHECK(lcb_ws_cursor_name(name, 17, "none") == 0);

	uint8_t st[32];
	n = lcb_ws_status(st, sizeof(st), LCB_WS_STATE_STREAMING, "ok");
	CHECK(n == 4 && st[0] == 0x60 && st[1] == 1 && memcmp(st + 2, "ok", 2) == 0);

	n = lcb_ws_input_error(st, sizeof(st), LCB_WS_IERR_VIEW_ONLY, "no");
	CHECK(n == 4 && st[0] == 0x63 && st[1] == 2 && memcmp(st + 2, "no", 2) == 0);
	CHECK(lcb_ws_input_error(st, 3, LCB_WS_IERR_VIEW_ONLY, "no") == 0);
	uint8_t rights[LCB_WS_RIGHTS_SIZE];
	lcb_ws_rights(rights, true);
	CHECK(rights[0] == 0x64 && rights[1] == 1);

	/* Pong, Helix's 29 bytes: seq and client time echoed, server time,
	 * encoder latency, scheduling p50/p99/max. */
	static const uint8_t ping[LCB_WS_PING_SIZE] = {0x40, 0, 0, 0, 7,    0,   0,
						       0,    0, 0, 0, 0x12, 0x34};
	uint8_t pong[LCB_WS_PONG_SIZE];
	lcb_ws_pong(pong, ping,
		    &(struct lcb_ws_pong_figures){.server_us = 0x0102030405060708ull,
						  .encoder_ms = 17,
						  .sched_p50_ms = 1,
						  .sched_p99_ms = 9,
						  .sched_max_ms = 300});
	static const uint8_t want_p[] = {0x41, 0, 0, 0, 7, 0, 0, 0,  0, 0, 0, 0x12, 0x34, 1,   2,
					 3,    4, 5, 6, 7, 8, 0, 17, 0, 1, 0, 9,    1,    0x2c};
	CHECK(memcmp(pong, want_p, sizeof(want_p)) == 0);
}

/* The viewer's init and Control JSON (wsinit.c). */
static void test_wsinit(void)
{
	struct lcb_wsinit in;
	const char *why = "";
	/* Helix's newest client's init, as it sends it. */
	static const char helix[] =
		"{\"type\":\"init\",\"host_id\":0,\"app_id\":1,\"session_id\":\"ses_01\","
		"\"width\":1920,\"height\":1080,\"fps\":60,\"bitrate\":5000,\"packet_size\":1024,"
		"\"play_audio_local\":false,\"video_supported_formats\":4353,"
		"\"client_unique_id\":\"abc\",\"user_name\":\"Ann\"}";
	CHECK(lcb_wsinit_decode(helix, strlen(helix), &in, &why) == 0);
	CHECK(in.has_size && in.width == 1920 && in.height == 1080 && in.fps == 60 &&
	      in.bitrate_kbps == 5000 && in.has_formats && in.formats == 4353 && in.ext == 0 &&
	      in.keepalive);
	static const char ours[] = "{\"type\":\"init\",\"leasecast\":1,\"keepalive\":false} \n";
	CHECK(lcb_wsinit_decode(ours, strlen(ours), &in, &why) == 0);
	CHECK(!in.has_size && in.fps == 0 && !in.has_formats && in.ext == 1 && !in.keepalive);
	static const char *bad[] = {
		"",
		"{",
		"[1]",
		"{\"type\":\"hello\"}",
		"{\"width\":1920}",
		"{\"type\":\"init\",\"width\":1920}",                     /* no height */
		"{\"type\":\"init\",\"width\":32,\"height\":32}",         /* too small */
		"{\"type\":\"init\",\"width\":1920.5,\"height\":1080}",   /* not whole */
		"{\"type\":\"init\",\"width\":\"1920\",\"height\":1080}", /* a string */
		"{\"type\":\"init\",\"fps\":0}",
		"{\"type\":\"init\",\"fps\":1000}",
		"{\"type\":\"init\",\"bitrate\":-5}",
		"{\"type\":\"init\",\"bitrate\":99999999999999999999}",
		"{\"type\":\"init\",\"video_supported_formats\":-1}",
		"{\"type\":\"init\",\"keepalive\":1}",
		"{\"type\":\"init\",\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", /* too deep */
		"{\"type\":\"init\"} {}",                                      /* two values */
		"{\"type\":\"init\",}",                                        /* not strict JSON */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		int r = lcb_wsinit_decode(bad[i], strlen(bad[i]), &in, &why);
		if (r != -EINVAL || !why)
			fprintf(stderr, "init %zu (%s) was taken\n", i, bad[i]);
		CHECK(r == -EINVAL && why);
	}
	static const char nul[] = "{\"type\":\"init\"}\0";
	CHECK(lcb_wsinit_decode(nul, sizeof(nul) - 1, &in, &why) == -EINVAL);

	struct lcb_wscontrol c;
	static const uint8_t on[] = "\x20{\"set_video_enabled\":false}";
	CHECK(lcb_wscontrol_decode(on, sizeof(on) - 1, &c, &why) == 0);
	CHECK(c.has_video_enabled && !c.video_enabled);
	static const uint8_t other[] = "\x20{\"something\":1}";
	CHECK(lcb_wscontrol_decode(other, sizeof(other) - 1, &c, &why) == 0 &&
	      !c.has_video_enabled);
	static const uint8_t badc[] = "\x20{\"set_video_enabled\":\"yes\"}";
	CHECK(lcb_wscontrol_decode(badc, sizeof(badc) - 1, &c, &why) == -EINVAL);
	static const uint8_t junk[] = "\x20not json";
	CHECK(lcb_wscontrol_decode(junk, sizeof(junk) - 1, &c, &why) == -EINVAL);
	CHECK(lcb_wscontrol_decode(junk, 1, &c, &why) == -EINVAL);
}

static void test_sps(void)
{
	struct lcb_sps_info s;
	/* x264 baseline 1920x1080 (1088 coded, cropped by 8), level 4.0,
	 * with an emulation prevention byte spliced in where 00 00 03 occurs
	 * in the hand-assembled bits below is not needed: bytes from a real
	 * SPS of this shape. */
	static const uint8_t sps1080[] = {0x67, 0x42, 0xc0, 0x28, 0xda, 0x01, 0xe0, 0x08,
					  0x9f, 0x96, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
					  0x00, 0x00, 0x03, 0x03, 0xc8, 0xf1, 0x83, 0x2a};
	CHECK(lcb_sps_parse(sps1080, sizeof(sps1080), &s) == 0);
	CHECK(strcmp(s.codec, "avc1.42C028") == 0);
	CHECK(s.width == 1920 && s.height == 1080);
	/* Not an SPS, truncated, garbage. */
	static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
	CHECK(lcb_sps_parse(pps, sizeof(pps), &s) < 0);
	CHECK(lcb_sps_parse(sps1080, 6, &s) < 0);
	static const uint8_t junk[] = {0x67, 0x64, 0, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0};
	CHECK(lcb_sps_parse(junk, sizeof(junk), &s) < 0);
	static const uint8_t no_sps[] = {0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 1, 0x65, 0x88};
	CHECK(lcb_sps_find(no_sps, sizeof(no_sps), &s) == -2 /* -ENOENT */);

	/* Real streams from libx264 at sizes that need cropping. */
	static const int sizes[][2] = {{1920, 1080}, {1280, 720}, {642, 362}, {320, 240}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int w = sizes[i][0], h = sizes[i][1];
		struct h264_encoder *e = h264_encoder_create(w, h, 30, 23, 0, 1);
		CHECK(e != NULL);
		if (!e)
			continue;
		int cw = (w + 1) / 2, ch = (h + 1) / 2;
		uint8_t *y = calloc((size_t)w * (size_t)h, 1),
			*u = calloc((size_t)cw * (size_t)ch, 1),
			*v = calloc((size_t)cw * (size_t)ch, 1);
		const uint8_t *au = NULL;
		size_t au_len = 0;
		bool key = false;
		CHECK(h264_encoder_encode(e, y, w, u, cw, v, cw, true, &au, &au_len, &key) == 0);
		CHECK(au_len > 0 && key);
		memset(&s, 0, sizeof(s));
		CHECK(lcb_sps_find(au, au_len, &s) == 0);
		CHECK((int)s.width == w && (int)s.height == h);
		char want[16];
		snprintf(want, sizeof(want), "avc1.%02X%02X%02X", au[5], au[6], au[7]);
		CHECK(strcmp(s.codec, want) == 0);
		fprintf(stderr, "x264 %dx%d: %s %ux%u\n", w, h, s.codec, s.width, s.height);
		free(y);
		free(u);
		free(v);
		h264_encoder_destroy(e);
	}
}

static struct lcb_msg *video(bool key, size_t len)
{
	struct lcb_msg *m = lcb_msg_new(len);
	m->video = true;
	m->keyframe = key;
	memset(m->data, key ? 'K' : 'P', len);
	return m;
}

static void push_unref(struct lcb_gop *g, struct lcb_msg *m)
{
	lcb_gop_push(g, m);
	lcb_msg_unref(m);
}

static void test_gop(void)
{
	struct lcb_gop g;
	CHECK(lcb_gop_init(&g, 4, 1000) == 0);
	push_unref(&g, video(false, 10)); /* no IDR yet: nothing to replay */
	CHECK(g.n == 0);
	push_unref(&g, video(true, 100));
	push_unref(&g, video(false, 10));
	push_unref(&g, video(false, 10));
	CHECK(g.n == 3 && g.frames[0]->keyframe && g.bytes == 120);
	push_unref(&g, video(true, 200)); /* a new GOP replaces the old one */
	CHECK(g.n == 1 && g.bytes == 200 && g.frames[0]->len == 200);
	push_unref(&g, video(false, 10));
	push_unref(&g, video(false, 10));
	push_unref(&g, video(false, 10));
	CHECK(g.n == 4);
	push_unref(&g, video(false, 10)); /* over the frame bound: dropped whole */
	CHECK(g.n == 0 && g.bytes == 0);
	push_unref(&g, video(false, 10)); /* and it stays empty until an IDR */
	CHECK(g.n == 0);
	push_unref(&g, video(true, 900));
	push_unref(&g, video(false, 101)); /* over the byte bound */
	CHECK(g.n == 0);
	push_unref(&g, video(true, 1001)); /* an IDR alone too big */
	CHECK(g.n == 0);
	/* The replay holds its own references. */
	struct lcb_msg *k = video(true, 5);
	lcb_gop_push(&g, k);
	CHECK(k->refs == 2);
	lcb_gop_clear(&g);
	CHECK(k->refs == 1);
	lcb_msg_unref(k);
	lcb_gop_finish(&g);
}

static void test_vqueue(void)
{
	struct lcb_vqueue q;
	struct lcb_qent e;
	CHECK(lcb_vqueue_init(&q, 4, 300) == 0);
	struct lcb_msg *ctl = lcb_msg_new(5);
	ctl->data[0] = 0x30;
	struct lcb_msg *k = video(true, 100), *p = video(false, 50), *k2 = video(true, 250);
	/* A new viewer starts on a keyframe: P-frames before it are skipped. */
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_SKIPPED);
	CHECK(lcb_vqueue_push(&q, ctl, false) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_push(&q, k, true) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_QUEUED);
	CHECK(q.n == 4 && q.bytes == 205);
	/* Full: the GOP goes, the control message stays, P-frames wait. */
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_DROPPED);
	CHECK(q.n == 1 && q.need_key && q.bytes == 5 && q.drops == 1);
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_SKIPPED);
	CHECK(lcb_vqueue_push(&q, k2, false) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_pop(&q, &e) && e.msg == ctl && !e.replay);
	lcb_msg_unref(e.msg);
	CHECK(lcb_vqueue_pop(&q, &e) && e.msg == k2);
	lcb_msg_unref(e.msg);
	CHECK(!lcb_vqueue_pop(&q, &e));
	/* A keyframe that does not fit behind a GOP replaces it. */
	CHECK(lcb_vqueue_push(&q, k, false) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_QUEUED);
	CHECK(lcb_vqueue_push(&q, k2, false) == LCB_PUSH_DROPPED);
	CHECK(q.n == 1 && !q.need_key && q.bytes == 250);
	/* The viewer lost sync: queued video goes, the next keyframe starts. */
	lcb_vqueue_resync(&q);
	CHECK(q.n == 0 && q.need_key);
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_SKIPPED);
	/* Ring wrap-around keeps order. */
	for (int round = 0; round < 3; round++) {
		CHECK(lcb_vqueue_push(&q, k, false) == LCB_PUSH_QUEUED);
		CHECK(lcb_vqueue_push(&q, ctl, false) == LCB_PUSH_QUEUED);
		CHECK(lcb_vqueue_pop(&q, &e) && e.msg == k);
		lcb_msg_unref(e.msg);
		CHECK(lcb_vqueue_pop(&q, &e) && e.msg == ctl);
		lcb_msg_unref(e.msg);
	}
	CHECK(lcb_vqueue_push(&q, p, false) == LCB_PUSH_QUEUED);
	lcb_vqueue_finish(&q); /* releases what is queued */
	CHECK(k->refs == 1 && p->refs == 1 && k2->refs == 1 && ctl->refs == 1);
	lcb_msg_unref(ctl);
	lcb_msg_unref(k);
	lcb_msg_unref(p);
	lcb_msg_unref(k2);
}

static void test_wsinput(void)
{
	struct lcb_wsin m;
	const char *why = NULL;
	/* Helix's KeyA down, byte for byte. */
	static const uint8_t key_a[] = {0x10, 0x00, 0x01, 0x00, 0x00, 0x1e};
	CHECK(lcb_wsin_decode(key_a, sizeof(key_a), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_KEY && m.u.key.code == 30 && m.u.key.down);
	CHECK(lcb_wsin_decode(key_a, 5, &m, &why) == LCB_WSIN_E_TRUNCATED && why[0]);
	uint8_t big[16] = {0};
	memcpy(big, key_a, sizeof(key_a));
	CHECK(lcb_wsin_decode(big, 7, &m, &why) == LCB_WSIN_E_OVERSIZE);
	static const uint8_t keysym[] = {0x10, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61};
	CHECK(lcb_wsin_decode(keysym, sizeof(keysym), &m, &why) == LCB_WSIN_E_SUBTYPE);
	static const uint8_t key0[] = {0x10, 0x00, 0x01, 0x00, 0x00, 0x00};
	CHECK(lcb_wsin_decode(key0, sizeof(key0), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t keybig[] = {0x10, 0x00, 0x01, 0x00, 0x03, 0x00};
	CHECK(lcb_wsin_decode(keybig, sizeof(keybig), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t keydown2[] = {0x10, 0x00, 0x02, 0x00, 0x00, 0x1e};
	CHECK(lcb_wsin_decode(keydown2, sizeof(keydown2), &m, &why) == LCB_WSIN_E_RANGE);

	static const uint8_t btn[] = {0x11, 0x02, 0x01, 0x03};
	CHECK(lcb_wsin_decode(btn, sizeof(btn), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_BUTTON && m.u.button.button == 3 && m.u.button.down);
	static const uint8_t btn6[] = {0x11, 0x02, 0x01, 0x06};
	CHECK(lcb_wsin_decode(btn6, sizeof(btn6), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t msub[] = {0x11, 0x09, 0x01, 0x01};
	CHECK(lcb_wsin_decode(msub, sizeof(msub), &m, &why) == LCB_WSIN_E_SUBTYPE);
	CHECK(lcb_wsin_decode(msub, 1, &m, &why) == LCB_WSIN_E_TRUNCATED);
	/* High-res wheel: f32 LE -120 (up 120 px in Helix's newest sign). */
	static const uint8_t wheel[] = {0x11, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0xf0, 0xc2};
	CHECK(lcb_wsin_decode(wheel, sizeof(wheel), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_WHEEL && m.u.wheel.dx == 0.0f && m.u.wheel.dy == -120.0f);
	static const uint8_t wnan[] = {0x11, 0x03, 0, 0, 0xc0, 0x7f, 0, 0, 0, 0};
	CHECK(lcb_wsin_decode(wnan, sizeof(wnan), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t notch[] = {0x11, 0x04, 0x01, 0xff};
	CHECK(lcb_wsin_decode(notch, sizeof(notch), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_WHEEL_NOTCH && m.u.notch.dx == 1 && m.u.notch.dy == -1);

	static const uint8_t abs[] = {0x12, 0x01, 0x01, 0x2c, 0xff, 0xfe, 0x02, 0x80, 0x01, 0x68};
	CHECK(lcb_wsin_decode(abs, sizeof(abs), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_ABS && m.u.abs.x == 300 && m.u.abs.y == -2 &&
	      m.u.abs.ref_w == 640 && m.u.abs.ref_h == 360);
	static const uint8_t abs0[] = {0x12, 0x01, 0, 0, 0, 0, 0, 0, 0x01, 0x68};
	CHECK(lcb_wsin_decode(abs0, sizeof(abs0), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t rel[] = {0x13, 0x00, 0xff, 0xf6, 0x00, 0x05};
	CHECK(lcb_wsin_decode(rel, sizeof(rel), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_REL && m.u.rel.dx == -10 && m.u.rel.dy == 5);
	/* Touch id 7 down at (0.5, 0.25). */
	static const uint8_t touch[] = {0x14, 0x00, 0x07, 0, 0, 0, 0x3f, 0, 0, 0x80, 0x3e};
	CHECK(lcb_wsin_decode(touch, sizeof(touch), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_TOUCH && m.u.touch.id == 7 && m.u.touch.x == 0.5f &&
	      m.u.touch.y == 0.25f);
	static const uint8_t touch4[] = {0x14, 0x04, 0x07, 0, 0, 0, 0x3f, 0, 0, 0x80, 0x3e};
	CHECK(lcb_wsin_decode(touch4, sizeof(touch4), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t tinf[] = {0x14, 0x00, 0x07, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0x3e};
	CHECK(lcb_wsin_decode(tinf, sizeof(tinf), &m, &why) == LCB_WSIN_E_RANGE);

	static const uint8_t resize[] = {0x61, 0x07, 0x80, 0x04, 0x38};
	CHECK(lcb_wsin_decode(resize, sizeof(resize), &m, &why) == LCB_WSIN_OK);
	CHECK(m.kind == LCB_WSIN_RESIZE && m.u.resize.width == 1920 && m.u.resize.height == 1080);
	static const uint8_t tiny[] = {0x61, 0x00, 0x10, 0x04, 0x38};
	CHECK(lcb_wsin_decode(tiny, sizeof(tiny), &m, &why) == LCB_WSIN_E_RANGE);
	static const uint8_t rall[] = {0x62, 0x00};
	CHECK(lcb_wsin_decode(rall, 1, &m, &why) == LCB_WSIN_OK && m.kind == LCB_WSIN_RELEASE_ALL);
	CHECK(lcb_wsin_decode(rall, 2, &m, &why) == LCB_WSIN_E_OVERSIZE);
	static const uint8_t ping[] = {0x40, 0, 0, 0, 0};
	CHECK(lcb_wsin_decode(ping, sizeof(ping), &m, &why) == LCB_WSIN_NOT_INPUT);
	CHECK(!lcb_wsin_is_input(0x40) && lcb_wsin_is_input(0x62));
	CHECK(lcb_wsin_decode(ping, 0, &m, &why) == LCB_WSIN_E_TRUNCATED);
}

/* What went upstream, and a send queue that can be made full. */
struct sink {
	struct lcb_hxin ev[256];
	size_t n;
	int fail; /* 0, -ENOBUFS, -ENOTCONN */
};

static int sink_send(void *data, const struct lcb_hxin *e)
{
	struct sink *s = data;
	if (s->fail)
		return s->fail;
	if (s->n < sizeof(s->ev) / sizeof(s->ev[0]))
		s->ev[s->n++] = *e;
	return 0;
}

static struct lcb_wsin key(uint16_t code, bool down)
{
	return (struct lcb_wsin){.kind = LCB_WSIN_KEY, .u.key = {.code = code, .down = down}};
}

static bool is_key(const struct lcb_hxin *e, uint16_t code, bool down)
{
	return e->type == HXFR_INPUT_KEY && e->code == code && e->down == down;
}

static void test_input(void)
{
	struct sink s = {0};
	struct lcb_input in;
	lcb_input_init(&in, sink_send, &s);
	struct lcb_input_viewer a, b, w;
	int64_t t = 1000000;
	lcb_input_viewer_join(&in, &a, true, t);
	lcb_input_viewer_join(&in, &b, true, t);
	lcb_input_viewer_join(&in, &w, false, t);
	const char *why = NULL;

	/* View-only: refused, nothing upstream. */
	struct lcb_wsin m = key(30, true);
	CHECK(lcb_input_handle(&in, &w, &m, t, &why) == LCB_IN_VIEW_ONLY && why[0]);
	CHECK(s.n == 0 && w.c.view_only == 1);

	/* A and B hold KEY_A: one press upstream, released when both let go. */
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(lcb_input_handle(&in, &b, &m, t, NULL) == LCB_IN_NOOP);
	CHECK(s.n == 1 && is_key(&s.ev[0], 30, true));
	m = key(30, false);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.n == 1);                                              /* B still holds it */
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_NOOP); /* not A's any more */
	CHECK(lcb_input_handle(&in, &b, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.n == 2 && is_key(&s.ev[1], 30, false));

	/* A's leave releases only A's keys; the last control viewer's leave
	 * sends RELEASE_ALL. */
	m = key(42, true); /* shift, A */
	lcb_input_handle(&in, &a, &m, t, NULL);
	m = key(31, true); /* S, B */
	lcb_input_handle(&in, &b, &m, t, NULL);
	s.n = 0;
	lcb_input_viewer_leave(&in, &a);
	CHECK(s.n == 1 && is_key(&s.ev[0], 42, false));
	lcb_input_viewer_leave(&in, &b);
	CHECK(s.n == 3 && is_key(&s.ev[1], 31, false) && s.ev[2].type == HXFR_INPUT_RELEASE_ALL);

	/* Buttons, wheel, absolute pointer scaled to the picture. */
	lcb_input_viewer_join(&in, &a, true, t);
	s.n = 0;
	m = (struct lcb_wsin){.kind = LCB_WSIN_ABS,
			      .u.abs = {.x = 300, .y = 100, .ref_w = 640, .ref_h = 360}};
	CHECK(lcb_input_handle(&in, &a, &m, t, &why) == LCB_IN_REFUSED); /* no size yet */
	lcb_input_set_size(&in, 1280, 720);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.ev[0].type == HXFR_INPUT_ABS && s.ev[0].x == 600 && s.ev[0].y == 200);
	m.u.abs.x = -5;
	m.u.abs.y = 4000;
	lcb_input_handle(&in, &a, &m, t, NULL);
	CHECK(s.ev[1].x == 0 && s.ev[1].y == 719); /* clamped */
	m = (struct lcb_wsin){.kind = LCB_WSIN_BUTTON, .u.button = {.button = 3, .down = true}};
	lcb_input_handle(&in, &a, &m, t, NULL);
	CHECK(s.ev[2].type == HXFR_INPUT_BUTTON && s.ev[2].code == 0x111 && s.ev[2].down);
	/* Wheel: the browser's sign is HXFR's (y > 0 down); the small form
	 * counts 10-px steps. */
	m = (struct lcb_wsin){.kind = LCB_WSIN_WHEEL, .u.wheel = {.dx = 0, .dy = -120}};
	lcb_input_handle(&in, &a, &m, t, NULL);
	CHECK(s.ev[3].type == HXFR_INPUT_WHEEL && s.ev[3].y == -120 && s.ev[3].x == 0);
	m = (struct lcb_wsin){.kind = LCB_WSIN_WHEEL_NOTCH, .u.notch = {.dx = -1, .dy = 2}};
	lcb_input_handle(&in, &a, &m, t, NULL);
	CHECK(s.ev[4].type == HXFR_INPUT_WHEEL && s.ev[4].y == 20 && s.ev[4].x == -10);

	/* Back-pressure: motion coalesced, a press dropped, the release owed
	 * and sent first when there is room; nothing after it overtakes it. */
	s.n = 0;
	s.fail = -ENOBUFS;
	m = (struct lcb_wsin){.kind = LCB_WSIN_BUTTON, .u.button = {.button = 3, .down = false}};
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT); /* owed */
	m = (struct lcb_wsin){.kind = LCB_WSIN_ABS,
			      .u.abs = {.x = 10, .y = 10, .ref_w = 1280, .ref_h = 720}};
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_OWED);
	m.u.abs.x = 20;
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_OWED);
	m = key(30, true);
	CHECK(lcb_input_handle(&in, &a, &m, t, &why) == LCB_IN_BUSY && why[0]);
	m = key(30, false);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_NOOP); /* the press never went */
	s.fail = 0;
	CHECK(lcb_input_flush(&in));
	CHECK(s.n == 2 && s.ev[0].type == HXFR_INPUT_BUTTON && !s.ev[0].down &&
	      s.ev[0].code == 0x111 && s.ev[1].type == HXFR_INPUT_ABS && s.ev[1].x == 20);

	/* Touch ids -> slots, 10 at most, ended on leave. */
	s.n = 0;
	for (int i = 0; i < 10; i++) {
		m = (struct lcb_wsin){
			.kind = LCB_WSIN_TOUCH,
			.u.touch = {.event = 0, .id = (uint8_t)(100 + i), .x = 0.5f, .y = 0.5f}};
		CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	}
	CHECK(s.n == 10 && s.ev[9].slot == 9 && s.ev[9].x == 640 && s.ev[9].y == 360);
	m.u.touch.id = 200;
	CHECK(lcb_input_handle(&in, &a, &m, t, &why) == LCB_IN_REFUSED);
	m = (struct lcb_wsin){.kind = LCB_WSIN_TOUCH, .u.touch = {.event = 1, .id = 201}};
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_REFUSED);
	m = (struct lcb_wsin){.kind = LCB_WSIN_TOUCH,
			      .u.touch = {.event = 2, .id = 103, .x = 1.5f}};
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.ev[10].type == HXFR_INPUT_TOUCH && s.ev[10].kind == HXFR_TOUCH_END &&
	      s.ev[10].slot == 3 && s.ev[10].x == 1279);
	s.n = 0;
	lcb_input_viewer_leave(&in, &a);
	CHECK(s.n == 10 && s.ev[0].kind == HXFR_TOUCH_CANCEL &&
	      s.ev[9].type == HXFR_INPUT_RELEASE_ALL);

	/* Rate limit: a burst then refusals; releases still go. */
	lcb_input_viewer_join(&in, &a, true, t);
	s.n = 0;
	m = (struct lcb_wsin){.kind = LCB_WSIN_REL, .u.rel = {.dx = 1, .dy = 0}};
	int sent = 0, limited = 0;
	for (int i = 0; i < 3000; i++) {
		enum lcb_input_result r = lcb_input_handle(&in, &a, &m, t, NULL);
		sent += r == LCB_IN_SENT;
		limited += r == LCB_IN_RATE_LIMITED;
	}
	CHECK(sent == (int)LCB_INPUT_BURST && limited == 1000);
	m = key(30, true);
	CHECK(lcb_input_handle(&in, &a, &m, t + 10000, NULL) == LCB_IN_SENT); /* 10 tokens back */
	for (int i = 0; i < 20; i++)
		lcb_input_handle(&in, &a, &m, t + 10000, NULL);
	m = key(30, false);
	s.n = 0;
	CHECK(lcb_input_handle(&in, &a, &m, t + 10000, NULL) == LCB_IN_SENT);
	CHECK(s.n == 1 && is_key(&s.ev[0], 30, false));

	/* An upstream reset forgets what was held: the exporter released it. */
	m = key(30, true);
	lcb_input_handle(&in, &a, &m, t + 20000, NULL);
	lcb_input_upstream_reset(&in);
	s.n = 0;
	m = key(30, false);
	CHECK(lcb_input_handle(&in, &a, &m, t + 20000, NULL) == LCB_IN_NOOP && s.n == 0);
	/* No connection: presses are refused as unavailable. */
	s.fail = -ENOTCONN;
	m = key(30, true);
	CHECK(lcb_input_handle(&in, &a, &m, t + 30000, &why) == LCB_IN_UNAVAILABLE);
	s.fail = 0;
	lcb_input_viewer_leave(&in, &a);
	lcb_input_viewer_leave(&in, &w);
	CHECK(in.n_control == 0);
}

static struct lcb_wsin abs_at(int16_t x, int16_t y, int16_t ref_w, int16_t ref_h)
{
	return (struct lcb_wsin){.kind = LCB_WSIN_ABS,
				 .u.abs = {.x = x, .y = y, .ref_w = ref_w, .ref_h = ref_h}};
}

static struct lcb_wsin touch_at(uint8_t event, uint8_t id, float x, float y)
{
	return (struct lcb_wsin){.kind = LCB_WSIN_TOUCH,
				 .u.touch = {.event = event, .id = id, .x = x, .y = y}};
}

/* The stream changes size (the bridge calls lcb_input_set_size at the new
 * size's keyframe, before the StreamInit goes out): every position after
 * it is of the new picture, whatever reference the page still uses, and a
 * touch point held across the change goes on in the same slot.
 * bridge-resize checks the same through the bridge. */
static void test_input_resize(void)
{
	struct sink s = {0};
	struct lcb_input in;
	lcb_input_init(&in, sink_send, &s);
	struct lcb_input_viewer a;
	int64_t t = 1000000;
	lcb_input_viewer_join(&in, &a, true, t);
	lcb_input_set_size(&in, 1280, 720);
	struct lcb_wsin m = abs_at(640, 360, 1280, 720);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = touch_at(LCB_WSIN_TOUCH_DOWN, 5, 0.5f, 0.5f);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.n == 2 && s.ev[0].x == 640 && s.ev[0].y == 360 && s.ev[1].slot == 0 &&
	      s.ev[1].x == 640 && s.ev[1].y == 360);

	lcb_input_set_size(&in, 640, 360); /* smaller */
	s.n = 0;
	m = abs_at(640, 360, 1280, 720); /* a page still on the old size */
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = abs_at(1000, 700, 640, 360); /* the old size's pixels, the new reference */
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = abs_at(4095, 4095, 4096, 4096); /* Helix's client */
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = touch_at(LCB_WSIN_TOUCH_MOVE, 5, 0.75f, 0.75f);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = touch_at(LCB_WSIN_TOUCH_UP, 5, 1.0f, 1.0f);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.n == 5);
	CHECK(s.ev[0].type == HXFR_INPUT_ABS && s.ev[0].x == 320 && s.ev[0].y == 180);
	CHECK(s.ev[1].x == 639 && s.ev[1].y == 359);
	CHECK(s.ev[2].x == 639 && s.ev[2].y == 359);
	CHECK(s.ev[3].type == HXFR_INPUT_TOUCH && s.ev[3].kind == HXFR_TOUCH_UPDATE &&
	      s.ev[3].slot == 0 && s.ev[3].x == 480 && s.ev[3].y == 270);
	CHECK(s.ev[4].kind == HXFR_TOUCH_END && s.ev[4].slot == 0 && s.ev[4].x == 639 &&
	      s.ev[4].y == 359);

	lcb_input_set_size(&in, 1920, 1080); /* and larger */
	s.n = 0;
	m = abs_at(1000, 700, 640, 360);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	m = abs_at(1919, 1079, 1920, 1080);
	CHECK(lcb_input_handle(&in, &a, &m, t, NULL) == LCB_IN_SENT);
	CHECK(s.n == 2 && s.ev[0].x == 1919 && s.ev[0].y == 1079 && s.ev[1].x == 1919 &&
	      s.ev[1].y == 1079);
	lcb_input_viewer_leave(&in, &a);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	bool all = strcmp(which, "all") == 0;
	if (all || !strcmp(which, "wsmsg"))
		test_wsmsg();
	if (all || !strcmp(which, "wsinit"))
		test_wsinit();
	if (all || !strcmp(which, "sps"))
		test_sps();
	if (all || !strcmp(which, "gop"))
		test_gop();
	if (all || !strcmp(which, "vqueue"))
		test_vqueue();
	if (all || !strcmp(which, "wsinput"))
		test_wsinput();
	if (all || !strcmp(which, "input"))
		test_input();
	if (all || !strcmp(which, "input-resize"))
		test_input_resize();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
