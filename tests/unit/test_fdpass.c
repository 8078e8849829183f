/* SCM_RIGHTS passing: exactly one descriptor (or up to the caller's
 * maximum) is accepted; anything more is closed and reported, and nothing
 * leaks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fdpass.h"
#include "sock.h"

/* Sends "x" with nfds copies of fd attached, bypassing lc_send_with_fd
 * (which can only send one), as a hostile peer would. */
static ssize_t send_many(int sock, int fd, int nfds)
{
	char data = 'x';
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} ctrl;
	memset(&ctrl, 0, sizeof(ctrl));
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	for (int i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(c) + sizeof(int) * (size_t)i, &fd, sizeof(int));
	return sendmsg(sock, &msg, 0);
}

static void test_one_fd(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(lc_send_with_fd(sv[0], "hello", 5, fd), 5);

	char buf[16];
	int got = -2;
	CHECK_EQ(lc_recv_with_fd(sv[1], buf, sizeof(buf), &got), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK(got >= 0 && got != fd);
	struct stat a, b;
	CHECK_EQ(fstat(fd, &a), 0);
	CHECK_EQ(fstat(got, &b), 0);
	CHECK(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	CHECK(fcntl(got, F_GETFD) & FD_CLOEXEC);
	close(got);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

static void test_no_fd(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(lc_send_with_fd(sv[0], "abc", 3, -1), 3);
	char buf[16];
	int got = 42;
	CHECK_EQ(lc_recv_with_fd(sv[1], buf, sizeof(buf), &got), 3);
	CHECK_EQ(got, -1);
	/* EOF */
	close(sv[0]);
	CHECK_EQ(lc_recv_with_fd(sv[1], buf, sizeof(buf), &got), 0);
	CHECK_EQ(got, -1);
	close(sv[1]);
}

static void test_extra_fds_closed(int nfds)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	int before = lc_count_open_fds();
	CHECK_EQ(send_many(sv[0], fd, nfds), 1);
	/* the descriptors now sit in the socket; none is ours yet */
	CHECK_EQ(lc_count_open_fds(), before);

	char buf[16];
	int got = 42;
	CHECK_EQ(lc_recv_with_fd(sv[1], buf, sizeof(buf), &got), -EPROTO);
	CHECK_EQ(got, -1);
	CHECK_EQ(lc_count_open_fds(), before);
	if (lc_count_open_fds() != before)
		fprintf(stderr, "    with %d fds\n", nfds);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* Several descriptors in one message, in order, with the data. */
static void test_many_fds(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int before = lc_count_open_fds();
	int src[LC_FDPASS_MAX_FDS];
	for (int i = 0; i < LC_FDPASS_MAX_FDS; i++)
		src[i] = open(i % 2 ? "/dev/zero" : "/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_EQ(lc_send_with_fds(sv[0], "hello", 5, src, 3), 5);
	CHECK_EQ(lc_send_with_fds(sv[0], "x", 1, src, LC_FDPASS_MAX_FDS), 1);
	CHECK_EQ(lc_send_with_fds(sv[0], "x", 1, src, LC_FDPASS_MAX_FDS + 1), -EINVAL);
	CHECK_EQ(lc_send_with_fds(sv[0], "none", 4, NULL, 0), 4);

	int got[LC_FDPASS_MAX_FDS];
	size_t n = 99;
	char buf[16];
	CHECK_EQ(lc_recv_with_fds(sv[1], buf, 5, got, LC_FDPASS_MAX_FDS, &n), 5);
	CHECK_EQ(n, 3);
	for (size_t i = 0; i < n && i < 3; i++) {
		struct stat a, b;
		CHECK(fstat(src[i], &a) == 0 && fstat(got[i], &b) == 0);
		CHECK(a.st_rdev == b.st_rdev); /* null, zero, null: in order */
		CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}
	/* All 32, but the caller takes at most 2: every one is closed. */
	int mid = lc_count_open_fds();
	CHECK_EQ(lc_recv_with_fds(sv[1], buf, 1, got, 2, &n), -EPROTO);
	CHECK_EQ(n, 0);
	CHECK_EQ(lc_count_open_fds(), mid);
	CHECK_EQ(lc_recv_with_fds(sv[1], buf, sizeof(buf), got, 2, &n), 4);
	CHECK_EQ(n, 0);
	for (int i = 0; i < LC_FDPASS_MAX_FDS; i++)
		close(src[i]);
	CHECK_EQ(lc_count_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

static void test_send_errors(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	/* a closed peer is -EPIPE, not a SIGPIPE that kills us */
	CHECK_EQ(lc_send_with_fd(sv[0], "x", 1, -1), -EPIPE);
	close(sv[0]);
	char c;
	int got;
	CHECK_EQ(lc_recv_with_fd(-1, &c, 1, &got), -EBADF);
	CHECK_EQ(got, -1);
}

int main(void)
{
	test_one_fd();
	test_no_fd();
	test_extra_fds_closed(2);
	test_extra_fds_closed(20);
	test_extra_fds_closed(60); /* more than fit: MSG_CTRUNC */
	test_many_fds();
	test_send_errors();
	return check_report();
}
