/* Socket helpers: host:port parsing, the Unix listener's permissions and
 * single-instance lock, loopback detection, the blocking send and connect
 * wait of the tools. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sock.h"

static void test_parse_hostport(void)
{
	char host[64];
	uint16_t port = 0;
	CHECK_EQ(lc_parse_hostport("127.0.0.1:15937", host, sizeof(host), &port), 0);
	CHECK_STR(host, "127.0.0.1");
	CHECK_EQ(port, 15937);
	CHECK_EQ(lc_parse_hostport("[::1]:80", host, sizeof(host), &port), 0);
	CHECK_STR(host, "::1");
	CHECK_EQ(port, 80);
	CHECK_EQ(lc_parse_hostport("10.0.2.2:65535", host, sizeof(host), &port), 0);
	CHECK_EQ(port, 65535);
	CHECK_EQ(lc_parse_hostport("[fe80::1]:1", host, sizeof(host), &port), 0);
	CHECK_STR(host, "fe80::1");

	static const char *const bad[] = {
		"",
		"127.0.0.1",
		":80",
		"127.0.0.1:",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:12a",
		"127.0.0.1:-1",
		"127.0.0.1: 80",
		"127.0.0.1:+80",
		"[::1]80",
		"[::1",
		"[]:80",
		"127.0.0.1:99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		port = 7;
		int r = lc_parse_hostport(bad[i], host, sizeof(host), &port);
		CHECK_EQ(r, -EINVAL);
		if (r != -EINVAL)
			fprintf(stderr, "    input \"%s\"\n", bad[i]);
		CHECK_EQ(port, 7);
	}
	CHECK_EQ(lc_parse_hostport(NULL, host, sizeof(host), &port), -EINVAL);
	/* a host that does not fit the caller's buffer */
	char tiny[4];
	CHECK_EQ(lc_parse_hostport("10.0.0.1:5", tiny, sizeof(tiny), &port), -EINVAL);
	CHECK_EQ(lc_parse_hostport("1.2:5", tiny, sizeof(tiny), &port), 0);
}

static void test_unix_listen(void)
{
	char dir[] = "/tmp/lc-unit-sock-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	char path[128], lock[140];
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);

	int before = lc_count_open_fds();
	int lock_fd = -1;
	int fd = lc_unix_listen(path, 0660, (gid_t)-1, &lock_fd);
	CHECK(fd >= 0);
	CHECK(lock_fd >= 0);
	struct stat st;
	CHECK_EQ(stat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0660);

	/* a second instance is refused and leaks nothing */
	int fds = lc_count_open_fds();
	int lock2 = -1;
	CHECK_EQ(lc_unix_listen(path, 0660, (gid_t)-1, &lock2), -EADDRINUSE);
	CHECK_EQ(lc_count_open_fds(), fds);
	/* ... and the first one still works */
	int c = lc_unix_connect(path);
	CHECK(c >= 0);
	if (c >= 0)
		close(c);

	/* once the first is gone, its stale socket file is replaced */
	close(fd);
	close(lock_fd);
	CHECK_EQ(stat(path, &st), 0);
	fd = lc_unix_listen(path, 0600, (gid_t)-1, &lock_fd);
	CHECK(fd >= 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	close(fd);
	close(lock_fd);
	CHECK_EQ(lc_count_open_fds(), before);

	/* a path longer than sun_path */
	char longp[200];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ(lc_unix_listen(longp, 0660, (gid_t)-1, &lock_fd), -ENAMETOOLONG);
	CHECK_EQ(lc_unix_connect(longp), -ENAMETOOLONG);

	unlink(path);
	unlink(lock);
	CHECK_EQ(rmdir(dir), 0);
}

static void test_loopback(void)
{
	CHECK(lc_addr_is_loopback("127.0.0.1"));
	CHECK(lc_addr_is_loopback("127.1.2.3"));
	CHECK(lc_addr_is_loopback("::1"));
	CHECK(!lc_addr_is_loopback("10.0.2.2"));
	CHECK(!lc_addr_is_loopback("0.0.0.0"));
	CHECK(!lc_addr_is_loopback("::"));
	CHECK(!lc_addr_is_loopback("128.0.0.1"));
	CHECK(!lc_addr_is_loopback("localhost")); /* names are not resolved */
	CHECK(!lc_addr_is_loopback(""));
}

static void test_send_all(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	CHECK_EQ(lc_tcp_connect_wait(sv[0], 100), 0); /* connected: writable at once */
	static char big[1 << 16];
	memset(big, 'x', sizeof(big));
	CHECK_EQ(lc_send_all(sv[0], big, 100, 100), 0);
	char got[128];
	CHECK_EQ(recv(sv[1], got, sizeof(got), 0), 100);
	/* Nobody reads: the socket fills, and the wait for room times out. */
	int r = 0;
	for (int i = 0; i < 64 && r == 0; i++)
		r = lc_send_all(sv[0], big, sizeof(big), 50);
	CHECK_EQ(r, -ETIMEDOUT);
	close(sv[1]);
	CHECK_EQ(lc_send_all(sv[0], big, 1, 50), -EPIPE); /* and no SIGPIPE */
	close(sv[0]);
}

int main(void)
{
	test_parse_hostport();
	test_unix_listen();
	test_loopback();
	test_send_all();
	return check_report();
}
