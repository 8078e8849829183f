#include "gop.h"

#include <errno.h>
#include <stdlib.h>

int lcb_gop_init(struct lcb_gop *g, size_t max_frames, size_t max_bytes)
{
	g->frames = calloc(max_frames ? max_frames : 1, sizeof(*g->frames));
	if (!g->frames)
		return -ENOMEM;
	g->n = 0;
	g->cap = max_frames;
	g->bytes = 0;
	g->max_bytes = max_bytes;
	return 0;
}

void lcb_gop_clear(struct lcb_gop *g)
{
	for (size_t i = 0; i < g->n; i++)
		lcb_msg_unref(g->frames[i]);
	g->n = 0;
	g->bytes = 0;
}

void lcb_gop_finish(struct lcb_gop *g)
{
	lcb_gop_clear(g);
	free(g->frames);
	g->frames = NULL;
}

void lcb_gop_push(struct lcb_gop *g, struct lcb_msg *video)
{
	if (video->keyframe)
		lcb_gop_clear(g);
	else if (g->n == 0)
		return;
	if (g->n == g->cap || video->len > g->max_bytes - g->bytes) {
		lcb_gop_clear(g);
		return;
	}
	g->frames[g->n++] = lcb_msg_ref(video);
	g->bytes += video->len;
}
