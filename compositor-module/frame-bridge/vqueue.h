/* A viewer's outgoing queue. Bounded in messages and bytes; when a new
 * message does not fit, every queued video frame is dropped and the viewer
 * skips frames until the next keyframe, so it only ever decodes whole GOPs
 * and never holds up the other viewers. Control messages (stream init,
 * cursor) are kept across a drop. */
#ifndef LCB_VQUEUE_H
#define LCB_VQUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

struct lcb_qent {
	struct lcb_msg *msg;
	bool replay; /* a video frame sent from the GOP replay buffer */
};

struct lcb_vqueue {
	struct lcb_qent *ents; /* ring */
	size_t head, n, cap;
	size_t bytes, max_bytes;
	bool need_key;  /* skipping video until the next keyframe */
	unsigned drops; /* times the queue overflowed */
};

enum lcb_push_result {
	LCB_PUSH_QUEUED,
	LCB_PUSH_SKIPPED, /* a P-frame while waiting for a keyframe */
	LCB_PUSH_DROPPED, /* overflow: video flushed, now waiting for a keyframe */
};

int lcb_vqueue_init(struct lcb_vqueue *q, size_t max_msgs, size_t max_bytes);
void lcb_vqueue_finish(struct lcb_vqueue *q);
/* Takes its own reference to msg when queued. */
enum lcb_push_result lcb_vqueue_push(struct lcb_vqueue *q, struct lcb_msg *msg, bool replay);
/* Drops queued video and waits for a keyframe (the viewer's decoder lost sync). */
void lcb_vqueue_resync(struct lcb_vqueue *q);
/* The oldest entry, handed over with its reference; false when empty. */
bool lcb_vqueue_pop(struct lcb_vqueue *q, struct lcb_qent *out);

#endif
