/* Display power of one card's outputs: the ENABLE_SCANOUT / DISABLE_SCANOUT
 * requests that turn them on and off through the exporter link, paced so that
 * the guest has at most one display change in flight, and the recovery of
 * display events the guest lost (doc/DESIGN.md, "Lost display events").
 *
 * The broker decides which outputs must be on (its leases) and asks
 * (lb_power_turn_on / lb_power_turn_off); this unit decides when each request
 * goes out, follows it up in the guest (it is told about HOTPLUGs and probe
 * results), re-asserts what the guest missed, and reports back through
 * lb_power_events. It writes lb_output.state for the changes it makes
 * (ENABLING, ON, DISABLING, OFF); the broker writes it only for changes made
 * behind its back.
 *
 * Time is the event loop's timers, with the intervals in lb_power_config;
 * the exporter link and the guest's connector probe come in lb_power_io, so
 * that tests/unit can drive the unit with a fake of both.
 *
 * Ownership: the broker creates one per card, after the card's outputs, and
 * destroys it after the exporter link (the requests in flight go with the
 * link). Each output's lb_output.power is the unit's record of it, set by
 * lb_power_create and cleared by lb_power_destroy. */
#ifndef LB_OUTPUT_POWER_H
#define LB_OUTPUT_POWER_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "broker.h"
#include "exporter_link.h"

/* The production intervals (doc/DESIGN.md). Re-assert an ENABLE the guest
 * does not show this long after the host confirmed it, then at doubling
 * intervals; probe an output this long after the host confirmed its DISABLE. */
#define LB_POWER_REASSERT_FIRST_MS 750
/* A lost DISABLE is sent again at most this many times. */
#define LB_POWER_MAX_DISABLE_REASSERTS 3
/* The next change goes this long after the last at the latest, reflected in
 * the guest or not. */
#define LB_POWER_PACE_BOUND_MS 250

struct lb_power;

struct lb_power_config {
	const char *card;               /* for logs; must outlive the unit */
	bool pacing;                    /* false: --no-display-pacing (all at once) */
	unsigned request_timeout_ms;    /* each exporter request's (--enable-timeout-ms) */
	unsigned reassert_first_ms;     /* LB_POWER_REASSERT_FIRST_MS */
	unsigned max_disable_reasserts; /* LB_POWER_MAX_DISABLE_REASSERTS */
	unsigned pace_bound_ms;         /* LB_POWER_PACE_BOUND_MS */
};

/* The world the unit acts on: the broker gives exporter_link.h's and card.h's
 * functions, tests/unit a fake host and guest. Replies never come inside the
 * call that queued the request. */
struct lb_power_io {
	struct lb_exporter_link *link; /* NULL: no exporter, nothing is switched */
	struct lb_exporter_req *(*enable)(struct lb_exporter_link *l, uint32_t scanout_id,
					  uint32_t width, uint32_t height, uint32_t refresh_hz,
					  unsigned timeout_ms, lb_exporter_cb cb, void *data);
	struct lb_exporter_req *(*disable)(struct lb_exporter_link *l, uint32_t scanout_id,
					   unsigned timeout_ms, lb_exporter_cb cb, void *data);
	void (*cancel)(struct lb_exporter_req *req); /* req may be NULL */
	/* A full probe of the output as the guest shows it: 1 connected, 0
	 * not, -errno. */
	int (*probe)(struct lb_output *o);
};

/* What the broker hears back. Both may be called from inside the unit's own
 * entry points and timers; the broker may call lb_power_turn_off from them. */
struct lb_power_events {
	/* An output turning on is connected in the guest (ENABLING -> ON). */
	void (*output_on)(void *data, struct lb_output *o);
	/* Its ENABLE failed or could not be sent (ENABLING -> OFF): msg. */
	void (*failed)(void *data, struct lb_output *o, const char *msg);
	void *data;
};

struct lb_power_mode {
	uint32_t width, height, refresh_hz;
};

/* For the outputs in `outputs` (of lb_output.link), whose state is what the
 * card's probe found. NULL on allocation failure. */
struct lb_power *lb_power_create(struct wl_event_loop *loop, struct wl_list *outputs,
				 const struct lb_power_config *cfg, const struct lb_power_io *io,
				 const struct lb_power_events *events);
/* Sends every change still waiting for its turn now, unpaced: the last
 * DISABLEs before the exporter link is flushed and closed. */
void lb_power_flush(struct lb_power *p);
/* After the exporter link is gone: forgets the requests (they went with the
 * link; cancelling them first would withdraw the last DISABLEs). */
void lb_power_destroy(struct lb_power *p);

/* Turns o on, in mode, for a lease; o is not ON. o becomes ENABLING, or ON at
 * once when its DISABLE had not left yet and the guest still shows it on.
 * False, with o OFF, when the exporter link cannot take the ENABLE. */
bool lb_power_turn_on(struct lb_output *o, const struct lb_power_mode *mode);
/* o's lease is gone: off again (DISABLING; OFF when its ENABLE had not left,
 * or the link cannot take the DISABLE). Nothing without an exporter for o. */
void lb_power_turn_off(struct lb_output *o);
/* True when o is turning off but its DISABLE has not left and the host still
 * has it on: leasing it again costs nothing. */
bool lb_power_disable_unsent(const struct lb_output *o);

/* The card had a HOTPLUG uevent. For an output that is ENABLING: is it
 * connected now? */
void lb_power_check_enabling(struct lb_output *o);
/* For an output neither leased nor turning on or off, that a full probe
 * found connected or not: true when it is one we turned off whose DISABLE
 * the unit follows up (shown now: done; still connected: sent again, while
 * re-asserts are left). False: what the probe shows is the output's state. */
bool lb_power_probed_off(struct lb_output *o, bool connected);
/* Last, once per HOTPLUG: is the change in flight reflected in the guest?
 * Then the next one goes. */
void lb_power_hotplug(struct lb_power *p);

#endif
