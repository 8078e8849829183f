#define _GNU_SOURCE
#include "helix_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "helix_lease.h"
#include "log.h"
#include "netbuf.h"
#include "status.h"

#define MAX_CLIENTS 512
#define CLIENT_OUT_MAX (HELIX_LEASE_EXT_HDR_SIZE + HELIX_LEASE_EXT_MAX)
/* An INPUT_DEVICES body: 32 entries of at most ~150 bytes. */
#define INPUTS_BODY_MAX 8192

struct lb_helix_server {
	struct lb_broker *broker;
	int listen_fd;
	struct wl_event_source *listen_src;
	struct wl_list clients;
	size_t n_clients;
};

/* One connection; its life bounds its lease's life. */
struct helix_client {
	struct lb_helix_server *server;
	struct wl_list link;
	int fd;
	struct wl_event_source *src;
	struct lc_peer peer;
	uint8_t in[HELIX_LEASE_REQ_SIZE];
	size_t in_len;
	struct lc_buf out; /* extension replies (STATUS, AUTH_MAGIC) */
	/* An INPUT_DEVICES reply waiting for `out` to drain (its fds must go
	 * with its first byte, in one sendmsg): copies of the lease's input
	 * fds (revoked with them). No request is read while it waits, so
	 * replies stay in order. */
	struct {
		uint8_t *msg;
		size_t len;
		int fds[LC_LEASE_INPUT_MAX];
		size_t n_fds;
	} pending;
	struct lb_lease *lease;
	bool lease_replied;
	uint32_t scanout_reported;
	struct wl_listener granted;
	struct wl_listener finished;
};

static void pending_free(struct helix_client *c)
{
	for (size_t i = 0; i < c->pending.n_fds; i++)
		close(c->pending.fds[i]);
	c->pending.n_fds = 0;
	free(c->pending.msg);
	c->pending.msg = NULL;
	c->pending.len = 0;
}

static void client_destroy(struct helix_client *c)
{
	if (c->lease) {
		wl_list_remove(&c->granted.link);
		wl_list_remove(&c->finished.link);
		lb_lease_destroy(c->lease);
	}
	lc_debug("helix: pid %d disconnected", (int)c->peer.pid);
	wl_event_source_remove(c->src);
	close(c->fd);
	pending_free(c);
	lc_buf_finish(&c->out);
	wl_list_remove(&c->link);
	c->server->n_clients--;
	free(c);
}

static void client_drop_lease(struct helix_client *c)
{
	if (!c->lease)
		return;
	wl_list_remove(&c->granted.link);
	wl_list_remove(&c->finished.link);
	struct lb_lease *l = c->lease;
	c->lease = NULL;
	lb_lease_destroy(l);
}

/* A 69-byte reply, in one sendmsg with the fd (or none). */
static int send_reply(struct helix_client *c, uint8_t status, uint32_t scanout, const char *name,
		      int fd)
{
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	size_t n = helix_lease_resp_encode(buf, sizeof(buf), status, scanout, name);
	if (n != HELIX_LEASE_RESP_SIZE)
		return -EINVAL;
	if (c->pending.msg || (c->out.len > 0 && lc_buf_flush(&c->out, c->fd) != 0))
		return -EAGAIN; /* would reorder replies */
	ssize_t r = lc_send_with_fd(c->fd, buf, n, fd);
	if (r < 0)
		return (int)r;
	return (size_t)r == n ? 0 : -EAGAIN;
}

/* Bad input: say why, then hang up. Other clients are unaffected. */
static void client_fail(struct helix_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void client_fail(struct helix_client *c, const char *fmt, ...)
{
	char msg[HELIX_LEASE_NAME_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lc_warn("helix: pid %d uid %u: %s; closing", (int)c->peer.pid, (unsigned)c->peer.uid, msg);
	send_reply(c, HELIX_LEASE_ERROR, 0, msg, -1);
	client_destroy(c);
}

static void handle_granted(struct wl_listener *listener, void *data)
{
	struct helix_client *c = wl_container_of(listener, c, granted);
	int fd = *(int *)data;
	const struct lb_output *o = c->lease->outputs[0];
	c->scanout_reported = o->scanout_id >= 0 ? (uint32_t)o->scanout_id : UINT32_MAX;
	int r = send_reply(c, HELIX_LEASE_OK, c->scanout_reported, o->name, fd);
	if (r < 0) {
		lc_warn("helix: pid %d: cannot send the lease: %s", (int)c->peer.pid, strerror(-r));
		client_destroy(c); /* the broker defers the lease's end until we return */
		return;
	}
	c->lease_replied = true;
}

static void handle_finished(struct wl_listener *listener, void *data)
{
	struct helix_client *c = wl_container_of(listener, c, finished);
	const char *reason = data;
	bool replied = c->lease_replied;
	client_drop_lease(c);
	c->lease_replied = false;
	if (!replied && send_reply(c, HELIX_LEASE_ERROR, 0, reason, -1) < 0)
		client_destroy(c);
	/* An ended lease leaves the connection usable for another one. */
}

/* These return false when the client is gone. */
static bool handle_lease_req(struct helix_client *c, const struct helix_lease_req *req)
{
	struct lb_helix_server *s = c->server;
	if (c->lease) {
		if (send_reply(c, HELIX_LEASE_ERROR, 0, "this connection already holds a lease",
			       -1) < 0) {
			client_destroy(c);
			return false;
		}
		return true;
	}
	struct lb_lease_params p = {
		.width = req->width,
		.height = req->height,
		.holder = c->peer,
		.via = "helix",
	};
	char err[HELIX_LEASE_NAME_LEN];
	struct lb_lease *l = lb_lease_request(s->broker, &p, err, sizeof(err));
	if (!l) {
		lc_info("helix: pid %d uid %u: lease refused: %s", (int)c->peer.pid,
			(unsigned)c->peer.uid, err);
		if (send_reply(c, HELIX_LEASE_ERROR, 0, err, -1) < 0) {
			client_destroy(c);
			return false;
		}
		return true;
	}
	c->lease = l;
	c->lease_replied = false;
	c->granted.notify = handle_granted;
	c->finished.notify = handle_finished;
	wl_signal_add(&l->events.granted, &c->granted);
	wl_signal_add(&l->events.finished, &c->finished);
	return true;
}

static bool handle_status_req(struct helix_client *c)
{
	size_t len = 0;
	char *json = lb_status_json(c->server->broker, &c->peer, &len);
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	if (!json || len > HELIX_LEASE_EXT_MAX) {
		static const char msg[] = "status unavailable";
		helix_lease_ext_hdr_encode(hdr, sizeof(hdr), HELIX_LEASE_ERROR, sizeof(msg) - 1);
		lc_buf_append(&c->out, hdr, sizeof(hdr));
		lc_buf_append(&c->out, msg, sizeof(msg) - 1);
	} else {
		helix_lease_ext_hdr_encode(hdr, sizeof(hdr), HELIX_LEASE_OK, (uint32_t)len);
		if (lc_buf_append(&c->out, hdr, sizeof(hdr)) < 0 ||
		    lc_buf_append(&c->out, json, len) < 0) {
			explicit_bzero(json, len);
			free(json);
			client_fail(c, "status reply does not fit");
			return false;
		}
	}
	if (json)
		explicit_bzero(json, len); /* may hold the caller's stream keys */
	free(json);
	return true;
}

static bool queue_ext_text(struct helix_client *c, uint8_t status, const char *msg)
{
	size_t len = strlen(msg);
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	helix_lease_ext_hdr_encode(hdr, sizeof(hdr), status, (uint32_t)len);
	if (lc_buf_append(&c->out, hdr, sizeof(hdr)) < 0 || lc_buf_append(&c->out, msg, len) < 0) {
		client_fail(c, "reply queue full");
		return false;
	}
	return true;
}

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EDQUOT: return "EDQUOT";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case ENODEV: return "ENODEV";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	default: return "EIO";
	}
}

static bool handle_auth_magic_req(struct helix_client *c, uint32_t magic)
{
	int r = -EPERM;
	if (c->lease && c->lease_replied)
		r = lb_lease_auth_magic(c->lease, magic);
	char msg[160] = "";
	if (r == -EPERM && !(c->lease && c->lease_replied && c->lease->state == LB_LEASE_ACTIVE))
		snprintf(msg, sizeof(msg), "EPERM: no active lease on this connection");
	else if (r == -EPERM)
		snprintf(msg, sizeof(msg), "EPERM: DRM magic authentication is disabled");
	else if (r == -EINVAL && magic == 0)
		snprintf(msg, sizeof(msg), "EINVAL: magic 0");
	else if (r == -EDQUOT)
		snprintf(msg, sizeof(msg), "EDQUOT: at most %u authentications per lease",
			 LB_MAX_MAGIC_AUTHS);
	else if (r < 0)
		snprintf(msg, sizeof(msg), "%s: drmAuthMagic: %s", errno_name(-r), strerror(-r));
	if (r < 0)
		lc_info("helix: pid %d uid %u: AUTH_MAGIC refused: %s", (int)c->peer.pid,
			(unsigned)c->peer.uid, msg);
	return queue_ext_text(c, r == 0 ? HELIX_LEASE_OK : HELIX_LEASE_ERROR, msg);
}

/* Sends what is queued, in order: `out`, then a waiting INPUT_DEVICES
 * reply (in one sendmsg with its fds; a rest that did not fit goes to
 * `out`). false when the client is gone. */
static bool client_flush(struct helix_client *c)
{
	if (c->out.len > 0 && lc_buf_flush(&c->out, c->fd) < 0) {
		client_destroy(c);
		return false;
	}
	if (c->out.len > 0 || !c->pending.msg)
		return true;
	ssize_t r = lc_send_with_fds(c->fd, c->pending.msg, c->pending.len, c->pending.fds,
				     c->pending.n_fds);
	if (r == -EAGAIN || r == -EWOULDBLOCK)
		return true;
	if (r < 0 || lc_buf_append(&c->out, c->pending.msg + r, c->pending.len - (size_t)r) < 0) {
		lc_info("helix: pid %d: cannot send the input devices: %s", (int)c->peer.pid,
			strerror(r < 0 ? (int)-r : ENOBUFS));
		client_destroy(c);
		return false;
	}
	pending_free(c);
	if (c->out.len > 0 && lc_buf_flush(&c->out, c->fd) < 0) {
		client_destroy(c);
		return false;
	}
	return true;
}

/* cmd 5: the lease's input devices, their fds with the reply's first byte
 * (helix-lease.md section 4.3). */
static bool handle_input_devices_req(struct helix_client *c)
{
	struct lb_lease *l = c->lease;
	if (!l || !c->lease_replied || l->state != LB_LEASE_ACTIVE) {
		lc_info("helix: pid %d uid %u: INPUT_DEVICES refused: no active lease",
			(int)c->peer.pid, (unsigned)c->peer.uid);
		return queue_ext_text(c, HELIX_LEASE_ERROR,
				      "EPERM: no active lease on this connection");
	}
	uint8_t *msg = malloc(HELIX_LEASE_EXT_HDR_SIZE + INPUTS_BODY_MAX);
	size_t body = msg ? helix_lease_inputs_encode((char *)msg + HELIX_LEASE_EXT_HDR_SIZE,
						      INPUTS_BODY_MAX, l->inputs, l->n_inputs)
			  : 0;
	if (body == 0) {
		free(msg);
		lc_warn("helix: pid %d: cannot encode the input devices of lease %u",
			(int)c->peer.pid, l->id);
		return queue_ext_text(c, HELIX_LEASE_ERROR, "EIO: cannot encode the input devices");
	}
	helix_lease_ext_hdr_encode(msg, HELIX_LEASE_EXT_HDR_SIZE, HELIX_LEASE_OK, (uint32_t)body);
	c->pending.msg = msg;
	c->pending.len = HELIX_LEASE_EXT_HDR_SIZE + body;
	for (size_t i = 0; i < l->n_inputs; i++) {
		int fd = fcntl(l->inputs[i].fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			lc_warn("helix: pid %d: dup of an input fd: %s", (int)c->peer.pid,
				strerror(errno));
			pending_free(c);
			return queue_ext_text(c, HELIX_LEASE_ERROR, "EIO: out of descriptors");
		}
		c->pending.fds[c->pending.n_fds++] = fd;
	}
	lc_info("helix: pid %d uid %u: %zu input device%s of lease %u handed over",
		(int)c->peer.pid, (unsigned)c->peer.uid, l->n_inputs, l->n_inputs == 1 ? "" : "s",
		l->id);
	return client_flush(c);
}

/* RELEASE of a scanout this connection does not hold: Helix's Go client
 * (ReleaseLease) sends it on a new connection. Honoured for the holder's
 * uid and root, as the broker core checks; another user's attempt is
 * refused and ends the connection (no lease of theirs is touched). */
static bool handle_release_other(struct helix_client *c, uint32_t scanout)
{
	struct lb_card *card = lb_broker_default_card(c->server->broker);
	int r = scanout > INT32_MAX || !card
			? -ENOENT
			: lb_card_release_scanout(card, (int)scanout, &c->peer);
	if (r == 0) {
		lc_info("helix: pid %d uid %u released scanout %u", (int)c->peer.pid,
			(unsigned)c->peer.uid, scanout);
	} else if (r == -EPERM) {
		client_fail(c, "release of scanout %u refused: another user's lease", scanout);
		return false;
	} else {
		lc_info("helix: pid %d uid %u: release of scanout %u, which no lease holds; ignored",
			(int)c->peer.pid, (unsigned)c->peer.uid, scanout);
	}
	return true;
}

/* Returns false when the client is gone. */
static bool handle_request(struct helix_client *c)
{
	struct helix_lease_req req;
	enum helix_lease_result res = helix_lease_req_decode(c->in, c->in_len, &req);
	c->in_len = 0;
	if (res != HELIX_LEASE_DECODE_OK) {
		if (res == HELIX_LEASE_DECODE_CMD)
			client_fail(c, "unknown command %u", c->in[0]);
		else
			client_fail(c, "bad request: %s", helix_lease_result_str(res));
		return false;
	}
	switch (req.cmd) {
	case HELIX_LEASE_CMD_LEASE: return handle_lease_req(c, &req);
	case HELIX_LEASE_CMD_RELEASE:
		if (c->lease && (!c->lease_replied || req.width == c->scanout_reported)) {
			lc_info("helix: pid %d releases its lease", (int)c->peer.pid);
			client_drop_lease(c);
			break;
		}
		return handle_release_other(c, req.width);
	case HELIX_LEASE_CMD_STATUS: return handle_status_req(c);
	case HELIX_LEASE_CMD_AUTH_MAGIC: return handle_auth_magic_req(c, req.width);
	case HELIX_LEASE_CMD_INPUT_DEVICES: return handle_input_devices_req(c);
	default: client_fail(c, "unknown command %u", req.cmd); return false;
	}
	return true;
}

static int handle_client(int fd, uint32_t mask, void *data)
{
	struct helix_client *c = data;
	if ((mask & WL_EVENT_READABLE) && !c->pending.msg) {
		for (int rounds = 0; rounds < 64 && !c->pending.msg; rounds++) {
			int rfd = -1;
			ssize_t n = lc_recv_with_fd(fd, c->in + c->in_len,
						    sizeof(c->in) - c->in_len, &rfd);
			if (rfd >= 0) {
				close(rfd);
				client_fail(c, "unexpected file descriptor from the client");
				return 0;
			}
			if (n == -EAGAIN || n == -EINTR)
				break;
			if (n == -EPROTO) {
				client_fail(c, "unexpected file descriptors from the client");
				return 0;
			}
			if (n < 0) {
				lc_info("helix: pid %d: %s", (int)c->peer.pid, strerror((int)-n));
				client_destroy(c);
				return 0;
			}
			if (n == 0) {
				if (c->in_len > 0) {
					client_fail(c, "short request (%zu of %u bytes)", c->in_len,
						    HELIX_LEASE_REQ_SIZE);
				} else {
					client_destroy(c); /* EOF: the lease ends with it */
				}
				return 0;
			}
			c->in_len += (size_t)n;
			if (c->in_len == sizeof(c->in) && !handle_request(c))
				return 0;
		}
	} else if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		client_destroy(c);
		return 0;
	}
	if (!client_flush(c))
		return 0;
	/* While an INPUT_DEVICES reply waits, only for the socket to drain. */
	wl_event_source_fd_update(c->src,
				  (c->pending.msg ? 0 : WL_EVENT_READABLE) |
					  (c->out.len || c->pending.msg ? WL_EVENT_WRITABLE : 0));
	return 0;
}

static int handle_listen(int fd, uint32_t mask, void *data)
{
	struct lb_helix_server *s = data;
	for (int i = 0; i < 32; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				lc_warn("helix: accept: %s", strerror(errno));
			return 0;
		}
		struct lc_peer peer = {0};
		if (lc_peer_get(cfd, &peer) < 0 || s->n_clients >= MAX_CLIENTS) {
			lc_warn("helix: refusing a connection (%s)",
				s->n_clients >= MAX_CLIENTS ? "too many clients"
							    : "no peer credentials");
			close(cfd);
			continue;
		}
		struct helix_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->server = s;
		c->fd = cfd;
		c->peer = peer;
		lc_buf_init(&c->out, CLIENT_OUT_MAX);
		c->src = wl_event_loop_add_fd(
			wl_display_get_event_loop(lb_broker_display(s->broker)), cfd,
			WL_EVENT_READABLE, handle_client, c);
		if (!c->src) {
			close(cfd);
			free(c);
			continue;
		}
		wl_list_insert(&s->clients, &c->link);
		s->n_clients++;
		lc_debug("helix: connection from pid %d uid %u gid %u", (int)peer.pid,
			 (unsigned)peer.uid, (unsigned)peer.gid);
		if (!lb_broker_peer_allowed(s->broker, &peer))
			client_fail(c, "uid %u is not allowed to lease", (unsigned)peer.uid);
	}
	return 0;
}

struct lb_helix_server *lb_helix_server_create(struct lb_broker *broker, int listen_fd)
{
	struct lb_helix_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->broker = broker;
	s->listen_fd = listen_fd;
	wl_list_init(&s->clients);
	s->listen_src = wl_event_loop_add_fd(wl_display_get_event_loop(lb_broker_display(broker)),
					     listen_fd, WL_EVENT_READABLE, handle_listen, s);
	if (!s->listen_src) {
		free(s);
		return NULL;
	}
	return s;
}

void lb_helix_server_destroy(struct lb_helix_server *s)
{
	if (!s)
		return;
	struct helix_client *c, *tmp;
	wl_list_for_each_safe (c, tmp, &s->clients, link)
		client_destroy(c);
	wl_event_source_remove(s->listen_src);
	close(s->listen_fd);
	free(s);
}
