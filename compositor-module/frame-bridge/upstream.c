#include "upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hxfr_client.h"
#include "input.h"
#include "log.h"
#include "netbuf.h"
#include "rawfd.h"
#include "sock.h"

#define BACKOFF_MIN_US (250 * LWS_US_PER_MS)
#define BACKOFF_MAX_US (5 * LWS_USEC_PER_SEC)
/* Connect and the SUBSCRIBE_RESP must come within this. */
#define HANDSHAKE_TIMEOUT_US (5 * LWS_USEC_PER_SEC)
#define KEYFRAME_REQ_GAP_US (200 * LWS_US_PER_MS)
#define OUT_MAX 4096

enum up_state {
	UP_IDLE,
	UP_CONNECTING,
	UP_SUBSCRIBING,
	UP_STREAMING,
	UP_REFUSED
};

struct lcb_upstream {
	struct lcb_rawfd raw; /* first: container of the rawfd */
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lcb_upstream_config cfg;
	struct lcb_upstream_listener l;
	enum up_state state;
	struct lws *wsi;
	int fd;
	struct hxfr_client *hx; /* the connection's HXFR state and buffers; NULL between */
	lws_sorted_usec_list_t retry_timer, handshake_timer;
	lws_usec_t backoff_us;
	lws_usec_t last_keyframe_req;
	bool destroying;
	bool input_offered;                    /* HELLO_RESP offered INPUT */
	bool refresh_offered;                  /* HELLO_RESP offered REFRESH */
	char why[HXFR_ERROR_MESSAGE_LEN + 64]; /* why the connection ended */
};

static void start_connect(lws_sorted_usec_list_t *sul);

static void set_why(struct lcb_upstream *u, const char *fmt, const char *arg)
{
	snprintf(u->why, sizeof(u->why), fmt, arg);
}

/* Called with the wsi being closed (or never adopted): retry later. */
static void connection_gone(struct lcb_upstream *u)
{
	bool was_streaming = u->state == UP_STREAMING;
	u->wsi = NULL;
	u->fd = -1;
	hxfr_client_destroy(u->hx);
	u->hx = NULL;
	lws_sul_cancel(&u->handshake_timer);
	if (u->destroying)
		return;
	if (u->state == UP_REFUSED) {
		u->l.refused(u->l.data, u->why);
		return;
	}
	u->state = UP_IDLE;
	lc_warn("exporter %s:%u: %s; reconnecting in %lld ms", u->cfg.host, u->cfg.port,
		u->why[0] ? u->why : "connection closed", (long long)(u->backoff_us / 1000));
	if (was_streaming)
		u->l.state(u->l.data, false, u->why[0] ? u->why : "connection closed");
	lws_sul_schedule(u->ctx, 0, &u->retry_timer, start_connect, u->backoff_us);
	u->backoff_us = u->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : u->backoff_us * 2;
}

static void close_wsi(struct lcb_upstream *u)
{
	/* Synchronous: RAW_CLOSE_FILE runs (and calls connection_gone) now. */
	if (u->wsi)
		lws_set_timeout(u->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

static void handshake_timeout(lws_sorted_usec_list_t *sul)
{
	struct lcb_upstream *u = lws_container_of(sul, struct lcb_upstream, handshake_timer);
	set_why(u, "%s",
		u->state == UP_CONNECTING ? "connect timed out"
					  : "no SUBSCRIBE_RESP (is it a leasecast exporter?)");
	close_wsi(u);
}

/* After the machine queued a request (queued: its result): ask to send. */
static int want_write(struct lcb_upstream *u, int queued)
{
	if (queued < 0)
		return queued;
	if (u->wsi)
		lws_callback_on_writable(u->wsi);
	return 0;
}

static void start_connect(lws_sorted_usec_list_t *sul)
{
	struct lcb_upstream *u = lws_container_of(sul, struct lcb_upstream, retry_timer);
	u->why[0] = '\0';
	int fd = lc_tcp_connect_start(u->cfg.host, u->cfg.port);
	if (fd < 0) {
		set_why(u, "connect: %s", strerror(-fd));
		connection_gone(u);
		return;
	}
	struct hxfr_client_options o = {.max_payload = HXFR_MAX_SERVER_PAYLOAD, .tx_max = OUT_MAX};
	u->hx = hxfr_client_create(&o);
	if (!u->hx) {
		close(fd);
		set_why(u, "%s", "out of memory");
		connection_gone(u);
		return;
	}
	u->fd = fd;
	u->state = UP_CONNECTING;
	u->wsi = lcb_rawfd_adopt(u->vh, fd, &u->raw);
	if (!u->wsi) {
		close(fd);
		set_why(u, "%s", "cannot add the socket to the event loop");
		connection_gone(u);
		return;
	}
	lws_callback_on_writable(u->wsi); /* the connect's completion */
	lws_sul_schedule(u->ctx, 0, &u->handshake_timer, handshake_timeout, HANDSHAKE_TIMEOUT_US);
}

/* HELLO and SUBSCRIBE_KEYED together: a subscription needs no answer to
 * HELLO, only the key. */
static int send_subscription(struct lcb_upstream *u)
{
	uint32_t features = HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR;
	if (u->cfg.input)
		features |= HXFR_FEATURE_INPUT;
	u->input_offered = false;
	u->refresh_offered = false;
	int r = hxfr_client_hello(u->hx, features, NULL);
	if (r == 0)
		r = hxfr_client_subscribe_keyed(u->hx, u->cfg.scanout, u->cfg.key);
	if (r < 0)
		return r;
	u->state = UP_SUBSCRIBING;
	return want_write(u, 0);
}

/* The server refused us for good: which key, which scanout, what it said. */
static void refuse(struct lcb_upstream *u, const struct hxfr_error *e)
{
	const char *what = e->code == HXFR_ERR_AUTH_FAILED   ? "refused the stream key"
			   : e->code == HXFR_ERR_KEY_REVOKED ? "revoked the stream key"
			   : e->code == HXFR_ERR_BAD_SCANOUT ? "has no such scanout"
							     : "does not stream";
	snprintf(u->why, sizeof(u->why), "exporter %s for scanout %u (error %d: %s)", what,
		 u->cfg.scanout, e->code, e->message);
	u->state = UP_REFUSED;
}

/* 0 to go on, -1 to close. */
static int handle_msg(struct lcb_upstream *u, const struct hxfr_msg *m)
{
	switch (m->hdr.type) {
	case HXFR_HELLO_RESP:
		if (!(m->u.hello.features & HXFR_FEATURE_CURSOR))
			lc_info("exporter does not offer the cursor channel");
		u->input_offered = (m->u.hello.features & HXFR_FEATURE_INPUT) != 0;
		u->refresh_offered = (m->u.hello.features & HXFR_FEATURE_REFRESH) != 0;
		if (u->cfg.input && !u->input_offered)
			lc_warn("exporter does not offer INPUT: viewers can only watch");
		return 0;
	case HXFR_SUBSCRIBE_RESP:
		if (m->u.subscribe_resp.success != 1)
			return 0; /* the ERROR that follows says why */
		lc_info("subscribed to scanout %u at %s:%u", u->cfg.scanout, u->cfg.host,
			u->cfg.port);
		u->state = UP_STREAMING;
		u->backoff_us = BACKOFF_MIN_US;
		lws_sul_cancel(&u->handshake_timer);
		u->l.state(u->l.data, true, "streaming");
		return 0;
	case HXFR_FRAME_RESPONSE:
		if (u->state == UP_STREAMING)
			u->l.frame(u->l.data, &m->u.frame);
		return 0;
	case HXFR_CURSOR_DEFINE:
		if (u->state == UP_STREAMING)
			u->l.cursor_define(u->l.data, &m->u.cursor_define);
		return 0;
	case HXFR_CURSOR_MOVE:
		if (u->state == UP_STREAMING)
			u->l.cursor_move(u->l.data, &m->u.cursor_move);
		return 0;
	case HXFR_ERROR:
		switch (m->u.error.code) {
		case HXFR_ERR_AUTH_FAILED:
		case HXFR_ERR_KEY_REVOKED:
		case HXFR_ERR_BAD_SCANOUT:
		case HXFR_ERR_UNSUPPORTED:
		case HXFR_ERR_UNAUTHENTICATED: refuse(u, &m->u.error); return -1;
		default:
			lc_warn("exporter: error %d: %s", m->u.error.code, m->u.error.message);
			return 0;
		}
	case HXFR_CONFIG_RESP:
		lc_info("exporter: stream configured: %u bit/s, %u/%u fps hint",
			m->u.config.bitrate_bps, m->u.config.framerate_num,
			m->u.config.framerate_den);
		return 0;
	default: lc_debug("exporter: ignoring %s", hxfr_type_name(m->hdr.type)); return 0;
	}
}

static int handle_readable(struct lcb_upstream *u)
{
	/* What came before an EOF or error (a refusal's ERROR, typically) is
	 * handled first: it says why the connection ends. */
	int end = 0;
	for (;;) {
		ssize_t r = lc_buf_read(hxfr_client_rx(u->hx), u->fd);
		if (r == -EAGAIN || r == -ENOBUFS)
			break;
		if (r == 0) {
			set_why(u, "%s", "the exporter closed the connection");
			end = -1;
			break;
		}
		if (r < 0) {
			set_why(u, "read: %s", strerror((int)-r));
			end = -1;
			break;
		}
	}
	for (;;) {
		struct hxfr_msg m;
		switch (hxfr_client_next(u->hx, &m)) {
		case HXFR_CLIENT_EV_NONE: return end;
		case HXFR_CLIENT_EV_READY: break; /* HELLO_RESP came, or a Helix v1 exporter */
		case HXFR_CLIENT_EV_MESSAGE:
			if (handle_msg(u, &m) < 0)
				return -1;
			break;
		case HXFR_CLIENT_EV_SKIPPED:
			lc_warn("exporter: skipping a bad %s message: %s",
				hxfr_type_name(m.hdr.type),
				hxfr_status_str(hxfr_client_status(u->hx)));
			break;
		case HXFR_CLIENT_EV_FAILED:
			set_why(u, "bad input from the exporter: %s", hxfr_client_error(u->hx));
			return -1;
		}
	}
}

static int handle(struct lcb_rawfd *r, struct lws *wsi, enum lws_callback_reasons reason)
{
	struct lcb_upstream *u = (struct lcb_upstream *)r;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (u->state == UP_CONNECTING)
			return 0; /* wait for the writable that completes the connect */
		return handle_readable(u);
	case LWS_CALLBACK_RAW_WRITEABLE_FILE: {
		if (u->state == UP_CONNECTING) {
			int err = lc_sock_error(u->fd);
			if (err < 0) {
				set_why(u, "connect: %s", strerror(-err));
				return -1;
			}
			if (send_subscription(u) < 0) {
				set_why(u, "%s", "cannot queue the subscription");
				return -1;
			}
		}
		ssize_t left = lc_buf_flush(hxfr_client_tx(u->hx), u->fd);
		if (left < 0) {
			set_why(u, "write: %s", strerror((int)-left));
			return -1;
		}
		if (left > 0)
			lws_callback_on_writable(wsi);
		else if (u->state == UP_STREAMING && u->l.tx_room)
			u->l.tx_room(u->l.data);
		return 0;
	}
	case LWS_CALLBACK_RAW_CLOSE_FILE: connection_gone(u); return 0;
	default: return 0;
	}
}

struct lcb_upstream *lcb_upstream_create(struct lws_context *ctx, struct lws_vhost *vh,
					 const struct lcb_upstream_config *cfg,
					 const struct lcb_upstream_listener *l)
{
	struct lcb_upstream *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->raw.handle = handle;
	u->ctx = ctx;
	u->vh = vh;
	u->cfg = *cfg;
	u->l = *l;
	u->fd = -1;
	u->backoff_us = BACKOFF_MIN_US;
	lws_sul_schedule(ctx, 0, &u->retry_timer, start_connect, 1);
	return u;
}

void lcb_upstream_destroy(struct lcb_upstream *u)
{
	if (!u)
		return;
	u->destroying = true;
	lws_sul_cancel(&u->retry_timer);
	lws_sul_cancel(&u->handshake_timer);
	close_wsi(u);
	hxfr_client_destroy(u->hx);
	free(u);
}

void lcb_upstream_request_keyframe(struct lcb_upstream *u)
{
	if (u->state != UP_STREAMING)
		return;
	lws_usec_t now = lws_now_usecs();
	if (now - u->last_keyframe_req < KEYFRAME_REQ_GAP_US)
		return;
	u->last_keyframe_req = now;
	if (want_write(u, hxfr_client_keyframe_req(u->hx, u->cfg.scanout)) < 0)
		lc_warn("exporter: cannot queue KEYFRAME_REQ");
}

void lcb_upstream_request_refresh(struct lcb_upstream *u)
{
	if (u->state != UP_STREAMING)
		return;
	if (!u->refresh_offered) {
		/* An exporter without REFRESH: an IDR of the picture as it is
		 * decodes to the same picture too, at an IDR's size. */
		lcb_upstream_request_keyframe(u);
		return;
	}
	if (want_write(u, hxfr_client_refresh_req(u->hx, u->cfg.scanout)) < 0)
		lc_warn("exporter: cannot queue REFRESH_REQ");
}

void lcb_upstream_configure(struct lcb_upstream *u, unsigned fps, uint32_t bitrate_bps)
{
	if (u->state != UP_STREAMING)
		return;
	/* Width and height 0: the size is the output's, asked by RESIZE_REQ. */
	struct hxfr_config_req c = {
		.bitrate_bps = bitrate_bps,
		.framerate_num = fps,
		.framerate_den = fps ? 1 : 0,
		.realtime = 1,
	};
	if (want_write(u, hxfr_client_config_req(u->hx, u->cfg.scanout, &c)) < 0)
		lc_warn("exporter: cannot queue CONFIG_REQ");
}

int lcb_upstream_input(void *upstream, const struct lcb_hxin *e)
{
	struct lcb_upstream *u = upstream;
	if (!u || u->state != UP_STREAMING || !u->hx)
		return -ENOTCONN;
	if (!u->cfg.input || !u->input_offered)
		return -EOPNOTSUPP;
	uint32_t s = u->cfg.scanout; /* fixed by --scanout: a viewer never picks one */
	int r;
	switch (e->type) {
	case HXFR_INPUT_KEY: r = hxfr_client_input_key(u->hx, s, e->code, e->down); break;
	case HXFR_INPUT_BUTTON: r = hxfr_client_input_button(u->hx, s, e->code, e->down); break;
	case HXFR_INPUT_ABS: r = hxfr_client_input_abs(u->hx, s, e->x, e->y); break;
	case HXFR_INPUT_REL: r = hxfr_client_input_rel(u->hx, s, e->x, e->y); break;
	case HXFR_INPUT_WHEEL: r = hxfr_client_input_wheel(u->hx, s, e->x, e->y); break;
	case HXFR_INPUT_TOUCH:
		r = hxfr_client_input_touch(u->hx, s, e->kind, e->slot, e->x, e->y);
		break;
	case HXFR_INPUT_RELEASE_ALL: r = hxfr_client_input_release_all(u->hx, s); break;
	case HXFR_RESIZE_REQ:
		r = hxfr_client_resize_req(u->hx, s, (uint32_t)e->x, (uint32_t)e->y);
		break;
	default: return -EINVAL;
	}
	if (r == -EINVAL)
		lc_warn("exporter: an input message HXFR refuses (type 0x%02x): dropped", e->type);
	return want_write(u, r);
}
