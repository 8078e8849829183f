/* hxfr-probe: a scripted HXFR client for the exporter's host tests. Each
 * command checks one behaviour and exits 0 (pass) or 1 (fail, with a line
 * on stderr saying what differed). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_sync.h"
#include "sock.h"

#define TIMEOUT_MS 5000

static char g_host[64];
static uint16_t g_port;
static const char *g_key_path;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hxfr-probe: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Every connection is the shared blocking client (hxfr_sync.h): the
 * state machine frames what the exporter says; what we send is either a
 * request queued on it or, for the malformed cases, raw bytes. */
static int try_connect(struct hxfr_sync *c, int rcvbuf)
{
	int fd = lc_tcp_connect_start(g_host, g_port);
	if (fd < 0) {
		*c = (struct hxfr_sync){.fd = -1};
		return fd;
	}
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return hxfr_sync_open(c, fd, HXFR_MAX_SERVER_PAYLOAD, TIMEOUT_MS);
}

static void conn(struct hxfr_sync *c)
{
	int r = try_connect(c, 0);
	if (r < 0)
		fail("cannot connect to %s:%u: %s", g_host, g_port, strerror(-r));
}

/* Sends a request the machine queued (queued: what queueing returned). */
static void send_req(struct hxfr_sync *c, int queued)
{
	if (queued < 0)
		fail("cannot queue a request: %s", strerror(-queued));
	if (hxfr_sync_flush(c, TIMEOUT_MS) < 0)
		fail("%s", c->error);
}

static void send_raw(struct hxfr_sync *c, const void *buf, size_t len)
{
	if (hxfr_sync_send(c, buf, len, TIMEOUT_MS) < 0)
		fail("%s", c->error);
}

static void send_raw_header(struct hxfr_sync *c, uint32_t magic, uint8_t type, uint16_t sid,
			    uint32_t size)
{
	uint8_t h[12] = {
		(uint8_t)magic,
		(uint8_t)(magic >> 8),
		(uint8_t)(magic >> 16),
		(uint8_t)(magic >> 24),
		type,
		0,
		(uint8_t)sid,
		(uint8_t)(sid >> 8),
		(uint8_t)size,
		(uint8_t)(size >> 8),
		(uint8_t)(size >> 16),
		(uint8_t)(size >> 24),
	};
	send_raw(c, h, sizeof(h));
}

/* Reads one message within timeout_ms: 1, 0 at the timeout, -1 when the
 * server closed; anything undecodable fails. The payload pointers stay
 * valid until the next read on c. */
static int read_within(struct hxfr_sync *c, struct hxfr_msg *msg, int timeout_ms, const char *what)
{
	switch (hxfr_sync_next(c, msg, timeout_ms)) {
	case HXFR_SYNC_MESSAGE: return 1;
	case HXFR_SYNC_TIMEOUT: return 0;
	case HXFR_SYNC_CLOSED: return -1;
	case HXFR_SYNC_SKIPPED:
		fail("%s: undecodable %s: %s", what, hxfr_type_name(msg->hdr.type),
		     hxfr_status_str(hxfr_client_status(c->client)));
	case HXFR_SYNC_FAILED: break;
	}
	fail("%s: bad input from the server: %s", what, c->error);
}

static void read_msg(struct hxfr_sync *c, struct hxfr_msg *msg, const char *what)
{
	int r = read_within(c, msg, TIMEOUT_MS, what);
	if (r <= 0)
		fail("%s: no reply (%s)", what, r == 0 ? strerror(ETIMEDOUT) : c->error);
}

static void expect_type(struct hxfr_sync *c, struct hxfr_msg *msg, uint8_t type, const char *what)
{
	read_msg(c, msg, what);
	if (msg->hdr.type != type) {
		if (msg->hdr.type == HXFR_ERROR)
			fail("%s: want %s, got ERROR %d \"%s\"", what, hxfr_type_name(type),
			     msg->u.error.code, msg->u.error.message);
		fail("%s: want %s, got %s", what, hxfr_type_name(type),
		     hxfr_type_name(msg->hdr.type));
	}
}

static void expect_error(struct hxfr_sync *c, int32_t code, const char *what)
{
	struct hxfr_msg m;
	expect_type(c, &m, HXFR_ERROR, what);
	if (m.u.error.code != code)
		fail("%s: want ERROR %d, got ERROR %d \"%s\"", what, code, m.u.error.code,
		     m.u.error.message);
	if (!m.u.error.message[0])
		fail("%s: ERROR %d without a message", what, code);
	printf("  %s: ERROR %d \"%s\"\n", what, code, m.u.error.message);
}

/* An orderly close (EOF, not a reset) with nothing before it. */
static void expect_eof(struct hxfr_sync *c, const char *what)
{
	struct hxfr_msg m;
	enum hxfr_sync_result r = hxfr_sync_next(c, &m, TIMEOUT_MS);
	if (r == HXFR_SYNC_CLOSED && !c->reset && hxfr_client_rx(c->client)->len == 0)
		return;
	fail("%s: connection not closed (%s)", what,
	     r == HXFR_SYNC_TIMEOUT              ? strerror(ETIMEDOUT)
	     : r == HXFR_SYNC_CLOSED && c->reset ? strerror(ECONNRESET)
						 : "more data");
}

static void ping(struct hxfr_sync *c, uint16_t sid, const char *what)
{
	send_req(c, hxfr_client_ping(c->client, sid));
	struct hxfr_msg m;
	expect_type(c, &m, HXFR_PONG, what);
	if (m.hdr.session_id != sid)
		fail("%s: PONG session_id %u, want %u", what, m.hdr.session_id, sid);
}

/* HELLO (CONTROL wanted) and its HELLO_RESP; no AUTH. */
static void hello(struct hxfr_sync *c)
{
	if (hxfr_sync_handshake(c, HXFR_FEATURE_CONTROL, NULL, TIMEOUT_MS) < 0)
		fail("HELLO: %s", c->error);
}

static void load_key(const char *path, struct hxfr_key *key)
{
	int r = hxfr_key_load(path, key, true);
	if (r < 0)
		fail("key %s: %s", path, strerror(-r));
}

static void authenticate(struct hxfr_sync *c, const char *key_path)
{
	struct hxfr_key key;
	load_key(key_path, &key);
	int r = hxfr_sync_handshake(c, HXFR_FEATURE_CONTROL, &key, TIMEOUT_MS);
	explicit_bzero(&key, sizeof(key));
	if (r < 0)
		fail("HELLO/AUTH: %s", c->error);
	uint32_t offered = hxfr_client_offered(c->client);
	if (!(offered & HXFR_FEATURE_CONTROL))
		fail("HELLO_RESP does not offer CONTROL (features 0x%x)", offered);
	uint32_t granted = hxfr_client_granted(c->client);
	if (!(granted & HXFR_FEATURE_CONTROL))
		fail("AUTH_RESP success=1 granted=0x%x", granted);
}

static int cmd_wait(void)
{
	long long deadline = lc_now_ms() + 20000;
	while (lc_now_ms() < deadline) {
		struct hxfr_sync c;
		if (try_connect(&c, 0) == 0) {
			ping(&c, 1, "wait");
			hxfr_sync_close(&c);
			return 0;
		}
		usleep(100 * 1000);
	}
	fail("exporter not listening on %s:%u after 20 s", g_host, g_port);
}

static int cmd_ping_hello(void)
{
	struct hxfr_sync c, c2;
	conn(&c);
	ping(&c, 0x1234, "PING 0x1234");
	ping(&c, 0xbeef, "PING 0xbeef");
	hello(&c);
	/* A client falls back to KEYFRAME_REQ without this bit (§5.6). */
	if (!(hxfr_client_offered(c.client) & HXFR_FEATURE_REFRESH))
		fail("HELLO_RESP does not offer REFRESH (features 0x%x)",
		     hxfr_client_offered(c.client));
	/* The machine takes a HELLO_RESP only with its whole 48 bytes. */
	const uint8_t *nonce = hxfr_client_nonce(c.client);
	if (!nonce)
		fail("HELLO_RESP payload too small for a nonce");
	uint8_t first[HXFR_NONCE_LEN], zero[HXFR_NONCE_LEN] = {0};
	memcpy(first, nonce, sizeof(first));
	if (memcmp(first, zero, sizeof(zero)) == 0)
		fail("HELLO_RESP nonce is all zero");
	conn(&c2);
	hello(&c2);
	if (memcmp(first, hxfr_client_nonce(c2.client), sizeof(first)) == 0)
		fail("two connections got the same nonce");
	hello(&c);
	if (memcmp(first, hxfr_client_nonce(c.client), sizeof(first)) == 0)
		fail("a second HELLO got the same nonce");
	ping(&c2, 7, "PING after HELLO");
	hxfr_sync_close(&c);
	hxfr_sync_close(&c2);
	printf("PASS ping-hello\n");
	return 0;
}

static void expect_scanout_resp(struct hxfr_sync *c, uint32_t id, uint32_t success,
				const char *what)
{
	struct hxfr_msg m;
	expect_type(c, &m, HXFR_SCANOUT_RESP, what);
	if (m.u.scanout_resp.scanout_id != id || m.u.scanout_resp.success != success)
		fail("%s: SCANOUT_RESP(%u, %u, \"%s\"), want (%u, %u)", what,
		     m.u.scanout_resp.scanout_id, m.u.scanout_resp.success,
		     m.u.scanout_resp.connector, id, success);
	char want[32];
	snprintf(want, sizeof(want), "Virtual-%u", id + 1);
	if (success && strcmp(m.u.scanout_resp.connector, want) != 0)
		fail("%s: connector \"%s\", want \"%s\"", what, m.u.scanout_resp.connector, want);
	printf("  %s: SCANOUT_RESP(%u, %u, \"%s\")\n", what, id, success,
	       m.u.scanout_resp.connector);
}

/* enable ID W H EXPECT [ERR] / disable ID EXPECT [ERR] */
static int cmd_control(bool enable, int argc, char **argv)
{
	int need = enable ? 4 : 2;
	if (argc < need)
		fail("usage: %s",
		     enable ? "enable ID W H EXPECT [ERR]" : "disable ID EXPECT [ERR]");
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0);
	uint32_t expect = (uint32_t)strtoul(argv[need - 1], NULL, 0);
	struct hxfr_sync c;
	conn(&c);
	if (g_key_path)
		authenticate(&c, g_key_path);
	char what[64];
	if (enable) {
		struct hxfr_enable_scanout e = {
			.scanout_id = id,
			.width = (uint32_t)strtoul(argv[1], NULL, 0),
			.height = (uint32_t)strtoul(argv[2], NULL, 0),
			.refresh_hz = 60,
		};
		snprintf(what, sizeof(what), "ENABLE(%u, %ux%u)", id, e.width, e.height);
		send_req(&c, hxfr_client_enable_scanout(c.client, &e));
	} else {
		snprintf(what, sizeof(what), "DISABLE(%u)", id);
		send_req(&c, hxfr_client_disable_scanout(c.client, id));
	}
	expect_scanout_resp(&c, id, expect, what);
	if (argc > need)
		expect_error(&c, (int32_t)strtol(argv[need], NULL, 0), what);
	else if (!expect)
		fail("%s: failure without an expected error code", what);
	ping(&c, 42, "PING after control");
	hxfr_sync_close(&c);
	printf("PASS %s\n", what);
	return 0;
}

/* A wrong key is refused and the connection closed after the ERROR. */
static int cmd_bad_auth(int argc, char **argv)
{
	if (argc < 1)
		fail("usage: bad-auth WRONG_KEY_FILE");
	struct hxfr_key key;
	load_key(argv[0], &key);
	struct hxfr_sync c;
	conn(&c);
	hello(&c);
	/* Our own AUTHs, raw: the machine would send only one. */
	uint8_t mac[HXFR_MAC_LEN], buf[128];
	hxfr_auth_mac(&key, hxfr_client_nonce(c.client), mac);
	size_t n = hxfr_encode_auth(buf, sizeof(buf), mac);
	send_raw(&c, buf, n);
	/* A second try on the same connection must not be served. */
	send_raw(&c, buf, n);
	expect_error(&c, HXFR_ERR_AUTH_FAILED, "AUTH with the wrong key");
	expect_eof(&c, "after failed AUTH");
	hxfr_sync_close(&c);

	/* AUTH without HELLO: refused, no oracle. */
	conn(&c);
	send_raw(&c, buf, n);
	expect_error(&c, HXFR_ERR_PROTOCOL, "AUTH before HELLO");
	hxfr_sync_close(&c);
	printf("PASS bad-auth\n");
	return 0;
}

/* A well-behaved client that must keep being served during abuse. */
static struct hxfr_sync g_good = {.fd = -1};
static unsigned g_good_pings;

static void good_ping(const char *during)
{
	char what[96];
	snprintf(what, sizeof(what), "good client during %s", during);
	long long t0 = lc_now_ms();
	ping(&g_good, (uint16_t)(++g_good_pings), what);
	if (lc_now_ms() - t0 > 2000)
		fail("%s: PONG took %lld ms", what, lc_now_ms() - t0);
}

static void abuse_one(int kind, bool verbose)
{
	struct hxfr_sync c;
	conn(&c);
	uint8_t buf[128];
	switch (kind) {
	case 0: /* bad magic */
		send_raw_header(&c, 0xdeadbeef, HXFR_PING, 0, 0);
		if (verbose)
			expect_error(&c, HXFR_ERR_BAD_MAGIC, "bad magic");
		else {
			struct hxfr_msg m;
			read_msg(&c, &m, "bad magic");
		}
		expect_eof(&c, "after bad magic");
		break;
	case 1: /* oversize */
		send_raw_header(&c, HXFR_MAGIC, HXFR_PING, 0, 1u << 30);
		if (verbose)
			expect_error(&c, HXFR_ERR_OVERSIZE, "oversize payload_size");
		else {
			struct hxfr_msg m;
			read_msg(&c, &m, "oversize");
		}
		expect_eof(&c, "after oversize");
		break;
	case 2: { /* unknown type, wrong sizes, a server message: skipped */
		uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};
		send_raw_header(&c, HXFR_MAGIC, 0x77, 9, sizeof(junk));
		send_raw(&c, junk, sizeof(junk));
		if (verbose)
			expect_error(&c, HXFR_ERR_UNKNOWN_TYPE, "unknown type 0x77");
		else {
			struct hxfr_msg m;
			read_msg(&c, &m, "unknown type");
		}
		ping(&c, 10, "PING after unknown type");
		if (!verbose)
			break;
		send_raw_header(&c, HXFR_MAGIC, HXFR_PING, 11, 3);
		send_raw(&c, junk, 3);
		expect_error(&c, HXFR_ERR_BAD_SIZE, "PING with 3 payload bytes");
		send_raw_header(&c, HXFR_MAGIC, HXFR_DISABLE_SCANOUT, 12, 2);
		send_raw(&c, junk, 2);
		expect_error(&c, HXFR_ERR_BAD_SIZE, "DISABLE_SCANOUT with 2 payload bytes");
		send_raw_header(&c, HXFR_MAGIC, HXFR_ENABLE_SCANOUT, 13, 20);
		send_raw(&c, junk, 7);
		send_raw(&c, junk, 7);
		send_raw(&c, junk, 6);
		expect_error(&c, HXFR_ERR_BAD_SIZE, "ENABLE_SCANOUT with 20 payload bytes");
		send_raw(&c, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_PONG, 14));
		expect_error(&c, HXFR_ERR_PROTOCOL, "PONG sent to the server");
		send_req(&c, hxfr_client_subscribe(c.client, 2));
		struct hxfr_msg m;
		expect_type(&c, &m, HXFR_SUBSCRIBE_RESP, "SUBSCRIBE");
		if (m.u.subscribe_resp.success)
			fail("SUBSCRIBE without a stream key answered success");
		expect_error(&c, HXFR_ERR_UNAUTHENTICATED, "SUBSCRIBE without a key");
		send_req(&c, hxfr_client_keyframe_req(c.client, 2));
		expect_error(&c, HXFR_ERR_PROTOCOL, "KEYFRAME_REQ without a subscription");
		send_req(&c, hxfr_client_refresh_req(c.client, 2));
		expect_error(&c, HXFR_ERR_PROTOCOL, "REFRESH_REQ without a subscription");
		send_raw_header(&c, HXFR_MAGIC, HXFR_REFRESH_REQ, 2, 2);
		send_raw(&c, junk, 2);
		expect_error(&c, HXFR_ERR_BAD_SIZE, "REFRESH_REQ with 2 payload bytes");
		{
			struct hxfr_config_req cr = {.bitrate_bps = 1000000};
			send_req(&c, hxfr_client_config_req(c.client, 2, &cr));
			expect_error(&c, HXFR_ERR_PROTOCOL, "CONFIG_REQ without a subscription");
		}
		send_req(&c, hxfr_client_stream_key_req(c.client, 2));
		expect_type(&c, &m, HXFR_STREAM_KEY, "unauthenticated STREAM_KEY_REQ");
		if (!hxfr_stream_key_is_zero(m.u.stream_key.key))
			fail("unauthenticated STREAM_KEY_REQ got a key");
		expect_error(&c, HXFR_ERR_UNAUTHENTICATED, "unauthenticated STREAM_KEY_REQ");
		{ /* a zero key is a value error, skipped, connection open */
			uint8_t zk[12 + 36] = {0};
			hxfr_encode_subscribe(zk, sizeof(zk), 2); /* header template */
			send_raw_header(&c, HXFR_MAGIC, HXFR_SUBSCRIBE_KEYED, 2, 36);
			send_raw(&c, zk + 12, 36);
			expect_error(&c, HXFR_ERR_BAD_VALUE, "SUBSCRIBE_KEYED with the zero key");
		}
		ping(&c, 15, "PING after skipped garbage");
		break;
	}
	case 3: /* truncated header, then gone */ send_raw(&c, "HXFR\x10\x00", 6); break;
	case 4: /* truncated payload, then gone */
		send_raw_header(&c, HXFR_MAGIC, HXFR_ENABLE_SCANOUT, 1, 16);
		send_raw(&c, "\x03\x00\x00", 3);
		break;
	case 5: /* connect and leave at once */ break;
	}
	hxfr_sync_close(&c);
}

static int cmd_malformed(int argc, char **argv)
{
	unsigned rounds = argc > 0 ? (unsigned)strtoul(argv[0], NULL, 0) : 200;
	conn(&g_good);
	good_ping("start");
	for (int kind = 0; kind <= 5; kind++) {
		abuse_one(kind, true);
		good_ping("malformed input");
	}
	printf("  malformed cases answered; now %u abusive connections\n", rounds);
	for (unsigned i = 0; i < rounds; i++) {
		abuse_one((int)(i % 6), false);
		if (i % 10 == 0)
			good_ping("abusive connections");
	}
	good_ping("end");
	hxfr_sync_close(&g_good);
	printf("PASS malformed (%u good PONGs)\n", g_good_pings);
	return 0;
}

/* Client A floods PINGs and never reads; the exporter must drop it while
 * client B keeps getting PONGs promptly. */
static int cmd_flood(void)
{
	conn(&g_good);
	struct hxfr_sync flooder;
	if (try_connect(&flooder, 4096) < 0)
		fail("cannot connect the flooder");
	int a = flooder.fd;
	static uint8_t chunk[12 * 4096];
	for (size_t i = 0; i < sizeof(chunk); i += 12)
		hxfr_encode_empty(chunk + i, 12, HXFR_PING, 1);
	unsigned long long sent = 0;
	long long deadline = lc_now_ms() + 60000, next_good = 0;
	bool dropped = false;
	while (lc_now_ms() < deadline) {
		struct pollfd p = {.fd = a, .events = POLLOUT};
		if (poll(&p, 1, 20) == 1) {
			ssize_t n = send(a, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				printf("  flooder dropped after %llu bytes of PINGs: %s\n", sent,
				       strerror(errno));
				dropped = true;
				break;
			}
			if (n > 0)
				sent += (unsigned long long)n;
		} else if (p.revents & (POLLERR | POLLHUP)) {
			printf("  flooder dropped after %llu bytes (hang-up)\n", sent);
			dropped = true;
			break;
		}
		if (lc_now_ms() >= next_good) {
			good_ping("flood");
			next_good = lc_now_ms() + 50;
		}
	}
	if (!dropped)
		fail("a client that never reads was not disconnected (%llu bytes sent)", sent);
	good_ping("after the flood");
	hxfr_sync_close(&flooder);
	hxfr_sync_close(&g_good);
	printf("PASS flood (%u good PONGs)\n", g_good_pings);
	return 0;
}

/* With --max-clients N: N clients are served, the next is told and closed. */
static int cmd_limit(int argc, char **argv)
{
	unsigned n = argc > 0 ? (unsigned)strtoul(argv[0], NULL, 0) : 0;
	if (n == 0 || n > 64)
		fail("usage: limit N (1..64)");
	struct hxfr_sync cs[64], extra;
	for (unsigned i = 0; i < n; i++) {
		conn(&cs[i]);
		ping(&cs[i], (uint16_t)i, "client within the limit");
	}
	conn(&extra);
	expect_error(&extra, HXFR_ERR_LIMIT, "client over the limit");
	expect_eof(&extra, "client over the limit");
	hxfr_sync_close(&extra);
	hxfr_sync_close(&cs[0]);
	usleep(200 * 1000); /* the exporter sees the hang-up */
	conn(&cs[0]);
	ping(&cs[0], 99, "client after one left");
	for (unsigned i = 0; i < n; i++)
		hxfr_sync_close(&cs[i]);
	printf("PASS limit %u\n", n);
	return 0;
}

/* ---- frame plane ---- */

static void nal_types(const uint8_t *p, size_t n, bool *sps, bool *pps, bool *idr)
{
	*sps = *pps = *idr = false;
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
			int t = p[i + 3] & 0x1f;
			*sps |= t == 7;
			*pps |= t == 8;
			*idr |= t == 5;
		}
}

static void read_key_file(const char *path, uint8_t key[HXFR_STREAM_KEY_LEN])
{
	char hex[HXFR_STREAM_KEY_HEX_LEN + 8] = "";
	FILE *f = fopen(path, "r");
	if (!f || !fgets(hex, sizeof(hex), f))
		fail("stream key file %s: %s", path, strerror(errno));
	fclose(f);
	hex[strcspn(hex, "\r\n")] = '\0';
	if (hxfr_stream_key_from_hex(hex, key) < 0)
		fail("stream key file %s: not 64 hex digits", path);
}

/* stream-key ID FILE: STREAM_KEY_REQ on an authenticated connection, the
 * key written as hex to FILE. revoke ID: STREAM_KEY_REVOKE.
 * stream-key-refused ID ERR: zero key + ERROR ERR. */
static int cmd_stream_key(const char *mode, int argc, char **argv)
{
	if (argc < 2 && strcmp(mode, "revoke") != 0)
		fail("usage: stream-key ID FILE | stream-key-refused ID ERR | revoke ID");
	if (argc < 1)
		fail("usage: revoke ID");
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0);
	struct hxfr_sync c;
	conn(&c);
	if (g_key_path)
		authenticate(&c, g_key_path);
	bool revoke = strcmp(mode, "revoke") == 0;
	send_req(&c, revoke ? hxfr_client_stream_key_revoke(c.client, id)
			    : hxfr_client_stream_key_req(c.client, id));
	struct hxfr_msg m;
	expect_type(&c, &m, HXFR_STREAM_KEY, mode);
	if (m.u.stream_key.scanout_id != id)
		fail("%s: STREAM_KEY for scanout %u, want %u", mode, m.u.stream_key.scanout_id, id);
	bool zero = hxfr_stream_key_is_zero(m.u.stream_key.key);
	if (strcmp(mode, "stream-key") == 0) {
		if (zero)
			fail("STREAM_KEY_REQ(%u): got the zero key", id);
		char hex[HXFR_STREAM_KEY_HEX_LEN + 1];
		hxfr_stream_key_to_hex(m.u.stream_key.key, hex);
		int kfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (kfd < 0 || write(kfd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
		    write(kfd, "\n", 1) != 1)
			fail("cannot write %s", argv[1]);
		close(kfd);
		printf("PASS stream-key %u\n", id);
	} else if (revoke) {
		if (!zero)
			fail("STREAM_KEY_REVOKE(%u): answer is not the zero key", id);
		printf("PASS revoke %u\n", id);
	} else {
		if (!zero)
			fail("refused STREAM_KEY_REQ(%u) carried a key", id);
		expect_error(&c, (int32_t)strtol(argv[1], NULL, 0), "refused STREAM_KEY_REQ");
		printf("PASS stream-key-refused %u\n", id);
	}
	ping(&c, 5, "PING after stream key");
	hxfr_sync_close(&c);
	return 0;
}

struct sub_opts {
	const char *key_file;
	bool cursor, no_read;
	long frames; /* stop after this many (0: run for duration) */
	long duration_ms;
	long min_frames, max_frames;
	long keyframe_req_at; /* send KEYFRAME_REQ after this frame */
	long config_bitrate;
	int expect_refused;     /* SUBSCRIBE_RESP 0 + this ERROR */
	int expect_error;       /* the stream ends with this ERROR, then EOF */
	const char *ready_file; /* touched once the first frame is in */
};

static long long g_t0;

/* subscribe ID [options]: subscribes and checks what arrives. */
static int cmd_subscribe(int argc, char **argv)
{
	if (argc < 1)
		fail("usage: subscribe ID [--stream-key FILE] [--cursor] [--frames N] "
		     "[--duration-ms D] [--min-frames N] [--max-frames N] [--keyframe-req-at N] "
		     "[--config-bitrate B] [--expect-refused ERR] [--expect-error ERR] [--no-read] "
		     "[--ready-file F]");
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0);
	struct sub_opts o = {.duration_ms = 10000,
			     .min_frames = 1,
			     .max_frames = -1,
			     .keyframe_req_at = -1,
			     .config_bitrate = -1,
			     .expect_refused = 0,
			     .expect_error = 0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NUMOPT(name, field)                   \
	if (strcmp(a, name) == 0 && v) {      \
		o.field = strtol(v, NULL, 0); \
		i++;                          \
		continue;                     \
	}
		NUMOPT("--frames", frames)
		NUMOPT("--duration-ms", duration_ms)
		NUMOPT("--min-frames", min_frames)
		NUMOPT("--max-frames", max_frames)
		NUMOPT("--keyframe-req-at", keyframe_req_at)
		NUMOPT("--config-bitrate", config_bitrate)
		NUMOPT("--expect-refused", expect_refused)
		NUMOPT("--expect-error", expect_error)
#undef NUMOPT
		if (strcmp(a, "--stream-key") == 0 && v) {
			o.key_file = v;
			i++;
		} else if (strcmp(a, "--ready-file") == 0 && v) {
			o.ready_file = v;
			i++;
		} else if (strcmp(a, "--cursor") == 0) {
			o.cursor = true;
		} else if (strcmp(a, "--no-read") == 0) {
			o.no_read = true;
		} else {
			fail("subscribe: unknown option %s", a);
		}
	}
	struct hxfr_sync c;
	if (o.no_read) {
		if (try_connect(&c, 4096) < 0)
			fail("cannot connect");
	} else {
		conn(&c);
	}
	struct hxfr_msg m;
	if (o.cursor) {
		if (hxfr_sync_handshake(&c, HXFR_FEATURE_CURSOR, NULL, TIMEOUT_MS) < 0)
			fail("HELLO: %s", c.error);
		uint32_t offered = hxfr_client_offered(c.client);
		if (!(offered & HXFR_FEATURE_CURSOR))
			fail("HELLO_RESP does not offer CURSOR (0x%x)", offered);
	}
	if (o.key_file) {
		uint8_t key[HXFR_STREAM_KEY_LEN];
		read_key_file(o.key_file, key);
		send_req(&c, hxfr_client_subscribe_keyed(c.client, id, key));
	} else {
		send_req(&c, hxfr_client_subscribe(c.client, id));
	}
	g_t0 = lc_now_ms();
	if (o.no_read) {
		/* A subscriber that never reads: it must cost the others nothing. */
		printf("not reading for %ld ms\n", o.duration_ms);
		usleep((useconds_t)o.duration_ms * 1000);
		hxfr_sync_close(&c);
		printf("PASS subscribe %u (never read)\n", id);
		return 0;
	}
	expect_type(&c, &m, HXFR_SUBSCRIBE_RESP, "SUBSCRIBE");
	if (m.u.subscribe_resp.scanout_id != id)
		fail("SUBSCRIBE_RESP for scanout %u, want %u", m.u.subscribe_resp.scanout_id, id);
	if (o.expect_refused) {
		if (m.u.subscribe_resp.success)
			fail("SUBSCRIBE(%u) succeeded; want ERROR %d", id, o.expect_refused);
		expect_error(&c, o.expect_refused, "refused SUBSCRIBE");
		if (o.expect_refused == HXFR_ERR_AUTH_FAILED)
			expect_eof(&c, "after a wrong stream key");
		printf("PASS subscribe %u refused with %d\n", id, o.expect_refused);
		hxfr_sync_close(&c);
		return 0;
	}
	if (!m.u.subscribe_resp.success)
		fail("SUBSCRIBE(%u) refused", id);
	if (o.config_bitrate >= 0) {
		struct hxfr_config_req cr = {.bitrate_bps = (uint32_t)o.config_bitrate,
					     .framerate_num = 30,
					     .framerate_den = 1};
		send_req(&c, hxfr_client_config_req(c.client, id, &cr));
	}
	long frames = 0, idrs = 0, after_req = -1;
	unsigned long long bytes = 0;
	int64_t last_pts = INT64_MIN;
	long long deadline = lc_now_ms() + o.duration_ms;
	bool got_config = o.config_bitrate < 0, ended = false;
	for (;;) {
		long long left = deadline - lc_now_ms();
		if (left <= 0 || (o.frames > 0 && frames >= o.frames && got_config))
			break;
		int r = read_within(&c, &m, (int)left, "stream");
		if (r == 0)
			break;
		if (r < 0) {
			if (o.expect_error && ended)
				break;
			fail("the server closed the stream after %ld frames", frames);
		}
		long long t = lc_now_ms() - g_t0;
		if (m.hdr.type == HXFR_ERROR) {
			printf("ERROR %d \"%s\" session %u at %lld ms\n", m.u.error.code,
			       m.u.error.message, m.hdr.session_id, t);
			if (m.u.error.code != o.expect_error)
				fail("unexpected ERROR %d", m.u.error.code);
			if (m.hdr.session_id != id)
				fail("ERROR session_id %u, want %u", m.hdr.session_id, id);
			ended = true;
			expect_eof(&c, "after the stream's ERROR");
			break;
		}
		if (m.hdr.type == HXFR_CURSOR_DEFINE) {
			printf("CURSOR_DEFINE %dx%d hot %d,%d\n", m.u.cursor_define.width,
			       m.u.cursor_define.height, m.u.cursor_define.hot_x,
			       m.u.cursor_define.hot_y);
			continue;
		}
		if (m.hdr.type == HXFR_CURSOR_MOVE) {
			printf("CURSOR_MOVE %d,%d visible %d\n", m.u.cursor_move.x,
			       m.u.cursor_move.y, m.u.cursor_move.visible);
			continue;
		}
		if (m.hdr.type == HXFR_CONFIG_RESP) {
			printf("CONFIG_RESP %ux%u %u bit/s %u/%u fps profile %u level %u\n",
			       m.u.config.width, m.u.config.height, m.u.config.bitrate_bps,
			       m.u.config.framerate_num, m.u.config.framerate_den,
			       m.u.config.profile, m.u.config.level);
			if (m.u.config.bitrate_bps != (uint32_t)o.config_bitrate)
				fail("CONFIG_RESP bitrate %u, asked %ld", m.u.config.bitrate_bps,
				     o.config_bitrate);
			got_config = true;
			continue;
		}
		if (m.hdr.type != HXFR_FRAME_RESPONSE)
			fail("unexpected %s in the stream", hxfr_type_name(m.hdr.type));
		const struct hxfr_frame *f = &m.u.frame;
		if (m.hdr.session_id != id)
			fail("frame session_id %u, want %u", m.hdr.session_id, id);
		if (f->nal_count != 1)
			fail("frame nal_count %u, want 1 (one Annex-B access unit)", f->nal_count);
		const uint8_t *au = f->nals + 4;
		size_t au_len = f->nals_len - 4;
		if (au_len < 5 || memcmp(au, "\0\0\0\1", 4) != 0)
			fail("frame %ld does not start with a 4-byte start code", frames);
		bool sps, pps, idr;
		nal_types(au, au_len, &sps, &pps, &idr);
		if (f->keyframe != idr)
			fail("frame %ld: is_keyframe %d but IDR slice %s", frames, f->keyframe,
			     idr ? "present" : "absent");
		if (f->keyframe && !(sps && pps))
			fail("frame %ld: IDR without SPS/PPS in front", frames);
		if (frames == 0 && !f->keyframe)
			fail("the first frame is not an IDR");
		if (f->dts_ns != f->pts_ns)
			fail("frame %ld: dts %lld != pts %lld", frames, (long long)f->dts_ns,
			     (long long)f->pts_ns);
		if (f->pts_ns < last_pts)
			fail("frame %ld: pts went back (%lld < %lld)", frames, (long long)f->pts_ns,
			     (long long)last_pts);
		last_pts = f->pts_ns;
		printf("FRAME %ld key=%d sps=%d pps=%d size=%zu pts=%lld t=%lld\n", frames,
		       f->keyframe, sps, pps, au_len, (long long)f->pts_ns, t);
		if (after_req >= 0 && frames == after_req + 1) {
			if (!f->keyframe)
				fail("the frame after KEYFRAME_REQ is not an IDR");
			printf("KEYFRAME_REQ answered by an IDR at %lld ms\n", t);
		}
		frames++;
		idrs += f->keyframe;
		bytes += au_len;
		if (frames == 1 && o.ready_file) {
			int rf = open(o.ready_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (rf >= 0)
				close(rf);
		}
		if (o.keyframe_req_at >= 0 && frames - 1 == o.keyframe_req_at) {
			send_req(&c, hxfr_client_keyframe_req(c.client, id));
			after_req = frames - 1;
			printf("KEYFRAME_REQ sent after frame %ld\n", after_req);
		}
	}
	printf("SUMMARY frames=%ld idr=%ld bytes=%llu ms=%lld\n", frames, idrs, bytes,
	       lc_now_ms() - g_t0);
	if (frames < o.min_frames)
		fail("%ld frames, want at least %ld", frames, o.min_frames);
	if (o.max_frames >= 0 && frames > o.max_frames)
		fail("%ld frames, want at most %ld", frames, o.max_frames);
	if (o.keyframe_req_at >= 0 && (after_req < 0 || frames <= after_req + 1))
		fail("no frame came after KEYFRAME_REQ");
	if (!got_config)
		fail("no CONFIG_RESP");
	if (o.expect_error && !ended)
		fail("the stream did not end with ERROR %d", o.expect_error);
	hxfr_sync_close(&c);
	printf("PASS subscribe %u\n", id);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hxfr-probe HOST:PORT [--key FILE] COMMAND [ARGS]\n"
		"  wait | ping-hello | enable ID W H EXPECT [ERR] | disable ID EXPECT [ERR]\n"
		"  bad-auth WRONG_KEY | malformed [ROUNDS] | flood | limit N\n"
		"  stream-key ID FILE | stream-key-refused ID ERR | revoke ID\n"
		"  subscribe ID [options] (see the source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lc_parse_hostport(argv[1], g_host, sizeof(g_host), &g_port) < 0)
		usage();
	int i = 2;
	if (strcmp(argv[i], "--key") == 0) {
		if (argc < 5)
			usage();
		g_key_path = argv[i + 1];
		i += 2;
	}
	const char *cmd = argv[i++];
	int rest = argc - i;
	char **args = argv + i;
	if (strcmp(cmd, "wait") == 0)
		return cmd_wait();
	if (strcmp(cmd, "ping-hello") == 0)
		return cmd_ping_hello();
	if (strcmp(cmd, "enable") == 0)
		return cmd_control(true, rest, args);
	if (strcmp(cmd, "disable") == 0)
		return cmd_control(false, rest, args);
	if (strcmp(cmd, "bad-auth") == 0)
		return cmd_bad_auth(rest, args);
	if (strcmp(cmd, "malformed") == 0)
		return cmd_malformed(rest, args);
	if (strcmp(cmd, "flood") == 0)
		return cmd_flood();
	if (strcmp(cmd, "limit") == 0)
		return cmd_limit(rest, args);
	if (strcmp(cmd, "stream-key") == 0 || strcmp(cmd, "stream-key-refused") == 0 ||
	    strcmp(cmd, "revoke") == 0)
		return cmd_stream_key(cmd, rest, args);
	if (strcmp(cmd, "subscribe") == 0)
		return cmd_subscribe(rest, args);
	usage();
}
