/* A WebSocket message as the bridge keeps it: one allocation, shared by
 * reference between the GOP replay buffer and every viewer's queue, with
 * LCB_PRE bytes of headroom in front of the payload for the WebSocket
 * header that libwebsockets writes there. */
#ifndef LCB_MSG_H
#define LCB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At least libwebsockets' LWS_PRE (checked where lws is included). */
#define LCB_PRE 16u

struct lcb_msg {
	unsigned refs;
	bool video;    /* a VideoFrame (0x01): subject to GOP rules */
	bool keyframe; /* video only: an IDR access unit */
	bool text;     /* a text WebSocket message (Helix's ConnectionComplete) */
	/* video only: its pts (the exporter's clock) and when the bridge got it
	 * (lws_now_usecs), for the Pong's latency figures */
	uint64_t pts_us;
	int64_t arrival_us;
	uint32_t encode_us; /* the exporter's pts-to-encoded time (HXFR); 0: not told */
	size_t len;         /* payload bytes at data */
	uint8_t *data;      /* = storage + LCB_PRE */
	uint8_t storage[];
};

/* A message of len payload bytes (uninitialised), one reference. NULL on OOM. */
struct lcb_msg *lcb_msg_new(size_t len);
struct lcb_msg *lcb_msg_ref(struct lcb_msg *m);
void lcb_msg_unref(struct lcb_msg *m); /* NULL is fine */

#endif
