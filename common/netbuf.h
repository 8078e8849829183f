/* Byte buffers for non-blocking stream sockets. The write side is bounded:
 * a peer that stops reading gets -ENOBUFS instead of making us queue
 * without limit (back-pressure, as in neatvnc's stream layer). */
#ifndef LC_NETBUF_H
#define LC_NETBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lc_buf {
	uint8_t *data;
	size_t start; /* first unread/unsent byte */
	size_t len;   /* bytes from start */
	size_t cap;
	size_t max; /* hard limit on len */
};

void lc_buf_init(struct lc_buf *b, size_t max);
void lc_buf_finish(struct lc_buf *b);
static inline const uint8_t *lc_buf_head(const struct lc_buf *b)
{
	return b->data + b->start;
}
/* Appends n bytes; -ENOBUFS when that would exceed max, -ENOMEM. */
int lc_buf_append(struct lc_buf *b, const void *p, size_t n);
void lc_buf_consume(struct lc_buf *b, size_t n);
/* Reads what the socket has (up to max). Returns bytes read, 0 on EOF,
 * -EAGAIN when nothing is there, -ENOBUFS when the buffer is full, -errno. */
ssize_t lc_buf_read(struct lc_buf *b, int fd);
/* Writes as much as the socket takes. Returns bytes still queued (0 when
 * drained) or -errno (never -EAGAIN). Never raises SIGPIPE. */
ssize_t lc_buf_flush(struct lc_buf *b, int fd);

#endif
