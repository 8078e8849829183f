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

#include "hxfr.h"
#include "hxfr_auth.h"
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

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int try_connect(int rcvbuf)
{
	int fd = lc_tcp_connect_start(g_host, g_port);
	if (fd < 0)
		return fd;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, TIMEOUT_MS) != 1 || lc_sock_error(fd) < 0) {
		close(fd);
		return -ECONNREFUSED;
	}
	return fd;
}

static int conn(void)
{
	int fd = try_connect(0);
	if (fd < 0)
		fail("cannot connect to %s:%u: %s", g_host, g_port, strerror(-fd));
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			if (poll(&pf, 1, TIMEOUT_MS) != 1)
				fail("send timed out");
			continue;
		}
		if (n < 0)
			fail("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void send_raw_header(int fd, uint32_t magic, uint8_t type, uint16_t sid, uint32_t size)
{
	uint8_t h[12] = {
		(uint8_t)magic, (uint8_t)(magic >> 8), (uint8_t)(magic >> 16), (uint8_t)(magic >> 24),
		type, 0, (uint8_t)sid, (uint8_t)(sid >> 8),
		(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16), (uint8_t)(size >> 24),
	};
	send_all(fd, h, sizeof(h));
}

/* Reads exactly len bytes; 1 done, 0 EOF, -errno (-ETIMEDOUT). */
static int read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	size_t got = 0;
	long long deadline = now_ms() + timeout_ms;
	while (got < len) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static uint8_t g_msgbuf[HXFR_HEADER_SIZE + 65536];

/* Reads one message; the payload pointers stay valid until the next call. */
static void read_msg(int fd, struct hxfr_msg *msg, const char *what)
{
	int r = read_exact(fd, g_msgbuf, HXFR_HEADER_SIZE, TIMEOUT_MS);
	if (r <= 0)
		fail("%s: no reply header (%s)", what, r == 0 ? "EOF" : strerror(-r));
	struct hxfr_header h;
	if (hxfr_header_decode(g_msgbuf, HXFR_HEADER_SIZE, 65536, &h) != HXFR_OK)
		fail("%s: bad reply header", what);
	r = read_exact(fd, g_msgbuf + HXFR_HEADER_SIZE, h.payload_size, TIMEOUT_MS);
	if (h.payload_size && r <= 0)
		fail("%s: no reply payload", what);
	size_t consumed;
	enum hxfr_status st = hxfr_decode(g_msgbuf, HXFR_HEADER_SIZE + h.payload_size, 65536, msg,
					  &consumed);
	if (st != HXFR_OK)
		fail("%s: undecodable reply %s: %s", what, hxfr_type_name(h.type),
		     hxfr_status_str(st));
}

static void expect_type(int fd, struct hxfr_msg *msg, uint8_t type, const char *what)
{
	read_msg(fd, msg, what);
	if (msg->hdr.type != type) {
		if (msg->hdr.type == HXFR_ERROR)
			fail("%s: want %s, got ERROR %d \"%s\"", what, hxfr_type_name(type),
			     msg->u.error.code, msg->u.error.message);
		fail("%s: want %s, got %s", what, hxfr_type_name(type),
		     hxfr_type_name(msg->hdr.type));
	}
}

static void expect_error(int fd, int32_t code, const char *what)
{
	struct hxfr_msg m;
	expect_type(fd, &m, HXFR_ERROR, what);
	if (m.u.error.code != code)
		fail("%s: want ERROR %d, got ERROR %d \"%s\"", what, code, m.u.error.code,
		     m.u.error.message);
	if (!m.u.error.message[0])
		fail("%s: ERROR %d without a message", what, code);
	printf("  %s: ERROR %d \"%s\"\n", what, code, m.u.error.message);
}

static void expect_eof(int fd, const char *what)
{
	uint8_t b[256];
	int r = read_exact(fd, b, 1, TIMEOUT_MS);
	if (r != 0)
		fail("%s: connection not closed (%s)", what, r > 0 ? "more data" : strerror(-r));
}

static void ping(int fd, uint16_t sid, const char *what)
{
	uint8_t buf[64];
	send_all(fd, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_PING, sid));
	struct hxfr_msg m;
	expect_type(fd, &m, HXFR_PONG, what);
	if (m.hdr.session_id != sid)
		fail("%s: PONG session_id %u, want %u", what, m.hdr.session_id, sid);
}

static void hello(int fd, struct hxfr_msg *m)
{
	uint8_t buf[64];
	send_all(fd, buf, hxfr_encode_hello(buf, sizeof(buf), HXFR_FEATURE_CONTROL));
	expect_type(fd, m, HXFR_HELLO_RESP, "HELLO");
}

static void load_key(const char *path, struct hxfr_key *key)
{
	int r = hxfr_key_load(path, key, true);
	if (r < 0)
		fail("key %s: %s", path, strerror(-r));
}

static void authenticate(int fd, const char *key_path)
{
	struct hxfr_key key;
	load_key(key_path, &key);
	struct hxfr_msg m;
	hello(fd, &m);
	if (!(m.u.hello.features & HXFR_FEATURE_CONTROL))
		fail("HELLO_RESP does not offer CONTROL (features 0x%x)", m.u.hello.features);
	uint8_t mac[HXFR_MAC_LEN], buf[128];
	hxfr_auth_mac(&key, m.u.hello.nonce, mac);
	send_all(fd, buf, hxfr_encode_auth(buf, sizeof(buf), mac));
	expect_type(fd, &m, HXFR_AUTH_RESP, "AUTH");
	if (!m.u.auth_resp.success || !(m.u.auth_resp.granted & HXFR_FEATURE_CONTROL))
		fail("AUTH_RESP success=%u granted=0x%x", m.u.auth_resp.success,
		     m.u.auth_resp.granted);
}

static int cmd_wait(void)
{
	long long deadline = now_ms() + 20000;
	while (now_ms() < deadline) {
		int fd = try_connect(0);
		if (fd >= 0) {
			ping(fd, 1, "wait");
			close(fd);
			return 0;
		}
		usleep(100 * 1000);
	}
	fail("exporter not listening on %s:%u after 20 s", g_host, g_port);
}

static int cmd_ping_hello(void)
{
	int fd = conn();
	ping(fd, 0x1234, "PING 0x1234");
	ping(fd, 0xbeef, "PING 0xbeef");
	struct hxfr_msg m;
	hello(fd, &m);
	uint8_t first[HXFR_NONCE_LEN], zero[HXFR_NONCE_LEN] = { 0 };
	memcpy(first, m.u.hello.nonce, sizeof(first));
	if (memcmp(first, zero, sizeof(zero)) == 0)
		fail("HELLO_RESP nonce is all zero");
	if (m.hdr.payload_size < HXFR_NONCE_LEN)
		fail("HELLO_RESP payload %u too small for a nonce", m.hdr.payload_size);
	int fd2 = conn();
	hello(fd2, &m);
	if (memcmp(first, m.u.hello.nonce, sizeof(first)) == 0)
		fail("two connections got the same nonce");
	hello(fd, &m);
	if (memcmp(first, m.u.hello.nonce, sizeof(first)) == 0)
		fail("a second HELLO got the same nonce");
	ping(fd2, 7, "PING after HELLO");
	close(fd);
	close(fd2);
	printf("PASS ping-hello\n");
	return 0;
}

static void expect_scanout_resp(int fd, uint32_t id, uint32_t success, const char *what)
{
	struct hxfr_msg m;
	expect_type(fd, &m, HXFR_SCANOUT_RESP, what);
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
		fail("usage: %s", enable ? "enable ID W H EXPECT [ERR]" : "disable ID EXPECT [ERR]");
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0);
	uint32_t expect = (uint32_t)strtoul(argv[need - 1], NULL, 0);
	int fd = conn();
	if (g_key_path)
		authenticate(fd, g_key_path);
	uint8_t buf[128];
	char what[64];
	if (enable) {
		struct hxfr_enable_scanout e = {
			.scanout_id = id,
			.width = (uint32_t)strtoul(argv[1], NULL, 0),
			.height = (uint32_t)strtoul(argv[2], NULL, 0),
			.refresh_hz = 60,
		};
		snprintf(what, sizeof(what), "ENABLE(%u, %ux%u)", id, e.width, e.height);
		send_all(fd, buf, hxfr_encode_enable_scanout(buf, sizeof(buf), &e));
	} else {
		snprintf(what, sizeof(what), "DISABLE(%u)", id);
		send_all(fd, buf, hxfr_encode_disable_scanout(buf, sizeof(buf), id));
	}
	expect_scanout_resp(fd, id, expect, what);
	if (argc > need)
		expect_error(fd, (int32_t)strtol(argv[need], NULL, 0), what);
	else if (!expect)
		fail("%s: failure without an expected error code", what);
	ping(fd, 42, "PING after control");
	close(fd);
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
	int fd = conn();
	struct hxfr_msg m;
	hello(fd, &m);
	uint8_t mac[HXFR_MAC_LEN], buf[128];
	hxfr_auth_mac(&key, m.u.hello.nonce, mac);
	send_all(fd, buf, hxfr_encode_auth(buf, sizeof(buf), mac));
	/* A second try on the same connection must not be served. */
	send_all(fd, buf, hxfr_encode_auth(buf, sizeof(buf), mac));
	expect_error(fd, HXFR_ERR_AUTH_FAILED, "AUTH with the wrong key");
	expect_eof(fd, "after failed AUTH");
	close(fd);

	/* AUTH without HELLO: refused, no oracle. */
	fd = conn();
	send_all(fd, buf, hxfr_encode_auth(buf, sizeof(buf), mac));
	expect_error(fd, HXFR_ERR_PROTOCOL, "AUTH before HELLO");
	close(fd);
	printf("PASS bad-auth\n");
	return 0;
}

/* A well-behaved client that must keep being served during abuse. */
static int g_good = -1;
static unsigned g_good_pings;

static void good_ping(const char *during)
{
	char what[96];
	snprintf(what, sizeof(what), "good client during %s", during);
	long long t0 = now_ms();
	ping(g_good, (uint16_t)(++g_good_pings), what);
	if (now_ms() - t0 > 2000)
		fail("%s: PONG took %lld ms", what, now_ms() - t0);
}

static void abuse_one(int kind, bool verbose)
{
	int fd = conn();
	uint8_t buf[128];
	switch (kind) {
	case 0: /* bad magic */
		send_raw_header(fd, 0xdeadbeef, HXFR_PING, 0, 0);
		if (verbose)
			expect_error(fd, HXFR_ERR_BAD_MAGIC, "bad magic");
		else {
			struct hxfr_msg m;
			read_msg(fd, &m, "bad magic");
		}
		expect_eof(fd, "after bad magic");
		break;
	case 1: /* oversize */
		send_raw_header(fd, HXFR_MAGIC, HXFR_PING, 0, 1u << 30);
		if (verbose)
			expect_error(fd, HXFR_ERR_OVERSIZE, "oversize payload_size");
		else {
			struct hxfr_msg m;
			read_msg(fd, &m, "oversize");
		}
		expect_eof(fd, "after oversize");
		break;
	case 2: { /* unknown type, wrong sizes, a server message: skipped */
		uint8_t junk[7] = { 1, 2, 3, 4, 5, 6, 7 };
		send_raw_header(fd, HXFR_MAGIC, 0x77, 9, sizeof(junk));
		send_all(fd, junk, sizeof(junk));
		if (verbose)
			expect_error(fd, HXFR_ERR_UNKNOWN_TYPE, "unknown type 0x77");
		else {
			struct hxfr_msg m;
			read_msg(fd, &m, "unknown type");
		}
		ping(fd, 10, "PING after unknown type");
		if (!verbose)
			break;
		send_raw_header(fd, HXFR_MAGIC, HXFR_PING, 11, 3);
		send_all(fd, junk, 3);
		expect_error(fd, HXFR_ERR_BAD_SIZE, "PING with 3 payload bytes");
		send_raw_header(fd, HXFR_MAGIC, HXFR_DISABLE_SCANOUT, 12, 2);
		send_all(fd, junk, 2);
		expect_error(fd, HXFR_ERR_BAD_SIZE, "DISABLE_SCANOUT with 2 payload bytes");
		send_raw_header(fd, HXFR_MAGIC, HXFR_ENABLE_SCANOUT, 13, 20);
		send_all(fd, junk, 7);
		send_all(fd, junk, 7);
		send_all(fd, junk, 6);
		expect_error(fd, HXFR_ERR_BAD_SIZE, "ENABLE_SCANOUT with 20 payload bytes");
		send_all(fd, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_PONG, 14));
		expect_error(fd, HXFR_ERR_PROTOCOL, "PONG sent to the server");
		send_all(fd, buf, hxfr_encode_subscribe(buf, sizeof(buf), 2));
		struct hxfr_msg m;
		expect_type(fd, &m, HXFR_SUBSCRIBE_RESP, "SUBSCRIBE");
		if (m.u.subscribe_resp.success)
			fail("SUBSCRIBE answered success while frames are not served");
		expect_error(fd, HXFR_ERR_UNSUPPORTED, "SUBSCRIBE");
		send_all(fd, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_KEYFRAME_REQ, 2));
		expect_error(fd, HXFR_ERR_UNSUPPORTED, "KEYFRAME_REQ");
		ping(fd, 15, "PING after skipped garbage");
		break;
	}
	case 3: /* truncated header, then gone */
		send_all(fd, "HXFR\x10\x00", 6);
		break;
	case 4: /* truncated payload, then gone */
		send_raw_header(fd, HXFR_MAGIC, HXFR_ENABLE_SCANOUT, 1, 16);
		send_all(fd, "\x03\x00\x00", 3);
		break;
	case 5: /* connect and leave at once */
		break;
	}
	close(fd);
}

static int cmd_malformed(int argc, char **argv)
{
	unsigned rounds = argc > 0 ? (unsigned)strtoul(argv[0], NULL, 0) : 200;
	g_good = conn();
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
	close(g_good);
	printf("PASS malformed (%u good PONGs)\n", g_good_pings);
	return 0;
}

/* Client A floods PINGs and never reads; the exporter must drop it while
 * client B keeps getting PONGs promptly. */
static int cmd_flood(void)
{
	g_good = conn();
	int a = try_connect(4096);
	if (a < 0)
		fail("cannot connect the flooder");
	static uint8_t chunk[12 * 4096];
	for (size_t i = 0; i < sizeof(chunk); i += 12)
		hxfr_encode_empty(chunk + i, 12, HXFR_PING, 1);
	unsigned long long sent = 0;
	long long deadline = now_ms() + 60000, next_good = 0;
	bool dropped = false;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = a, .events = POLLOUT };
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
		if (now_ms() >= next_good) {
			good_ping("flood");
			next_good = now_ms() + 50;
		}
	}
	if (!dropped)
		fail("a client that never reads was not disconnected (%llu bytes sent)", sent);
	good_ping("after the flood");
	close(a);
	close(g_good);
	printf("PASS flood (%u good PONGs)\n", g_good_pings);
	return 0;
}

/* With --max-clients N: N clients are served, the next is told and closed. */
static int cmd_limit(int argc, char **argv)
{
	unsigned n = argc > 0 ? (unsigned)strtoul(argv[0], NULL, 0) : 0;
	if (n == 0 || n > 64)
		fail("usage: limit N (1..64)");
	int fds[64];
	for (unsigned i = 0; i < n; i++) {
		fds[i] = conn();
		ping(fds[i], (uint16_t)i, "client within the limit");
	}
	int extra = conn();
	expect_error(extra, HXFR_ERR_LIMIT, "client over the limit");
	expect_eof(extra, "client over the limit");
	close(extra);
	close(fds[0]);
	usleep(200 * 1000); /* the exporter sees the hang-up */
	fds[0] = conn();
	ping(fds[0], 99, "client after one left");
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	printf("PASS limit %u\n", n);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hxfr-probe HOST:PORT [--key FILE] COMMAND [ARGS]\n"
		"  wait | ping-hello | enable ID W H EXPECT [ERR] | disable ID EXPECT [ERR]\n"
		"  bad-auth WRONG_KEY | malformed [ROUNDS] | flood | limit N\n");
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
	usage();
}
