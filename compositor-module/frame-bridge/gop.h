/* GOP replay: the last IDR and every frame since, so that a viewer who
 * joins mid-stream can start decoding at once instead of waiting for the
 * next keyframe. Bounded in bytes and frames: a GOP that outgrows the
 * bounds is dropped whole (a partial GOP would not decode past its gap)
 * and replay resumes with the next IDR. */
#ifndef LCB_GOP_H
#define LCB_GOP_H

#include <stddef.h>

#include "msg.h"

struct lcb_gop {
	struct lcb_msg **frames; /* frames[0] is the IDR when n > 0 */
	size_t n, cap;           /* cap = the frame bound */
	size_t bytes, max_bytes;
};

int lcb_gop_init(struct lcb_gop *g, size_t max_frames, size_t max_bytes); /* -ENOMEM */
void lcb_gop_finish(struct lcb_gop *g);
void lcb_gop_clear(struct lcb_gop *g);
/* Takes a reference to a video message: a keyframe starts a new GOP, a
 * P-frame extends the current one (ignored when there is none). */
void lcb_gop_push(struct lcb_gop *g, struct lcb_msg *video);

#endif
