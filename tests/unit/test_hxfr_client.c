/* The HXFR client state machine driven with byte arrays: the handshakes
 * (none, HELLO, HELLO + AUTH, Helix v1), framing across every split of a
 * stream, refusals, and each way a server's input makes it skip or fail. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_client.h"

/* A stream the server sends, built message by message. */
struct stream {
	uint8_t b[8192];
	size_t n;
};

static void put(struct stream *s, size_t n)
{
	CHECK(n > 0);
	s->n += n;
}

#define ROOM(s) ((s)->b + (s)->n), (sizeof((s)->b) - (s)->n)

static const uint8_t NONCE[HXFR_NONCE_LEN] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

/* HXFR.md §5.3's known answer: key 20 x 0x0b, nonce 00..1f. */
static const uint8_t KNOWN_MAC[HXFR_MAC_LEN] = {
	0x8e, 0xdd, 0x33, 0xa6, 0x50, 0xf6, 0x77, 0xe4, 0x52, 0xfc, 0x41,
	0xa0, 0xee, 0x6c, 0x5b, 0x32, 0x07, 0x47, 0xa6, 0x6e, 0x3f, 0x8f,
	0xe7, 0x7f, 0xc2, 0xc8, 0xca, 0x9f, 0xf8, 0x9c, 0x3c, 0x8b,
};

static struct hxfr_key known_key(void)
{
	struct hxfr_key k = {.len = 20};
	memset(k.bytes, 0x0b, k.len);
	return k;
}

static struct hxfr_client *new_client(size_t max_payload, size_t tx_max)
{
	struct hxfr_client_options o = {.max_payload = max_payload, .tx_max = tx_max};
	struct hxfr_client *c = hxfr_client_create(&o);
	CHECK(c != NULL);
	if (!c)
		abort();
	return c;
}

/* What the machine produced, in order: one entry per event. */
struct trace {
	int n;
	enum hxfr_client_event ev[64];
	uint8_t type[64];
};

/* Feeds bytes, then takes events until NONE or FAILED. */
static void feed_and_drain(struct hxfr_client *c, const uint8_t *p, size_t n, struct trace *t)
{
	CHECK_EQ(hxfr_client_feed(c, p, n), 0);
	for (;;) {
		struct hxfr_msg m;
		memset(&m, 0, sizeof(m));
		enum hxfr_client_event ev = hxfr_client_next(c, &m);
		if (ev == HXFR_CLIENT_EV_NONE)
			return;
		if (t->n < 64) {
			t->ev[t->n] = ev;
			t->type[t->n] = ev == HXFR_CLIENT_EV_MESSAGE || ev == HXFR_CLIENT_EV_SKIPPED
						? m.hdr.type
						: 0;
			t->n++;
		}
		if (ev == HXFR_CLIENT_EV_FAILED)
			return;
	}
}

/* One expected event: MSG and SKIP name the message's type. */
struct step {
	enum hxfr_client_event ev;
	uint8_t type;
};
#define MSG(type)                              \
	{                                      \
		HXFR_CLIENT_EV_MESSAGE, (type) \
	}
#define SKIP(type)                             \
	{                                      \
		HXFR_CLIENT_EV_SKIPPED, (type) \
	}
#define READY                           \
	{                               \
		HXFR_CLIENT_EV_READY, 0 \
	}
#define FAILED                           \
	{                                \
		HXFR_CLIENT_EV_FAILED, 0 \
	}
#define EXPECT_TRACE(t, ...)                                  \
	expect_trace((t), (const struct step[]){__VA_ARGS__}, \
		     sizeof((const struct step[]){__VA_ARGS__}) / sizeof(struct step))

/* The trace is exactly these events; a mismatch says where. */
static void expect_trace(const struct trace *t, const struct step *want, size_t n)
{
	size_t i = 0;
	while (i < n && i < (size_t)t->n && t->ev[i] == want[i].ev && t->type[i] == want[i].type)
		i++;
	CHECK(i == n && (size_t)t->n == n);
	if (i != n || (size_t)t->n != n)
		fprintf(stderr, "    %d events, %zu wanted; first difference at %zu\n", t->n, n, i);
}

/* Feeding these bytes fails c at once, with an error that says want. */
static void expect_fails(struct hxfr_client *c, const uint8_t *p, size_t n, const char *want)
{
	struct trace t = {0};
	feed_and_drain(c, p, n, &t);
	EXPECT_TRACE(&t, FAILED);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_FAILED);
	CHECK(strstr(hxfr_client_error(c), want) != NULL);
	if (!strstr(hxfr_client_error(c), want))
		fprintf(stderr, "    \"%s\" does not say \"%s\"\n", hxfr_client_error(c), want);
}

static enum hxfr_client_event next_ev(struct hxfr_client *c, struct hxfr_msg *m)
{
	return hxfr_client_next(c, m);
}

static void test_no_handshake(void)
{
	/* A Helix v1 client: nothing to say first, open at once. */
	struct hxfr_client *c = new_client(0, 0);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	CHECK_EQ(hxfr_client_tx(c)->len, 0);
	CHECK_STR(hxfr_client_error(c), "");
	CHECK(hxfr_client_nonce(c) == NULL);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_NONE);
	CHECK_EQ(hxfr_client_ping(c, 7), 0);
	static const uint8_t ping[] = {0x48, 0x58, 0x46, 0x52, 0x10, 0, 7, 0, 0, 0, 0, 0};
	CHECK_EQ(hxfr_client_tx(c)->len, sizeof(ping));
	CHECK_MEM(lc_buf_head(hxfr_client_tx(c)), ping, sizeof(ping));
	struct stream s = {0};
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 7));
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_PONG);
	CHECK_EQ(m.hdr.session_id, 7);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_NONE);
	CHECK_EQ(hxfr_client_rx(c)->len, 0);
	hxfr_client_destroy(c);
}

static void test_hello_without_auth(void)
{
	struct hxfr_client *c = new_client(0, 0);
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR, NULL), 0);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_HELLO_SENT);
	static const uint8_t hello[] = {
		0x48, 0x58, 0x46, 0x52, 0x40, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x4c, 0x43,
		0x53, 0x54, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	CHECK_EQ(hxfr_client_tx(c)->len, sizeof(hello));
	CHECK_MEM(lc_buf_head(hxfr_client_tx(c)), hello, sizeof(hello));
	/* A second HELLO while the first is unanswered: refused. */
	CHECK_EQ(hxfr_client_hello(c, 0, NULL), -EBUSY);

	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_STREAM_KEYS, NONCE));
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_HELLO_RESP);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_READY);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_NONE);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	CHECK_EQ(hxfr_client_offered(c), HXFR_FEATURE_STREAM_KEYS);
	CHECK_EQ(hxfr_client_granted(c), 0);
	CHECK(!hxfr_client_v1(c));
	CHECK(hxfr_client_nonce(c) != NULL);
	CHECK_MEM(hxfr_client_nonce(c), NONCE, sizeof(NONCE));
	/* No AUTH without a key: only the HELLO went out. */
	CHECK_EQ(hxfr_client_tx(c)->len, sizeof(hello));

	/* HELLO again on the open connection: a new nonce replaces the old. */
	lc_buf_consume(hxfr_client_tx(c), hxfr_client_tx(c)->len);
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL, NULL), 0);
	uint8_t nonce2[HXFR_NONCE_LEN];
	memset(nonce2, 0x5a, sizeof(nonce2));
	s.n = 0;
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL, nonce2));
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_HELLO_RESP), READY);
	CHECK_MEM(hxfr_client_nonce(c), nonce2, sizeof(nonce2));
	CHECK_EQ(hxfr_client_offered(c), HXFR_FEATURE_CONTROL);
	hxfr_client_destroy(c);
}

static void test_hello_with_auth(void)
{
	struct hxfr_client *c = new_client(HXFR_MAX_CLIENT_PAYLOAD, 0);
	struct hxfr_key key = known_key();
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS, &key), 0);
	size_t hello_len = hxfr_client_tx(c)->len;
	CHECK_EQ(hello_len, HXFR_HEADER_SIZE + 16);

	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS,
				       NONCE));
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_HELLO_RESP);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_AUTH_SENT);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_NONE); /* not ready before AUTH_RESP */

	/* AUTH went out: the known-answer mac, by hand. */
	static const uint8_t auth_hdr[] = {0x48, 0x58, 0x46, 0x52, 0x42, 0, 0, 0, 0x20, 0, 0, 0};
	const struct lc_buf *tx = hxfr_client_tx(c);
	CHECK_EQ(tx->len, hello_len + sizeof(auth_hdr) + HXFR_MAC_LEN);
	CHECK_MEM(lc_buf_head(tx) + hello_len, auth_hdr, sizeof(auth_hdr));
	CHECK_MEM(lc_buf_head(tx) + hello_len + sizeof(auth_hdr), KNOWN_MAC, HXFR_MAC_LEN);

	/* Something else on the way (a PONG) is the caller's; still AUTH_SENT. */
	s.n = 0;
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 3));
	put(&s,
	    hxfr_encode_auth_resp(ROOM(&s), true, HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS));
	put(&s, hxfr_encode_scanout_resp(ROOM(&s), 3, true, "Virtual-4"));
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_PONG), MSG(HXFR_AUTH_RESP), READY, MSG(HXFR_SCANOUT_RESP));
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	CHECK_EQ(hxfr_client_granted(c), HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS);
	CHECK_EQ(hxfr_client_offered(c), HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS);
	/* A second AUTH_RESP is out of sequence. */
	s.n = 0;
	put(&s, hxfr_encode_auth_resp(ROOM(&s), true, HXFR_FEATURE_CONTROL));
	expect_fails(c, s.b, s.n, "AUTH_RESP out of sequence");
	hxfr_client_destroy(c);
}

/* A session's worth of server messages, handshake first. */
static size_t session_stream(uint8_t *b, size_t cap)
{
	struct stream s = {0};
	put(&s,
	    hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL | HXFR_FEATURE_CURSOR, NONCE));
	put(&s, hxfr_encode_auth_resp(ROOM(&s), true, HXFR_FEATURE_CONTROL));
	put(&s, hxfr_encode_subscribe_resp(ROOM(&s), 2, true));
	static const uint8_t px[2 * 2 * 4] = {1, 2,  3,  4,  5,  6,  7,  8,
					      9, 10, 11, 12, 13, 14, 15, 16};
	put(&s, hxfr_encode_cursor_define(ROOM(&s), 2, 2, 2, 1, 0, px));
	put(&s, hxfr_encode_cursor_move(ROOM(&s), 2, -5, 700, true));
	static const uint8_t au[] = {0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33};
	size_t n = hxfr_encode_frame_header(ROOM(&s), 2, 1000, 1000, true, sizeof(au));
	put(&s, n);
	memcpy(s.b + s.n, au, sizeof(au));
	s.n += sizeof(au);
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 1));
	s.b[s.n - HXFR_HEADER_SIZE + 4] = 0x77; /* an unknown type, skipped */
	put(&s, hxfr_encode_config_resp(ROOM(&s), 2, &(struct hxfr_config_req){.width = 640}));
	put(&s, hxfr_encode_error(ROOM(&s), 2, HXFR_ERR_KEY_REVOKED, "stream key revoked"));
	CHECK(s.n <= cap);
	memcpy(b, s.b, s.n);
	return s.n;
}

static void expect_session_trace(const struct trace *t)
{
	EXPECT_TRACE(t, MSG(HXFR_HELLO_RESP), MSG(HXFR_AUTH_RESP), READY, MSG(HXFR_SUBSCRIBE_RESP),
		     MSG(HXFR_CURSOR_DEFINE), MSG(HXFR_CURSOR_MOVE), MSG(HXFR_FRAME_RESPONSE),
		     SKIP(0x77), MSG(HXFR_CONFIG_RESP), MSG(HXFR_ERROR));
}

static struct hxfr_client *keyed_client(void)
{
	struct hxfr_client *c = new_client(0, 0);
	struct hxfr_key key = known_key();
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL, &key), 0);
	return c;
}

static void test_several_messages_in_one_chunk(void)
{
	uint8_t b[4096];
	size_t n = session_stream(b, sizeof(b));
	struct hxfr_client *c = keyed_client();
	struct trace t = {0};
	feed_and_drain(c, b, n, &t);
	expect_session_trace(&t);
	CHECK_EQ(hxfr_client_rx(c)->len, 0);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	hxfr_client_destroy(c);
}

static void test_split_at_every_byte(void)
{
	uint8_t b[4096];
	size_t n = session_stream(b, sizeof(b));
	int bad = 0;
	for (size_t i = 0; i <= n; i++) {
		struct hxfr_client *c = keyed_client();
		struct trace t = {0};
		feed_and_drain(c, b, i, &t);
		feed_and_drain(c, b + i, n - i, &t);
		int before = check_failed_count;
		expect_session_trace(&t);
		bad += check_failed_count != before;
		hxfr_client_destroy(c);
	}
	CHECK_EQ(bad, 0);
	/* One byte at a time. */
	struct hxfr_client *c = keyed_client();
	struct trace t = {0};
	for (size_t i = 0; i < n; i++)
		feed_and_drain(c, b + i, 1, &t);
	expect_session_trace(&t);
	hxfr_client_destroy(c);
}

static void test_frame_points_into_buffer(void)
{
	struct hxfr_client *c = new_client(0, 0);
	struct stream s = {0};
	static const uint8_t au[] = {0, 0, 0, 1, 0x65, 0xaa, 0xbb};
	put(&s, hxfr_encode_frame_header(ROOM(&s), 4, 5, 5, true, sizeof(au)));
	memcpy(s.b + s.n, au, sizeof(au));
	s.n += sizeof(au);
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_FRAME_RESPONSE);
	CHECK_EQ(m.u.frame.nal_count, 1);
	CHECK_EQ(m.u.frame.nals_len, 4 + sizeof(au));
	CHECK_MEM(m.u.frame.nals + 4, au, sizeof(au));
	CHECK(m.u.frame.keyframe);
	CHECK_EQ(m.hdr.session_id, 4);
	hxfr_client_destroy(c);
}

static void test_refused_auth(void)
{
	/* The exporter's answer to a wrong mac: ERROR 9, then it closes. */
	struct hxfr_client *c = keyed_client();
	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL, NONCE));
	put(&s, hxfr_encode_error(ROOM(&s), 0, HXFR_ERR_AUTH_FAILED, "wrong mac"));
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_ERROR);
	CHECK_EQ(m.u.error.code, HXFR_ERR_AUTH_FAILED);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_FAILED);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_FAILED);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_FAILED); /* for good */
	CHECK(strstr(hxfr_client_error(c), "refused AUTH") != NULL);
	CHECK(strstr(hxfr_client_error(c), "wrong mac") != NULL);
	CHECK_EQ(hxfr_client_ping(c, 1), -EPIPE);
	CHECK_EQ(hxfr_client_hello(c, 0, NULL), -EPIPE);
	hxfr_client_destroy(c);

	/* AUTH_RESP success 0 (a server may say no that way too). */
	c = keyed_client();
	s.n = 0;
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL, NONCE));
	put(&s, hxfr_encode_auth_resp(ROOM(&s), false, 0));
	put(&s, hxfr_encode_scanout_resp(ROOM(&s), 1, true, "Virtual-2"));
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_HELLO_RESP), MSG(HXFR_AUTH_RESP), FAILED);
	CHECK_STR(hxfr_client_error(c), "authentication failed");
	CHECK_EQ(hxfr_client_granted(c), 0);
	hxfr_client_destroy(c);
}

static void test_server_error(void)
{
	struct stream s = {0};
	put(&s, hxfr_encode_error(ROOM(&s), 0, HXFR_ERR_UNKNOWN_TYPE, "unknown type 0x40"));

	/* Without a key an ERROR for HELLO means a server without the
	 * extension: ready, as Helix v1, then the ERROR itself. */
	struct hxfr_client *c = new_client(0, 0);
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL, NULL), 0);
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, READY, MSG(HXFR_ERROR));
	CHECK(hxfr_client_v1(c));
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	CHECK_EQ(hxfr_client_offered(c), 0);
	/* On an open connection an ERROR is only a message. */
	t.n = 0;
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_ERROR));
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	hxfr_client_destroy(c);

	/* With a key, the handshake is refused: the ERROR, then failed. */
	c = keyed_client();
	t.n = 0;
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_ERROR), FAILED);
	CHECK(strstr(hxfr_client_error(c), "refused HELLO") != NULL);
	hxfr_client_destroy(c);

	/* With a key, a first message that is not HELLO_RESP: no extension. */
	c = keyed_client();
	s.n = 0;
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 0));
	expect_fails(c, s.b, s.n, "no HELLO_RESP");
	hxfr_client_destroy(c);
}

static void test_v1_by_timeout(void)
{
	struct hxfr_client *c = new_client(0, 0);
	CHECK_EQ(hxfr_client_hello_timed_out(c), HXFR_CLIENT_EV_NONE); /* no HELLO yet */
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL, NULL), 0);
	CHECK_EQ(hxfr_client_hello_timed_out(c), HXFR_CLIENT_EV_READY);
	CHECK(hxfr_client_v1(c));
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	/* A HELLO_RESP after that is out of sequence. */
	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL, NONCE));
	expect_fails(c, s.b, s.n, "HELLO_RESP out of sequence");
	hxfr_client_destroy(c);

	/* With a key there is no v1 fallback. */
	c = keyed_client();
	CHECK_EQ(hxfr_client_hello_timed_out(c), HXFR_CLIENT_EV_FAILED);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_FAILED);
	CHECK(strstr(hxfr_client_error(c), "no HELLO_RESP") != NULL);
	hxfr_client_destroy(c);
}

static void test_out_of_sequence(void)
{
	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), 0, NONCE));
	struct hxfr_client *c = new_client(0, 0); /* never said HELLO */
	expect_fails(c, s.b, s.n, "HELLO_RESP out of sequence");
	hxfr_client_destroy(c);

	s.n = 0;
	put(&s, hxfr_encode_auth_resp(ROOM(&s), true, HXFR_FEATURE_CONTROL));
	c = keyed_client(); /* AUTH_RESP before HELLO_RESP */
	expect_fails(c, s.b, s.n, "AUTH_RESP out of sequence");
	hxfr_client_destroy(c);

	/* A HELLO_RESP with a version we did not ask for. */
	s.n = 0;
	put(&s, hxfr_encode_hello_resp(ROOM(&s), 0, NONCE));
	s.b[HXFR_HEADER_SIZE + 4] = 2;
	c = new_client(0, 0);
	CHECK_EQ(hxfr_client_hello(c, 0, NULL), 0);
	expect_fails(c, s.b, s.n, "version 2");
	hxfr_client_destroy(c);
}

static void test_bad_magic(void)
{
	struct hxfr_client *c = new_client(0, 0);
	struct stream s = {0};
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 0));
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 0));
	s.b[HXFR_HEADER_SIZE] = 'X'; /* the second one's magic */
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_PONG), FAILED);
	CHECK_STR(hxfr_client_error(c), "bad magic");
	CHECK_EQ(hxfr_client_status(c), HXFR_E_MAGIC);
	/* Whatever comes later changes nothing. */
	s.n = 0;
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 0));
	expect_fails(c, s.b, s.n, "bad magic");
	hxfr_client_destroy(c);
}

static void test_oversized(void)
{
	/* A control client takes no more than 4096 bytes of payload. */
	struct hxfr_client *c = new_client(HXFR_MAX_CLIENT_PAYLOAD, 0);
	uint8_t h[HXFR_HEADER_SIZE] = {0x48, 0x58, 0x46, 0x52, HXFR_FRAME_RESPONSE, 0, 1, 0,
				       0x01, 0x10, 0x00, 0x00}; /* 4097 */
	/* checked on the header alone */
	expect_fails(c, h, sizeof(h), "payload larger than allowed");
	CHECK_EQ(hxfr_client_status(c), HXFR_E_OVERSIZE);
	hxfr_client_destroy(c);

	/* The default limit: 32 MiB, one more is refused before any of it. */
	c = new_client(0, 0);
	uint32_t big = HXFR_MAX_SERVER_PAYLOAD + 1;
	for (int i = 0; i < 4; i++)
		h[8 + i] = (uint8_t)(big >> (8 * i));
	expect_fails(c, h, sizeof(h), "payload larger than allowed");
	hxfr_client_destroy(c);

	/* Exactly at the limit: taken, and the buffer never holds more than
	 * one message (feeding beyond it is refused). */
	c = new_client(64, 0);
	struct stream s = {0};
	uint8_t au[64 - 28];
	memset(au, 0x41, sizeof(au));
	au[0] = 0, au[1] = 0, au[2] = 0, au[3] = 1;
	put(&s, hxfr_encode_frame_header(ROOM(&s), 1, 0, 0, false, sizeof(au)));
	memcpy(s.b + s.n, au, sizeof(au));
	s.n += sizeof(au);
	CHECK_EQ(s.n, HXFR_HEADER_SIZE + 64);
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	CHECK_EQ(hxfr_client_feed(c, s.b, 1), -ENOBUFS);
	struct hxfr_msg m;
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.payload_size, 64);
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	hxfr_client_destroy(c);
}

static void test_truncated(void)
{
	struct stream s = {0};
	put(&s, hxfr_encode_scanout_resp(ROOM(&s), 3, true, "Virtual-4"));
	for (size_t cut = 1; cut < s.n; cut++) {
		struct hxfr_client *c = new_client(0, 0);
		struct trace t = {0};
		feed_and_drain(c, s.b, cut, &t);
		CHECK_EQ(t.n, 0);
		CHECK_EQ(hxfr_client_rx(c)->len, cut);
		CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
		hxfr_client_destroy(c);
	}
	/* A truncated HELLO_RESP leaves the handshake waiting. */
	struct hxfr_client *c = new_client(0, 0);
	CHECK_EQ(hxfr_client_hello(c, 0, NULL), 0);
	s.n = 0;
	put(&s, hxfr_encode_hello_resp(ROOM(&s), 0, NONCE));
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n - 1, &t);
	CHECK_EQ(t.n, 0);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_HELLO_SENT);
	feed_and_drain(c, s.b + s.n - 1, 1, &t);
	EXPECT_TRACE(&t, MSG(HXFR_HELLO_RESP), READY);
	hxfr_client_destroy(c);
}

static void test_skipped(void)
{
	struct hxfr_client *c = new_client(0, 0);
	struct stream s = {0};
	/* unknown type */
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 1));
	s.b[4] = 0x55;
	/* a PONG with a payload: wrong size */
	put(&s, hxfr_encode_subscribe(ROOM(&s), 9));
	s.b[s.n - 16 + 4] = HXFR_PONG;
	/* a client's message from the server: skipped like an unknown type */
	put(&s, hxfr_encode_hello(ROOM(&s), 0));
	/* an invalid value: success 2 */
	put(&s, hxfr_encode_subscribe_resp(ROOM(&s), 2, true));
	s.b[s.n - 4] = 2;
	/* REFRESH_REQ is a request too, never a server's message */
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_REFRESH_REQ, 3));
	put(&s, hxfr_encode_empty(ROOM(&s), HXFR_PONG, 5));
	CHECK_EQ(hxfr_client_feed(c, s.b, s.n), 0);
	static const enum hxfr_status want[] = {HXFR_E_TYPE, HXFR_E_SIZE, HXFR_E_TYPE, HXFR_E_VALUE,
						HXFR_E_TYPE};
	static const uint8_t want_type[] = {0x55, HXFR_PONG, HXFR_HELLO, HXFR_SUBSCRIBE_RESP,
					    HXFR_REFRESH_REQ};
	struct hxfr_msg m;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_SKIPPED);
		CHECK_EQ(m.hdr.type, want_type[i]);
		CHECK_EQ(hxfr_client_status(c), want[i]);
	}
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_MESSAGE);
	CHECK_EQ(m.hdr.type, HXFR_PONG);
	CHECK_EQ(m.hdr.session_id, 5);
	CHECK_EQ(hxfr_client_status(c), HXFR_OK);
	CHECK_EQ(next_ev(c, &m), HXFR_CLIENT_EV_NONE);
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN);
	hxfr_client_destroy(c);
}

static void test_pipelined_subscription(void)
{
	/* The frame bridge's way: HELLO and SUBSCRIBE_KEYED at once. */
	struct hxfr_client *c = new_client(0, 0);
	uint8_t key[HXFR_STREAM_KEY_LEN];
	memset(key, 0xc3, sizeof(key));
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR, NULL), 0);
	CHECK_EQ(hxfr_client_subscribe_keyed(c, 5, key), 0);
	uint8_t want[128];
	size_t n = hxfr_encode_hello(want, sizeof(want),
				     HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR);
	n += hxfr_encode_subscribe_keyed(want + n, sizeof(want) - n, 5, key);
	CHECK_EQ(hxfr_client_tx(c)->len, n);
	CHECK_MEM(lc_buf_head(hxfr_client_tx(c)), want, n);
	uint8_t zero[HXFR_STREAM_KEY_LEN] = {0};
	CHECK_EQ(hxfr_client_subscribe_keyed(c, 5, zero), -EINVAL);
	CHECK_EQ(hxfr_client_tx(c)->len, n);

	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_STREAM_KEYS, NONCE));
	put(&s, hxfr_encode_subscribe_resp(ROOM(&s), 5, false));
	put(&s, hxfr_encode_error(ROOM(&s), 5, HXFR_ERR_AUTH_FAILED, "wrong stream key"));
	struct trace t = {0};
	feed_and_drain(c, s.b, s.n, &t);
	EXPECT_TRACE(&t, MSG(HXFR_HELLO_RESP), READY, MSG(HXFR_SUBSCRIBE_RESP), MSG(HXFR_ERROR));
	CHECK_EQ(hxfr_client_state(c), HXFR_CLIENT_OPEN); /* the refusal is the caller's */
	CHECK_EQ(hxfr_client_offered(c) & HXFR_FEATURE_CURSOR, 0);
	hxfr_client_destroy(c);
}

/* The input requests queue exactly the codec's bytes, refuse what the codec
 * refuses, and refuse (without queueing part of it) when the queue is full. */
static void test_input_requests(void)
{
	struct hxfr_client *c = new_client(0, 64);
	uint8_t want[64];
	size_t n = 0;
	CHECK_EQ(hxfr_client_input_key(c, 4, 30, true), 0);
	n += hxfr_encode_input_key(want + n, sizeof(want) - n, 4, 30, true);
	CHECK_EQ(hxfr_client_input_abs(c, 4, 10, 20), 0);
	n += hxfr_encode_input_abs(want + n, sizeof(want) - n, 4, 10, 20);
	CHECK_EQ(hxfr_client_input_release_all(c, 4), 0);
	n += hxfr_encode_empty(want + n, sizeof(want) - n, HXFR_INPUT_RELEASE_ALL, 4);
	CHECK_EQ(hxfr_client_input_button(c, 4, 0x110, false), 0);
	n += hxfr_encode_input_button(want + n, sizeof(want) - n, 4, 0x110, false);
	CHECK_EQ(n, 16 + 20 + 12 + 16);
	CHECK_EQ(hxfr_client_tx(c)->len, n);
	CHECK_MEM(lc_buf_head(hxfr_client_tx(c)), want, n);
	CHECK_EQ(hxfr_client_input_key(c, 4, 0, true), -EINVAL);
	CHECK_EQ(hxfr_client_input_wheel(c, 4, 0, HXFR_WHEEL_MAX + 1), -EINVAL);
	CHECK_EQ(hxfr_client_input_touch(c, 4, 9, 0, 0, 0), -EINVAL);
	CHECK_EQ(hxfr_client_resize_req(c, 4, 1, 1), -EINVAL);
	/* 64 bytes of room, 64 used: a full queue refuses and keeps what it has. */
	CHECK_EQ(hxfr_client_input_rel(c, 4, 1, 1), -ENOBUFS);
	CHECK_EQ(hxfr_client_tx(c)->len, n);
	lc_buf_consume(hxfr_client_tx(c), n);
	CHECK_EQ(hxfr_client_input_wheel(c, 4, 0, -120), 0);
	CHECK_EQ(hxfr_client_input_rel(c, 4, -1, 1), 0);
	CHECK_EQ(hxfr_client_input_touch(c, 4, HXFR_TOUCH_BEGIN, 1, 5, 6), -ENOBUFS);
	CHECK_EQ(hxfr_client_tx(c)->len, 20 + 20);
	lc_buf_consume(hxfr_client_tx(c), hxfr_client_tx(c)->len);
	CHECK_EQ(hxfr_client_input_touch(c, 4, HXFR_TOUCH_BEGIN, 1, 5, 6), 0);
	CHECK_EQ(hxfr_client_tx(c)->len, 28);
	lc_buf_consume(hxfr_client_tx(c), hxfr_client_tx(c)->len);
	CHECK_EQ(hxfr_client_resize_req(c, 4, 1280, 720), 0);
	CHECK_EQ(hxfr_client_tx(c)->len, 20);
	hxfr_client_destroy(c);
}

static void test_requests(void)
{
	struct hxfr_client *c = new_client(0, 0);
	struct hxfr_enable_scanout e = {3, 1920, 1080, 60};
	struct hxfr_config_req cfg = {
		.bitrate_bps = 2000000, .framerate_num = 30, .framerate_den = 1};
	CHECK_EQ(hxfr_client_enable_scanout(c, &e), 0);
	CHECK_EQ(hxfr_client_disable_scanout(c, 3), 0);
	CHECK_EQ(hxfr_client_stream_key_req(c, 3), 0);
	CHECK_EQ(hxfr_client_stream_key_revoke(c, 3), 0);
	CHECK_EQ(hxfr_client_subscribe(c, 3), 0);
	CHECK_EQ(hxfr_client_keyframe_req(c, 3), 0);
	CHECK_EQ(hxfr_client_refresh_req(c, 3), 0);
	CHECK_EQ(hxfr_client_config_req(c, 3, &cfg), 0);
	uint8_t want[512];
	size_t n = hxfr_encode_enable_scanout(want, sizeof(want), &e);
	n += hxfr_encode_disable_scanout(want + n, sizeof(want) - n, 3);
	n += hxfr_encode_stream_key_req(want + n, sizeof(want) - n, 3);
	n += hxfr_encode_stream_key_revoke(want + n, sizeof(want) - n, 3);
	n += hxfr_encode_subscribe(want + n, sizeof(want) - n, 3);
	n += hxfr_encode_empty(want + n, sizeof(want) - n, HXFR_KEYFRAME_REQ, 3);
	n += hxfr_encode_empty(want + n, sizeof(want) - n, HXFR_REFRESH_REQ, 3);
	n += hxfr_encode_config_req(want + n, sizeof(want) - n, 3, &cfg);
	CHECK_EQ(hxfr_client_tx(c)->len, n);
	CHECK_MEM(lc_buf_head(hxfr_client_tx(c)), want, n);
	hxfr_client_destroy(c);

	/* The send queue is bounded: a request that does not fit is refused
	 * and leaves the queue as it was. */
	c = new_client(0, 40);
	CHECK_EQ(hxfr_client_hello(c, 0, NULL), 0); /* 28 */
	CHECK_EQ(hxfr_client_ping(c, 1), 0);        /* 40 */
	CHECK_EQ(hxfr_client_ping(c, 2), -ENOBUFS);
	CHECK_EQ(hxfr_client_refresh_req(c, 2), -ENOBUFS);
	CHECK_EQ(hxfr_client_tx(c)->len, 40);
	hxfr_client_destroy(c);

	/* No room for AUTH when HELLO_RESP comes: the handshake fails. */
	c = new_client(0, 40);
	struct hxfr_key key = known_key();
	CHECK_EQ(hxfr_client_hello(c, HXFR_FEATURE_CONTROL, &key), 0);
	CHECK_EQ(hxfr_client_ping(c, 1), 0);
	struct stream s = {0};
	put(&s, hxfr_encode_hello_resp(ROOM(&s), HXFR_FEATURE_CONTROL, NONCE));
	expect_fails(c, s.b, s.n, "cannot queue AUTH");
	hxfr_client_destroy(c);
}

int main(void)
{
	test_no_handshake();
	test_hello_without_auth();
	test_hello_with_auth();
	test_several_messages_in_one_chunk();
	test_split_at_every_byte();
	test_frame_points_into_buffer();
	test_refused_auth();
	test_server_error();
	test_v1_by_timeout();
	test_out_of_sequence();
	test_bad_magic();
	test_oversized();
	test_truncated();
	test_skipped();
	test_pipelined_subscription();
	test_requests();
	test_input_requests();
	return check_report();
}
