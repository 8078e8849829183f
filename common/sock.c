#define _GNU_SOURCE
#include "sock.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int lc_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int lc_unix_listen(const char *path, mode_t mode, gid_t group, int *lock_fd)
{
	struct sockaddr_un sa;
	int r = unix_addr(path, &sa);
	if (r < 0)
		return r;
	char lock_path[sizeof(sa.sun_path) + 8];
	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	int lfd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return -errno;
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		close(lfd);
		return r;
	}
	/* The lock is ours, so a socket file left there is stale. */
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		close(lfd);
		return r;
	}
	/* Create the socket node with no access for anyone, then open it up to
	 * exactly mode/group: no window where it is wider than asked. */
	mode_t old = umask(0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (group != (gid_t)-1 && chown(path, (uid_t)-1, group) < 0) ||
	    chmod(path, mode) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		close(lfd);
		unlink(path);
		return r;
	}
	*lock_fd = lfd;
	return fd;
}

int lc_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int r = unix_addr(path, &sa);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int lc_parse_hostport(const char *s, char *host, size_t host_len, uint16_t *port)
{
	const char *colon;
	const char *h = s;
	size_t hl;
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= host_len)
		return -EINVAL;
	/* strtoul would also take leading blanks and a sign: digits only. */
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	char *endp;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &endp, 10);
	if (errno || *endp || endp == colon + 1 || p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

union lc_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static int inet_addr_parse(const char *host, uint16_t port, union lc_sockaddr *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		*len = sizeof(a->in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		*len = sizeof(a->in6);
		return 0;
	}
	return -EINVAL;
}

bool lc_addr_is_loopback(const char *host)
{
	union lc_sockaddr a;
	socklen_t len;
	if (inet_addr_parse(host, 1, &a, &len) < 0)
		return false;
	if (a.sa.sa_family == AF_INET)
		return (ntohl(a.in.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a.in6.sin6_addr);
}

/* A non-blocking TCP socket for host:port; the address in *a. */
static int inet_socket(const char *host, uint16_t port, union lc_sockaddr *a, socklen_t *len)
{
	int r = inet_addr_parse(host, port, a, len);
	if (r < 0)
		return r;
	int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int lc_tcp_listen(const char *host, uint16_t port)
{
	union lc_sockaddr a;
	socklen_t len;
	int fd = inet_socket(host, port, &a, &len);
	if (fd < 0)
		return fd;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, len) < 0 || listen(fd, 64) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int lc_tcp_connect_start(const char *host, uint16_t port)
{
	union lc_sockaddr a;
	socklen_t len;
	int fd = inet_socket(host, port, &a, &len);
	if (fd < 0)
		return fd;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, &a.sa, len) < 0 && errno != EINPROGRESS) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int lc_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

int lc_tcp_connect_wait(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n;
	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return lc_sock_error(fd);
}

int lc_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			int r = poll(&pf, 1, timeout_ms);
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int lc_peer_get(int fd, struct lc_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	return 0;
}

int lc_group_lookup(const char *name, gid_t *gid)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (*name && !*end && !errno) {
		*gid = (gid_t)v;
		return 0;
	}
	struct group *g = getgrnam(name);
	if (!g) {
		*gid = (gid_t)-1;
		return -ENOENT;
	}
	*gid = g->gr_gid;
	return 0;
}

int lc_count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}
