/* The authenticated HXFR control connection to the frame exporter:
 * ENABLE_SCANOUT / DISABLE_SCANOUT with replies matched by scanout id, and
 * STREAM_KEY_REQ / STREAM_KEY_REVOKE (when the exporter granted
 * STREAM_KEYS) whose STREAM_KEY answers come in request order.
 * Reconnects with backoff; requests wait (bounded by their timeout) while
 * the link is down. Callbacks never run inside the call that queued them. */
#ifndef LB_EXPORTER_LINK_H
#define LB_EXPORTER_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct lb_exporter_link;
struct lb_exporter_req;
struct hxfr_key;

/* ok, and on failure a message. The request is gone after the call. */
typedef void (*lb_exporter_cb)(void *data, bool ok, const char *msg);

/* key NULL: unauthenticated (--exporter-auth=none), which also accepts a
 * Helix v1 exporter that does not answer HELLO. */
struct lb_exporter_link *lb_exporter_link_create(struct wl_event_loop *loop, const char *hostport,
						 const struct hxfr_key *key);
void lb_exporter_link_destroy(struct lb_exporter_link *l);
/* The handshake's outcome: true when the exporter offers stream keys to
 * this connection (STREAM_KEYS granted, or offered on an unauthenticated
 * link). False while the link is down. */
bool lb_exporter_link_has_stream_keys(const struct lb_exporter_link *l);
bool lb_exporter_link_ready(const struct lb_exporter_link *l);

struct lb_exporter_req *lb_exporter_enable(struct lb_exporter_link *l, uint32_t scanout_id,
					   uint32_t width, uint32_t height, uint32_t refresh_hz,
					   unsigned timeout_ms, lb_exporter_cb cb, void *data);
struct lb_exporter_req *lb_exporter_disable(struct lb_exporter_link *l, uint32_t scanout_id,
					    unsigned timeout_ms, lb_exporter_cb cb, void *data);
/* key: the new key; NULL when there is none: the exporter does not do
 * stream keys (Helix v1, STREAM_KEYS not granted; then ok is true) or it
 * refused (ok false, with a message). The key is the caller's to wipe. */
typedef void (*lb_exporter_key_cb)(void *data, bool ok, const uint8_t *key, const char *msg);

/* STREAM_KEY_REQ: a fresh key for the scanout, killing any earlier one. */
struct lb_exporter_req *lb_exporter_stream_key(struct lb_exporter_link *l, uint32_t scanout_id,
					       unsigned timeout_ms, lb_exporter_key_cb cb,
					       void *data);
/* STREAM_KEY_REVOKE; cb may be NULL. Queued behind earlier requests, so a
 * DISABLE queued after it reaches the exporter after it. */
struct lb_exporter_req *lb_exporter_revoke_key(struct lb_exporter_link *l, uint32_t scanout_id,
					       unsigned timeout_ms, lb_exporter_key_cb cb,
					       void *data);
/* The callback will not run; a reply still due is consumed silently. */
void lb_exporter_req_cancel(struct lb_exporter_req *req);

#endif
