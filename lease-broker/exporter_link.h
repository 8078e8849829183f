/* The authenticated HXFR control connection to the frame exporter:
 * ENABLE_SCANOUT / DISABLE_SCANOUT with replies matched by scanout id.
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
bool lb_exporter_link_ready(const struct lb_exporter_link *l);

struct lb_exporter_req *lb_exporter_enable(struct lb_exporter_link *l, uint32_t scanout_id,
					   uint32_t width, uint32_t height, uint32_t refresh_hz,
					   unsigned timeout_ms, lb_exporter_cb cb, void *data);
struct lb_exporter_req *lb_exporter_disable(struct lb_exporter_link *l, uint32_t scanout_id,
					    unsigned timeout_ms, lb_exporter_cb cb, void *data);
/* The callback will not run; a reply still due is consumed silently. */
void lb_exporter_req_cancel(struct lb_exporter_req *req);

#endif
