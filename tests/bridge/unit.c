/* Unit tests of the frame bridge's pure parts: the WebSocket message
 * encoders (byte for byte), the SPS parser (hand-made SPSs and a real
 * libx264 stream), the GOP replay buffer and the per-viewer queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gop.h"
#include "h264_encode.h"
#include "sps.h"
#include "vqueue.h"
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

	uint8_t init[LCB_WS_STREAM_INIT_MAX];
	size_t n = lcb_ws_stream_init(init, sizeof(init), 1280, 720, "avc1.42C01F");
	static const uint8_t want_i[] = {0x30, 0x01, 0x05, 0x00, 0x02, 0xd0, 11,  'a', 'v',
					 'c',  '1',  '.',  '4',  '2',  'C',  '0', '1', 'F'};
	CHECK(n == sizeof(want_i) && memcmp(init, want_i, n) == 0);
	CHECK(lcb_ws_stream_init(init, 10, 1280, 720, "avc1.42C01F") == 0);

	/* Premultiplied ARGB (u32 LE) -> straight RGBA: opaque red, half
	 * transparent grey (0x40 premultiplied at alpha 0x80 -> 0x80), clear. */
	uint32_t argb[3] = {0xffff0000u, 0x80404040u, 0};
	uint8_t cur[9 + 12];
	n = lcb_ws_cursor_image(cur, sizeof(cur), 3, 1, 2, -1, (const uint8_t *)argb);
	static const uint8_t want_c[] = {0x50, 0,    3,    0,    1,    0,    2, 0xff, 0xff, 0xff, 0,
					 0,    0xff, 0x80, 0x80, 0x80, 0x80, 0, 0,    0,    0};
	CHECK(n == sizeof(want_c) && memcmp(cur, want_c, n) == 0);
	CHECK(lcb_ws_cursor_image(cur, sizeof(cur) - 1, 3, 1, 0, 0, (const uint8_t *)argb) == 0);
	CHECK(lcb_ws_cursor_image_size(0, 4) == 0);

	uint8_t mv[LCB_WS_CURSOR_MOVE_SIZE];
	lcb_ws_cursor_move(mv, -5, 700, true);
	static const uint8_t want_m[] = {0x51, 0xff, 0xff, 0xff, 0xfb, 0, 0, 0x02, 0xbc, 1};
	CHECK(memcmp(mv, want_m, sizeof(want_m)) == 0);

	uint8_t st[32];
	n = lcb_ws_status(st, sizeof(st), LCB_WS_STATE_STREAMING, "ok");
	CHECK(n == 4 && st[0] == 0x60 && st[1] == 1 && memcmp(st + 2, "ok", 2) == 0);
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

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	bool all = strcmp(which, "all") == 0;
	if (all || !strcmp(which, "wsmsg"))
		test_wsmsg();
	if (all || !strcmp(which, "sps"))
		test_sps();
	if (all || !strcmp(which, "gop"))
		test_gop();
	if (all || !strcmp(which, "vqueue"))
		test_vqueue();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
