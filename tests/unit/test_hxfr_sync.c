/* hxfr_sync, the blocking client of the tests and benches, against a
 * scripted server on the other end of a socket pair (and a real loopback
 * listener for the connect): what it sends, what it returns, and its
 * timeouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_sync.h"
#include "sock.h"

static uint8_t nonce[HXFR_NONCE_LEN]; /* 0xa0.., set in main */

/* s is the client on one end; *server the other end. */
static void open_pair(struct hxfr_sync *s, int *server)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(hxfr_sync_open(s, sv[0], 0, 1000), 0);
	*server = sv[1];
}

static void server_says(int fd, const uint8_t *p, size_t n)
{
	CHECK_EQ(lc_send_all(fd, p, n, 1000), 0);
}

/* What the client sent, as far as it has arrived. */
static size_t server_hears(int fd, uint8_t *p, size_t cap)
{
	ssize_t n = recv(fd, p, cap, MSG_DONTWAIT);
	return n > 0 ? (size_t)n : 0;
}

static void test_handshake_with_auth(void)
{
	struct hxfr_sync s;
	int srv;
	open_pair(&s, &srv);
	uint8_t b[256];
	size_t n = hxfr_encode_hello_resp(b, sizeof(b), HXFR_FEATURE_CONTROL, nonce);
	n += hxfr_encode_auth_resp(b + n, sizeof(b) - n, true, HXFR_FEATURE_CONTROL);
	server_says(srv, b, n);
	struct hxfr_key key = {.bytes = "a control key of the unit test", .len = 30};
	CHECK_EQ(hxfr_sync_handshake(&s, HXFR_FEATURE_CONTROL, &key, 1000), 0);
	CHECK_EQ(hxfr_client_granted(s.client), HXFR_FEATURE_CONTROL);
	CHECK_EQ(s.bytes_in, n);

	/* HELLO, then AUTH over the nonce (the mac itself is test_hxfr_auth's). */
	uint8_t heard[256], want[256], mac[HXFR_MAC_LEN];
	hxfr_auth_mac(&key, nonce, mac);
	size_t w = hxfr_encode_hello(want, sizeof(want), HXFR_FEATURE_CONTROL);
	w += hxfr_encode_auth(want + w, sizeof(want) - w, mac);
	CHECK_EQ(server_hears(srv, heard, sizeof(heard)), w);
	CHECK_MEM(heard, want, w);
	hxfr_sync_close(&s);
	CHECK_EQ(s.fd, -1);
	close(srv);
}

static void test_handshake_failures(void)
{
	struct hxfr_sync s;
	int srv;
	uint8_t b[512];
	struct hxfr_key key = {.bytes = "a control key of the unit test", .len = 30};

	/* Nothing comes: a timeout that says what was missing. */
	open_pair(&s, &srv);
	int64_t t0 = lc_now_ms();
	CHECK_EQ(hxfr_sync_handshake(&s, 0, NULL, 100), -ETIMEDOUT);
	int64_t took = lc_now_ms() - t0;
	CHECK(took >= 100 && took < 1000);
	CHECK_STR(s.error, "no HELLO_RESP within 100 ms");
	hxfr_sync_close(&s);
	close(srv);

	/* The wrong key: ERROR 9 instead of AUTH_RESP. */
	open_pair(&s, &srv);
	size_t n = hxfr_encode_hello_resp(b, sizeof(b), HXFR_FEATURE_CONTROL, nonce);
	n += hxfr_encode_error(b + n, sizeof(b) - n, 0, HXFR_ERR_AUTH_FAILED, "wrong mac");
	server_says(srv, b, n);
	CHECK_EQ(hxfr_sync_handshake(&s, HXFR_FEATURE_CONTROL, &key, 1000), -EPROTO);
	CHECK_STR(s.error, "want AUTH_RESP, got ERROR 9 \"wrong mac\"");
	hxfr_sync_close(&s);
	close(srv);

	/* A server without the extension answers HELLO with an ERROR. */
	open_pair(&s, &srv);
	n = hxfr_encode_error(b, sizeof(b), 0, HXFR_ERR_UNKNOWN_TYPE, "unknown type");
	server_says(srv, b, n);
	CHECK_EQ(hxfr_sync_handshake(&s, HXFR_FEATURE_CURSOR, NULL, 1000), -EPROTO);
	CHECK_STR(s.error, "want HELLO_RESP, got ERROR 2 \"unknown type\"");
	hxfr_sync_close(&s);
	close(srv);

	/* The server hangs up (after HELLO came: it only stops sending). */
	open_pair(&s, &srv);
	shutdown(srv, SHUT_WR);
	CHECK_EQ(hxfr_sync_handshake(&s, 0, NULL, 1000), -ECONNRESET);
	CHECK_STR(s.error, "the server closed the connection");
	hxfr_sync_close(&s);
	close(srv);

	/* Garbage. */
	open_pair(&s, &srv);
	memset(b, 'X', HXFR_HEADER_SIZE);
	server_says(srv, b, HXFR_HEADER_SIZE);
	CHECK_EQ(hxfr_sync_handshake(&s, 0, NULL, 1000), -EPROTO);
	CHECK_STR(s.error, "bad magic");
	hxfr_sync_close(&s);
	close(srv);
}

static void test_next(void)
{
	struct hxfr_sync s;
	int srv;
	open_pair(&s, &srv);
	uint8_t b[256];
	size_t n = hxfr_encode_empty(b, sizeof(b), HXFR_PONG, 9);
	size_t m = hxfr_encode_scanout_resp(b + n, sizeof(b) - n, 2, true, "Virtual-3");
	server_says(srv, b, n + 10); /* the PONG and a piece of SCANOUT_RESP */
	struct hxfr_msg msg;
	CHECK_EQ(hxfr_sync_next(&s, &msg, 1000), HXFR_SYNC_MESSAGE);
	CHECK_EQ(msg.hdr.type, HXFR_PONG);
	CHECK_EQ(msg.hdr.session_id, 9);
	CHECK_EQ(hxfr_sync_next(&s, &msg, 0), HXFR_SYNC_TIMEOUT);
	int64_t t0 = lc_now_ms();
	CHECK_EQ(hxfr_sync_next(&s, &msg, 50), HXFR_SYNC_TIMEOUT);
	CHECK(lc_now_ms() - t0 >= 50);
	server_says(srv, b + n + 10, m - 10);
	CHECK_EQ(hxfr_sync_next(&s, &msg, 1000), HXFR_SYNC_MESSAGE);
	CHECK_EQ(msg.hdr.type, HXFR_SCANOUT_RESP);
	CHECK_STR(msg.u.scanout_resp.connector, "Virtual-3");
	CHECK_EQ(s.bytes_in, n + m);

	/* Skippable, then fatal. */
	n = hxfr_encode_empty(b, sizeof(b), HXFR_PONG, 1);
	b[4] = 0x66;
	memset(b + n, 'Y', HXFR_HEADER_SIZE);
	server_says(srv, b, n + HXFR_HEADER_SIZE);
	CHECK_EQ(hxfr_sync_next(&s, &msg, 1000), HXFR_SYNC_SKIPPED);
	CHECK_EQ(msg.hdr.type, 0x66);
	CHECK_EQ(hxfr_client_status(s.client), HXFR_E_TYPE);
	CHECK_EQ(hxfr_sync_next(&s, &msg, 1000), HXFR_SYNC_FAILED);
	CHECK_STR(s.error, "bad magic");
	hxfr_sync_close(&s);
	close(srv);

	/* The server closes, with half a message sent. */
	open_pair(&s, &srv);
	server_says(srv, b, 5);
	close(srv);
	CHECK_EQ(hxfr_sync_next(&s, &msg, 1000), HXFR_SYNC_CLOSED);
	CHECK_EQ(hxfr_client_rx(s.client)->len, 5);
	hxfr_sync_close(&s);
}

static void test_send_order(void)
{
	struct hxfr_sync s;
	int srv;
	open_pair(&s, &srv);
	CHECK_EQ(hxfr_client_ping(s.client, 4), 0);
	CHECK_EQ(hxfr_sync_send(&s, "raw", 3, 1000), 0);
	CHECK_EQ(hxfr_client_tx(s.client)->len, 0);
	uint8_t heard[64], want[64];
	size_t n = hxfr_encode_empty(want, sizeof(want), HXFR_PING, 4);
	memcpy(want + n, "raw", 3);
	CHECK_EQ(server_hears(srv, heard, sizeof(heard)), n + 3);
	CHECK_MEM(heard, want, n + 3);
	CHECK_EQ(hxfr_sync_flush(&s, 1000), 0); /* nothing queued: nothing sent */
	CHECK_EQ(server_hears(srv, heard, sizeof(heard)), 0);
	hxfr_sync_close(&s);
	close(srv);
}

static void test_connect(void)
{
	int l = lc_tcp_listen("127.0.0.1", 0);
	CHECK(l >= 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	CHECK_EQ(getsockname(l, (struct sockaddr *)&a, &len), 0);
	uint16_t port = ntohs(a.sin_port);
	struct hxfr_sync s;
	CHECK_EQ(hxfr_sync_connect(&s, "127.0.0.1", port, 0, 1000), 0);
	CHECK(s.fd >= 0 && s.client != NULL);
	hxfr_sync_close(&s);
	close(l);
	CHECK_EQ(hxfr_sync_connect(&s, "127.0.0.1", port, 0, 1000), -ECONNREFUSED);
	CHECK_EQ(s.fd, -1);
	CHECK_STR(s.error, "connect: Connection refused");
	hxfr_sync_close(&s); /* harmless on a failed one */
	CHECK_EQ(hxfr_sync_connect(&s, "not-an-address", port, 0, 1000), -EINVAL);
	CHECK_EQ(s.fd, -1);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	int fds = lc_count_open_fds();
	test_handshake_with_auth();
	test_handshake_failures();
	test_next();
	test_send_order();
	test_connect();
	CHECK_EQ(lc_count_open_fds(), fds);
	return check_report();
}
