/* The frame bridge: one libwebsockets loop that serves the viewer page,
 * fans the upstream H.264 out to WebSocket viewers (per-viewer bounded
 * queues, GOP replay for joiners), forwards the cursor, and takes the
 * input of viewers allowed to control back up to the exporter (input.h).
 * A viewer's rights come from the token it presents (?token=). */
#ifndef LCB_BRIDGE_H
#define LCB_BRIDGE_H

#include <stdint.h>

#include "upstream.h"

struct lcb_bridge_config {
	struct lcb_upstream_config upstream;
	char listen_host[256];
	uint16_t listen_port;
	const char *www_dir;
	/* Tokens; NULL or "": not configured. A viewer presenting the control
	 * token may control; the view token or the (older, command-line)
	 * viewer token may only watch. With any token configured one is
	 * required. With none, everyone may watch, and control too when
	 * open_control (the bridge listens on loopback only). */
	const char *viewer_token;
	const char *control_token, *view_token;
	bool open_control;
	/* Helix's endpoint (port 0: none): GET /ws/stream on loopback without
	 * a token, as Helix's API connects through its tunnel; its viewers
	 * control (helix_control) unless the bridge is view-only. */
	char helix_host[256];
	uint16_t helix_port;
	bool helix_control;
	unsigned max_viewers;
	const char *test_report; /* NULL: viewer reports are not written */
};

struct lcb_bridge;

/* NULL on failure (logged). */
struct lcb_bridge *lcb_bridge_create(const struct lcb_bridge_config *cfg);
/* Runs until SIGINT/SIGTERM (0) or a final refusal from the exporter (2). */
int lcb_bridge_run(struct lcb_bridge *b);
void lcb_bridge_destroy(struct lcb_bridge *b);

#endif
