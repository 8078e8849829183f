#include "netbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void lc_buf_init(struct lc_buf *b, size_t max)
{
	*b = (struct lc_buf){.max = max};
}

void lc_buf_finish(struct lc_buf *b)
{
	free(b->data);
	*b = (struct lc_buf){.max = b->max};
}

static int buf_reserve(struct lc_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -ENOBUFS;
	if (b->start + b->len + n <= b->cap)
		return 0;
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->len);
		b->start = 0;
		if (b->len + n <= b->cap)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	uint8_t *d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int lc_buf_append(struct lc_buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);
	if (r < 0)
		return r;
	memcpy(b->data + b->start + b->len, p, n);
	b->len += n;
	return 0;
}

void lc_buf_consume(struct lc_buf *b, size_t n)
{
	if (n >= b->len) {
		b->start = b->len = 0;
		return;
	}
	b->start += n;
	b->len -= n;
}

ssize_t lc_buf_read(struct lc_buf *b, int fd)
{
	size_t want = b->max - b->len;
	if (want == 0)
		return -ENOBUFS;
	if (want > 65536)
		want = 65536;
	int r = buf_reserve(b, want);
	if (r < 0)
		return r;
	ssize_t n;
	do {
		n = read(fd, b->data + b->start + b->len, want);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	b->len += (size_t)n;
	return n;
}

ssize_t lc_buf_flush(struct lc_buf *b, int fd)
{
	while (b->len > 0) {
		ssize_t n = send(fd, b->data + b->start, b->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		lc_buf_consume(b, (size_t)n);
	}
	return (ssize_t)b->len;
}
