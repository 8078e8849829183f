/* A subscriber's send queue: the byte and frame bounds hold (an oversized
 * message still fits an empty queue), dropping a kind never touches a
 * half-sent message, a full socket leaves the message half-sent and the
 * rest goes out later, byte for byte, and a frame that went out whole is
 * reported with its damage time. Blobs are shared by reference. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "outq.h"

static struct qe_blob *blob(enum qe_blob_kind kind, size_t len, uint8_t fill, int64_t damage_ns)
{
	struct qe_blob *b = qe_blob_new(kind, len);
	if (b) {
		memset(b->data, fill, len);
		b->damage_ns = damage_ns;
	}
	return b;
}

static void test_bounds(void)
{
	struct qe_outq q;
	qe_outq_init(&q, 100, 2);
	struct qe_blob *big = blob(QE_BLOB_FRAME, 500, 1, 0);
	struct qe_blob *f = blob(QE_BLOB_FRAME, 40, 2, 0);
	struct qe_blob *c = blob(QE_BLOB_CURSOR_MOVE, 30, 3, 0);
	CHECK(big && f && c);
	if (!big || !f || !c)
		return;
	CHECK(qe_outq_push(&q, big)); /* an empty queue takes any message */
	CHECK(!qe_outq_push(&q, f));  /* over the bytes */
	CHECK(qe_outq_push_force(&q, c));
	CHECK_EQ(q.bytes, 530);
	CHECK_EQ(q.frames, 1);
	qe_outq_clear(&q);
	CHECK(qe_outq_empty(&q));
	CHECK_EQ(q.bytes, 0);
	CHECK_EQ(q.frames, 0);

	CHECK(qe_outq_push(&q, f));
	CHECK(qe_outq_push(&q, f));  /* 80 bytes, 2 frames */
	CHECK(!qe_outq_push(&q, f)); /* over the frames */
	CHECK(!qe_outq_push(&q, c)); /* 110 > 100 bytes */
	qe_outq_drop(&q, QE_BLOB_FRAME);
	CHECK(qe_outq_empty(&q));
	CHECK_EQ(q.frames, 0);
	/* the queue held references: the blobs are still ours */
	CHECK_EQ(atomic_load(&f->refs), 1);
	qe_blob_unref(big);
	qe_blob_unref(f);
	qe_blob_unref(c);
}

static void test_partial_send(void)
{
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);

	struct qe_outq q;
	qe_outq_init(&q, 1 << 20, 8);
	enum {
		BIG = 200000
	};
	struct qe_blob *f = blob(QE_BLOB_FRAME, BIG, 0, 1234);
	struct qe_blob *c = blob(QE_BLOB_CURSOR_MOVE, 24, 0xCC, 0);
	CHECK(f && c);
	if (!f || !c)
		return;
	for (size_t i = 0; i < BIG; i++)
		f->data[i] = (uint8_t)(i * 7);
	CHECK(qe_outq_push(&q, f));
	CHECK(qe_outq_push_force(&q, c));

	int64_t dns = -1;
	CHECK_EQ(qe_outq_send_one(&q, sv[0], &dns), -EAGAIN);
	CHECK(qe_outq_mid_message(&q));
	/* the half-sent frame survives a drop of its kind */
	qe_outq_drop(&q, QE_BLOB_FRAME);
	CHECK_EQ(q.frames, 1);
	CHECK(!qe_outq_empty(&q));

	uint8_t *got = malloc(BIG + 24);
	size_t have = 0;
	int r = -EAGAIN, frames_done = 0, others_done = 0;
	for (int spins = 0; spins < 100000 && !qe_outq_empty(&q); spins++) {
		r = qe_outq_send_one(&q, sv[0], &dns);
		if (r == 1) {
			frames_done++;
			CHECK_EQ(dns, 1234);
		} else if (r == 0) {
			others_done++;
		} else {
			CHECK_EQ(r, -EAGAIN);
		}
		ssize_t n;
		while (got && (n = read(sv[1], got + have, BIG + 24 - have)) > 0)
			have += (size_t)n;
	}
	ssize_t n;
	while (got && (n = read(sv[1], got + have, BIG + 24 - have)) > 0)
		have += (size_t)n;
	CHECK(qe_outq_empty(&q));
	CHECK_EQ(frames_done, 1);
	CHECK_EQ(others_done, 1);
	CHECK_EQ(q.bytes, 0);
	CHECK_EQ(have, BIG + 24);
	if (got && have == BIG + 24) {
		CHECK_MEM(got, f->data, BIG);
		CHECK_MEM(got + BIG, c->data, 24);
	}
	/* an empty queue sends nothing and says so */
	CHECK_EQ(qe_outq_send_one(&q, sv[0], &dns), 0);

	/* the peer is gone: the error, not a signal */
	CHECK(qe_outq_push(&q, c));
	close(sv[1]);
	r = qe_outq_send_one(&q, sv[0], &dns);
	CHECK(r == -EPIPE || r == -ECONNRESET);
	qe_outq_clear(&q);
	close(sv[0]);
	free(got);
	CHECK_EQ(atomic_load(&f->refs), 1);
	qe_blob_unref(f);
	qe_blob_unref(c);
}

int main(void)
{
	test_bounds();
	test_partial_send();
	return check_report();
}
