#include "output_power.h"

#include <stdlib.h>

#include "log.h"

/* Lost display events. A virtio-gpu guest (Linux 6.1
 * virtio_gpu_config_changed_work_func) reads the pending event, asks for the
 * display info, and only then clears the event: one that QEMU raises in
 * between (the next ENABLE or DISABLE, of any scanout) is cleared unseen, and
 * the guest keeps stale display info until some later event; its connector
 * probe only reports that cache, so probing again cannot help. Unpaced
 * back-to-back leases hit it in 1 to 32 of 600 turn-on leases, more the more
 * loaded the host (bench/RESULTS.md).
 *
 * The normal path stays the HOTPLUG uevent and a full probe. Only when an
 * output is still not connected reassert_first_ms after the host confirmed
 * its ENABLE do we send the ENABLE again (the exporter makes a repeated
 * request reach the guest as a new event), at doubling intervals, for as long
 * as the broker wants it on (its lease's --enable-timeout-ms). Likewise, when
 * a later probe (the next HOTPLUG's, or one reassert_first_ms after the host
 * confirmed the DISABLE) still shows an output we turned off as connected,
 * the DISABLE goes again, at most max_disable_reasserts times.
 *
 * Display-change pacing: we must not provoke that race ourselves. At most one
 * ENABLE or DISABLE is in flight in the guest: the next is sent once the
 * previous is reflected (a HOTPLUG uevent arrived and a full probe of that
 * output shows it connected, or disconnected), or pace_bound_ms after it was
 * sent (then anyway: the re-asserts above still cover a loss). The others
 * wait in FIFO order, at most one per output. A queued change that its output
 * no longer needs is dropped, not sent. */

enum change {
	CHANGE_NONE,
	CHANGE_ENABLE,
	CHANGE_DISABLE
};

/* The unit's record of one output (lb_output.power). */
struct lb_power_output {
	struct lb_power *power;
	struct lb_output *output;
	bool want_on;                /* from lb_power_turn_on to lb_power_turn_off */
	struct lb_power_mode mode;   /* of its ENABLEs */
	struct lb_exporter_req *req; /* the exporter request in flight, if any */
	/* lost display-event recovery */
	struct wl_event_source *reassert;
	unsigned reassert_ms; /* next re-assert interval */
	unsigned reasserts;   /* re-sent requests since the last change */
	bool turned_off;      /* off by our DISABLE: must probe disconnected */
	/* pacing */
	struct wl_list link; /* lb_power.queue, while queued */
	enum change queued;  /* the change waiting for its turn */
	bool host_on;        /* the last change sent was an ENABLE */
};

struct lb_power {
	struct wl_event_loop *loop;
	struct lb_power_config cfg;
	struct lb_power_io io;
	struct lb_power_events events;
	struct lb_power_output *outputs;
	size_t n_outputs;
	/* the change in flight in the guest and those waiting behind it
	 * (lb_power_output.link, FIFO) */
	struct lb_power_output *inflight;
	bool expect_on;
	struct wl_event_source *timer; /* pace_bound_ms */
	struct wl_list queue;
};

static void check_enabled(struct lb_power_output *po)
{
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	/* Until its ENABLE has left, connected is a DISABLE not yet seen. */
	if (o->state != LB_OUTPUT_ENABLING || po->queued == CHANGE_ENABLE)
		return;
	if (p->io.probe(o) == 1) {
		o->state = LB_OUTPUT_ON;
		lc_debug("%s connected", o->name);
		p->events.output_on(p->events.data, o);
	}
}

static void enable_done(void *data, bool ok, const char *msg);
static void disable_done(void *data, bool ok, const char *msg);
static void pace_next(struct lb_power *p);

static void pace_done(struct lb_power *p)
{
	p->inflight = NULL;
	if (p->timer)
		wl_event_source_timer_update(p->timer, 0);
	pace_next(p);
}

static int pace_bound(void *data)
{
	struct lb_power *p = data;
	if (p->inflight)
		lc_debug("%s: the guest shows no change of %s %u ms after it was sent: sending "
			 "the next",
			 p->cfg.card, p->inflight->output->name, p->cfg.pace_bound_ms);
	pace_done(p);
	return 0;
}

/* Sends the change now. False when the exporter link cannot take it. */
static bool pace_send(struct lb_power_output *po, enum change c)
{
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	p->io.cancel(po->req);
	po->req = NULL;
	if (!p->io.link)
		return false;
	if (c == CHANGE_ENABLE) {
		if (!po->want_on)
			return false;
		po->req = p->io.enable(p->io.link, (uint32_t)o->scanout_id, po->mode.width,
				       po->mode.height, po->mode.refresh_hz,
				       p->cfg.request_timeout_ms, enable_done, po);
	} else {
		po->req = p->io.disable(p->io.link, (uint32_t)o->scanout_id,
					p->cfg.request_timeout_ms, disable_done, po);
	}
	if (!po->req)
		return false;
	po->host_on = c == CHANGE_ENABLE;
	if (!p->timer)
		p->timer = wl_event_loop_add_timer(p->loop, pace_bound, p);
	/* Unpaced (no timer, or --no-display-pacing): the re-asserts still recover. */
	if (p->timer && p->cfg.pacing) {
		p->inflight = po;
		p->expect_on = po->host_on;
		wl_event_source_timer_update(p->timer, (int)p->cfg.pace_bound_ms);
	}
	return true;
}

/* Sends the change if the guest has none in flight, else queues it (a
 * change already queued for the output is replaced in place). False when
 * it was to go now and the exporter link could not take it. */
static bool pace_submit(struct lb_power_output *po, enum change c)
{
	struct lb_power *p = po->power;
	if (po->queued) {
		po->queued = c;
		return true;
	}
	if (!p->inflight && wl_list_empty(&p->queue))
		return pace_send(po, c);
	po->queued = c;
	wl_list_insert(p->queue.prev, &po->link);
	return true;
}

static void pace_unqueue(struct lb_power_output *po)
{
	if (!po->queued)
		return;
	wl_list_remove(&po->link);
	po->queued = CHANGE_NONE;
}

static void pace_next(struct lb_power *p)
{
	/* A `failed` report below may end a lease, which queues and sends
	 * changes of its own: take the queue afresh on every turn. */
	while (!p->inflight && !wl_list_empty(&p->queue)) {
		struct lb_power_output *po = wl_container_of(p->queue.next, po, link);
		struct lb_output *o = po->output;
		enum change c = po->queued;
		pace_unqueue(po);
		if (pace_send(po, c))
			continue;
		lc_warn("%s: cannot send its %s: too many exporter requests in flight", o->name,
			c == CHANGE_ENABLE ? "ENABLE" : "DISABLE");
		if (c == CHANGE_ENABLE && o->state == LB_OUTPUT_ENABLING) {
			o->state = LB_OUTPUT_OFF;
			p->events.failed(p->events.data, o, "too many exporter requests in flight");
		} else if (c == CHANGE_DISABLE && o->state == LB_OUTPUT_DISABLING) {
			o->state = LB_OUTPUT_OFF;
		}
	}
}

void lb_power_hotplug(struct lb_power *p)
{
	struct lb_power_output *po = p->inflight;
	if (!po)
		return;
	int r = p->io.probe(po->output);
	if (r >= 0 && (r == 1) == p->expect_on)
		pace_done(p);
}

static int output_reassert(void *data);

/* A new ENABLE or DISABLE of ours: recovery starts afresh. */
static void reassert_reset(struct lb_power_output *po)
{
	po->reasserts = 0;
	po->reassert_ms = po->power->cfg.reassert_first_ms;
	po->turned_off = false;
	if (po->reassert)
		wl_event_source_timer_update(po->reassert, 0);
}

static void reassert_arm(struct lb_power_output *po)
{
	if (!po->reassert)
		po->reassert = wl_event_loop_add_timer(po->power->loop, output_reassert, po);
	if (po->reassert)
		wl_event_source_timer_update(po->reassert, (int)po->reassert_ms);
}

static bool reassert_disable(struct lb_power_output *po);

/* Fires a while after the host confirmed an ENABLE or DISABLE of ours. */
static int output_reassert(void *data)
{
	struct lb_power_output *po = data;
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	if (o->state == LB_OUTPUT_OFF && po->turned_off && !po->want_on) {
		/* Nothing else may probe this output soon: check it now. */
		int r = p->io.probe(o);
		if (r == 0)
			po->turned_off = false;
		else if (r == 1)
			reassert_disable(po);
		return 0;
	}
	/* The host has had this output on for a while and the guest still
	 * shows it disconnected: it lost the display event. */
	if (o->state != LB_OUTPUT_ENABLING || !po->want_on || po->req || po->queued || !p->io.link)
		return 0;
	/* A HOTPLUG uevent may have been lost instead (netlink overrun). */
	check_enabled(po);
	if (o->state != LB_OUTPUT_ENABLING)
		return 0;
	lc_info("re-asserting scanout %d: guest missed the display event (%s not connected %u ms "
		"after the host's ENABLE)",
		o->scanout_id, o->name, po->reassert_ms);
	po->reasserts++;
	po->reassert_ms *= 2;
	if (!pace_submit(po, CHANGE_ENABLE))
		reassert_arm(po); /* exporter queue full: try again later */
	return 0;
}

static void enable_done(void *data, bool ok, const char *msg)
{
	struct lb_power_output *po = data;
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	po->req = NULL;
	if (o->state != LB_OUTPUT_ENABLING)
		return;
	if (!ok) {
		o->state = LB_OUTPUT_OFF;
		po->host_on = false;
		p->events.failed(p->events.data, o,
				 msg ? msg : "exporter refused to enable the output");
		if (p->inflight == po) /* nothing changed in the guest */
			pace_done(p);
		return;
	}
	/* The host has it on; the guest learns it through HOTPLUG, but it may
	 * already have: look now as well. */
	check_enabled(po);
	if (o->state == LB_OUTPUT_ENABLING && po->want_on)
		reassert_arm(po);
}

static void disable_done(void *data, bool ok, const char *msg)
{
	struct lb_power_output *po = data;
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	po->req = NULL;
	if (!ok)
		lc_warn("%s: turning off failed: %s", o->name, msg ? msg : "?");
	if (o->state == LB_OUTPUT_DISABLING) {
		o->state = LB_OUTPUT_OFF;
		po->turned_off = ok;
		if (ok)
			reassert_arm(po);
	}
	if (!ok && p->inflight == po)
		pace_done(p);
}

/* A probe found an output we turned off still connected: the guest may have
 * lost the DISABLE's display event. Returns true when the DISABLE went again. */
static bool reassert_disable(struct lb_power_output *po)
{
	struct lb_power *p = po->power;
	struct lb_output *o = po->output;
	if (!po->turned_off || po->req || po->queued || !p->io.link)
		return false;
	if (po->reasserts >= p->cfg.max_disable_reasserts) {
		lc_warn("%s stays connected after %u DISABLEs: taking it as turned on by someone "
			"else",
			o->name, po->reasserts + 1);
		po->turned_off = false;
		return false;
	}
	lc_info("re-asserting scanout %d: guest missed the display event (%s still connected "
		"after the host's DISABLE)",
		o->scanout_id, o->name);
	unsigned n = po->reasserts + 1;
	if (!pace_submit(po, CHANGE_DISABLE))
		return false;
	o->state = LB_OUTPUT_DISABLING; /* still offerable: no signal */
	po->reasserts = n;
	po->reassert_ms *= 2;
	return true;
}

bool lb_power_turn_on(struct lb_output *o, const struct lb_power_mode *mode)
{
	struct lb_power_output *po = o->power;
	struct lb_power *p = po->power;
	po->want_on = true;
	po->mode = *mode;
	if (po->queued == CHANGE_DISABLE) {
		/* Its DISABLE never left: if the guest shows it on, it is. */
		pace_unqueue(po);
		if (po->host_on && p->io.probe(o) == 1) {
			o->state = LB_OUTPUT_ON;
			return true;
		}
	}
	p->io.cancel(po->req); /* a DISABLE still in flight */
	po->req = NULL;
	reassert_reset(po);
	if (!pace_submit(po, CHANGE_ENABLE)) {
		po->want_on = false;
		o->state = LB_OUTPUT_OFF;
		return false;
	}
	o->state = LB_OUTPUT_ENABLING;
	return true;
}

void lb_power_turn_off(struct lb_output *o)
{
	struct lb_power_output *po = o->power;
	struct lb_power *p = po->power;
	po->want_on = false;
	if (o->scanout_id < 0 || !p->io.link)
		return;
	p->io.cancel(po->req);
	po->req = NULL;
	reassert_reset(po);
	if (po->queued == CHANGE_ENABLE) {
		pace_unqueue(po);
		if (!po->host_on) { /* its ENABLE never left: nothing to undo */
			o->state = LB_OUTPUT_OFF;
			return;
		}
	}
	o->state = pace_submit(po, CHANGE_DISABLE) ? LB_OUTPUT_DISABLING : LB_OUTPUT_OFF;
}

bool lb_power_disable_unsent(const struct lb_output *o)
{
	const struct lb_power_output *po = o->power;
	return po->queued == CHANGE_DISABLE && po->host_on;
}

void lb_power_check_enabling(struct lb_output *o)
{
	check_enabled(o->power);
}

bool lb_power_probed_off(struct lb_output *o, bool connected)
{
	struct lb_power_output *po = o->power;
	if (o->state != LB_OUTPUT_OFF || !po->turned_off)
		return false;
	if (!connected) {
		po->turned_off = false; /* the guest saw it: done */
		return true;
	}
	return reassert_disable(po);
}

struct lb_power *lb_power_create(struct wl_event_loop *loop, struct wl_list *outputs,
				 const struct lb_power_config *cfg, const struct lb_power_io *io,
				 const struct lb_power_events *events)
{
	struct lb_power *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	size_t n = (size_t)wl_list_length(outputs);
	p->outputs = calloc(n ? n : 1, sizeof(*p->outputs));
	if (!p->outputs) {
		free(p);
		return NULL;
	}
	p->loop = loop;
	p->cfg = *cfg;
	p->io = *io;
	p->events = *events;
	p->n_outputs = n;
	wl_list_init(&p->queue);
	struct lb_output *o;
	size_t i = 0;
	wl_list_for_each (o, outputs, link) {
		struct lb_power_output *po = &p->outputs[i++];
		po->power = p;
		po->output = o;
		po->reassert_ms = cfg->reassert_first_ms;
		po->host_on = o->state == LB_OUTPUT_ON;
		o->power = po;
	}
	return p;
}

void lb_power_flush(struct lb_power *p)
{
	if (!p)
		return;
	while (!wl_list_empty(&p->queue)) {
		struct lb_power_output *po = wl_container_of(p->queue.next, po, link);
		enum change c = po->queued;
		pace_unqueue(po);
		pace_send(po, c);
	}
}

void lb_power_destroy(struct lb_power *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_outputs; i++) {
		struct lb_power_output *po = &p->outputs[i];
		if (po->reassert)
			wl_event_source_remove(po->reassert);
		pace_unqueue(po);
		po->output->power = NULL;
	}
	if (p->timer)
		wl_event_source_remove(p->timer);
	free(p->outputs);
	free(p);
}
