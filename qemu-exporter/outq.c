#include "outq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

struct qe_outq_entry {
	struct qe_blob *blob;
	struct qe_outq_entry *next;
};

struct qe_blob *qe_blob_new(enum qe_blob_kind kind, size_t len)
{
	struct qe_blob *b = malloc(sizeof(*b) + len);
	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->kind = kind;
	b->keyframe = false;
	b->damage_ns = 0;
	b->len = len;
	return b;
}

struct qe_blob *qe_blob_ref(struct qe_blob *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void qe_blob_unref(struct qe_blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

void qe_outq_init(struct qe_outq *q, size_t max_bytes, unsigned max_frames)
{
	*q = (struct qe_outq){.max_bytes = max_bytes, .max_frames = max_frames};
}

static void pop_head(struct qe_outq *q)
{
	struct qe_outq_entry *e = q->head;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= e->blob->len - q->head_sent;
	if (e->blob->kind == QE_BLOB_FRAME)
		q->frames--;
	q->head_sent = 0;
	qe_blob_unref(e->blob);
	free(e);
}

void qe_outq_clear(struct qe_outq *q)
{
	while (q->head)
		pop_head(q);
}

bool qe_outq_push(struct qe_outq *q, struct qe_blob *b)
{
	bool frame = b->kind == QE_BLOB_FRAME;
	if (q->head && (q->bytes + b->len > q->max_bytes || (frame && q->frames >= q->max_frames)))
		return false;
	return qe_outq_push_force(q, b);
}

bool qe_outq_push_force(struct qe_outq *q, struct qe_blob *b)
{
	bool frame = b->kind == QE_BLOB_FRAME;
	struct qe_outq_entry *e = malloc(sizeof(*e));
	if (!e)
		return false;
	e->blob = qe_blob_ref(b);
	e->next = NULL;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->bytes += b->len;
	if (frame)
		q->frames++;
	return true;
}

void qe_outq_drop(struct qe_outq *q, enum qe_blob_kind kind)
{
	struct qe_outq_entry **pp = &q->head, *prev = NULL;
	while (*pp) {
		struct qe_outq_entry *e = *pp;
		if (e->blob->kind != kind || (e == q->head && q->head_sent > 0)) {
			prev = e;
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		if (q->tail == e)
			q->tail = prev;
		q->bytes -= e->blob->len;
		if (kind == QE_BLOB_FRAME)
			q->frames--;
		qe_blob_unref(e->blob);
		free(e);
	}
}

int qe_outq_send_one(struct qe_outq *q, int fd, int64_t *damage_ns)
{
	*damage_ns = 0;
	if (!q->head)
		return 0;
	struct qe_blob *b = q->head->blob;
	while (q->head_sent < b->len) {
		ssize_t n = send(fd, b->data + q->head_sent, b->len - q->head_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		q->head_sent += (size_t)n;
		q->bytes -= (size_t)n;
	}
	bool frame = b->kind == QE_BLOB_FRAME;
	*damage_ns = b->damage_ns;
	pop_head(q); /* subtracts len - head_sent = 0 more bytes */
	return frame;
}
