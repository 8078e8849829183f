#define _GNU_SOURCE /* accept4 */
#include "authmagic_server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sock.h"

static void client_close(struct ll_authmagic_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	*c = (struct ll_authmagic_client){.fd = -1};
}

static void client_answer(struct ll_authmagic_client *c, int32_t err)
{
	/* 4 bytes into an empty socket buffer: never short. */
	send(c->fd, &err, sizeof(err), MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(c);
}

/* Broker answers come in request order: the oldest waiting client with
 * that magic is the one. */
static void on_magic_result(void *data, uint32_t magic, int error)
{
	struct ll_authmagic_server *s = data;
	struct ll_authmagic_client *best = NULL;
	for (size_t i = 0; i < LL_AUTHMAGIC_MAX_CLIENTS; i++) {
		struct ll_authmagic_client *c = &s->clients[i];
		if (c->fd >= 0 && c->state == 1 && c->magic == magic &&
		    (!best || c->seq < best->seq))
			best = c;
	}
	if (error)
		s->refused++;
	else
		s->served++;
	lc_info("broker: drmAuthMagic(%u) %s%s", magic, error ? strerror(error) : "ok",
		best ? "" : " (asker gone)");
	if (best)
		client_answer(best, error);
}

int ll_authmagic_server_init(struct ll_authmagic_server *s, const char *path, uid_t uid, gid_t gid,
			     struct ll_lease *lease)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	for (size_t i = 0; i < LL_AUTHMAGIC_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->uid = uid;
	s->lease = lease;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(path, 0600) < 0 ||
	    (geteuid() == 0 && chown(path, uid, gid) < 0) || listen(fd, 8) < 0) {
		int e = -errno;
		close(fd);
		unlink(path);
		return e;
	}
	s->listen_fd = fd;
	lease->magic_result = on_magic_result;
	lease->magic_data = s;
	return 0;
}

void ll_authmagic_server_finish(struct ll_authmagic_server *s)
{
	for (size_t i = 0; i < LL_AUTHMAGIC_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	if (s->lease)
		s->lease->magic_result = NULL;
}

size_t ll_authmagic_server_pollfds(struct ll_authmagic_server *s, struct pollfd *p)
{
	size_t n = 0;
	if (s->listen_fd < 0)
		return 0;
	p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
	for (size_t i = 0; i < LL_AUTHMAGIC_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			p[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
	return n;
}

static void accept_one(struct ll_authmagic_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct lc_peer peer;
	if (lc_peer_get(fd, &peer) < 0 || (peer.uid != s->uid && peer.uid != 0)) {
		lc_warn("authmagic: refused a peer of uid %d",
			lc_peer_get(fd, &peer) < 0 ? -1 : (int)peer.uid);
		close(fd);
		return;
	}
	for (size_t i = 0; i < LL_AUTHMAGIC_MAX_CLIENTS; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i] = (struct ll_authmagic_client){.fd = fd};
			return;
		}
	}
	lc_warn("authmagic: too many waiting requests, refusing one");
	int32_t err = EBUSY;
	send(fd, &err, sizeof(err), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void client_readable(struct ll_authmagic_server *s, struct ll_authmagic_client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0 || c->state != 0) {
		/* Gone, or bytes after its one request: drop it. */
		client_close(c);
		return;
	}
	c->got += (size_t)r;
	if (c->got < sizeof(c->buf))
		return;
	memcpy(&c->magic, c->buf, sizeof(c->magic));
	if (c->magic == 0) {
		client_answer(c, EINVAL);
		return;
	}
	int e = s->lease->impl->auth_magic(s->lease, c->magic);
	if (e < 0) {
		lc_warn("authmagic: cannot ask the broker for magic %u: %s", c->magic,
			strerror(-e));
		client_answer(c, -e);
		return;
	}
	lc_info("authmagic: forwarding magic %u to the broker", c->magic);
	c->state = 1;
	c->seq = s->next_seq++;
}

void ll_authmagic_server_dispatch(struct ll_authmagic_server *s, const struct pollfd *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == s->listen_fd) {
			accept_one(s);
			continue;
		}
		for (size_t j = 0; j < LL_AUTHMAGIC_MAX_CLIENTS; j++)
			if (s->clients[j].fd == p[i].fd)
				client_readable(s, &s->clients[j]);
	}
}
