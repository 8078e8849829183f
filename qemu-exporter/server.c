#define _GNU_SOURCE /* accept4 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "hxfr.h"
#include "log.h"
#include "sock.h"

/* After EMFILE/ENFILE the listener stays readable; pause instead of spinning. */
#define ACCEPT_PAUSE_USEC (200 * 1000ull)

struct qe_server {
	sd_event *ev;
	const struct qe_config *cfg;
	int fd;
	sd_event_source *accept_src, *resume_timer;
	struct qe_client_env env;
	struct qe_list clients;
	unsigned n_clients;
	uint64_t next_id;
};

static void client_gone(void *data, struct qe_client *c)
{
	struct qe_server *srv = data;
	qe_list_remove(&c->link);
	srv->n_clients--;
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, cap, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

static void refuse_full(struct qe_server *srv, int fd, const char *peer)
{
	uint8_t buf[HXFR_HEADER_SIZE + 4 + HXFR_ERROR_MESSAGE_LEN];
	char text[HXFR_ERROR_MESSAGE_LEN];
	snprintf(text, sizeof(text), "too many clients (at most %u)", srv->cfg->max_clients);
	size_t n = hxfr_encode_error(buf, sizeof(buf), 0, HXFR_ERR_LIMIT, text);
	/* Best effort on a fresh socket: its send buffer is empty. */
	if (send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		lc_debug("cannot tell %s it is refused: %s", peer, strerror(errno));
	close(fd);
	lc_warn("refused %s: %s", peer, text);
}

static int resume_accept(sd_event_source *s, uint64_t usec, void *data)
{
	struct qe_server *srv = data;
	srv->resume_timer = sd_event_source_disable_unref(srv->resume_timer);
	sd_event_source_set_enabled(srv->accept_src, SD_EVENT_ON);
	return 0;
}

static int on_accept(sd_event_source *s, int lfd, uint32_t revents, void *data)
{
	struct qe_server *srv = data;
	/* A bounded batch so a connection storm cannot starve served clients. */
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return 0;
			lc_warn("accept: %s; pausing new connections", strerror(errno));
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				sd_event_source_set_enabled(srv->accept_src, SD_EVENT_OFF);
				if (!srv->resume_timer &&
				    sd_event_add_time_relative(srv->ev, &srv->resume_timer,
							       CLOCK_MONOTONIC, ACCEPT_PAUSE_USEC,
							       0, resume_accept, srv) < 0)
					sd_event_source_set_enabled(srv->accept_src, SD_EVENT_ON);
			}
			return 0;
		}
		char peer[64];
		peer_name(&ss, peer, sizeof(peer));
		if (srv->n_clients >= srv->cfg->max_clients) {
			refuse_full(srv, fd, peer);
			continue;
		}
		uint64_t id = ++srv->next_id;
		struct qe_client *c = qe_client_create(&srv->env, fd, id, peer);
		if (!c)
			continue;
		qe_list_insert_tail(&srv->clients, &c->link);
		srv->n_clients++;
		lc_debug("connection %" PRIu64 " from %s (%u clients)", id, peer, srv->n_clients);
	}
	return 0;
}

int qe_server_create(struct qe_server **out, sd_event *ev, const struct qe_config *cfg,
		     struct qe_control *ctl, struct qe_frames *frames, struct qe_display *display,
		     struct qe_console_input *input, int listen_fd)
{
	struct qe_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->ev = sd_event_ref(ev);
	srv->cfg = cfg;
	srv->env = (struct qe_client_env){.ev = ev,
					  .cfg = cfg,
					  .ctl = ctl,
					  .frames = frames,
					  .display = display,
					  .input = input,
					  .gone = client_gone,
					  .data = srv};
	qe_list_init(&srv->clients);
	srv->fd = listen_fd >= 0 ? listen_fd : lc_tcp_listen(cfg->listen_host, cfg->listen_port);
	if (srv->fd < 0) {
		int r = srv->fd;
		sd_event_unref(srv->ev);
		free(srv);
		return r;
	}
	if (listen_fd >= 0)
		lc_set_nonblock(srv->fd);
	int r = sd_event_add_io(ev, &srv->accept_src, srv->fd, EPOLLIN, on_accept, srv);
	if (r < 0) {
		close(srv->fd);
		sd_event_unref(srv->ev);
		free(srv);
		return r;
	}
	*out = srv;
	return 0;
}

void qe_server_destroy(struct qe_server *srv)
{
	if (!srv)
		return;
	struct qe_list *pos, *tmp;
	qe_list_for_each_safe(pos, tmp, &srv->clients)
		qe_client_destroy(qe_container_of(pos, struct qe_client, link), "shutting down");
	srv->accept_src = sd_event_source_disable_unref(srv->accept_src);
	srv->resume_timer = sd_event_source_disable_unref(srv->resume_timer);
	close(srv->fd);
	sd_event_unref(srv->ev);
	free(srv);
}

unsigned qe_server_client_count(const struct qe_server *srv)
{
	return srv->n_clients;
}
