/* HXFR codec: byte-exact layouts (from helix-interop.md and HXFR.md),
 * round trips of every message, and one test per decode error. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hxfr.h"

#define MAXC HXFR_MAX_CLIENT_PAYLOAD
#define MAXS HXFR_MAX_SERVER_PAYLOAD

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A raw header written by hand, independent of the encoder under test. */
static size_t raw_header(uint8_t *b, uint8_t type, uint8_t flags, uint16_t sid, uint32_t size)
{
	b[0] = 0x48, b[1] = 0x58, b[2] = 0x46, b[3] = 0x52;
	b[4] = type;
	b[5] = flags;
	b[6] = (uint8_t)sid;
	b[7] = (uint8_t)(sid >> 8);
	put32(b + 8, size);
	return 12;
}

/* Decodes a whole buffer and expects one message of exactly that length. */
static enum hxfr_status decode_all(const uint8_t *b, size_t n, struct hxfr_msg *m)
{
	size_t consumed = 0;
	enum hxfr_status st = hxfr_decode(b, n, MAXS, m, &consumed);
	if (st == HXFR_OK)
		CHECK_EQ(consumed, n);
	return st;
}

/* Every strict prefix of a valid message is NEED_MORE, with nothing consumed. */
static void check_prefixes_need_more(const uint8_t *b, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		struct hxfr_msg m;
		size_t consumed = 99;
		if (hxfr_decode(b, i, MAXS, &m, &consumed) != HXFR_NEED_MORE || consumed != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void test_layout_enable_scanout(void)
{
	static const uint8_t want[] = {
		0x48, 0x58, 0x46, 0x52, 0x20, 0x00, 0x00, 0x00, 0x10, 0x00,
		0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x80, 0x07, 0x00, 0x00, /* id 3, width 1920 */
		0x38, 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,             /* height 1080, 60 Hz */
	};
	uint8_t b[64];
	struct hxfr_enable_scanout e = {
		.scanout_id = 3, .width = 1920, .height = 1080, .refresh_hz = 60};
	size_t n = hxfr_encode_enable_scanout(b, sizeof(b), &e);
	CHECK_EQ(n, sizeof(want));
	CHECK_MEM(b, want, sizeof(want));

	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.magic, HXFR_MAGIC);
	CHECK_EQ(m.hdr.type, HXFR_ENABLE_SCANOUT);
	CHECK_EQ(m.u.enable.scanout_id, 3);
	CHECK_EQ(m.u.enable.width, 1920);
	CHECK_EQ(m.u.enable.height, 1080);
	CHECK_EQ(m.u.enable.refresh_hz, 60);
	check_prefixes_need_more(want, sizeof(want));
}

static void test_layout_disable_scanout(void)
{
	static const uint8_t want[] = {
		0x48, 0x58, 0x46, 0x52, 0x21, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
	};
	uint8_t b[64];
	CHECK_EQ(hxfr_encode_disable_scanout(b, sizeof(b), 15), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.u.scanout_id, 15);
}

static void test_layout_scanout_resp(void)
{
	uint8_t want[12 + 72] = {
		0x48, 0x58, 0x46, 0x52, 0x22, 0x00, 0x00, 0x00, 0x48, 0x00,
		0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		'V',  'i',  'r',  't',  'u',  'a',  'l',  '-',  '4', /* then NUL padding */
	};
	uint8_t b[128];
	CHECK_EQ(hxfr_encode_scanout_resp(b, sizeof(b), 3, true, "Virtual-4"), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.u.scanout_resp.scanout_id, 3);
	CHECK_EQ(m.u.scanout_resp.success, 1);
	CHECK_STR(m.u.scanout_resp.connector, "Virtual-4");

	/* failure form */
	CHECK_EQ(hxfr_encode_scanout_resp(b, sizeof(b), 0, false, "scanout 0 is the console"), 84);
	CHECK_EQ(decode_all(b, 84, &m), HXFR_OK);
	CHECK_EQ(m.u.scanout_resp.success, 0);
	CHECK_STR(m.u.scanout_resp.connector, "scanout 0 is the console");
	check_prefixes_need_more(want, sizeof(want));
}

static void test_layout_subscribe(void)
{
	static const uint8_t sub[] = {
		0x48, 0x58, 0x46, 0x52, 0x30, 0x00, 0x02, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	};
	static const uint8_t resp[] = {
		0x48, 0x58, 0x46, 0x52, 0x31, 0x00, 0x02, 0x00, 0x08, 0x00,
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};
	uint8_t b[64];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_subscribe(b, sizeof(b), 2), sizeof(sub));
	CHECK_MEM(b, sub, sizeof(sub));
	CHECK_EQ(decode_all(sub, sizeof(sub), &m), HXFR_OK);
	CHECK_EQ(m.hdr.session_id, 2);
	CHECK_EQ(m.u.scanout_id, 2);

	CHECK_EQ(hxfr_encode_subscribe_resp(b, sizeof(b), 2, true), sizeof(resp));
	CHECK_MEM(b, resp, sizeof(resp));
	CHECK_EQ(decode_all(resp, sizeof(resp), &m), HXFR_OK);
	CHECK_EQ(m.u.subscribe_resp.scanout_id, 2);
	CHECK_EQ(m.u.subscribe_resp.success, 1);
	CHECK_EQ(hxfr_encode_subscribe_resp(b, sizeof(b), 9, false), sizeof(resp));
	CHECK_EQ(decode_all(b, sizeof(resp), &m), HXFR_OK);
	CHECK_EQ(m.u.subscribe_resp.success, 0);
	CHECK_EQ(m.hdr.session_id, 9);
}

static void test_layout_empty(void)
{
	static const uint8_t pong[] = {
		0x48, 0x58, 0x46, 0x52, 0x11, 0x00, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t types[] = {HXFR_PING, HXFR_PONG, HXFR_KEYFRAME_REQ, HXFR_REFRESH_REQ};
	uint8_t b[32];
	CHECK_EQ(hxfr_encode_empty(b, sizeof(b), HXFR_PONG, 0x1234), sizeof(pong));
	CHECK_MEM(b, pong, sizeof(pong));
	for (size_t i = 0; i < sizeof(types); i++) {
		struct hxfr_msg m;
		CHECK_EQ(hxfr_encode_empty(b, sizeof(b), types[i], 7), 12);
		CHECK_EQ(decode_all(b, 12, &m), HXFR_OK);
		CHECK_EQ(m.hdr.type, types[i]);
		CHECK_EQ(m.hdr.session_id, 7);
		CHECK_EQ(m.hdr.payload_size, 0);
	}
}

/* REFRESH_REQ (0x52, HXFR.md §4.2.1): no payload, session_id = the
 * scanout; any payload at all is a size error, skipped in sync; a bit
 * of its own in HELLO. */
static void test_refresh_req(void)
{
	static const uint8_t refresh[] = {
		0x48, 0x58, 0x46, 0x52, 0x52, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t b[64];
	struct hxfr_msg m;
	size_t consumed = 0;
	CHECK_EQ(HXFR_REFRESH_REQ, 0x52);
	CHECK_EQ(hxfr_encode_empty(b, sizeof(b), HXFR_REFRESH_REQ, 5), sizeof(refresh));
	CHECK_MEM(b, refresh, sizeof(refresh));
	CHECK_EQ(hxfr_decode(refresh, sizeof(refresh), MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(consumed, 12);
	CHECK_EQ(m.hdr.type, HXFR_REFRESH_REQ);
	CHECK_EQ(m.hdr.session_id, 5);
	CHECK_STR(hxfr_type_name(0x52), "REFRESH_REQ");
	/* Short of its header: wait. */
	CHECK_EQ(hxfr_decode(refresh, 11, MAXC, &m, &consumed), HXFR_NEED_MORE);
	/* 1, 4 and 4096 payload bytes: size errors, consumed whole, and the
	 * PING after each is read in sync. */
	static const uint32_t wrong[] = {1, 4, HXFR_MAX_CLIENT_PAYLOAD};
	static uint8_t big[12 + HXFR_MAX_CLIENT_PAYLOAD + 12];
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		size_t n = raw_header(big, HXFR_REFRESH_REQ, 0, 5, wrong[i]);
		memset(big + n, 0xa5, wrong[i]);
		n += wrong[i];
		/* Not until the whole payload is there. */
		CHECK_EQ(hxfr_decode(big, n - 1, MAXC, &m, &consumed), HXFR_NEED_MORE);
		n += hxfr_encode_empty(big + n, sizeof(big) - n, HXFR_PING, 6);
		consumed = 0;
		CHECK_EQ(hxfr_decode(big, n, MAXC, &m, &consumed), HXFR_E_SIZE);
		CHECK_EQ(consumed, 12 + (size_t)wrong[i]);
		CHECK_EQ(hxfr_decode(big + consumed, n - consumed, MAXC, &m, &consumed), HXFR_OK);
		CHECK_EQ(m.hdr.type, HXFR_PING);
		CHECK_EQ(m.hdr.session_id, 6);
	}
	/* Above the client limit: oversize, not a size error. */
	raw_header(b, HXFR_REFRESH_REQ, 0, 5, HXFR_MAX_CLIENT_PAYLOAD + 1);
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_E_OVERSIZE);
	CHECK_EQ(consumed, 0);
	/* Its feature bit, in HELLO byte 20 (features, little-endian). */
	CHECK_EQ(HXFR_FEATURE_REFRESH, 0x10);
	CHECK_EQ(hxfr_encode_hello(b, sizeof(b), HXFR_FEATURE_REFRESH | HXFR_FEATURE_CURSOR), 28);
	CHECK_EQ(b[20], 0x14);
	CHECK_EQ(decode_all(b, 28, &m), HXFR_OK);
	CHECK_EQ(m.u.hello.features, HXFR_FEATURE_REFRESH | HXFR_FEATURE_CURSOR);
	/* The next reserved type is still unknown. */
	raw_header(b, 0x53, 0, 0, 0);
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_E_TYPE);
	CHECK_STR(hxfr_type_name(0x53), "UNKNOWN");
}

static void test_layout_config(void)
{
	static const uint8_t want[] = {
		0x48, 0x58, 0x46, 0x52, 0x04, 0x00, 0x01, 0x00, 0x1c, 0x00,
		0x00, 0x00, 0x80, 0x07, 0x00, 0x00, 0x38, 0x04, 0x00, 0x00, /* 1920 x 1080 */
		0x00, 0x5a, 0x62, 0x00,                                     /* 6,445,568 bps */
		0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,             /* 60/1 */
		0x64, 0x29, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, /* high, 4.1, realtime */
	};
	struct hxfr_config_req c = {
		.width = 1920,
		.height = 1080,
		.bitrate_bps = 0x00625a00,
		.framerate_num = 60,
		.framerate_den = 1,
		.profile = 100,
		.level = 41,
		.realtime = 1,
	};
	uint8_t b[64];
	CHECK_EQ(hxfr_encode_config_req(b, sizeof(b), 1, &c), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_CONFIG_REQ);
	CHECK_EQ(m.u.config.width, 1920);
	CHECK_EQ(m.u.config.height, 1080);
	CHECK_EQ(m.u.config.bitrate_bps, c.bitrate_bps);
	CHECK_EQ(m.u.config.framerate_num, 60);
	CHECK_EQ(m.u.config.framerate_den, 1);
	CHECK_EQ(m.u.config.profile, 100);
	CHECK_EQ(m.u.config.level, 41);
	CHECK_EQ(m.u.config.realtime, 1);

	/* CONFIG_RESP: same layout, type 0x05 */
	CHECK_EQ(hxfr_encode_config_resp(b, sizeof(b), 1, &c), sizeof(want));
	CHECK_EQ(b[4], 0x05);
	CHECK_MEM(b + 5, want + 5, sizeof(want) - 5);
	CHECK_EQ(decode_all(b, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_CONFIG_RESP);
	CHECK_EQ(m.u.config.bitrate_bps, 0x00625a00);
	CHECK_EQ(m.u.config.framerate_num, 60);
	CHECK_EQ(m.u.config.level, 41);
}

static void test_layout_frame(void)
{
	/* One Helix access unit: nal_count 1, an Annex-B blob of 6 bytes. */
	static const uint8_t want[] = {
		0x48, 0x58, 0x46, 0x52, 0x02, 0x00, 0x05, 0x00, 0x22, 0x00,
		0x00, 0x00, 0x00, 0xca, 0x9a, 0x3b, 0x00, 0x00, 0x00, 0x00, /* pts 1e9 ns */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             /* dts -1 */
		0x01, 0x00, 0x00, 0x00,                                     /* keyframe, reserved */
		0x01, 0x00, 0x00, 0x00,                                     /* nal_count 1 */
		0x06, 0x00, 0x00, 0x00,                                     /* size 6 */
		0x00, 0x00, 0x00, 0x01, 0x65, 0x88,                         /* the AU */
	};
	uint8_t b[64];
	CHECK_EQ(HXFR_FRAME_PREFIX_SIZE, 40);
	CHECK_EQ(hxfr_encode_frame_header(b, sizeof(b), 5, 1000000000, -1, true, 6), 40);
	CHECK_MEM(b, want, 40);
	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.session_id, 5);
	CHECK_EQ(m.u.frame.pts_ns, 1000000000);
	CHECK_EQ(m.u.frame.dts_ns, -1);
	CHECK(m.u.frame.keyframe);
	CHECK_EQ(m.u.frame.nal_count, 1);
	CHECK(m.u.frame.nals == want + 36);
	CHECK_EQ(m.u.frame.nals_len, 10);
	CHECK_EQ(m.u.frame.latency_us, 0); /* Helix's zero: not told */
	check_prefixes_need_more(want, sizeof(want));

	/* leasecast's latency at offset 18: 100-µs steps, rounded up,
	 * saturating; the rest of the prefix untouched. */
	uint8_t lat[sizeof(want)];
	memcpy(lat, want, sizeof(want));
	hxfr_frame_header_set_latency(lat, 1234);
	CHECK(lat[12 + 18] == 13 && lat[12 + 19] == 0 && lat[12 + 17] == 0);
	CHECK_MEM(lat + 12 + 20, want + 12 + 20, sizeof(want) - 32);
	CHECK_EQ(decode_all(lat, sizeof(lat), &m), HXFR_OK);
	CHECK_EQ(m.u.frame.latency_us, 1300);
	hxfr_frame_header_set_latency(lat, 100);
	CHECK_EQ(decode_all(lat, sizeof(lat), &m), HXFR_OK);
	CHECK_EQ(m.u.frame.latency_us, 100);
	hxfr_frame_header_set_latency(lat, 10000000);
	CHECK(lat[12 + 18] == 0xff && lat[12 + 19] == 0xff);
	CHECK_EQ(decode_all(lat, sizeof(lat), &m), HXFR_OK);
	CHECK_EQ(m.u.frame.latency_us, 6553500);

	/* Several NALs in one message (a third-party encoder may do that). */
	uint8_t f[12 + 24 + 4 + 2 + 4 + 3];
	size_t o = raw_header(f, HXFR_FRAME_RESPONSE, 0, 1, 24 + 4 + 2 + 4 + 3);
	memset(f + o, 0, 24);
	put32(f + o + 20, 2);
	o += 24;
	put32(f + o, 2), o += 4, f[o++] = 0x67, f[o++] = 0x42;
	put32(f + o, 3), o += 4, f[o++] = 0x68, f[o++] = 0xce, f[o++] = 0x3c;
	CHECK_EQ(o, sizeof(f));
	CHECK_EQ(decode_all(f, sizeof(f), &m), HXFR_OK);
	CHECK_EQ(m.u.frame.nal_count, 2);
	CHECK(!m.u.frame.keyframe);

	/* An AU too large for a u32 payload cannot be framed. */
	CHECK_EQ(hxfr_encode_frame_header(b, sizeof(b), 0, 0, 0, false, UINT32_MAX - 27), 0);
	CHECK_EQ(hxfr_encode_frame_header(b, sizeof(b), 0, 0, 0, false, UINT32_MAX - 28), 40);
}

static void test_layout_error(void)
{
	uint8_t want[12 + 260] = {
		0x48, 0x58, 0x46, 0x52, 0xff, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00,
		0x05, 0x00, 0x00, 0x00, 'n',  'o',  't',  ' ',  'a',  'u',  't',  'h',
	};
	uint8_t b[300];
	CHECK_EQ(hxfr_encode_error(b, sizeof(b), 0, HXFR_ERR_UNAUTHENTICATED, "not auth"),
		 sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	struct hxfr_msg m;
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.u.error.code, 5);
	CHECK_STR(m.u.error.message, "not auth");

	CHECK_EQ(hxfr_encode_error(b, sizeof(b), 3, -42, NULL), sizeof(want));
	CHECK_EQ(b[12], 0xd6);
	CHECK_EQ(b[15], 0xff);
	CHECK_EQ(decode_all(b, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.u.error.code, -42);
	CHECK_STR(m.u.error.message, "");
	CHECK_EQ(m.hdr.session_id, 3);

	/* Messages longer than the field are cut to 255 bytes plus NUL. */
	char longmsg[400];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	CHECK_EQ(hxfr_encode_error(b, sizeof(b), 0, 1, longmsg), sizeof(want));
	CHECK_EQ(decode_all(b, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(strlen(m.u.error.message), 255);
}

static void test_layout_extension(void)
{
	static const uint8_t hello[] = {
		0x48, 0x58, 0x46, 0x52, 0x40, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 'L',  'C',
		'S',  'T',  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t b[128];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_hello(b, sizeof(b), HXFR_FEATURE_CONTROL), sizeof(hello));
	CHECK_MEM(b, hello, sizeof(hello));
	CHECK_EQ(decode_all(hello, sizeof(hello), &m), HXFR_OK);
	CHECK_EQ(m.u.hello.version, 1);
	CHECK_EQ(m.u.hello.features, HXFR_FEATURE_CONTROL);

	uint8_t nonce[HXFR_NONCE_LEN];
	for (int i = 0; i < HXFR_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ(hxfr_encode_hello_resp(b, sizeof(b), 1, nonce), 12 + 48);
	CHECK_EQ(b[4], 0x41);
	CHECK_EQ(b[8], 48);
	CHECK_MEM(b + 12, hello + 12, 16);
	CHECK_MEM(b + 28, nonce, HXFR_NONCE_LEN);
	CHECK_EQ(decode_all(b, 60, &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_HELLO_RESP);
	CHECK_EQ(m.u.hello.version, 1);
	CHECK_MEM(m.u.hello.nonce, nonce, HXFR_NONCE_LEN);

	uint8_t mac[HXFR_MAC_LEN];
	for (int i = 0; i < HXFR_MAC_LEN; i++)
		mac[i] = (uint8_t)(i * 7);
	CHECK_EQ(hxfr_encode_auth(b, sizeof(b), mac), 44);
	CHECK_EQ(b[4], 0x42);
	CHECK_EQ(b[8], 32);
	CHECK_MEM(b + 12, mac, HXFR_MAC_LEN);
	CHECK_EQ(decode_all(b, 44, &m), HXFR_OK);
	CHECK_MEM(m.u.mac, mac, HXFR_MAC_LEN);

	static const uint8_t auth_resp[] = {
		0x48, 0x58, 0x46, 0x52, 0x43, 0x00, 0x00, 0x00, 0x08, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};
	CHECK_EQ(hxfr_encode_auth_resp(b, sizeof(b), true, HXFR_FEATURE_CONTROL),
		 sizeof(auth_resp));
	CHECK_MEM(b, auth_resp, sizeof(auth_resp));
	CHECK_EQ(decode_all(auth_resp, sizeof(auth_resp), &m), HXFR_OK);
	CHECK_EQ(m.u.auth_resp.success, 1);
	CHECK_EQ(m.u.auth_resp.granted, 1);
	CHECK_EQ(hxfr_encode_auth_resp(b, sizeof(b), false, 0), sizeof(auth_resp));
	CHECK_EQ(decode_all(b, sizeof(auth_resp), &m), HXFR_OK);
	CHECK_EQ(m.u.auth_resp.success, 0);
}

static void test_flags_ignored(void)
{
	uint8_t b[32];
	raw_header(b, HXFR_PING, 0xa5, 1, 0);
	struct hxfr_msg m;
	CHECK_EQ(decode_all(b, 12, &m), HXFR_OK);
	CHECK_EQ(m.hdr.flags, 0xa5);
	/* and encoders always send 0 */
	CHECK_EQ(hxfr_encode_disable_scanout(b, sizeof(b), 1), 16);
	CHECK_EQ(b[5], 0);
}

static void test_reserved_ignored(void)
{
	uint8_t b[64];
	CHECK_EQ(hxfr_encode_hello(b, sizeof(b), 3), 28);
	b[12 + 6] = 0xee;  /* reserved u16 */
	b[12 + 12] = 0x77; /* reserved u32 */
	struct hxfr_msg m;
	CHECK_EQ(decode_all(b, 28, &m), HXFR_OK);
	CHECK_EQ(m.u.hello.features, 3);
}

static void test_error_bad_magic(void)
{
	uint8_t b[32];
	CHECK_EQ(hxfr_encode_empty(b, sizeof(b), HXFR_PING, 0), 12);
	b[3] = 0x53;
	struct hxfr_msg m;
	size_t consumed = 99;
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_E_MAGIC);
	CHECK_EQ(consumed, 0);
	struct hxfr_header h;
	CHECK_EQ(hxfr_header_decode(b, 12, MAXC, &h), HXFR_E_MAGIC);
	/* big-endian magic is not accepted either */
	uint8_t be[12] = {0x52, 0x46, 0x58, 0x48, 0x10};
	CHECK_EQ(hxfr_decode(be, 12, MAXC, &m, &consumed), HXFR_E_MAGIC);
}

static void test_error_unknown_type(void)
{
	uint8_t b[64];
	size_t o = raw_header(b, 0x99, 0, 0, 3);
	b[o++] = 1, b[o++] = 2, b[o++] = 3;
	o += hxfr_encode_empty(b + o, sizeof(b) - o, HXFR_PING, 4);
	struct hxfr_msg m;
	size_t consumed = 0;
	CHECK_EQ(hxfr_decode(b, o, MAXC, &m, &consumed), HXFR_E_TYPE);
	CHECK_EQ(consumed, 15);
	CHECK_EQ(m.hdr.type, 0x99);
	/* skipping it leaves the stream in sync */
	CHECK_EQ(hxfr_decode(b + consumed, o - consumed, MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_PING);
	CHECK_EQ(m.hdr.session_id, 4);
	/* reserved extension range we do not implement: unknown as well */
	raw_header(b, 0x5f, 0, 0, 0);
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_E_TYPE);
	CHECK_EQ(consumed, 12);
	/* unknown type waits for its whole payload before it can be skipped */
	raw_header(b, 0x77, 0, 0, 10);
	CHECK_EQ(hxfr_decode(b, 15, MAXC, &m, &consumed), HXFR_NEED_MORE);
	CHECK_EQ(consumed, 0);
}

static void test_error_truncated_header(void)
{
	uint8_t b[12];
	hxfr_encode_empty(b, sizeof(b), HXFR_PING, 0);
	struct hxfr_msg m;
	struct hxfr_header h;
	size_t consumed = 5;
	CHECK_EQ(hxfr_decode(b, 11, MAXC, &m, &consumed), HXFR_NEED_MORE);
	CHECK_EQ(consumed, 0);
	CHECK_EQ(hxfr_decode(b, 0, MAXC, &m, &consumed), HXFR_NEED_MORE);
	CHECK_EQ(hxfr_header_decode(b, 11, MAXC, &h), HXFR_NEED_MORE);
	CHECK_EQ(hxfr_header_decode(b, 12, MAXC, &h), HXFR_OK);
}

static void test_error_truncated_payload(void)
{
	uint8_t b[128];
	size_t n = hxfr_encode_scanout_resp(b, sizeof(b), 1, true, "Virtual-2");
	struct hxfr_msg m;
	size_t consumed = 5;
	CHECK_EQ(hxfr_decode(b, n - 1, MAXC, &m, &consumed), HXFR_NEED_MORE);
	CHECK_EQ(consumed, 0);
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_NEED_MORE);
	/* more bytes than the message: only the message is consumed */
	CHECK_EQ(hxfr_decode(b, sizeof(b), MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(consumed, n);
}

static void test_error_wrong_size(void)
{
	static const struct {
		uint8_t type;
		uint32_t size;
	} cases[] = {
		{HXFR_PING, 1},
		{HXFR_PONG, 4},
		{HXFR_KEYFRAME_REQ, 8},
		{HXFR_REFRESH_REQ, 1},
		{HXFR_REFRESH_REQ, 28},
		{HXFR_ENABLE_SCANOUT, 15},
		{HXFR_ENABLE_SCANOUT, 17},
		{HXFR_DISABLE_SCANOUT, 0},
		{HXFR_DISABLE_SCANOUT, 8},
		{HXFR_SCANOUT_RESP, 71},
		{HXFR_SCANOUT_RESP, 73},
		{HXFR_SUBSCRIBE, 3},
		{HXFR_SUBSCRIBE_RESP, 4},
		{HXFR_CONFIG_REQ, 27},
		{HXFR_CONFIG_RESP, 29},
		{HXFR_ERROR, 256},
		{HXFR_ERROR, 4},
		{HXFR_HELLO, 48},
		{HXFR_HELLO_RESP, 16},
		{HXFR_AUTH, 31},
		{HXFR_AUTH_RESP, 9},
		{HXFR_FRAME_RESPONSE, 23},
		{HXFR_FRAME_RESPONSE, 0},
		{HXFR_STREAM_KEY_REQ, 0},
		{HXFR_STREAM_KEY_REQ, 3},
		{HXFR_STREAM_KEY_REQ, 36},
		{HXFR_STREAM_KEY, 4},
		{HXFR_STREAM_KEY, 35},
		{HXFR_STREAM_KEY, 37},
		{HXFR_STREAM_KEY_REVOKE, 5},
		{HXFR_STREAM_KEY_REVOKE, 36},
		{HXFR_SUBSCRIBE_KEYED, 4},
		{HXFR_SUBSCRIBE_KEYED, 32},
		{HXFR_SUBSCRIBE_KEYED, 40},
		{HXFR_CURSOR_MOVE, 0},
		{HXFR_CURSOR_MOVE, 8},
		{HXFR_CURSOR_MOVE, 16},
		{HXFR_CURSOR_DEFINE, 0},
		{HXFR_CURSOR_DEFINE, 15},
	};
	uint8_t b[12 + 300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(b, 0, sizeof(b));
		raw_header(b, cases[i].type, 0, 0, cases[i].size);
		struct hxfr_msg m;
		size_t consumed = 0;
		enum hxfr_status st = hxfr_decode(b, sizeof(b), MAXC, &m, &consumed);
		CHECK_EQ(st, HXFR_E_SIZE);
		CHECK_EQ(consumed, 12 + cases[i].size);
		if (st != HXFR_E_SIZE)
			fprintf(stderr, "    type %s size %u\n", hxfr_type_name(cases[i].type),
				(unsigned)cases[i].size);
	}
}

static void test_error_oversize(void)
{
	uint8_t b[12];
	struct hxfr_msg m;
	struct hxfr_header h;
	size_t consumed = 7;
	raw_header(b, HXFR_FRAME_RESPONSE, 0, 0, HXFR_MAX_CLIENT_PAYLOAD + 1);
	CHECK_EQ(hxfr_decode(b, 12, MAXC, &m, &consumed), HXFR_E_OVERSIZE);
	CHECK_EQ(consumed, 0);
	CHECK_EQ(hxfr_header_decode(b, 12, MAXC, &h), HXFR_E_OVERSIZE);
	CHECK_EQ(h.payload_size, HXFR_MAX_CLIENT_PAYLOAD + 1);
	/* the same size is fine for a client reading frames */
	CHECK_EQ(hxfr_decode(b, 12, MAXS, &m, &consumed), HXFR_NEED_MORE);
	/* exactly the limit is allowed */
	raw_header(b, 0x77, 0, 0, HXFR_MAX_CLIENT_PAYLOAD);
	CHECK_EQ(hxfr_header_decode(b, 12, MAXC, &h), HXFR_OK);
	raw_header(b, HXFR_FRAME_RESPONSE, 0, 0, UINT32_MAX);
	CHECK_EQ(hxfr_decode(b, 12, MAXS, &m, &consumed), HXFR_E_OVERSIZE);
}

static void test_error_unterminated_string(void)
{
	uint8_t b[300];
	struct hxfr_msg m;
	size_t n = hxfr_encode_scanout_resp(b, sizeof(b), 1, true, "x");
	memset(b + 20, 'A', HXFR_CONNECTOR_NAME_LEN);
	size_t consumed = 0;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
	/* NUL in the last byte of the field is fine */
	b[20 + HXFR_CONNECTOR_NAME_LEN - 1] = 0;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(strlen(m.u.scanout_resp.connector), 63);

	n = hxfr_encode_error(b, sizeof(b), 0, 1, "y");
	memset(b + 16, 'B', HXFR_ERROR_MESSAGE_LEN);
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
}

static void test_error_bad_success(void)
{
	uint8_t b[128];
	struct hxfr_msg m;
	size_t consumed;
	size_t n = hxfr_encode_scanout_resp(b, sizeof(b), 1, true, "Virtual-2");
	b[16] = 2;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
	n = hxfr_encode_subscribe_resp(b, sizeof(b), 1, true);
	b[19] = 0x80; /* success = 0x80000001 */
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	n = hxfr_encode_auth_resp(b, sizeof(b), true, 1);
	b[12] = 0xff;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
}

static void test_error_hello_values(void)
{
	uint8_t b[128];
	struct hxfr_msg m;
	size_t consumed;
	size_t n = hxfr_encode_hello(b, sizeof(b), 1);
	b[12] = 'X'; /* tag */
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
	n = hxfr_encode_hello(b, sizeof(b), 1);
	b[16] = 0; /* version 0 */
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	/* a newer version is decoded (negotiation is the peer's job) */
	b[16] = 2;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(m.u.hello.version, 2);
	uint8_t nonce[HXFR_NONCE_LEN] = {0};
	n = hxfr_encode_hello_resp(b, sizeof(b), 1, nonce);
	memcpy(b + 12, "HXFR", 4);
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
}

/* Builds a FRAME_RESPONSE with the given nal_count and NAL size fields,
 * then data_len bytes of payload after the fixed part in total. */
static size_t frame_msg(uint8_t *b, uint32_t nal_count, const uint32_t *sizes, size_t nsizes,
			size_t data_len)
{
	uint32_t payload = (uint32_t)(24 + data_len);
	size_t o = raw_header(b, HXFR_FRAME_RESPONSE, 0, 0, payload);
	memset(b + o, 0, 24 + data_len);
	put32(b + o + 20, nal_count);
	o += 24;
	size_t p = o;
	for (size_t i = 0; i < nsizes; i++) {
		put32(b + p, sizes[i]);
		p += 4 + (sizes[i] < 1000 ? sizes[i] : 0);
	}
	return 12 + payload;
}

static void test_error_frame(void)
{
	uint8_t b[12 + 24 + 256];
	struct hxfr_msg m;
	size_t consumed, n;

	uint32_t ok[] = {4};
	n = frame_msg(b, 1, ok, 1, 8);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_OK);

	/* nal_count 0 */
	n = frame_msg(b, 0, NULL, 0, 0);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
	/* nal_count beyond the bound */
	n = frame_msg(b, HXFR_MAX_NAL_COUNT + 1, ok, 1, 8);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
	/* sizes add up to less than the payload (trailing bytes) */
	n = frame_msg(b, 1, ok, 1, 9);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	CHECK_EQ(consumed, n);
	/* a NAL larger than what is left */
	uint32_t big[] = {5};
	n = frame_msg(b, 1, big, 1, 8);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	/* sizes that overflow a u32 sum: 4 + 0xfffffffc wraps to 0 */
	uint32_t wrap[] = {4, 0xfffffffcu};
	n = frame_msg(b, 2, wrap, 2, 12);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	uint32_t huge[] = {UINT32_MAX};
	n = frame_msg(b, 1, huge, 1, 8);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	/* nal_count says 2 but only one NAL is there */
	n = frame_msg(b, 2, ok, 1, 8);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	/* nal_count says 2, second size field cut short */
	n = frame_msg(b, 2, ok, 1, 11);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	/* an empty NAL */
	uint32_t zero[] = {0};
	n = frame_msg(b, 1, zero, 1, 4);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
	/* keyframe flag neither 0 nor 1 */
	n = frame_msg(b, 1, ok, 1, 8);
	b[12 + 16] = 2;
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
	/* the first NAL overruns by one byte and a second is announced: the
	 * decoder must not read past the message (exact-size heap copy, so
	 * the sanitizer build sees any overread) */
	uint32_t over[] = {5};
	n = frame_msg(b, 2, over, 1, 8);
	uint8_t *exact = malloc(n);
	memcpy(exact, b, n);
	CHECK_EQ(hxfr_decode(exact, n, MAXS, &m, &consumed), HXFR_E_SIZE);
	free(exact);
	/* no NAL data at all */
	n = frame_msg(b, 1, NULL, 0, 0);
	CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
}

static void key_pattern(uint8_t key[HXFR_STREAM_KEY_LEN], uint8_t base)
{
	for (int i = 0; i < HXFR_STREAM_KEY_LEN; i++)
		key[i] = (uint8_t)(base + i);
}

static void test_layout_stream_key_req_revoke(void)
{
	static const uint8_t req[] = {
		0x48, 0x58, 0x46, 0x52, 0x44, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
	};
	static const uint8_t revoke[] = {
		0x48, 0x58, 0x46, 0x52, 0x46, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
	};
	uint8_t b[64];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_stream_key_req(b, sizeof(b), 12), sizeof(req));
	CHECK_MEM(b, req, sizeof(req));
	CHECK_EQ(decode_all(req, sizeof(req), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_STREAM_KEY_REQ);
	CHECK_EQ(m.hdr.session_id, 0);
	CHECK_EQ(m.u.scanout_id, 12);
	check_prefixes_need_more(req, sizeof(req));

	CHECK_EQ(hxfr_encode_stream_key_revoke(b, sizeof(b), 0x01020304), sizeof(revoke));
	CHECK_MEM(b, revoke, sizeof(revoke));
	CHECK_EQ(decode_all(revoke, sizeof(revoke), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_STREAM_KEY_REVOKE);
	CHECK_EQ(m.u.scanout_id, 0x01020304);
}

static void test_layout_stream_key(void)
{
	uint8_t want[12 + 36] = {
		0x48, 0x58, 0x46, 0x52, 0x45, 0x00, 0x00, 0x00, 0x24,
		0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, /* scanout 7, then the key 0x80..0x9f */
	};
	uint8_t key[HXFR_STREAM_KEY_LEN];
	key_pattern(key, 0x80);
	for (int i = 0; i < HXFR_STREAM_KEY_LEN; i++)
		want[16 + i] = (uint8_t)(0x80 + i);

	uint8_t b[64];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_stream_key(b, sizeof(b), 7, key), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_STREAM_KEY);
	CHECK_EQ(m.hdr.session_id, 0);
	CHECK_EQ(m.u.stream_key.scanout_id, 7);
	CHECK_MEM(m.u.stream_key.key, key, HXFR_STREAM_KEY_LEN);
	CHECK(!hxfr_stream_key_is_zero(m.u.stream_key.key));
	check_prefixes_need_more(want, sizeof(want));

	/* The zero key ("no key", the answer to a revoke) is a valid STREAM_KEY;
	 * a NULL key sends it. */
	static const uint8_t zero[HXFR_STREAM_KEY_LEN] = {0};
	memset(b, 0xaa, sizeof(b));
	CHECK_EQ(hxfr_encode_stream_key(b, sizeof(b), 7, NULL), sizeof(want));
	CHECK_MEM(b, want, 16);
	CHECK_MEM(b + 16, zero, HXFR_STREAM_KEY_LEN);
	CHECK_EQ(decode_all(b, sizeof(want), &m), HXFR_OK);
	CHECK(hxfr_stream_key_is_zero(m.u.stream_key.key));
	CHECK_EQ(hxfr_encode_stream_key(b, sizeof(b), 7, zero), sizeof(want));
	CHECK_EQ(decode_all(b, sizeof(want), &m), HXFR_OK);
	CHECK(hxfr_stream_key_is_zero(m.u.stream_key.key));
}

static void test_layout_subscribe_keyed(void)
{
	uint8_t want[12 + 36] = {
		0x48, 0x58, 0x46, 0x52, 0x47, 0x00, 0x05, 0x00, 0x24,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* scanout 5, then the key 0x01..0x20 */
	};
	uint8_t key[HXFR_STREAM_KEY_LEN];
	key_pattern(key, 0x01);
	for (int i = 0; i < HXFR_STREAM_KEY_LEN; i++)
		want[16 + i] = (uint8_t)(0x01 + i);

	uint8_t b[64];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_subscribe_keyed(b, sizeof(b), 5, key), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_SUBSCRIBE_KEYED);
	CHECK_EQ(m.hdr.session_id, 5);
	CHECK_EQ(m.u.subscribe_keyed.scanout_id, 5);
	CHECK_MEM(m.u.subscribe_keyed.key, key, HXFR_STREAM_KEY_LEN);
	check_prefixes_need_more(want, sizeof(want));

	/* a client->server message: it fits the server's limit */
	size_t consumed;
	CHECK_EQ(hxfr_decode(want, sizeof(want), MAXC, &m, &consumed), HXFR_OK);
}

static void test_error_subscribe_keyed_zero_key(void)
{
	uint8_t b[64], key[HXFR_STREAM_KEY_LEN] = {0};
	struct hxfr_msg m;
	size_t consumed = 0;

	/* by hand: the encoder refuses to write it */
	size_t n = raw_header(b, HXFR_SUBSCRIBE_KEYED, 0, 2, 36);
	put32(b + n, 2);
	memset(b + n + 4, 0, HXFR_STREAM_KEY_LEN);
	n += 36;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, n);
	/* one non-zero bit anywhere, even the last, makes it a key */
	b[n - 1] = 0x80;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_OK);
	CHECK_EQ(m.u.subscribe_keyed.key[HXFR_STREAM_KEY_LEN - 1], 0x80);
	b[n - 1] = 0;
	b[16] = 1;
	CHECK_EQ(hxfr_decode(b, n, MAXC, &m, &consumed), HXFR_OK);

	CHECK_EQ(hxfr_encode_subscribe_keyed(b, sizeof(b), 2, key), 0);
	key[31] = 1;
	CHECK_EQ(hxfr_encode_subscribe_keyed(b, sizeof(b), 2, key), 48);
}

/* A 3x2 cursor with its hotspot at (2, 1); pixels 0xAARRGGBB = 0xff000000 + i. */
static void test_layout_cursor_define(void)
{
	static const uint8_t want[] =
		{
			0x48, 0x58, 0x46, 0x52, 0x48, 0x00, 0x03, 0x00,
			0x28, 0x00, 0x00, 0x00,                         /* 16 + 24 */
			0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* 3 x 2 */
			0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* hotspot (2, 1) */
			0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, 0xff,
			0x02, 0x00, 0x00, 0xff, 0x03, 0x00, 0x00, 0xff,
			0x04, 0x00, 0x00, 0xff, 0x05, 0x00, 0x00, 0xff,
		};
	uint8_t b[128];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 3, 3, 2, 2, 1, want + 28), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_CURSOR_DEFINE);
	CHECK_EQ(m.hdr.session_id, 3);
	CHECK_EQ(m.u.cursor_define.width, 3);
	CHECK_EQ(m.u.cursor_define.height, 2);
	CHECK_EQ(m.u.cursor_define.hot_x, 2);
	CHECK_EQ(m.u.cursor_define.hot_y, 1);
	CHECK(m.u.cursor_define.pixels == want + 28);
	CHECK_EQ(m.u.cursor_define.pixels_len, 24);
	check_prefixes_need_more(want, sizeof(want));

	/* the smallest: 1x1, hotspot (0,0) */
	static const uint8_t px[4] = {1, 2, 3, 4};
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 1, 1, 0, 0, px), 12 + 20);
	CHECK_EQ(decode_all(b, 32, &m), HXFR_OK);
	CHECK_MEM(m.u.cursor_define.pixels, px, 4);

	/* the largest, 512x512: 1 MiB of pixels, over the client->server limit
	 * (only a server sends it) and well within the server->client one. */
	size_t big = HXFR_CURSOR_DEFINE_MAX_SIZE;
	CHECK_EQ(big, 12 + 16 + 512 * 512 * 4);
	uint8_t *pix = malloc(512 * 512 * 4), *msg = malloc(big);
	for (size_t i = 0; i < 512 * 512 * 4; i++)
		pix[i] = (uint8_t)(i * 31);
	CHECK_EQ(hxfr_encode_cursor_define(msg, big - 1, 1, 512, 512, 511, 511, pix), 0);
	CHECK_EQ(hxfr_encode_cursor_define(msg, big, 1, 512, 512, 511, 511, pix), big);
	CHECK_EQ(decode_all(msg, big, &m), HXFR_OK);
	CHECK_EQ(m.u.cursor_define.pixels_len, 512 * 512 * 4);
	CHECK_MEM(m.u.cursor_define.pixels, pix, 512 * 512 * 4);
	size_t consumed = 9;
	CHECK_EQ(hxfr_decode(msg, big, MAXC, &m, &consumed), HXFR_E_OVERSIZE);
	CHECK_EQ(consumed, 0);
	free(msg);
	free(pix);
}

/* A CURSOR_DEFINE written by hand with arbitrary fields and payload size,
 * into an exact-size heap buffer (the sanitizer build sees any overread). */
static enum hxfr_status cursor_raw(int32_t w, int32_t h, int32_t hx, int32_t hy, uint32_t payload,
				   size_t *consumed)
{
	size_t n = 12 + (size_t)payload;
	uint8_t *b = calloc(1, n);
	raw_header(b, HXFR_CURSOR_DEFINE, 0, 1, payload);
	if (payload >= 16) {
		put32(b + 12, (uint32_t)w);
		put32(b + 16, (uint32_t)h);
		put32(b + 20, (uint32_t)hx);
		put32(b + 24, (uint32_t)hy);
	}
	struct hxfr_msg m;
	enum hxfr_status st = hxfr_decode(b, n, MAXS, &m, consumed);
	free(b);
	return st;
}

static void test_error_cursor_define(void)
{
	size_t consumed = 0;
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16 + 16, &consumed), HXFR_OK);
	CHECK_EQ(consumed, 12 + 32);
	CHECK_EQ(cursor_raw(512, 1, 511, 0, 16 + 2048, &consumed), HXFR_OK);
	CHECK_EQ(cursor_raw(1, 512, 0, 511, 16 + 2048, &consumed), HXFR_OK);

	/* dimensions out of range */
	static const int32_t bad_dims[][2] = {
		{0, 1},   {1, 0},         {-1, 1},        {1, -1},        {513, 1},
		{1, 513}, {INT32_MIN, 1}, {1, INT32_MAX}, {65536, 65536},
	};
	for (size_t i = 0; i < sizeof(bad_dims) / sizeof(bad_dims[0]); i++) {
		consumed = 0;
		CHECK_EQ(cursor_raw(bad_dims[i][0], bad_dims[i][1], 0, 0, 16 + 4, &consumed),
			 HXFR_E_VALUE);
		CHECK_EQ(consumed, 12 + 20);
	}
	/* hotspot outside the image */
	CHECK_EQ(cursor_raw(2, 2, -1, 0, 32, &consumed), HXFR_E_VALUE);
	CHECK_EQ(cursor_raw(2, 2, 0, -1, 32, &consumed), HXFR_E_VALUE);
	CHECK_EQ(cursor_raw(2, 2, 2, 0, 32, &consumed), HXFR_E_VALUE);
	CHECK_EQ(cursor_raw(2, 2, 0, 2, 32, &consumed), HXFR_E_VALUE);
	CHECK_EQ(cursor_raw(3, 1, 1, 1, 28, &consumed), HXFR_E_VALUE);
	CHECK_EQ(consumed, 12 + 28);

	/* payload not 16 + w*h*4 */
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16 + 12, &consumed), HXFR_E_SIZE); /* a pixel short */
	CHECK_EQ(consumed, 12 + 28);
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16 + 20, &consumed), HXFR_E_SIZE); /* a pixel over */
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16 + 17, &consumed), HXFR_E_SIZE); /* a byte over */
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16 + 15, &consumed), HXFR_E_SIZE); /* a byte short */
	CHECK_EQ(cursor_raw(2, 2, 0, 0, 16, &consumed), HXFR_E_SIZE);      /* no pixels */
	CHECK_EQ(cursor_raw(512, 512, 0, 0, 16 + 4, &consumed), HXFR_E_SIZE);
	CHECK_EQ(cursor_raw(0, 0, 0, 0, 15, &consumed), HXFR_E_SIZE); /* no room for fields */
	CHECK_EQ(consumed, 12 + 15);

	/* the encoder will not write what a receiver rejects */
	uint8_t b[256], px[64] = {0};
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 0, 1, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 1, 0, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 513, 1, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, -4, -4, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 2, 2, 2, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, sizeof(b), 0, 2, 2, 0, -1, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, 12 + 16 + 16 - 1, 0, 2, 2, 1, 1, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, 12 + 16 + 16, 0, 2, 2, 1, 1, px), 44);
}

static void test_layout_cursor_move(void)
{
	static const uint8_t want[] = {
		0x48, 0x58, 0x46, 0x52, 0x49, 0x00, 0x02, 0x00, 0x0c, 0x00,
		0x00, 0x00, 0xfb, 0xff, 0xff, 0xff, 0xbc, 0x02, 0x00, 0x00, /* x -5, y 700 */
		0x01, 0x00, 0x00, 0x00,                                     /* visible */
	};
	uint8_t b[64];
	struct hxfr_msg m;
	CHECK_EQ(hxfr_encode_cursor_move(b, sizeof(b), 2, -5, 700, true), sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(decode_all(want, sizeof(want), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_CURSOR_MOVE);
	CHECK_EQ(m.hdr.session_id, 2);
	CHECK_EQ(m.u.cursor_move.x, -5);
	CHECK_EQ(m.u.cursor_move.y, 700);
	CHECK(m.u.cursor_move.visible);
	check_prefixes_need_more(want, sizeof(want));

	CHECK_EQ(hxfr_encode_cursor_move(b, sizeof(b), 2, INT32_MIN, INT32_MAX, false), 24);
	CHECK_EQ(b[20], 0);
	CHECK_EQ(decode_all(b, 24, &m), HXFR_OK);
	CHECK_EQ(m.u.cursor_move.x, INT32_MIN);
	CHECK_EQ(m.u.cursor_move.y, INT32_MAX);
	CHECK(!m.u.cursor_move.visible);
}

static void test_error_cursor_move_visible(void)
{
	static const uint32_t bad[] = {2, 0x100, 0x80000001u, UINT32_MAX};
	uint8_t b[64];
	struct hxfr_msg m;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = hxfr_encode_cursor_move(b, sizeof(b), 1, 10, 10, true);
		put32(b + 20, bad[i]);
		size_t consumed = 0;
		CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
		CHECK_EQ(consumed, n);
	}
}

/* HXFR.md §5.10: every input message against its documented bytes. */
static void test_layout_input(void)
{
	static const uint8_t key[] = {
		0x48, 0x58, 0x46, 0x52, 0x4a, 0x00, 0x03, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, /* KEY_A (30), down */
	};
	static const uint8_t button[] = {
		0x48, 0x58, 0x46, 0x52, 0x4b, 0x00, 0x03, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x11, 0x01, 0x00, 0x00, /* BTN_RIGHT (0x111), up */
	};
	static const uint8_t abs[] = {
		0x48, 0x58, 0x46, 0x52, 0x4c, 0x00, 0x03, 0x00, 0x08, 0x00,
		0x00, 0x00, 0x2c, 0x01, 0x00, 0x00, 0x90, 0x01, 0x00, 0x00, /* (300, 400) */
	};
	static const uint8_t rel[] = {
		0x48, 0x58, 0x46, 0x52, 0x4d, 0x00, 0x03, 0x00, 0x08, 0x00,
		0x00, 0x00, 0xfd, 0xff, 0xff, 0xff, 0x07, 0x00, 0x00, 0x00, /* (-3, 7) */
	};
	static const uint8_t wheel[] = {
		0x48, 0x58, 0x46, 0x52, 0x4e, 0x00, 0x03, 0x00, 0x08, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x88, 0xff, 0xff, 0xff, /* dx 0, dy -120 */
	};
	static const uint8_t touch[] = {
		0x48, 0x58, 0x46, 0x52, 0x4f, 0x00, 0x03, 0x00, 0x10, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* update, slot 2 */
		0x0a, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,             /* (10, 20) */
	};
	static const uint8_t release_all[] = {
		0x48, 0x58, 0x46, 0x52, 0x50, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t resize[] = {
		0x48, 0x58, 0x46, 0x52, 0x51, 0x00, 0x03, 0x00, 0x08, 0x00,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0xd0, 0x02, 0x00, 0x00, /* 1280 x 720 */
	};
	uint8_t b[64];
	struct hxfr_msg m;

	CHECK_EQ(hxfr_encode_input_key(b, sizeof(b), 3, 30, true), sizeof(key));
	CHECK_MEM(b, key, sizeof(key));
	CHECK_EQ(decode_all(key, sizeof(key), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_INPUT_KEY);
	CHECK_EQ(m.hdr.session_id, 3);
	CHECK_EQ(m.u.input_key.code, 30);
	CHECK(m.u.input_key.down);
	check_prefixes_need_more(key, sizeof(key));

	CHECK_EQ(hxfr_encode_input_button(b, sizeof(b), 3, 0x111, false), sizeof(button));
	CHECK_MEM(b, button, sizeof(button));
	CHECK_EQ(decode_all(button, sizeof(button), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_INPUT_BUTTON);
	CHECK_EQ(m.u.input_key.code, 0x111);
	CHECK(!m.u.input_key.down);

	CHECK_EQ(hxfr_encode_input_abs(b, sizeof(b), 3, 300, 400), sizeof(abs));
	CHECK_MEM(b, abs, sizeof(abs));
	CHECK_EQ(decode_all(abs, sizeof(abs), &m), HXFR_OK);
	CHECK_EQ(m.u.input_xy.x, 300);
	CHECK_EQ(m.u.input_xy.y, 400);

	CHECK_EQ(hxfr_encode_input_rel(b, sizeof(b), 3, -3, 7), sizeof(rel));
	CHECK_MEM(b, rel, sizeof(rel));
	CHECK_EQ(decode_all(rel, sizeof(rel), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_INPUT_REL);
	CHECK_EQ(m.u.input_xy.x, -3);
	CHECK_EQ(m.u.input_xy.y, 7);

	CHECK_EQ(hxfr_encode_input_wheel(b, sizeof(b), 3, 0, -120), sizeof(wheel));
	CHECK_MEM(b, wheel, sizeof(wheel));
	CHECK_EQ(decode_all(wheel, sizeof(wheel), &m), HXFR_OK);
	CHECK_EQ(m.u.input_xy.x, 0);
	CHECK_EQ(m.u.input_xy.y, -120);

	CHECK_EQ(hxfr_encode_input_touch(b, sizeof(b), 3, HXFR_TOUCH_UPDATE, 2, 10, 20),
		 sizeof(touch));
	CHECK_MEM(b, touch, sizeof(touch));
	CHECK_EQ(decode_all(touch, sizeof(touch), &m), HXFR_OK);
	CHECK_EQ(m.u.input_touch.kind, HXFR_TOUCH_UPDATE);
	CHECK_EQ(m.u.input_touch.slot, 2);
	CHECK_EQ(m.u.input_touch.x, 10);
	CHECK_EQ(m.u.input_touch.y, 20);
	check_prefixes_need_more(touch, sizeof(touch));

	CHECK_EQ(hxfr_encode_empty(b, sizeof(b), HXFR_INPUT_RELEASE_ALL, 3), sizeof(release_all));
	CHECK_MEM(b, release_all, sizeof(release_all));
	CHECK_EQ(decode_all(release_all, sizeof(release_all), &m), HXFR_OK);
	CHECK_EQ(m.hdr.type, HXFR_INPUT_RELEASE_ALL);

	CHECK_EQ(hxfr_encode_resize_req(b, sizeof(b), 3, 1280, 720), sizeof(resize));
	CHECK_MEM(b, resize, sizeof(resize));
	CHECK_EQ(decode_all(resize, sizeof(resize), &m), HXFR_OK);
	CHECK_EQ(m.u.resize.width, 1280);
	CHECK_EQ(m.u.resize.height, 720);

	/* Extremes that are valid. */
	CHECK_EQ(hxfr_encode_input_key(b, sizeof(b), 1, HXFR_KEY_CODE_MAX, false), 16);
	CHECK_EQ(decode_all(b, 16, &m), HXFR_OK);
	CHECK_EQ(hxfr_encode_input_wheel(b, sizeof(b), 1, -HXFR_WHEEL_MAX, HXFR_WHEEL_MAX), 20);
	CHECK_EQ(decode_all(b, 20, &m), HXFR_OK);
	CHECK_EQ(hxfr_encode_input_abs(b, sizeof(b), 1, INT32_MIN, INT32_MAX), 20);
	CHECK_EQ(decode_all(b, 20, &m), HXFR_OK);
	CHECK_EQ(m.u.input_xy.x, INT32_MIN);
	CHECK_EQ(hxfr_encode_resize_req(b, sizeof(b), 1, HXFR_RESIZE_MIN, HXFR_RESIZE_MAX), 20);
	CHECK_EQ(decode_all(b, 20, &m), HXFR_OK);
}

/* Out-of-range fields: the encoders refuse them (0), and a hostile sender's
 * bytes decode as E_VALUE with the whole message consumed (in sync). */
static void test_error_input_values(void)
{
	uint8_t b[64];
	struct hxfr_msg m;
	size_t consumed;

	CHECK_EQ(hxfr_encode_input_key(b, sizeof(b), 1, 0, true), 0);
	CHECK_EQ(hxfr_encode_input_key(b, sizeof(b), 1, HXFR_KEY_CODE_MAX + 1, true), 0);
	CHECK_EQ(hxfr_encode_input_button(b, sizeof(b), 1, 0x10f, true), 0);
	CHECK_EQ(hxfr_encode_input_button(b, sizeof(b), 1, 0x118, true), 0);
	CHECK_EQ(hxfr_encode_input_button(b, sizeof(b), 1, 30, true), 0);
	CHECK_EQ(hxfr_encode_input_wheel(b, sizeof(b), 1, HXFR_WHEEL_MAX + 1, 0), 0);
	CHECK_EQ(hxfr_encode_input_wheel(b, sizeof(b), 1, 0, -HXFR_WHEEL_MAX - 1), 0);
	CHECK_EQ(hxfr_encode_input_touch(b, sizeof(b), 1, 4, 0, 0, 0), 0);
	CHECK_EQ(hxfr_encode_input_touch(b, sizeof(b), 1, 0, HXFR_TOUCH_MAX_SLOTS, 0, 0), 0);
	CHECK_EQ(hxfr_encode_resize_req(b, sizeof(b), 1, HXFR_RESIZE_MIN - 1, 720), 0);
	CHECK_EQ(hxfr_encode_resize_req(b, sizeof(b), 1, 1280, HXFR_RESIZE_MAX + 1), 0);
	CHECK_EQ(hxfr_encode_resize_req(b, sizeof(b), 1, 0, 0), 0);

	static const struct {
		uint8_t type;
		uint32_t size;
		uint8_t payload[16];
	} bad[] = {
		{HXFR_INPUT_KEY, 4, {0x00, 0x00, 0x01, 0x00}},              /* code 0 */
		{HXFR_INPUT_KEY, 4, {0x00, 0x03, 0x01, 0x00}},              /* code 0x300 */
		{HXFR_INPUT_KEY, 4, {0x1e, 0x00, 0x02, 0x00}},              /* down 2 */
		{HXFR_INPUT_BUTTON, 4, {0x1e, 0x00, 0x01, 0x00}},           /* a key as button */
		{HXFR_INPUT_BUTTON, 4, {0x10, 0x01, 0xff, 0x00}},           /* down 255 */
		{HXFR_INPUT_WHEEL, 8, {0xe1, 0x2e, 0, 0, 0, 0, 0, 0}},      /* dx 12001 */
		{HXFR_INPUT_WHEEL, 8, {0, 0, 0, 0, 0, 0, 0, 0x80}},         /* dy INT32_MIN */
		{HXFR_INPUT_TOUCH, 16, {4}},                                /* kind 4 */
		{HXFR_INPUT_TOUCH, 16, {0, 0, 0, 0, 10}},                   /* slot 10 */
		{HXFR_INPUT_TOUCH, 16, {0, 0, 0, 0, 0, 0, 0, 0x80}},        /* slot 2^31 */
		{HXFR_RESIZE_REQ, 8, {0x3f, 0, 0, 0, 0x00, 0x01, 0, 0}},    /* width 63 */
		{HXFR_RESIZE_REQ, 8, {0x00, 0x01, 0, 0, 0x01, 0x20, 0, 0}}, /* height 8193 */
		{HXFR_RESIZE_REQ, 8, {0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0, 0}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = raw_header(b, bad[i].type, 0, 1, bad[i].size);
		memcpy(b + n, bad[i].payload, bad[i].size);
		n += bad[i].size;
		consumed = 0;
		CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_VALUE);
		CHECK_EQ(consumed, n);
	}

	/* Wrong sizes, one byte short and long, for every input type. */
	static const struct {
		uint8_t type;
		uint32_t size;
	} sized[] = {
		{HXFR_INPUT_KEY, 4},         {HXFR_INPUT_BUTTON, 4}, {HXFR_INPUT_ABS, 8},
		{HXFR_INPUT_REL, 8},         {HXFR_INPUT_WHEEL, 8},  {HXFR_INPUT_TOUCH, 16},
		{HXFR_INPUT_RELEASE_ALL, 0}, {HXFR_RESIZE_REQ, 8},
	};
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++) {
		for (int d = -1; d <= 1; d += 2) {
			if (sized[i].size == 0 && d < 0)
				continue;
			uint32_t size = sized[i].size + (uint32_t)d;
			size_t n = raw_header(b, sized[i].type, 0, 1, size);
			memset(b + n, 0, size);
			n += size;
			consumed = 0;
			CHECK_EQ(hxfr_decode(b, n, MAXS, &m, &consumed), HXFR_E_SIZE);
			CHECK_EQ(consumed, n);
		}
	}
}

static void test_stream_key_hex(void)
{
	static const char want[] =
		"00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";
	static const uint8_t key[HXFR_STREAM_KEY_LEN] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
		0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
		0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	};
	char hex[HXFR_STREAM_KEY_HEX_LEN + 1];
	memset(hex, 'Z', sizeof(hex));
	hxfr_stream_key_to_hex(key, hex);
	CHECK_EQ(sizeof(want), 65);
	CHECK_STR(hex, want);

	uint8_t got[HXFR_STREAM_KEY_LEN];
	memset(got, 0x5a, sizeof(got));
	CHECK_EQ(hxfr_stream_key_from_hex(want, got), 0);
	CHECK_MEM(got, key, sizeof(key));
	/* either case, also mixed */
	static const char upper[] =
		"00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210";
	static const char mixed[] =
		"00112233445566778899aAbBcCdDeEfF0123456789AbCdEffEdCbA9876543210";
	memset(got, 0, sizeof(got));
	CHECK_EQ(hxfr_stream_key_from_hex(upper, got), 0);
	CHECK_MEM(got, key, sizeof(key));
	memset(got, 0, sizeof(got));
	CHECK_EQ(hxfr_stream_key_from_hex(mixed, got), 0);
	CHECK_MEM(got, key, sizeof(key));

	/* every byte value survives the round trip */
	uint8_t all[HXFR_STREAM_KEY_LEN];
	for (int base = 0; base < 256; base += HXFR_STREAM_KEY_LEN) {
		key_pattern(all, (uint8_t)base);
		hxfr_stream_key_to_hex(all, hex);
		CHECK_EQ(strlen(hex), 64);
		CHECK_EQ(hxfr_stream_key_from_hex(hex, got), 0);
		CHECK_MEM(got, all, sizeof(all));
	}

	/* rejected inputs leave the key untouched */
	char bad[80];
	memset(got, 0x5a, sizeof(got));
	uint8_t untouched[HXFR_STREAM_KEY_LEN];
	memset(untouched, 0x5a, sizeof(untouched));

	memcpy(bad, want, 63), bad[63] = '\0'; /* 63 digits (odd length) */
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	memcpy(bad, want, 62), bad[62] = '\0'; /* 62: even but short */
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	memcpy(bad, want, 64), bad[64] = '0', bad[65] = '\0'; /* 65 digits */
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	memcpy(bad, want, 64), bad[64] = '0', bad[65] = '0', bad[66] = '\0'; /* 66 */
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	memcpy(bad, want, 64), bad[64] = '\n', bad[65] = '\0'; /* trailing newline */
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	CHECK_EQ(hxfr_stream_key_from_hex("", got), -EINVAL);
	CHECK_EQ(hxfr_stream_key_from_hex(NULL, got), -EINVAL);
	/* a bad digit at the first, a middle, the last position */
	static const size_t pos[] = {0, 1, 31, 62, 63};
	static const char digits[] = {'g', 'G', ' ', 'x', '-', ':'};
	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		for (size_t j = 0; j < sizeof(digits); j++) {
			memcpy(bad, want, 65);
			bad[pos[i]] = digits[j];
			CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
		}
	}
	memcpy(bad, "0x", 2), memcpy(bad + 2, want, 62), bad[64] = '\0';
	CHECK_EQ(hxfr_stream_key_from_hex(bad, got), -EINVAL);
	CHECK_MEM(got, untouched, sizeof(untouched));

	/* a short string is not read past its NUL (exact-size heap copy) */
	char *shortstr = malloc(3);
	memcpy(shortstr, "ab", 3);
	CHECK_EQ(hxfr_stream_key_from_hex(shortstr, got), -EINVAL);
	free(shortstr);
}

static void test_feature_bits(void)
{
	CHECK_EQ(HXFR_FEATURE_CONTROL, 0x1);
	CHECK_EQ(HXFR_FEATURE_STREAM_KEYS, 0x2);
	CHECK_EQ(HXFR_FEATURE_CURSOR, 0x4);
	CHECK_EQ(HXFR_EXT_VERSION, 1);
	uint8_t b[64];
	struct hxfr_msg m;
	uint32_t all = HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR;
	CHECK_EQ(hxfr_encode_hello(b, sizeof(b), all), 28);
	CHECK_EQ(b[16], 1); /* version stays 1 */
	CHECK_EQ(b[20], 0x07);
	CHECK_EQ(decode_all(b, 28, &m), HXFR_OK);
	CHECK_EQ(m.u.hello.features, all);
}

/* Every message a client sends still fits HXFR_MAX_CLIENT_PAYLOAD. */
static void test_client_messages_fit(void)
{
	uint8_t b[128], key[HXFR_STREAM_KEY_LEN], mac[HXFR_MAC_LEN] = {0};
	struct hxfr_config_req c = {0};
	struct hxfr_enable_scanout e = {0};
	key_pattern(key, 1);
	size_t sizes[] = {
		hxfr_encode_empty(b, sizeof(b), HXFR_KEYFRAME_REQ, 1),
		hxfr_encode_empty(b, sizeof(b), HXFR_REFRESH_REQ, 1),
		hxfr_encode_empty(b, sizeof(b), HXFR_PING, 1),
		hxfr_encode_config_req(b, sizeof(b), 1, &c),
		hxfr_encode_enable_scanout(b, sizeof(b), &e),
		hxfr_encode_disable_scanout(b, sizeof(b), 1),
		hxfr_encode_subscribe(b, sizeof(b), 1),
		hxfr_encode_hello(b, sizeof(b), 7),
		hxfr_encode_auth(b, sizeof(b), mac),
		hxfr_encode_stream_key_req(b, sizeof(b), 1),
		hxfr_encode_stream_key_revoke(b, sizeof(b), 1),
		hxfr_encode_subscribe_keyed(b, sizeof(b), 1, key),
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK(sizes[i] >= HXFR_HEADER_SIZE);
		CHECK(sizes[i] - HXFR_HEADER_SIZE <= HXFR_MAX_CLIENT_PAYLOAD);
	}
	CHECK_EQ(HXFR_MAX_CLIENT_PAYLOAD, 4096);
}

/* A server's view of one stream: good, unknown, wrong-size and bad-value
 * messages in a row are each skipped and the next one is read. */
static void test_stream_resync(void)
{
	uint8_t b[512];
	size_t o = 0;
	o += hxfr_encode_hello(b + o, sizeof(b) - o, 1);
	o += raw_header(b + o, 0x5f, 0, 0, 5);
	memset(b + o, 0xee, 5), o += 5;
	o += raw_header(b + o, HXFR_ENABLE_SCANOUT, 0, 0, 4);
	memset(b + o, 0, 4), o += 4;
	size_t bad = hxfr_encode_auth_resp(b + o, sizeof(b) - o, true, 0);
	b[o + 12] = 9, o += bad;
	o += hxfr_encode_empty(b + o, sizeof(b) - o, HXFR_PING, 9);
	static const enum hxfr_status want[] = {HXFR_OK, HXFR_E_TYPE, HXFR_E_SIZE, HXFR_E_VALUE,
						HXFR_OK};
	size_t pos = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct hxfr_msg m;
		size_t consumed = 0;
		CHECK_EQ(hxfr_decode(b + pos, o - pos, MAXC, &m, &consumed), want[i]);
		CHECK(consumed > 0);
		pos += consumed;
	}
	CHECK_EQ(pos, o);
}

/* A subscriber's view: key, cursor and frame messages mixed with bad ones
 * (zero key, short cursor image, bad visible, unknown 0x5f) stay in sync. */
static void test_stream_resync_extension(void)
{
	uint8_t b[1024], key[HXFR_STREAM_KEY_LEN], px[16];
	key_pattern(key, 0x40);
	memset(px, 0x11, sizeof(px));
	size_t o = 0, n;
	o += hxfr_encode_stream_key(b + o, sizeof(b) - o, 1, key);
	o += raw_header(b + o, HXFR_SUBSCRIBE_KEYED, 0, 1, 36);
	memset(b + o, 0, 36), o += 36;
	o += hxfr_encode_cursor_define(b + o, sizeof(b) - o, 1, 2, 2, 0, 0, px);
	o += raw_header(b + o, HXFR_CURSOR_DEFINE, 0, 1, 16 + 12);
	memset(b + o, 0, 28), put32(b + o, 2), put32(b + o + 4, 2), o += 28;
	n = hxfr_encode_cursor_move(b + o, sizeof(b) - o, 1, 3, 4, true);
	b[o + 20] = 7, o += n;
	o += raw_header(b + o, 0x5f, 0, 1, 2);
	b[o++] = 0, b[o++] = 0;
	o += hxfr_encode_cursor_move(b + o, sizeof(b) - o, 1, 3, 4, false);
	o += hxfr_encode_stream_key(b + o, sizeof(b) - o, 1, NULL);
	static const enum hxfr_status want[] = {HXFR_OK,      HXFR_E_VALUE, HXFR_OK, HXFR_E_SIZE,
						HXFR_E_VALUE, HXFR_E_TYPE,  HXFR_OK, HXFR_OK};
	static const uint8_t types[] = {HXFR_STREAM_KEY,    HXFR_SUBSCRIBE_KEYED,
					HXFR_CURSOR_DEFINE, HXFR_CURSOR_DEFINE,
					HXFR_CURSOR_MOVE,   0x5f,
					HXFR_CURSOR_MOVE,   HXFR_STREAM_KEY};
	size_t pos = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct hxfr_msg m;
		size_t consumed = 0;
		CHECK_EQ(hxfr_decode(b + pos, o - pos, MAXS, &m, &consumed), want[i]);
		CHECK_EQ(m.hdr.type, types[i]);
		CHECK(consumed > 0);
		pos += consumed;
	}
	CHECK_EQ(pos, o);
}

static void test_encoders_small_cap(void)
{
	uint8_t b[300], nonce[HXFR_NONCE_LEN] = {0}, mac[HXFR_MAC_LEN] = {0};
	struct hxfr_config_req c = {0};
	struct hxfr_enable_scanout e = {0};
	CHECK_EQ(hxfr_encode_empty(b, 11, HXFR_PING, 0), 0);
	CHECK_EQ(hxfr_encode_frame_header(b, 39, 0, 0, 0, false, 1), 0);
	CHECK_EQ(hxfr_encode_config_req(b, 39, 0, &c), 0);
	CHECK_EQ(hxfr_encode_config_resp(b, 39, 0, &c), 0);
	CHECK_EQ(hxfr_encode_enable_scanout(b, 27, &e), 0);
	CHECK_EQ(hxfr_encode_disable_scanout(b, 15, 0), 0);
	CHECK_EQ(hxfr_encode_scanout_resp(b, 83, 0, true, "a"), 0);
	CHECK_EQ(hxfr_encode_subscribe(b, 15, 0), 0);
	CHECK_EQ(hxfr_encode_subscribe_resp(b, 19, 0, true), 0);
	CHECK_EQ(hxfr_encode_hello(b, 27, 0), 0);
	CHECK_EQ(hxfr_encode_hello_resp(b, 59, 0, nonce), 0);
	CHECK_EQ(hxfr_encode_auth(b, 43, mac), 0);
	CHECK_EQ(hxfr_encode_auth_resp(b, 19, true, 0), 0);
	CHECK_EQ(hxfr_encode_error(b, 271, 0, 1, "m"), 0);
	CHECK_EQ(hxfr_encode_error(b, 272, 0, 1, "m"), 272);
	uint8_t key[HXFR_STREAM_KEY_LEN], px[4] = {0};
	key_pattern(key, 1);
	CHECK_EQ(hxfr_encode_stream_key_req(b, 15, 1), 0);
	CHECK_EQ(hxfr_encode_stream_key_req(b, 16, 1), 16);
	CHECK_EQ(hxfr_encode_stream_key(b, 47, 1, key), 0);
	CHECK_EQ(hxfr_encode_stream_key(b, 48, 1, key), 48);
	CHECK_EQ(hxfr_encode_stream_key_revoke(b, 15, 1), 0);
	CHECK_EQ(hxfr_encode_stream_key_revoke(b, 16, 1), 16);
	CHECK_EQ(hxfr_encode_subscribe_keyed(b, 47, 1, key), 0);
	CHECK_EQ(hxfr_encode_subscribe_keyed(b, 48, 1, key), 48);
	CHECK_EQ(hxfr_encode_cursor_define(b, 31, 1, 1, 1, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, 0, 1, 1, 1, 0, 0, px), 0);
	CHECK_EQ(hxfr_encode_cursor_define(b, 32, 1, 1, 1, 0, 0, px), 32);
	CHECK_EQ(hxfr_encode_cursor_move(b, 23, 1, 0, 0, true), 0);
	CHECK_EQ(hxfr_encode_cursor_move(b, 24, 1, 0, 0, true), 24);
}

static void test_names(void)
{
	CHECK_STR(hxfr_type_name(HXFR_HELLO), "HELLO");
	CHECK_STR(hxfr_type_name(HXFR_FRAME_RESPONSE), "FRAME_RESPONSE");
	CHECK_STR(hxfr_type_name(0x99), "UNKNOWN");
	CHECK_STR(hxfr_type_name(0x5f), "UNKNOWN");
	static const struct {
		uint8_t type;
		const char *name;
	} ext[] = {
		{0x44, "STREAM_KEY_REQ"},    {0x45, "STREAM_KEY"},    {0x46, "STREAM_KEY_REVOKE"},
		{0x47, "SUBSCRIBE_KEYED"},   {0x48, "CURSOR_DEFINE"}, {0x49, "CURSOR_MOVE"},
		{0x4a, "INPUT_KEY"},         {0x4b, "INPUT_BUTTON"},  {0x4c, "INPUT_ABS"},
		{0x4d, "INPUT_REL"},         {0x4e, "INPUT_WHEEL"},   {0x4f, "INPUT_TOUCH"},
		{0x50, "INPUT_RELEASE_ALL"}, {0x51, "RESIZE_REQ"},    {0x52, "REFRESH_REQ"},
	};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		CHECK_STR(hxfr_type_name(ext[i].type), ext[i].name);
	static const enum hxfr_status all[] = {HXFR_OK,     HXFR_NEED_MORE, HXFR_E_MAGIC,
					       HXFR_E_TYPE, HXFR_E_SIZE,    HXFR_E_OVERSIZE,
					       HXFR_E_VALUE};
	int dup = 0;
	for (size_t i = 0; i < 7; i++)
		for (size_t j = i + 1; j < 7; j++)
			dup += strcmp(hxfr_status_str(all[i]), hxfr_status_str(all[j])) == 0;
	CHECK_EQ(dup, 0);
}

int main(void)
{
	test_layout_enable_scanout();
	test_layout_disable_scanout();
	test_layout_scanout_resp();
	test_layout_subscribe();
	test_layout_empty();
	test_refresh_req();
	test_layout_config();
	test_layout_frame();
	test_layout_error();
	test_layout_extension();
	test_flags_ignored();
	test_reserved_ignored();
	test_error_bad_magic();
	test_error_unknown_type();
	test_error_truncated_header();
	test_error_truncated_payload();
	test_error_wrong_size();
	test_error_oversize();
	test_error_unterminated_string();
	test_error_bad_success();
	test_error_hello_values();
	test_error_frame();
	test_layout_stream_key_req_revoke();
	test_layout_stream_key();
	test_layout_subscribe_keyed();
	test_error_subscribe_keyed_zero_key();
	test_layout_cursor_define();
	test_error_cursor_define();
	test_layout_cursor_move();
	test_error_cursor_move_visible();
	test_stream_key_hex();
	test_feature_bits();
	test_client_messages_fit();
	test_stream_resync();
	test_stream_resync_extension();
	test_encoders_small_cap();
	test_names();
	test_layout_input();
	test_error_input_values();
	return check_report();
}
