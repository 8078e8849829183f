#include "msg.h"

#include <stdlib.h>

struct lcb_msg *lcb_msg_new(size_t len)
{
	struct lcb_msg *m = malloc(sizeof(*m) + LCB_PRE + len);
	if (!m)
		return NULL;
	m->refs = 1;
	m->video = false;
	m->keyframe = false;
	m->text = false;
	m->pts_us = 0;
	m->arrival_us = 0;
	m->encode_us = 0;
	m->len = len;
	m->data = m->storage + LCB_PRE;
	return m;
}

struct lcb_msg *lcb_msg_ref(struct lcb_msg *m)
{
	m->refs++;
	return m;
}

void lcb_msg_unref(struct lcb_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}
