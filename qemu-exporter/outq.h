/* A subscriber's send queue: whole HXFR messages held by reference (one
 * encoded frame is shared by every subscriber of a scanout), bounded in
 * bytes and frames, sent with non-blocking writes. */
#ifndef QE_OUTQ_H
#define QE_OUTQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum qe_blob_kind {
	QE_BLOB_FRAME,
	QE_BLOB_CURSOR_DEFINE,
	QE_BLOB_CURSOR_MOVE,
};

/* One encoded message; immutable once shared. */
struct qe_blob {
	atomic_uint refs;
	enum qe_blob_kind kind;
	bool keyframe;
	/* Frames: CLOCK_MONOTONIC ns when the oldest change in the picture
	 * reached the exporter (0: none, an IDR of a static screen). */
	int64_t damage_ns;
	size_t len;
	uint8_t data[];
};

struct qe_blob *qe_blob_new(enum qe_blob_kind kind, size_t len);
struct qe_blob *qe_blob_ref(struct qe_blob *b);
void qe_blob_unref(struct qe_blob *b);

struct qe_outq_entry;

struct qe_outq {
	struct qe_outq_entry *head, *tail;
	size_t head_sent; /* bytes of head already written */
	size_t bytes;     /* unsent bytes queued */
	unsigned frames;  /* frame messages queued */
	size_t max_bytes;
	unsigned max_frames;
};

void qe_outq_init(struct qe_outq *q, size_t max_bytes, unsigned max_frames);
void qe_outq_clear(struct qe_outq *q);
/* Takes a reference. false when it would exceed the bounds (a message
 * larger than max_bytes still fits an empty queue). */
bool qe_outq_push(struct qe_outq *q, struct qe_blob *b);
/* Queues regardless of the bounds (the last cursor state must get out). */
bool qe_outq_push_force(struct qe_outq *q, struct qe_blob *b);
/* Drops queued messages of one kind that have not started to go out. */
void qe_outq_drop(struct qe_outq *q, enum qe_blob_kind kind);
static inline bool qe_outq_empty(const struct qe_outq *q)
{
	return !q->head;
}
/* A message is half-sent: nothing else may go on the socket before it. */
static inline bool qe_outq_mid_message(const struct qe_outq *q)
{
	return q->head_sent > 0;
}
/* Writes the head message: 1 when it was a frame and went out whole (its
 * damage_ns in *damage_ns, for the owner to time damage to socket), 0 for
 * any other message sent whole or an empty queue, -EAGAIN when the socket
 * is full, -errno. One message at a time, so the owner can put its own
 * replies between messages. */
int qe_outq_send_one(struct qe_outq *q, int fd, int64_t *damage_ns);

#endif
