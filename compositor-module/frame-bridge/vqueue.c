#include "vqueue.h"

#include <errno.h>
#include <stdlib.h>

int lcb_vqueue_init(struct lcb_vqueue *q, size_t max_msgs, size_t max_bytes)
{
	q->ents = calloc(max_msgs ? max_msgs : 1, sizeof(*q->ents));
	if (!q->ents)
		return -ENOMEM;
	q->head = 0;
	q->n = 0;
	q->cap = max_msgs ? max_msgs : 1;
	q->bytes = 0;
	q->max_bytes = max_bytes;
	q->need_key = true; /* a viewer starts on a keyframe */
	q->drops = 0;
	return 0;
}

void lcb_vqueue_finish(struct lcb_vqueue *q)
{
	struct lcb_qent e;
	while (lcb_vqueue_pop(q, &e))
		lcb_msg_unref(e.msg);
	free(q->ents);
	q->ents = NULL;
}

static struct lcb_qent *at(struct lcb_vqueue *q, size_t i)
{
	return &q->ents[(q->head + i) % q->cap];
}

/* Keeps the control messages, in order; releases the video ones. */
static void drop_video(struct lcb_vqueue *q)
{
	size_t kept = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct lcb_qent e = *at(q, i);
		if (e.msg->video) {
			q->bytes -= e.msg->len;
			lcb_msg_unref(e.msg);
		} else {
			*at(q, kept++) = e;
		}
	}
	q->n = kept;
	q->need_key = true;
}

void lcb_vqueue_resync(struct lcb_vqueue *q)
{
	drop_video(q);
}

static bool fits(const struct lcb_vqueue *q, const struct lcb_msg *m)
{
	return q->n < q->cap && m->len <= q->max_bytes - q->bytes;
}

enum lcb_push_result lcb_vqueue_push(struct lcb_vqueue *q, struct lcb_msg *msg, bool replay)
{
	enum lcb_push_result res = LCB_PUSH_QUEUED;
	if (msg->video) {
		if (q->need_key && !msg->keyframe)
			return LCB_PUSH_SKIPPED;
		if (!fits(q, msg)) {
			drop_video(q);
			q->drops++;
			/* A keyframe that fits once the old GOP is gone starts the
			 * next one; anything else waits for the next keyframe. */
			if (!msg->keyframe || !fits(q, msg))
				return LCB_PUSH_DROPPED;
			res = LCB_PUSH_DROPPED;
		}
		q->need_key = false;
	} else if (!fits(q, msg)) {
		drop_video(q);
		q->drops++;
		res = LCB_PUSH_DROPPED;
		if (!fits(q, msg))
			return res; /* a queue full of control messages: lose this one */
	}
	*at(q, q->n++) = (struct lcb_qent){.msg = lcb_msg_ref(msg), .replay = replay};
	q->bytes += msg->len;
	return res;
}

bool lcb_vqueue_pop(struct lcb_vqueue *q, struct lcb_qent *out)
{
	if (q->n == 0)
		return false;
	*out = *at(q, 0);
	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->bytes -= out->msg->len;
	return true;
}
