#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for more descriptors than we accept, so that a hostile peer's extra
 * descriptors land in our control buffer and get closed instead of being
 * silently dropped by the kernel with MSG_CTRUNC (which would still install
 * the ones that fit). */
#define FDPASS_ROOM (LC_FDPASS_MAX_FDS + 8)

ssize_t lc_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n)
{
	if (n > LC_FDPASS_MAX_FDS)
		return -EINVAL;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * LC_FDPASS_MAX_FDS)];
		struct cmsghdr align;
	} ctrl;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n > 0) {
		memset(&ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	ssize_t r;
	do {
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t lc_send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	return lc_send_with_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

ssize_t lc_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n)
{
	*n = 0;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_ROOM)];
		struct cmsghdr align;
	} ctrl;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl.buf,
		.msg_controllen = sizeof(ctrl.buf),
	};
	ssize_t r;
	do {
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;

	size_t got = 0;
	int bad = (msg.msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < max && !bad) {
				fds[got++] = f;
			} else {
				bad = 1;
				close(f);
			}
		}
	}
	if (bad) {
		for (size_t i = 0; i < got; i++)
			close(fds[i]);
		return -EPROTO;
	}
	*n = got;
	return r;
}

ssize_t lc_recv_with_fd(int sock, void *buf, size_t len, int *fd)
{
	size_t n;
	*fd = -1;
	ssize_t r = lc_recv_with_fds(sock, buf, len, fd, 1, &n);
	if (r < 0 || n == 0)
		*fd = -1;
	return r;
}
