/* The bridge's HXFR subscription to one scanout of the exporter: the
 * protocol's client state machine (protocols/hxfr_client.h) driven in the
 * bridge's lws loop. HELLO (STREAM_KEYS|CURSOR) and SUBSCRIBE_KEYED go out
 * together; frames and cursor messages come back. A lost connection is
 * retried with backoff; a refused key is final (retrying the same key
 * cannot succeed) and reported through refused. With input on, HELLO also
 * asks for INPUT and the viewers' input goes up the same connection
 * (HXFR.md §5.10, input.h). */
#ifndef LCB_UPSTREAM_H
#define LCB_UPSTREAM_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "hxfr.h"

struct lcb_upstream_config {
	char host[256];
	uint16_t port;
	uint32_t scanout;
	uint8_t key[HXFR_STREAM_KEY_LEN];
	bool input; /* ask for INPUT in HELLO: some viewer may control */
};

struct lcb_upstream_listener {
	void (*frame)(void *data, const struct hxfr_frame *f);
	void (*cursor_define)(void *data, const struct hxfr_cursor_define *c);
	void (*cursor_move)(void *data, const struct hxfr_cursor_move *m);
	void (*state)(void *data, bool streaming, const char *why);
	void (*refused)(void *data, const char *why);
	/* The send queue drained (owed input can go now); may be NULL. */
	void (*tx_room)(void *data);
	void *data;
};

struct lcb_upstream;

struct lcb_upstream *lcb_upstream_create(struct lws_context *ctx, struct lws_vhost *vh,
					 const struct lcb_upstream_config *cfg,
					 const struct lcb_upstream_listener *l);
void lcb_upstream_destroy(struct lcb_upstream *u);
/* KEYFRAME_REQ, at most one in flight per 200 ms (the server coalesces
 * them anyway); a no-op while not subscribed. */
void lcb_upstream_request_keyframe(struct lcb_upstream *u);
/* A new frame of the unchanged picture (REFRESH_REQ, a small P-frame),
 * or, from an exporter that does not offer REFRESH, a KEYFRAME_REQ; a
 * no-op while not subscribed. */
void lcb_upstream_request_refresh(struct lcb_upstream *u);
/* CONFIG_REQ: a frame-rate hint (0: unchanged) and bitrate (0: unchanged)
 * for the scanout's encoder, which all its viewers share; a no-op while
 * not subscribed. The exporter answers what it applied (logged). */
void lcb_upstream_configure(struct lcb_upstream *u, unsigned fps, uint32_t bitrate_bps);
/* One input message for the subscribed scanout (an lcb_input_send_fn):
 * 0; -ENOBUFS (the send queue is full: try after tx_room); -ENOTCONN (not
 * streaming); -EOPNOTSUPP (input is off, or the exporter does not offer
 * INPUT); -EINVAL (a value HXFR refuses). */
struct lcb_hxin;
int lcb_upstream_input(void *upstream, const struct lcb_hxin *e);

#endif
