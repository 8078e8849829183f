/* Bounded non-blocking buffers: the bound holds, flush reports what is
 * still queued, reads stop at the bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "netbuf.h"

static void test_bound(void)
{
	struct lc_buf b;
	uint8_t data[200];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	lc_buf_init(&b, 100);
	CHECK_EQ(lc_buf_append(&b, data, 60), 0);
	CHECK_EQ(lc_buf_append(&b, data, 41), -ENOBUFS);
	CHECK_EQ(b.len, 60);
	CHECK_EQ(lc_buf_append(&b, data + 60, 40), 0);
	CHECK_EQ(b.len, 100);
	CHECK_EQ(lc_buf_append(&b, data, 1), -ENOBUFS);
	CHECK_EQ(lc_buf_append(&b, data, (size_t)-1), -ENOBUFS);
	CHECK_MEM(lc_buf_head(&b), data, 100);
	CHECK(b.cap <= 100);

	/* consuming makes room again, and the order of bytes is kept */
	lc_buf_consume(&b, 30);
	CHECK_EQ(b.len, 70);
	CHECK_EQ(lc_buf_append(&b, data + 100, 30), 0);
	CHECK_MEM(lc_buf_head(&b), data + 30, 100);
	lc_buf_consume(&b, 1000);
	CHECK_EQ(b.len, 0);
	lc_buf_finish(&b);
	CHECK(b.data == NULL);
	CHECK_EQ(b.max, 100);
}

static void test_flush_full_socket(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

	const size_t total = 1u << 20;
	uint8_t *data = malloc(total), *got = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 12));
	struct lc_buf b;
	lc_buf_init(&b, total);
	CHECK_EQ(lc_buf_append(&b, data, total), 0);

	/* The socket cannot take a MiB at once: flush stops, reports the rest. */
	ssize_t pending = lc_buf_flush(&b, sv[0]);
	CHECK(pending > 0 && (size_t)pending < total);
	CHECK_EQ(pending, (ssize_t)b.len);

	size_t have = 0;
	int rounds = 0;
	while (have < total && rounds++ < 100000) {
		ssize_t n = read(sv[1], got + have, total - have);
		if (n > 0)
			have += (size_t)n;
		pending = lc_buf_flush(&b, sv[0]);
		if (pending < 0)
			break;
	}
	CHECK_EQ(have, total);
	CHECK_EQ(pending, 0);
	CHECK(memcmp(got, data, total) == 0);

	/* peer gone: an error, never SIGPIPE */
	CHECK_EQ(lc_buf_append(&b, data, 10), 0);
	close(sv[1]);
	CHECK_EQ(lc_buf_flush(&b, sv[0]), -EPIPE);
	lc_buf_finish(&b);
	close(sv[0]);
	free(data);
	free(got);
}

static void test_read(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	struct lc_buf b;
	lc_buf_init(&b, 8);
	CHECK_EQ(lc_buf_read(&b, sv[1]), -EAGAIN);
	CHECK_EQ(write(sv[0], "0123456789", 10), 10);
	CHECK_EQ(lc_buf_read(&b, sv[1]), 8);
	CHECK_MEM(lc_buf_head(&b), "01234567", 8);
	CHECK_EQ(lc_buf_read(&b, sv[1]), -ENOBUFS);
	lc_buf_consume(&b, 8);
	CHECK_EQ(lc_buf_read(&b, sv[1]), 2);
	CHECK_MEM(lc_buf_head(&b), "89", 2);
	close(sv[0]);
	CHECK_EQ(lc_buf_read(&b, sv[1]), 0);
	lc_buf_finish(&b);
	close(sv[1]);
}

int main(void)
{
	test_bound();
	test_flush_full_socket();
	test_read();
	return check_report();
}
