#include "exporter_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_client.h"
#include "log.h"
#include "netbuf.h"
#include "sock.h"

#define LINK_BUF_MAX (64u * 1024u)
#define LINK_RX_MAX_PAYLOAD 4096u
#define HELLO_TIMEOUT_MS 1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_OUTSTANDING 256
/* Requests sent and not yet answered: the exporter refuses more than 8
 * per connection, the rest wait here. */
#define MAX_IN_FLIGHT 8

enum link_state {
	LINK_DOWN,
	LINK_CONNECTING,
	LINK_HANDSHAKE, /* HELLO (and AUTH): the machine knows which step */
	LINK_READY,
};

struct lb_exporter_link {
	struct wl_event_loop *loop;
	char host[64];
	uint16_t port;
	bool auth;
	struct hxfr_key key;
	bool v1;          /* Helix v1 peer: no replies to DISABLE */
	bool stream_keys; /* STREAM_KEY_REQ/REVOKE allowed on this connection */
	enum link_state state;
	int fd;
	struct hxfr_client *hx; /* the connection's HXFR state and buffers; NULL while down */
	struct wl_event_source *fd_src;
	struct wl_event_source *timer; /* connect backoff and HELLO timeout */
	unsigned backoff_ms;
	struct wl_list queued; /* lb_exporter_req.link: not sent yet */
	struct wl_list sent;   /* awaiting SCANOUT_RESP, oldest first */
	size_t n_outstanding;
	size_t n_in_flight;
	struct wl_event_source *drop_idle;
	char drop_why[96];
};

struct lb_exporter_req {
	struct lb_exporter_link *l;
	struct wl_list link;
	uint8_t type;
	struct hxfr_enable_scanout en; /* scanout_id is used for every type */
	lb_exporter_cb cb;             /* NULL: cancelled or timed out, reply still due */
	lb_exporter_key_cb key_cb;     /* instead of cb for STREAM_KEY_REQ/REVOKE */
	void *data;
	bool sent;
	bool in_flight; /* counted in n_in_flight */
	struct wl_event_source *timer;
	struct wl_event_source *idle; /* completion without a reply (v1 DISABLE) */
};

static void link_drop(struct lb_exporter_link *l, const char *why);

static void req_free(struct lb_exporter_req *r)
{
	if (r->in_flight)
		r->l->n_in_flight--;
	wl_list_remove(&r->link);
	if (r->timer)
		wl_event_source_remove(r->timer);
	if (r->idle)
		wl_event_source_remove(r->idle);
	r->l->n_outstanding--;
	free(r);
}

static bool is_key_type(uint8_t type)
{
	return type == HXFR_STREAM_KEY_REQ || type == HXFR_STREAM_KEY_REVOKE;
}

/* Runs the callback (if any) and frees the request. key: for key requests,
 * the key received (NULL: none). */
static void req_complete_key(struct lb_exporter_req *r, bool ok, const uint8_t *key,
			     const char *msg)
{
	lb_exporter_cb cb = r->cb;
	lb_exporter_key_cb key_cb = r->key_cb;
	void *data = r->data;
	req_free(r);
	if (cb)
		cb(data, ok, msg);
	if (key_cb)
		key_cb(data, ok, key, msg);
}

static void req_complete(struct lb_exporter_req *r, bool ok, const char *msg)
{
	req_complete_key(r, ok, NULL, msg);
}

static void update_mask(struct lb_exporter_link *l)
{
	if (!l->fd_src)
		return;
	uint32_t mask = WL_EVENT_READABLE;
	if (l->state == LINK_CONNECTING || hxfr_client_tx(l->hx)->len > 0)
		mask |= WL_EVENT_WRITABLE;
	wl_event_source_fd_update(l->fd_src, mask);
}

static void deferred_drop(void *data)
{
	struct lb_exporter_link *l = data;
	l->drop_idle = NULL;
	link_drop(l, l->drop_why);
}

/* Sends what the machine queued; queued < 0: it could not queue a
 * request. Send errors drop the link from an idle callback: sends happen
 * inside lb_exporter_enable/disable, whose callers must not see callbacks
 * run. */
static int send_queued(struct lb_exporter_link *l, int queued)
{
	const char *why = NULL;
	if (l->drop_idle)
		return -1;
	if (queued < 0) {
		why = "control link send queue full";
	} else {
		ssize_t r = lc_buf_flush(hxfr_client_tx(l->hx), l->fd);
		if (r < 0)
			why = strerror((int)-r);
	}
	if (why) {
		snprintf(l->drop_why, sizeof(l->drop_why), "%s", why);
		l->drop_idle = wl_event_loop_add_idle(l->loop, deferred_drop, l);
		return -1;
	}
	update_mask(l);
	return 0;
}

static void v1_done(void *data)
{
	struct lb_exporter_req *r = data;
	r->idle = NULL;
	req_complete(r, true, NULL); /* for key requests: no key */
}

static int queue_req(struct lb_exporter_link *l, const struct lb_exporter_req *r)
{
	switch (r->type) {
	case HXFR_ENABLE_SCANOUT: return hxfr_client_enable_scanout(l->hx, &r->en);
	case HXFR_DISABLE_SCANOUT: return hxfr_client_disable_scanout(l->hx, r->en.scanout_id);
	case HXFR_STREAM_KEY_REQ: return hxfr_client_stream_key_req(l->hx, r->en.scanout_id);
	default: return hxfr_client_stream_key_revoke(l->hx, r->en.scanout_id);
	}
}

static void flush_queue(struct lb_exporter_link *l)
{
	while (l->state == LINK_READY && !wl_list_empty(&l->queued) &&
	       l->n_in_flight < MAX_IN_FLIGHT) {
		struct lb_exporter_req *r = wl_container_of(l->queued.next, r, link);
		if (is_key_type(r->type) && !l->stream_keys) {
			/* An exporter without stream keys: nothing to ask, and
			 * nothing to revoke. Completes without a key. */
			wl_list_remove(&r->link);
			wl_list_init(&r->link);
			r->sent = true;
			if (!r->idle)
				r->idle = wl_event_loop_add_idle(l->loop, v1_done, r);
			continue;
		}
		int queued = queue_req(l, r);
		wl_list_remove(&r->link);
		wl_list_insert(l->sent.prev, &r->link);
		r->sent = true;
		r->in_flight = true;
		l->n_in_flight++;
		lc_debug("exporter: %s scanout %u", hxfr_type_name(r->type), r->en.scanout_id);
		if (l->v1 && r->type == HXFR_DISABLE_SCANOUT) {
			/* Helix's QEMU never answers DISABLE_SCANOUT: don't wait. */
			wl_list_remove(&r->link);
			wl_list_init(&r->link);
			r->in_flight = false;
			l->n_in_flight--;
			r->idle = wl_event_loop_add_idle(l->loop, v1_done, r);
		}
		if (send_queued(l, queued) < 0)
			return;
	}
}

static int timer_fired(void *data);

static void arm_timer(struct lb_exporter_link *l, unsigned ms)
{
	wl_event_source_timer_update(l->timer, (int)ms);
}

static void link_ready(struct lb_exporter_link *l, const char *how)
{
	l->state = LINK_READY;
	l->backoff_ms = BACKOFF_MIN_MS;
	arm_timer(l, 0);
	lc_info("exporter %s:%u: control link up (%s)", l->host, l->port, how);
	flush_queue(l);
}

static void link_drop(struct lb_exporter_link *l, const char *why)
{
	if (l->state == LINK_DOWN)
		return;
	lc_warn("exporter %s:%u: control link down: %s; retrying in %u ms", l->host, l->port, why,
		l->backoff_ms);
	if (l->fd_src)
		wl_event_source_remove(l->fd_src);
	l->fd_src = NULL;
	if (l->drop_idle)
		wl_event_source_remove(l->drop_idle);
	l->drop_idle = NULL;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->state = LINK_DOWN;
	hxfr_client_destroy(l->hx);
	l->hx = NULL;
	char msg[160];
	snprintf(msg, sizeof(msg), "exporter control link lost (%s)", why);
	/* A reply to these can never come now. */
	while (!wl_list_empty(&l->sent)) {
		struct lb_exporter_req *r = wl_container_of(l->sent.next, r, link);
		req_complete(r, false, msg);
	}
	arm_timer(l, l->backoff_ms);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* The machine's EV_READY: HELLO (and AUTH) are over, or the exporter
 * turned out to be Helix v1 (it answered HELLO with something else). */
static void handshake_done(struct lb_exporter_link *l)
{
	if (hxfr_client_v1(l->hx)) {
		l->v1 = true;
		link_ready(l, "Helix v1, unauthenticated");
		return;
	}
	if (!l->auth) {
		/* Only an exporter run with --allow-unauthenticated-control
		 * honours key requests here; refusals come back as zero
		 * keys and the lease goes on without one. */
		l->stream_keys = (hxfr_client_offered(l->hx) & HXFR_FEATURE_STREAM_KEYS) != 0;
		link_ready(l, "unauthenticated");
		return;
	}
	uint32_t granted = hxfr_client_granted(l->hx);
	if (!(granted & HXFR_FEATURE_CONTROL)) {
		link_drop(l, "exporter did not grant scanout control");
		return;
	}
	l->stream_keys = (granted & HXFR_FEATURE_STREAM_KEYS) != 0;
	link_ready(l, l->stream_keys ? "authenticated, stream keys" : "authenticated");
}

static void handle_msg(struct lb_exporter_link *l, const struct hxfr_msg *m)
{
	switch (m->hdr.type) {
	case HXFR_HELLO_RESP: return; /* the machine answers it (AUTH) */
	case HXFR_AUTH_RESP:
		/* A refusal fails the machine right after this message. */
		if (!m->u.auth_resp.success)
			lc_err("exporter %s:%u refused our control key", l->host, l->port);
		return;
	case HXFR_SCANOUT_RESP: {
		struct lb_exporter_req *r;
		lc_debug("exporter: SCANOUT_RESP scanout %u %s", m->u.scanout_resp.scanout_id,
			 m->u.scanout_resp.success ? "success" : "failure");
		wl_list_for_each (r, &l->sent, link) {
			if (!is_key_type(r->type) &&
			    r->en.scanout_id == m->u.scanout_resp.scanout_id) {
				char msg[128];
				snprintf(msg, sizeof(msg), "exporter refused %s of scanout %u",
					 hxfr_type_name(r->type), r->en.scanout_id);
				req_complete(r, m->u.scanout_resp.success != 0,
					     m->u.scanout_resp.success ? NULL : msg);
				flush_queue(l);
				return;
			}
		}
		lc_warn("exporter: SCANOUT_RESP for scanout %u nobody asked for",
			m->u.scanout_resp.scanout_id);
		return;
	}
	case HXFR_STREAM_KEY: {
		/* One STREAM_KEY per key request, in order: the oldest key
		 * request still unanswered is this one's. Never log the key. */
		const struct hxfr_stream_key *k = &m->u.stream_key;
		struct lb_exporter_req *r, *found = NULL;
		wl_list_for_each (r, &l->sent, link) {
			if (is_key_type(r->type)) {
				found = r;
				break;
			}
		}
		if (!found || found->en.scanout_id != k->scanout_id) {
			link_drop(l, "STREAM_KEY out of sequence");
			return;
		}
		bool zero = hxfr_stream_key_is_zero(k->key);
		lc_debug("exporter: STREAM_KEY scanout %u (%s)", k->scanout_id,
			 zero ? "no key" : "a key");
		if (found->type == HXFR_STREAM_KEY_REQ && zero) {
			char msg[128];
			snprintf(msg, sizeof(msg), "exporter refused a stream key for scanout %u",
				 k->scanout_id);
			req_complete_key(found, false, NULL, msg);
		} else {
			req_complete_key(found, true,
					 found->type == HXFR_STREAM_KEY_REQ ? k->key : NULL, NULL);
		}
		flush_queue(l);
		return;
	}
	case HXFR_ERROR:
		lc_warn("exporter error %d: %s", m->u.error.code, m->u.error.message);
		/* Without a key, an ERROR for HELLO made the machine take the
		 * exporter for Helix v1 (EV_READY came first); with one it is
		 * the handshake's refusal. */
		if (l->state != LINK_READY) {
			link_drop(l, m->u.error.message);
			return;
		}
		/* Our exporter answers every control request with a
		 * SCANOUT_RESP or STREAM_KEY and sends the reason of a failure
		 * as an ERROR after it: the request is already complete; only
		 * log. */
		return;
	case HXFR_PONG: return;
	default: lc_debug("exporter: ignoring %s", hxfr_type_name(m->hdr.type)); return;
	}
}

static void handle_input(struct lb_exporter_link *l)
{
	while (l->state != LINK_DOWN) {
		struct hxfr_msg m;
		switch (hxfr_client_next(l->hx, &m)) {
		case HXFR_CLIENT_EV_NONE:
			/* What the machine queued itself (AUTH) goes out now. */
			if (hxfr_client_tx(l->hx)->len > 0)
				send_queued(l, 0);
			return;
		case HXFR_CLIENT_EV_READY: handshake_done(l); break;
		case HXFR_CLIENT_EV_MESSAGE: handle_msg(l, &m); break;
		case HXFR_CLIENT_EV_SKIPPED:
			lc_warn("exporter: skipping a bad message: %s",
				hxfr_status_str(hxfr_client_status(l->hx)));
			break;
		case HXFR_CLIENT_EV_FAILED: link_drop(l, hxfr_client_error(l->hx)); return;
		}
	}
}

static int handle_fd(int fd, uint32_t mask, void *data)
{
	struct lb_exporter_link *l = data;
	if (l->state == LINK_CONNECTING) {
		if (!(mask & (WL_EVENT_WRITABLE | WL_EVENT_ERROR | WL_EVENT_HANGUP)))
			return 0;
		int err = lc_sock_error(fd);
		if (err < 0 || (mask & (WL_EVENT_ERROR | WL_EVENT_HANGUP))) {
			link_drop(l, err < 0 ? strerror(-err) : "connection refused");
			return 0;
		}
		l->state = LINK_HANDSHAKE;
		update_mask(l);
		arm_timer(l, HELLO_TIMEOUT_MS);
		send_queued(l, hxfr_client_hello(l->hx,
						 HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS,
						 l->auth ? &l->key : NULL));
		return 0;
	}
	if (mask & WL_EVENT_READABLE) {
		for (;;) {
			ssize_t n = lc_buf_read(hxfr_client_rx(l->hx), fd);
			if (n == -EAGAIN)
				break;
			if (n <= 0) {
				link_drop(l, n == 0 ? "closed by the exporter" : strerror((int)-n));
				return 0;
			}
			handle_input(l);
			if (l->state == LINK_DOWN)
				return 0;
		}
	} else if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		link_drop(l, "hang-up");
		return 0;
	}
	if ((mask & WL_EVENT_WRITABLE) && hxfr_client_tx(l->hx)->len > 0) {
		ssize_t r = lc_buf_flush(hxfr_client_tx(l->hx), fd);
		if (r < 0) {
			link_drop(l, strerror((int)-r));
			return 0;
		}
	}
	update_mask(l);
	return 0;
}

static void link_connect(struct lb_exporter_link *l)
{
	int fd = lc_tcp_connect_start(l->host, l->port);
	if (fd < 0) {
		l->state = LINK_CONNECTING; /* so that link_drop logs and backs off */
		link_drop(l, strerror(-fd));
		return;
	}
	l->fd = fd;
	l->v1 = false;
	l->stream_keys = false;
	l->state = LINK_CONNECTING;
	struct hxfr_client_options o = {.max_payload = LINK_RX_MAX_PAYLOAD, .tx_max = LINK_BUF_MAX};
	l->hx = hxfr_client_create(&o);
	if (l->hx)
		l->fd_src = wl_event_loop_add_fd(l->loop, fd, WL_EVENT_READABLE | WL_EVENT_WRITABLE,
						 handle_fd, l);
	if (!l->fd_src)
		link_drop(l, "out of memory");
}

static int timer_fired(void *data)
{
	struct lb_exporter_link *l = data;
	switch (l->state) {
	case LINK_DOWN: link_connect(l); break;
	case LINK_HANDSHAKE:
		if (hxfr_client_state(l->hx) != HXFR_CLIENT_HELLO_SENT) {
			link_drop(l, "handshake timed out"); /* no AUTH_RESP */
		} else if (!l->auth) {
			hxfr_client_hello_timed_out(l->hx); /* Helix v1 from now on */
			l->v1 = true;
			link_ready(l, "no HELLO_RESP: Helix v1, unauthenticated");
		} else {
			link_drop(l, "no HELLO_RESP within 1 s (a Helix v1 exporter? "
				     "it needs --exporter-auth=none)");
		}
		break;
	case LINK_CONNECTING: link_drop(l, "handshake timed out"); break;
	case LINK_READY: break;
	}
	return 0;
}

struct lb_exporter_link *lb_exporter_link_create(struct wl_event_loop *loop, const char *hostport,
						 const struct hxfr_key *key)
{
	struct lb_exporter_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->loop = loop;
	l->fd = -1;
	l->backoff_ms = BACKOFF_MIN_MS;
	wl_list_init(&l->queued);
	wl_list_init(&l->sent);
	if (lc_parse_hostport(hostport, l->host, sizeof(l->host), &l->port) < 0) {
		lc_err("--exporter: '%s' is not a numeric HOST:PORT", hostport);
		lb_exporter_link_destroy(l);
		return NULL;
	}
	if (key) {
		l->auth = true;
		l->key = *key;
	}
	l->timer = wl_event_loop_add_timer(loop, timer_fired, l);
	if (!l->timer) {
		lb_exporter_link_destroy(l);
		return NULL;
	}
	link_connect(l);
	return l;
}

void lb_exporter_link_destroy(struct lb_exporter_link *l)
{
	if (!l)
		return;
	if (l->fd >= 0 && l->hx && hxfr_client_tx(l->hx)->len > 0)
		lc_buf_flush(hxfr_client_tx(l->hx), l->fd); /* best effort: last DISABLEs */
	struct lb_exporter_req *r, *tmp;
	wl_list_for_each_safe (r, tmp, &l->queued, link)
		req_free(r);
	wl_list_for_each_safe (r, tmp, &l->sent, link)
		req_free(r);
	if (l->fd_src)
		wl_event_source_remove(l->fd_src);
	if (l->drop_idle)
		wl_event_source_remove(l->drop_idle);
	if (l->fd >= 0)
		close(l->fd);
	if (l->timer)
		wl_event_source_remove(l->timer);
	hxfr_client_destroy(l->hx);
	explicit_bzero(&l->key, sizeof(l->key));
	free(l);
}

bool lb_exporter_link_ready(const struct lb_exporter_link *l)
{
	return l->state == LINK_READY;
}

bool lb_exporter_link_has_stream_keys(const struct lb_exporter_link *l)
{
	return l->state == LINK_READY && l->stream_keys;
}

static int req_timeout(void *data)
{
	struct lb_exporter_req *r = data;
	char msg[128];
	snprintf(msg, sizeof(msg), "exporter did not answer %s of scanout %u in time%s",
		 hxfr_type_name(r->type), r->en.scanout_id,
		 r->l->state == LINK_READY ? "" : " (control link down)");
	if (!r->sent) {
		req_complete(r, false, msg);
		return 0;
	}
	/* Keep it as a placeholder so its late reply is not taken for the
	 * next request on the same scanout. */
	lb_exporter_cb cb = r->cb;
	lb_exporter_key_cb key_cb = r->key_cb;
	void *cbdata = r->data;
	r->cb = NULL;
	r->key_cb = NULL;
	wl_event_source_remove(r->timer);
	r->timer = NULL;
	if (cb)
		cb(cbdata, false, msg);
	if (key_cb)
		key_cb(cbdata, false, NULL, msg);
	return 0;
}

static struct lb_exporter_req *req_new(struct lb_exporter_link *l, uint8_t type, uint32_t scanout,
				       unsigned timeout_ms, lb_exporter_cb cb, void *data)
{
	if (l->n_outstanding >= MAX_OUTSTANDING)
		return NULL;
	struct lb_exporter_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->l = l;
	r->type = type;
	r->en.scanout_id = scanout;
	r->cb = cb;
	r->data = data;
	r->timer = wl_event_loop_add_timer(l->loop, req_timeout, r);
	if (!r->timer) {
		free(r);
		return NULL;
	}
	wl_event_source_timer_update(r->timer, (int)timeout_ms);
	wl_list_insert(l->queued.prev, &r->link);
	l->n_outstanding++;
	return r;
}

struct lb_exporter_req *lb_exporter_enable(struct lb_exporter_link *l, uint32_t scanout_id,
					   uint32_t width, uint32_t height, uint32_t refresh_hz,
					   unsigned timeout_ms, lb_exporter_cb cb, void *data)
{
	struct lb_exporter_req *r = req_new(l, HXFR_ENABLE_SCANOUT, scanout_id, timeout_ms, cb,
					    data);
	if (!r)
		return NULL;
	r->en.width = width;
	r->en.height = height;
	r->en.refresh_hz = refresh_hz;
	flush_queue(l);
	return r;
}

struct lb_exporter_req *lb_exporter_disable(struct lb_exporter_link *l, uint32_t scanout_id,
					    unsigned timeout_ms, lb_exporter_cb cb, void *data)
{
	struct lb_exporter_req *r = req_new(l, HXFR_DISABLE_SCANOUT, scanout_id, timeout_ms, cb,
					    data);
	if (r)
		flush_queue(l);
	return r;
}

struct lb_exporter_req *lb_exporter_stream_key(struct lb_exporter_link *l, uint32_t scanout_id,
					       unsigned timeout_ms, lb_exporter_key_cb cb,
					       void *data)
{
	struct lb_exporter_req *r = req_new(l, HXFR_STREAM_KEY_REQ, scanout_id, timeout_ms, NULL,
					    data);
	if (r) {
		r->key_cb = cb;
		flush_queue(l);
	}
	return r;
}

struct lb_exporter_req *lb_exporter_revoke_key(struct lb_exporter_link *l, uint32_t scanout_id,
					       unsigned timeout_ms, lb_exporter_key_cb cb,
					       void *data)
{
	struct lb_exporter_req *r = req_new(l, HXFR_STREAM_KEY_REVOKE, scanout_id, timeout_ms, NULL,
					    data);
	if (r) {
		r->key_cb = cb;
		flush_queue(l);
	}
	return r;
}

void lb_exporter_req_cancel(struct lb_exporter_req *r)
{
	if (!r)
		return;
	if (!r->sent || r->idle) {
		req_free(r);
		return;
	}
	r->cb = NULL;
	r->key_cb = NULL;
}
