#define _GNU_SOURCE
#include "helix_server.h"

#include <errno.h>
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
	struct lb_lease *lease;
	bool lease_replied;
	uint32_t scanout_reported;
	struct wl_listener granted;
	struct wl_listener finished;
};

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
	if (c->out.len > 0 && lc_buf_flush(&c->out, c->fd) != 0)
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
	size_t len = strlen(msg);
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	helix_lease_ext_hdr_encode(hdr, sizeof(hdr), r == 0 ? HELIX_LEASE_OK : HELIX_LEASE_ERROR,
				   (uint32_t)len);
	if (r < 0)
		lc_info("helix: pid %d uid %u: AUTH_MAGIC refused: %s", (int)c->peer.pid,
			(unsigned)c->peer.uid, msg);
	if (lc_buf_append(&c->out, hdr, sizeof(hdr)) < 0 || lc_buf_append(&c->out, msg, len) < 0) {
		client_fail(c, "reply queue full");
		return false;
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
		} else {
			lc_warn("helix: pid %d: release of scanout %u it does not hold; ignored",
				(int)c->peer.pid, req.width);
		}
		break;
	case HELIX_LEASE_CMD_STATUS: return handle_status_req(c);
	case HELIX_LEASE_CMD_AUTH_MAGIC: return handle_auth_magic_req(c, req.width);
	default: client_fail(c, "unknown command %u", req.cmd); return false;
	}
	return true;
}

static int handle_client(int fd, uint32_t mask, void *data)
{
	struct helix_client *c = data;
	if (mask & WL_EVENT_READABLE) {
		for (int rounds = 0; rounds < 64; rounds++) {
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
	if (c->out.len > 0) {
		ssize_t r = lc_buf_flush(&c->out, fd);
		if (r < 0) {
			client_destroy(c);
			return 0;
		}
	}
	wl_event_source_fd_update(c->src, WL_EVENT_READABLE | (c->out.len ? WL_EVENT_WRITABLE : 0));
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
