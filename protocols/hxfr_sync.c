#include "hxfr_sync.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "sock.h"

static void set_error(struct hxfr_sync *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct hxfr_sync *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

int hxfr_sync_open(struct hxfr_sync *s, int fd, size_t max_payload, int timeout_ms)
{
	*s = (struct hxfr_sync){.fd = -1};
	int r = lc_tcp_connect_wait(fd, timeout_ms);
	if (r == 0) {
		struct hxfr_client_options o = {.max_payload = max_payload};
		s->client = hxfr_client_create(&o);
		if (!s->client)
			r = -ENOMEM;
	}
	if (r < 0) {
		close(fd);
		set_error(s, "connect: %s", strerror(-r));
		return r;
	}
	s->fd = fd;
	return 0;
}

int hxfr_sync_connect(struct hxfr_sync *s, const char *host, uint16_t port, size_t max_payload,
		      int timeout_ms)
{
	int fd = lc_tcp_connect_start(host, port);
	if (fd < 0) {
		*s = (struct hxfr_sync){.fd = -1};
		set_error(s, "connect: %s", strerror(-fd));
		return fd;
	}
	return hxfr_sync_open(s, fd, max_payload, timeout_ms);
}

void hxfr_sync_close(struct hxfr_sync *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	hxfr_client_destroy(s->client);
	s->client = NULL;
}

int hxfr_sync_flush(struct hxfr_sync *s, int timeout_ms)
{
	struct lc_buf *tx = hxfr_client_tx(s->client);
	if (tx->len == 0)
		return 0;
	int r = lc_send_all(s->fd, lc_buf_head(tx), tx->len, timeout_ms);
	lc_buf_consume(tx, tx->len);
	if (r < 0)
		set_error(s, "send: %s", strerror(-r));
	return r;
}

int hxfr_sync_send(struct hxfr_sync *s, const void *buf, size_t len, int timeout_ms)
{
	int r = hxfr_sync_flush(s, timeout_ms);
	if (r == 0 && (r = lc_send_all(s->fd, buf, len, timeout_ms)) < 0)
		set_error(s, "send: %s", strerror(-r));
	return r;
}

/* Waits until deadline_ms for bytes and hands them to the machine: 1 when
 * some came, 0 at the deadline, -ECONNRESET when the server closed, else
 * -errno (s->error). */
static int receive(struct hxfr_sync *s, int64_t deadline_ms)
{
	int64_t left = deadline_ms - lc_now_ms();
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	int n = poll(&p, 1, left > 0 ? (int)left : 0);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0) {
		int r = -errno;
		set_error(s, "poll: %s", strerror(-r));
		return r;
	}
	if (n == 0)
		return 0;
	ssize_t got = lc_buf_read(hxfr_client_rx(s->client), s->fd);
	if (got > 0) {
		s->bytes_in += (uint64_t)got;
		return 1;
	}
	if (got == -EAGAIN)
		return 1;
	if (got == 0 || got == -ECONNRESET) {
		s->reset = got != 0;
		set_error(s, "the server %s the connection", s->reset ? "reset" : "closed");
		return -ECONNRESET;
	}
	set_error(s, "receive: %s", strerror((int)-got));
	return (int)got;
}

enum hxfr_sync_result hxfr_sync_next(struct hxfr_sync *s, struct hxfr_msg *msg, int timeout_ms)
{
	int64_t deadline = lc_now_ms() + timeout_ms;
	for (;;) {
		switch (hxfr_client_next(s->client, msg)) {
		case HXFR_CLIENT_EV_MESSAGE: return HXFR_SYNC_MESSAGE;
		case HXFR_CLIENT_EV_SKIPPED: return HXFR_SYNC_SKIPPED;
		case HXFR_CLIENT_EV_FAILED:
			set_error(s, "%s", hxfr_client_error(s->client));
			return HXFR_SYNC_FAILED;
		case HXFR_CLIENT_EV_READY: continue;
		case HXFR_CLIENT_EV_NONE: break;
		}
		int r = receive(s, deadline);
		if (r == 0)
			return HXFR_SYNC_TIMEOUT;
		if (r == -ECONNRESET)
			return HXFR_SYNC_CLOSED;
		if (r < 0)
			return HXFR_SYNC_FAILED;
	}
}

/* What a handshake message that is not its answer says. */
static int unexpected(struct hxfr_sync *s, const struct hxfr_msg *m, const char *want)
{
	if (m->hdr.type == HXFR_ERROR)
		set_error(s, "want %s, got ERROR %d \"%s\"", want, m->u.error.code,
			  m->u.error.message);
	else
		set_error(s, "want %s, got %s", want, hxfr_type_name(m->hdr.type));
	return -EPROTO;
}

int hxfr_sync_handshake(struct hxfr_sync *s, uint32_t features, const struct hxfr_key *key,
			int timeout_ms)
{
	int64_t deadline = lc_now_ms() + timeout_ms;
	struct hxfr_client *c = s->client;
	int r = hxfr_client_hello(c, features, key);
	if (r < 0) {
		set_error(s, "cannot queue HELLO: %s", strerror(-r));
		return r;
	}
	for (;;) {
		if (hxfr_client_tx(c)->len > 0 && (r = hxfr_sync_flush(s, timeout_ms)) < 0)
			return r;
		const char *want = hxfr_client_state(c) == HXFR_CLIENT_AUTH_SENT ? "AUTH_RESP"
										 : "HELLO_RESP";
		struct hxfr_msg m;
		switch (hxfr_client_next(c, &m)) {
		case HXFR_CLIENT_EV_READY:
			if (!hxfr_client_v1(c))
				return 0;
			/* The message that showed the server skipped HELLO. */
			if (hxfr_client_next(c, &m) == HXFR_CLIENT_EV_MESSAGE)
				return unexpected(s, &m, want);
			set_error(s, "no %s", want);
			return -EPROTO;
		case HXFR_CLIENT_EV_MESSAGE:
			if (m.hdr.type == HXFR_HELLO_RESP || m.hdr.type == HXFR_AUTH_RESP)
				continue; /* the machine's; a refusal fails it next */
			return unexpected(s, &m, want);
		case HXFR_CLIENT_EV_SKIPPED:
			set_error(s, "want %s, got a malformed %s: %s", want,
				  hxfr_type_name(m.hdr.type),
				  hxfr_status_str(hxfr_client_status(c)));
			return -EPROTO;
		case HXFR_CLIENT_EV_FAILED:
			set_error(s, "%s", hxfr_client_error(c));
			return -EPROTO;
		case HXFR_CLIENT_EV_NONE: break;
		}
		r = receive(s, deadline);
		if (r == 0) {
			set_error(s, "no %s within %d ms", want, timeout_ms);
			return -ETIMEDOUT;
		}
		if (r < 0)
			return r;
	}
}
