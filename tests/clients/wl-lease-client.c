/* lc-wl-lease-client: a real wp_drm_lease_v1 client that checks a server's
 * conformance (event order, errors, lease lifecycle) and that the leases it
 * hands out really drive their outputs. Every check prints one line:
 *   ok <what>        a check that held
 *   FAIL <what>      a deviation (the program then exits 1)
 *   <key> k=v...     facts (connectors, leases, flips) for the logs
 * and the run ends with "PASS <subcommand>" or exits non-zero. Exit 77 means
 * the case cannot run here (e.g. a second DRM device is missing). */
#include <drm-lease-v1-client-protocol.h>
#include <errno.h>
#include <leasecast-lease-v1-client-protocol.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "clock.h"
#include "auth_check.h"
#include "input_check.h"
#include "kms_check.h"
#include "wl_lease_client.h"

#define MAX_DEVICES WLC_MAX_DEVICES
#define MAX_EVENTS 1024
#define MAX_NAMES 16
#define EXIT_SKIP 77

/* A wp_drm_lease_v1 event as it arrived: obj is the wlc_device,
 * wlc_connector or wlc_lease it is for. */
struct event {
	enum wlc_event_type type;
	void *obj;
};

struct client {
	const char *tag;
	struct wlc *wl;
	struct event events[MAX_EVENTS];
	size_t n_events, ev_read; /* queue: [ev_read, n_events) not yet checked */
};

struct options {
	const char *socket;
	int timeout_ms;
	unsigned flips;
	int hold_ms;
	int expect_count; /* -1: any */
	const char *names[MAX_NAMES];
	size_t n_names;
	const char *key_out;    /* lease-info: write the stream key here */
	const char *hold_file;  /* lease-info: hold the lease until it exists */
	uint32_t width, height; /* --size: set_requested_size before submit */
	bool size_given;
	uint32_t leasecast_version; /* --leasecast-version: bind at most this */
	int expect_inputs;          /* input: -1 any */
	const char *end;            /* input: destroy (default) or disconnect */
};

static struct options opt = {
	.timeout_ms = 20000,
	.flips = 3,
	.hold_ms = 0,
	.expect_count = -1,
	.expect_inputs = -1,
};

static const char *subcommand = "";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL %s: ", subcommand);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("ok ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL watchdog: the whole run took too long\n";
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void record(struct client *c, enum wlc_event_type type, void *obj)
{
	if (c->n_events == MAX_EVENTS)
		fail("%s: more than %d events", c->tag, MAX_EVENTS);
	c->events[c->n_events++] = (struct event){type, obj};
}

/* Every event, after the helper took it in: what may arrive only once,
 * and leasecast's order, are checked here; the wp_drm_lease_v1 events are
 * queued for the subcommands' order checks. */
static void on_event(void *data, const struct wlc_event *ev)
{
	struct client *c = data;
	switch (ev->type) {
	case WLC_EV_WITHDRAWN:
		if (ev->again)
			fail("%s: withdrawn twice on one %s object", c->tag, ev->connector->name);
		break;
	case WLC_EV_LEASE_FD:
		if (ev->again)
			fail("%s: lease_fd sent twice", c->tag);
		if (ev->lease->finished)
			fail("%s: lease_fd after finished", c->tag);
		break;
	case WLC_EV_FINISHED:
		if (ev->again)
			fail("%s: finished sent twice", c->tag);
		break;
	case WLC_EV_INFO_OUTPUT:
		if (!ev->lease->granted)
			fail("leasecast output event before lease_fd");
		if (ev->lease->info.done || ev->lease->info.finished)
			fail("leasecast output event after done/finished");
		return;
	case WLC_EV_INFO_INPUT:
		if (!ev->lease->granted)
			fail("leasecast input_device before lease_fd");
		if (ev->lease->info.done || ev->lease->info.finished)
			fail("leasecast input_device after done/finished");
		if (ev->lease->info.n_outputs == 0)
			fail("leasecast input_device before the output events");
		return;
	case WLC_EV_INFO_DONE:
		if (ev->again)
			fail("leasecast done sent twice");
		return;
	case WLC_EV_INFO_FINISHED:
		if (ev->again)
			fail("leasecast finished sent twice");
		return;
	case WLC_EV_MAGIC_RESULT: return;
	default: break;
	}
	void *obj = ev->connector ? (void *)ev->connector
		    : ev->lease   ? (void *)ev->lease
				  : (void *)ev->device;
	record(c, ev->type, obj);
}

/* ---- dispatching with a deadline ---- */

static void connection_failed(struct client *c) __attribute__((noreturn));
static void connection_failed(struct client *c)
{
	struct wl_display *d = c->wl->display;
	fail("%s: connection error: %s (protocol error %u)", c->tag,
	     strerror(wl_display_get_error(d)), wl_display_get_protocol_error(d, NULL, NULL));
}

/* Returns false on timeout; fails on a connection error unless
 * allow_error (then returns true with the display in error). */
static bool dispatch_once(struct client *c, int timeout_ms, bool allow_error)
{
	int r = wlc_dispatch_timeout(c->wl, timeout_ms);
	if (r == -EPIPE && !allow_error)
		connection_failed(c);
	if (r < 0 && r != -EPIPE)
		fail("poll: %s", strerror(-r));
	return r != 0;
}

/* Dispatches c (and keeps others' sockets drained only when they are
 * dispatched themselves) until pred holds. */
static bool wait_for(struct client *c, wlc_pred_fn pred, void *arg, int timeout_ms)
{
	int r = wlc_wait(c->wl, pred, arg, lc_now_ms() + timeout_ms);
	if (r == -EPIPE)
		connection_failed(c);
	if (r < 0 && r != -ETIMEDOUT)
		fail("poll: %s", strerror(-r));
	return r == 0;
}

static void roundtrip(struct client *c)
{
	struct wl_display *d = c->wl->display;
	if (wl_display_roundtrip(d) < 0)
		fail("%s: roundtrip: %s (protocol error %u)", c->tag,
		     strerror(wl_display_get_error(d)),
		     wl_display_get_protocol_error(d, NULL, NULL));
}

/* ---- client setup and event queue checks ---- */

static void event_describe(const struct event *e, char *buf, size_t len)
{
	const char *what = "";
	if (e->type >= WLC_EV_CONNECTOR && e->type <= WLC_EV_WITHDRAWN)
		what = ((struct wlc_connector *)e->obj)->name;
	snprintf(buf, len, "%s%s%s", wlc_event_name(e->type), *what ? " " : "", what);
}

static const struct event *next_event(struct client *c)
{
	return c->ev_read < c->n_events ? &c->events[c->ev_read] : NULL;
}

static void expect_event(struct client *c, enum wlc_event_type type, const char *context)
{
	const struct event *e = next_event(c);
	if (!e)
		fail("%s: %s: expected %s, queue empty", c->tag, context, wlc_event_name(type));
	if (e->type != type) {
		char got[96];
		event_describe(e, got, sizeof(got));
		fail("%s: %s: expected %s, got %s", c->tag, context, wlc_event_name(type), got);
	}
	c->ev_read++;
}

static void expect_no_event(struct client *c, const char *context)
{
	const struct event *e = next_event(c);
	if (e) {
		char got[96];
		event_describe(e, got, sizeof(got));
		fail("%s: %s: unexpected event %s", c->tag, context, got);
	}
}

static struct client *client_connect(const char *tag)
{
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		fail("out of memory");
	c->tag = tag;
	struct wlc_options o = {.max_devices = MAX_DEVICES,
				.bind_leasecast = true,
				.leasecast_version = opt.leasecast_version,
				.keep_drm_fd = true,
				.event = on_event,
				.data = c};
	c->wl = wlc_connect(opt.socket, &o);
	if (!c->wl)
		fail("%s: cannot connect to %s: %s", tag,
		     opt.socket ? opt.socket : "$WAYLAND_DISPLAY", strerror(errno));
	roundtrip(c);
	if (c->wl->n_devices == 0)
		fail("%s: no wp_drm_lease_device_v1 global", tag);
	if (!wait_for(c, wlc_pred_devices_done, NULL, opt.timeout_ms))
		fail("%s: no device.done after bind", tag);

	/* DRM_FD, {CONNECTOR, NAME, DESCRIPTION, CONNECTOR_ID, CONNECTOR_DONE}*,
	 * DEVICE_DONE, per device in bind order. */
	for (size_t i = 0; i < c->wl->n_devices; i++) {
		struct wlc_device *dev = &c->wl->devices[i];
		char ctx[64];
		snprintf(ctx, sizeof(ctx), "bind of device %zu", i);
		expect_event(c, WLC_EV_DRM_FD, ctx);
		if (c->events[c->ev_read - 1].obj != dev)
			fail("%s: %s: drm_fd for the wrong device", tag, ctx);
		while (next_event(c) && next_event(c)->type == WLC_EV_CONNECTOR) {
			struct wlc_connector *conn = next_event(c)->obj;
			if (conn->device != dev)
				fail("%s: %s: connector for the wrong device", tag, ctx);
			expect_event(c, WLC_EV_CONNECTOR, ctx);
			expect_event(c, WLC_EV_NAME, ctx);
			expect_event(c, WLC_EV_DESCRIPTION, ctx);
			expect_event(c, WLC_EV_CONNECTOR_ID, ctx);
			expect_event(c, WLC_EV_CONNECTOR_DONE, ctx);
		}
		expect_event(c, WLC_EV_DEVICE_DONE, ctx);
	}
	expect_no_event(c, "after bind");
	return c;
}

static void client_disconnect(struct client *c)
{
	wlc_destroy(c->wl);
	free(c);
}

/* The newest connector object dev was offered (live or not), or NULL. */
static struct wlc_connector *newest(struct wlc_device *dev)
{
	struct wlc_connector *conn;
	if (wl_list_empty(&dev->connectors))
		return NULL;
	return wl_container_of(dev->connectors.prev, conn, link);
}

static struct wlc_connector *find_live(struct wlc_device *dev, const char *name)
{
	return wlc_device_find(dev, name);
}

static struct wlc_connector *need_live(struct client *c, size_t dev_index, const char *name)
{
	if (dev_index >= c->wl->n_devices)
		fail("%s: no device %zu", c->tag, dev_index);
	struct wlc_connector *conn = find_live(&c->wl->devices[dev_index], name);
	if (!conn)
		fail("%s: connector %s is not offered", c->tag, name);
	return conn;
}

static struct wlc_lease *lease_submit(struct client *c, size_t dev_index,
				      struct wlc_connector *const *conns, size_t n)
{
	struct wlc_device *dev = &c->wl->devices[dev_index];
	struct wp_drm_lease_request_v1 *req = wlc_request(dev, conns, n);
	if (opt.size_given) {
		/* A decoy first: the broker must use the later call's size. */
		if (wlc_request_size(c->wl, req, 640, 480) < 0)
			fail("%s: --size needs the leasecast_lease_manager_v1 global", c->tag);
		wlc_request_size(c->wl, req, opt.width, opt.height);
	}
	struct wlc_lease *l = wlc_lease_submit(dev, req);
	if (!l)
		fail("out of memory");
	wl_display_flush(c->wl->display);
	return l;
}

struct name_set {
	struct wlc_device *dev;
	const char *const *names;
	size_t n;
	struct wlc_connector **old; /* objects that must be withdrawn, or NULL */
};

static bool pred_withdrawn(struct wlc *w, void *arg)
{
	struct name_set *s = arg;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->old[i]->withdrawn)
			return false;
	}
	return true;
}

static bool pred_reoffered(struct wlc *w, void *arg)
{
	struct name_set *s = arg;
	for (size_t i = 0; i < s->n; i++) {
		struct wlc_connector *conn = find_live(s->dev, s->names[i]);
		if (!conn || (s->old && conn == s->old[i]))
			return false;
	}
	return true;
}

/* Checks the queue holds only withdrawals of the given objects, each
 * followed (eventually) by device.done, and consumes them. */
static void expect_withdraw_batch(struct client *c, struct name_set *s, const char *context)
{
	size_t seen = 0;
	bool need_done = false;
	for (const struct event *e; (e = next_event(c));) {
		if (e->type == WLC_EV_WITHDRAWN) {
			bool ours = false;
			for (size_t i = 0; i < s->n; i++)
				ours = ours || e->obj == s->old[i];
			if (!ours)
				fail("%s: %s: withdrawn for %s, not requested", c->tag, context,
				     ((struct wlc_connector *)e->obj)->name);
			seen++;
			need_done = true;
		} else if (e->type == WLC_EV_DEVICE_DONE) {
			if (!need_done)
				fail("%s: %s: device.done without a change", c->tag, context);
			need_done = false;
		} else {
			break;
		}
		c->ev_read++;
	}
	if (seen != s->n)
		fail("%s: %s: %zu withdrawn events, expected %zu", c->tag, context, seen, s->n);
	if (need_done)
		fail("%s: %s: withdrawn not followed by device.done", c->tag, context);
}

/* Checks the queue holds exactly one new offer per name, each a full
 * connector sequence, then device.done. */
static void expect_offer_batch(struct client *c, struct name_set *s, const char *context)
{
	size_t seen = 0;
	while (seen < s->n) {
		const struct event *e = next_event(c);
		if (!e || e->type != WLC_EV_CONNECTOR)
			break;
		struct wlc_connector *conn = e->obj;
		bool ours = false;
		for (size_t i = 0; i < s->n; i++)
			ours = ours || strcmp(conn->name, s->names[i]) == 0;
		if (!ours)
			fail("%s: %s: unexpected offer of %s", c->tag, context, conn->name);
		expect_event(c, WLC_EV_CONNECTOR, context);
		expect_event(c, WLC_EV_NAME, context);
		expect_event(c, WLC_EV_DESCRIPTION, context);
		expect_event(c, WLC_EV_CONNECTOR_ID, context);
		expect_event(c, WLC_EV_CONNECTOR_DONE, context);
		expect_event(c, WLC_EV_DEVICE_DONE, context);
		seen++;
	}
	if (seen != s->n)
		fail("%s: %s: %zu new connectors, expected %zu", c->tag, context, seen, s->n);
}

static void expect_protocol_error(struct client *c, const struct wl_interface *iface,
				  bool allow_zombie, uint32_t code)
{
	/* Drive the connection until the server's error arrives. */
	int64_t deadline = lc_now_ms() + opt.timeout_ms;
	while (!wl_display_get_error(c->wl->display)) {
		if (lc_now_ms() > deadline)
			fail("%s: no protocol error (expected %s error %u)", c->tag,
			     iface ? iface->name : "?", code);
		wl_display_roundtrip(c->wl->display);
	}
	int err = wl_display_get_error(c->wl->display);
	if (iface == &wl_display_interface) {
		/* libwayland-client maps wl_display's own errors to errno values
		 * and keeps no code for them. */
		int want = code == WL_DISPLAY_ERROR_NO_MEMORY ? ENOMEM : EINVAL;
		printf("display_error errno=%d (%s)\n", err, strerror(err));
		if (err != want)
			fail("%s: connection error %s, expected %s", c->tag, strerror(err),
			     strerror(want));
		ok("wl_display error (%s)", strerror(err));
		return;
	}
	if (err != EPROTO)
		fail("%s: connection error %s, expected a protocol error", c->tag, strerror(err));
	const struct wl_interface *got_iface = NULL;
	uint32_t id = 0;
	uint32_t got = wl_display_get_protocol_error(c->wl->display, &got_iface, &id);
	const char *got_name = got_iface ? got_iface->name : "(destroyed object)";
	printf("protocol_error interface=%s id=%u code=%u\n", got_name, id, got);
	if (got != code)
		fail("%s: protocol error code %u, expected %u", c->tag, got, code);
	if (got_iface != iface && !(allow_zombie && !got_iface))
		fail("%s: protocol error on %s, expected %s", c->tag, got_name, iface->name);
	ok("protocol error %s.%u", got_name, got);
}

static void hold(struct client *const *clients, size_t n, int ms)
{
	int64_t deadline = lc_now_ms() + ms;
	for (int64_t left; (left = deadline - lc_now_ms()) > 0;) {
		for (size_t i = 0; i < n; i++)
			dispatch_once(clients[i], (int)(left < 50 ? left : 50), false);
	}
}

/* ---- subcommands ---- */

static int cmd_conformance(void)
{
	struct client *c = client_connect("A");
	ok("event order on bind (%zu device(s))", c->wl->n_devices);
	for (size_t i = 0; i < c->wl->n_devices; i++) {
		struct wlc_device *dev = &c->wl->devices[i];
		if (dev->drm_fd < 0)
			fail("device %zu: no drm_fd", i);
		if (drmIsMaster(dev->drm_fd))
			fail("device %zu: drm_fd is DRM master", i);
		drmVersionPtr ver = drmGetVersion(dev->drm_fd);
		printf("device index=%zu driver=%s connectors=%zu\n", i, ver ? ver->name : "?",
		       wlc_device_count(dev, true));
		drmFreeVersion(ver);
		size_t n = 0;
		struct wlc_connector *conn;
		/* Newest first, each against the older ones. */
		wl_list_for_each_reverse (conn, &dev->connectors, link) {
			n++;
			drmModeConnector *mc = drmModeGetConnector(dev->drm_fd, conn->id);
			if (!mc)
				fail("device %zu: connector_id %u of %s unknown to drm_fd: %s", i,
				     conn->id, conn->name, strerror(errno));
			const char *type = drmModeGetConnectorTypeName(mc->connector_type);
			char drm_name[64];
			snprintf(drm_name, sizeof(drm_name), "%s-%u", type ? type : "Unknown",
				 mc->connector_type_id);
			drmModeFreeConnector(mc);
			printf("connector device=%zu name=%s id=%u description=\"%s\"\n", i,
			       conn->name, conn->id, conn->description);
			if (strcmp(drm_name, conn->name) != 0)
				fail("connector %u: name %s, drm_fd says %s", conn->id, conn->name,
				     drm_name);
			if (!conn->description[0])
				fail("connector %s: empty description", conn->name);
			for (struct wl_list *p = conn->link.prev; p != &dev->connectors;
			     p = p->prev) {
				struct wlc_connector *o = wl_container_of(p, o, link);
				if (o->id == conn->id || strcmp(o->name, conn->name) == 0)
					fail("connector %s offered twice", conn->name);
			}
		}
		for (size_t k = 0; k < opt.n_names; k++) {
			if (find_live(dev, opt.names[k]))
				fail("device %zu offers %s, which must not be offered", i,
				     opt.names[k]);
		}
		if (i == 0 && opt.expect_count >= 0 && n != (size_t)opt.expect_count)
			fail("device 0 offers %zu connectors, expected %d", n, opt.expect_count);
	}
	ok("drm_fd not master; names and ids match drm_fd");
	client_disconnect(c);
	return 0;
}

/* The whole lease lifecycle as seen by the requester (A) and a bystander
 * (B): withdrawal everywhere, a working lease, re-offer after destroy. */
static int cmd_lease(void)
{
	if (opt.n_names == 0)
		fail("lease needs connector names");
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_connector *conns_a[MAX_NAMES], *conns_b[MAX_NAMES];
	for (size_t i = 0; i < opt.n_names; i++) {
		conns_a[i] = need_live(a, 0, opt.names[i]);
		conns_b[i] = need_live(b, 0, opt.names[i]);
	}

	struct wlc_lease *l = lease_submit(a, 0, conns_a, opt.n_names);
	if (!wait_for(a, wlc_pred_lease_answered, l, opt.timeout_ms))
		fail("A: no lease_fd or finished within %d ms", opt.timeout_ms);
	if (l->finished)
		fail("A: lease refused (finished)");
	struct name_set sa = {&a->wl->devices[0], opt.names, opt.n_names, conns_a};
	expect_withdraw_batch(a, &sa, "A after submit");
	expect_event(a, WLC_EV_LEASE_FD, "A after submit");
	expect_no_event(a, "A after lease_fd");
	ok("A: withdrawn + device.done, then lease_fd");

	struct name_set sb = {&b->wl->devices[0], opt.names, opt.n_names, conns_b};
	if (!wait_for(b, pred_withdrawn, &sb, opt.timeout_ms))
		fail("B: connectors not withdrawn");
	roundtrip(b);
	expect_withdraw_batch(b, &sb, "B during lease");
	expect_no_event(b, "B during lease");
	ok("B: withdrawn + device.done");

	if (!drmIsMaster(l->fd))
		fail("lease fd is not DRM master");
	unsigned nconn = 0, ncrtc = 0, nplane = 0;
	int r = kms_check_count_objects(l->fd, &nconn, &ncrtc, &nplane);
	if (r < 0)
		fail("lease fd: cannot list objects: %s", strerror(-r));
	printf("lease objects connectors=%u crtcs=%u planes=%u\n", nconn, ncrtc, nplane);
	if (nconn != opt.n_names || ncrtc < opt.n_names)
		fail("lease holds %u connectors and %u CRTCs for %zu requested", nconn, ncrtc,
		     opt.n_names);
	for (size_t i = 0; i < opt.n_names; i++) {
		struct kms_check_result res = {0};
		r = kms_check_modeset_and_flip(l->fd, conns_a[i]->id, opt.flips, 2000, &res);
		if (r < 0)
			fail("%s: modeset/flip on the lease: %s", opt.names[i], strerror(-r));
		printf("kms name=%s connector=%u crtc=%u mode=%ux%u flips=%u flip_ms=%.2f\n",
		       opt.names[i], res.connector_id, res.crtc_id, res.width, res.height,
		       res.flips_done, res.flip_ms);
		if (res.flips_done != opt.flips)
			fail("%s: %u of %u flips completed", opt.names[i], res.flips_done,
			     opt.flips);
		if (opt.size_given && (res.width != opt.width || res.height != opt.height))
			fail("%s: mode %ux%u, requested %ux%u", opt.names[i], res.width, res.height,
			     opt.width, opt.height);
	}
	ok("lease drives its output(s)");

	struct client *both[] = {a, b};
	if (opt.hold_ms > 0)
		hold(both, 2, opt.hold_ms);
	expect_no_event(a, "A while holding");
	expect_no_event(b, "B while holding");

	wlc_lease_end(l);
	wl_display_flush(a->wl->display);
	struct name_set ra = {&a->wl->devices[0], opt.names, opt.n_names, conns_a};
	struct name_set rb = {&b->wl->devices[0], opt.names, opt.n_names, conns_b};
	if (!wait_for(b, pred_reoffered, &rb, opt.timeout_ms))
		fail("B: connectors not re-offered after destroy");
	if (!wait_for(a, pred_reoffered, &ra, opt.timeout_ms))
		fail("A: connectors not re-offered after destroy");
	roundtrip(a);
	roundtrip(b);
	expect_offer_batch(a, &ra, "A after destroy");
	expect_offer_batch(b, &rb, "B after destroy");
	expect_no_event(a, "A after re-offer");
	expect_no_event(b, "B after re-offer");
	ok("brand-new connector objects after destroy");

	/* The old fd must have lost its objects (revoked). */
	r = kms_check_count_objects(l->fd, &nconn, &ncrtc, &nplane);
	printf("revoked objects connectors=%u crtcs=%u planes=%u\n", r < 0 ? 0 : nconn,
	       r < 0 ? 0 : ncrtc, r < 0 ? 0 : nplane);
	if (r == 0 && nconn != 0)
		fail("lease fd still sees %u connectors after destroy", nconn);
	ok("lease revoked");
	wlc_lease_free(l);
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

/* Two clients lease different outputs at the same time; both must work. */
static int cmd_lease_concurrent(void)
{
	if (opt.n_names != 2)
		fail("lease-concurrent needs two connector names");
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_connector *ca = need_live(a, 0, opt.names[0]);
	struct wlc_connector *cb = need_live(b, 0, opt.names[1]);
	struct wlc_connector *a_y = need_live(a, 0, opt.names[1]);
	struct wlc_connector *b_x = need_live(b, 0, opt.names[0]);
	struct wlc_lease *la = lease_submit(a, 0, &ca, 1);
	struct wlc_lease *lb = lease_submit(b, 0, &cb, 1);
	if (!wait_for(a, wlc_pred_lease_answered, la, opt.timeout_ms) || la->finished)
		fail("A: no lease for %s", opt.names[0]);
	if (!wait_for(b, wlc_pred_lease_answered, lb, opt.timeout_ms) || lb->finished)
		fail("B: no lease for %s", opt.names[1]);
	ok("both leases granted");
	struct name_set wa = {&a->wl->devices[0], opt.names, 2,
			      (struct wlc_connector *[]){ca, a_y}};
	struct name_set wb = {&b->wl->devices[0], opt.names, 2,
			      (struct wlc_connector *[]){b_x, cb}};
	if (!wait_for(a, pred_withdrawn, &wa, opt.timeout_ms) ||
	    !wait_for(b, pred_withdrawn, &wb, opt.timeout_ms))
		fail("both outputs must be withdrawn from both clients");
	ok("both outputs withdrawn from both clients");
	struct kms_check_result res;
	for (int i = 0; i < 2; i++) {
		struct wlc_lease *l = i ? lb : la;
		struct wlc_connector *conn = i ? cb : ca;
		memset(&res, 0, sizeof(res));
		int r = kms_check_modeset_and_flip(l->fd, conn->id, opt.flips, 2000, &res);
		if (r < 0 || res.flips_done != opt.flips)
			fail("%s: modeset/flip: %s", conn->name,
			     r < 0 ? strerror(-r) : "flips missing");
		printf("kms name=%s connector=%u crtc=%u mode=%ux%u flips=%u flip_ms=%.2f\n",
		       conn->name, res.connector_id, res.crtc_id, res.width, res.height,
		       res.flips_done, res.flip_ms);
	}
	ok("both leases drive their outputs");
	wlc_lease_free(la);
	wlc_lease_free(lb);
	roundtrip(a);
	roundtrip(b);
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

/* Both clients submit the same output before either hears back: exactly
 * one lease_fd, the other finished (Mutter's lease-leased-connector). */
static int cmd_lease_contended(void)
{
	if (opt.n_names != 1)
		fail("lease-contended needs one connector name");
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_connector *ca = need_live(a, 0, opt.names[0]);
	struct wlc_connector *cb = need_live(b, 0, opt.names[0]);
	struct wlc_lease *la = lease_submit(a, 0, &ca, 1);
	struct wlc_lease *lb = lease_submit(b, 0, &cb, 1);
	if (!wait_for(a, wlc_pred_lease_answered, la, opt.timeout_ms))
		fail("A: no answer");
	if (!wait_for(b, wlc_pred_lease_answered, lb, opt.timeout_ms))
		fail("B: no answer");
	printf("contended A=%s B=%s\n", la->fd >= 0 ? "lease_fd" : "finished",
	       lb->fd >= 0 ? "lease_fd" : "finished");
	if ((la->fd >= 0) == (lb->fd >= 0))
		fail("expected exactly one lease_fd");
	if (!ca->withdrawn || !cb->withdrawn)
		fail("the contended connector was not withdrawn on both clients");
	ok("one lease_fd, one finished");
	wlc_lease_free(la);
	wlc_lease_free(lb);
	roundtrip(a);
	roundtrip(b);
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

static int cmd_err_duplicate(void)
{
	struct client *c = client_connect("A");
	struct wlc_connector *conn = opt.n_names ? need_live(c, 0, opt.names[0])
						 : newest(&c->wl->devices[0]);
	if (!conn)
		fail("no connector offered");
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		c->wl->devices[0].obj);
	wp_drm_lease_request_v1_request_connector(req, conn->obj);
	wp_drm_lease_request_v1_request_connector(req, conn->obj);
	expect_protocol_error(c, &wp_drm_lease_request_v1_interface, false,
			      WP_DRM_LEASE_REQUEST_V1_ERROR_DUPLICATE_CONNECTOR);
	wp_drm_lease_request_v1_destroy(req);
	client_disconnect(c);
	return 0;
}

static int cmd_err_empty(void)
{
	struct client *c = client_connect("A");
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		c->wl->devices[0].obj);
	struct wp_drm_lease_v1 *l = wp_drm_lease_request_v1_submit(req);
	/* submit destroys the request proxy, so the error names a zombie
	 * object: its interface is unknown client-side. What matters is that
	 * it is not the new lease object. */
	expect_protocol_error(c, &wp_drm_lease_request_v1_interface, true,
			      WP_DRM_LEASE_REQUEST_V1_ERROR_EMPTY_LEASE);
	wp_drm_lease_v1_destroy(l);
	client_disconnect(c);
	return 0;
}

/* set_requested_size out of 1..16384 (--size, e.g. 0x0): invalid_size on
 * the manager, before any submit. */
static int cmd_err_size(void)
{
	if (!opt.size_given)
		fail("err-size needs --size");
	struct client *c = client_connect("A");
	if (!c->wl->manager)
		fail("no leasecast_lease_manager_v1 global");
	struct wlc_connector *conn = opt.n_names ? need_live(c, 0, opt.names[0])
						 : newest(&c->wl->devices[0]);
	if (!conn)
		fail("no connector offered");
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		c->wl->devices[0].obj);
	wp_drm_lease_request_v1_request_connector(req, conn->obj);
	leasecast_lease_manager_v1_set_requested_size(c->wl->manager, req, opt.width, opt.height);
	expect_protocol_error(c, &leasecast_lease_manager_v1_interface, false,
			      LEASECAST_LEASE_MANAGER_V1_ERROR_INVALID_SIZE);
	wp_drm_lease_request_v1_destroy(req);
	client_disconnect(c);
	return 0;
}

static int cmd_err_wrong_device(void)
{
	struct client *c = client_connect("A");
	if (c->wl->n_devices < 2) {
		printf("SKIP err-wrong-device: %zu lease device(s), need 2\n", c->wl->n_devices);
		return EXIT_SKIP;
	}
	struct wlc_connector *conn = newest(&c->wl->devices[1]);
	if (!conn)
		fail("device 1 offers no connector");
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		c->wl->devices[0].obj);
	wp_drm_lease_request_v1_request_connector(req, conn->obj);
	expect_protocol_error(c, &wp_drm_lease_request_v1_interface, false,
			      WP_DRM_LEASE_REQUEST_V1_ERROR_WRONG_DEVICE);
	wp_drm_lease_request_v1_destroy(req);
	client_disconnect(c);
	return 0;
}

static bool pred_released(struct wlc *w, void *arg)
{
	return ((struct wlc_device *)arg)->released;
}

/* release -> released; other clients and existing connectors unaffected. */
static int cmd_release_released(void)
{
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_device *dev = &a->wl->devices[0];
	size_t live_before = wlc_device_count(dev, true);
	wp_drm_lease_device_v1_release(dev->obj);
	if (!wait_for(a, pred_released, dev, opt.timeout_ms))
		fail("A: no released event");
	roundtrip(a);
	roundtrip(b);
	expect_event(a, WLC_EV_RELEASED, "A after release");
	expect_no_event(a, "A after released");
	expect_no_event(b, "B after A's release");
	if (wlc_device_count(dev, true) != live_before)
		fail("A's connectors changed by release");
	ok("released; connectors and other clients unaffected");
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

static int cmd_release_twice(void)
{
	struct client *a = client_connect("A");
	struct wlc_device *dev = &a->wl->devices[0];
	/* Keep the proxy to send on it again, as a buggy client would. */
	dev->keep_proxy = true;
	wp_drm_lease_device_v1_release(dev->obj);
	if (!wait_for(a, pred_released, dev, opt.timeout_ms))
		fail("no released event");
	expect_event(a, WLC_EV_RELEASED, "after first release");
	expect_no_event(a, "after first release");
	wp_drm_lease_device_v1_release(dev->obj);
	expect_protocol_error(a, &wl_display_interface, false, WL_DISPLAY_ERROR_INVALID_OBJECT);
	client_disconnect(a);
	return 0;
}

/* B's stale X object makes its request end in finished, without a protocol
 * error: while A holds X, and again once X is free (re-offered as a new
 * object), where only the object's staleness can refuse it. */
static int cmd_withdrawn_finished(void)
{
	if (opt.n_names != 1)
		fail("withdrawn-finished needs one connector name");
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_connector *ca = need_live(a, 0, opt.names[0]);
	struct wlc_connector *cb = need_live(b, 0, opt.names[0]);
	struct wlc_lease *la = lease_submit(a, 0, &ca, 1);
	if (!wait_for(a, wlc_pred_lease_answered, la, opt.timeout_ms) || la->finished)
		fail("A: no lease for %s", opt.names[0]);
	struct name_set sb = {&b->wl->devices[0], opt.names, 1, &cb};
	if (!wait_for(b, pred_withdrawn, &sb, opt.timeout_ms))
		fail("B: %s not withdrawn", opt.names[0]);
	roundtrip(b);
	expect_withdraw_batch(b, &sb, "B while A holds the lease");
	ok("B: stale %s withdrawn", opt.names[0]);

	struct wlc_lease *lb = lease_submit(b, 0, &cb, 1);
	if (!wait_for(b, wlc_pred_lease_answered, lb, opt.timeout_ms))
		fail("B: no answer");
	roundtrip(b);
	if (lb->fd >= 0)
		fail("B: got a lease_fd for a withdrawn connector");
	expect_event(b, WLC_EV_FINISHED, "B's stale request");
	expect_no_event(b, "B's stale request");
	ok("B (output leased): finished without lease_fd, no protocol error");

	/* A's lease is not affected. */
	unsigned nconn = 0, ncrtc = 0, nplane = 0;
	if (kms_check_count_objects(la->fd, &nconn, &ncrtc, &nplane) < 0 || nconn != 1)
		fail("A's lease lost its connector");
	roundtrip(a);
	if (la->finished)
		fail("A's lease finished");
	ok("A's lease unaffected");
	wlc_lease_free(la);
	wlc_lease_free(lb);
	wl_display_flush(a->wl->display);

	if (!wait_for(b, pred_reoffered, &sb, opt.timeout_ms))
		fail("B: %s not re-offered after A's lease ended", opt.names[0]);
	roundtrip(b);
	expect_offer_batch(b, &sb, "B after A's lease");
	struct wlc_connector *fresh = need_live(b, 0, opt.names[0]);
	lb = lease_submit(b, 0, &cb, 1);
	if (!wait_for(b, wlc_pred_lease_answered, lb, opt.timeout_ms))
		fail("B: no answer");
	roundtrip(b);
	if (lb->fd >= 0)
		fail("B: a stale connector object of a free output got a lease_fd");
	expect_event(b, WLC_EV_FINISHED, "B's stale request, output free");
	expect_no_event(b, "B's stale request, output free");
	if (fresh->withdrawn)
		fail("B: the stale request withdrew the output");
	ok("B (output free): stale object -> finished, output still offered");
	wlc_lease_free(lb);

	lb = lease_submit(b, 0, &fresh, 1);
	if (!wait_for(b, wlc_pred_lease_answered, lb, opt.timeout_ms) || lb->finished)
		fail("B: the fresh %s object got no lease", opt.names[0]);
	ok("B: the fresh object leases");
	wlc_lease_free(lb);
	roundtrip(b);
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

static bool pred_finished(struct wlc *w, void *arg)
{
	return ((struct wlc_lease *)arg)->finished;
}

/* The lessee's fd goes away while the connection stays: the server must
 * notice (LEASE uevent) and send finished, then re-offer. */
static int cmd_lease_then_close_fd(void)
{
	if (opt.n_names != 1)
		fail("lease-then-close-fd needs one connector name");
	struct client *a = client_connect("A");
	struct client *b = client_connect("B");
	struct wlc_connector *ca = need_live(a, 0, opt.names[0]);
	struct wlc_connector *cb = need_live(b, 0, opt.names[0]);
	struct wlc_lease *l = lease_submit(a, 0, &ca, 1);
	if (!wait_for(a, wlc_pred_lease_answered, l, opt.timeout_ms) || l->finished)
		fail("A: no lease for %s", opt.names[0]);
	close(l->fd);
	l->fd = -1;
	int64_t t0 = lc_now_ms();
	if (!wait_for(a, pred_finished, l, opt.timeout_ms))
		fail("A: no finished within %d ms of closing the lease fd", opt.timeout_ms);
	printf("finished_after_ms=%lld\n", (long long)(lc_now_ms() - t0));
	ok("finished after the lessee closed its fd");
	struct name_set rb = {&b->wl->devices[0], opt.names, 1, &cb};
	if (!wait_for(b, pred_reoffered, &rb, opt.timeout_ms))
		fail("B: %s not re-offered", opt.names[0]);
	ok("re-offered to B");
	wlc_lease_free(l);
	client_disconnect(a);
	client_disconnect(b);
	return 0;
}

static bool pred_offered(struct wlc *w, void *arg)
{
	struct name_set *s = arg;
	for (size_t i = 0; i < s->n; i++) {
		if (!find_live(s->dev, s->names[i]))
			return false;
	}
	return true;
}

/* For scenarios that hold outputs through another frontend (Helix). */
static int cmd_wait_offered(void)
{
	struct client *c = client_connect("A");
	struct name_set s = {&c->wl->devices[0], opt.names, opt.n_names, NULL};
	if (!wait_for(c, pred_offered, &s, opt.timeout_ms))
		fail("not all of the names are offered within %d ms", opt.timeout_ms);
	ok("offered");
	client_disconnect(c);
	return 0;
}

/* ---- leasecast_lease_v1 ---- */

static bool pred_info_done(struct wlc *w, void *arg)
{
	struct wlc_lease *l = arg;
	return l->info.done || l->info.finished;
}

static bool pred_info_finished(struct wlc *w, void *arg)
{
	return ((struct wlc_lease *)arg)->info.finished;
}

static bool pred_magic_answered(struct wlc *w, void *arg)
{
	return ((struct wlc_lease *)arg)->info.magic_answered;
}

static int32_t info_authenticate(struct client *c, struct wlc_lease *l, uint32_t magic)
{
	wlc_lease_auth_magic(l, magic);
	if (!wait_for(c, pred_magic_answered, l, opt.timeout_ms))
		fail("no magic_result for magic %u", magic);
	if (l->info.magic != magic)
		fail("magic_result for magic %u, asked %u", l->info.magic, magic);
	return l->info.magic_error;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void write_file_atomic(const char *path, const char *text)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		fail("cannot write %s: %s", path, strerror(errno));
}

/* leasecast_lease_v1 end to end: the stream key of a Wayland lease (asked
 * for before the grant), DRM magic authentication while it is active, and
 * both dead once it ended. */
static int cmd_lease_info(void)
{
	if (opt.n_names != 1)
		fail("lease-info needs one connector name");
	const char *name = opt.names[0];
	int vnum = 0;
	if (sscanf(name, "Virtual-%d", &vnum) != 1 || vnum < 1)
		fail("lease-info: %s is not a Virtual-N connector", name);
	struct client *a = client_connect("A");
	if (!a->wl->manager)
		fail("no leasecast_lease_manager_v1 global");

	uint32_t magic = 0;
	int fd2 = auth_check_open("/dev/dri/card0", &magic);
	if (fd2 < 0)
		fail("second card fd: %s", strerror(-fd2));
	int r = auth_check_is_authenticated(fd2);
	if (r != 0)
		fail("a fresh card fd is %s before any authentication",
		     r > 0 ? "authenticated" : strerror(-r));
	ok("fresh card fd: GEM_FLINK refused (EACCES)");

	struct wlc_connector *conn = need_live(a, 0, name);
	struct wlc_lease *l = lease_submit(a, 0, &conn, 1);
	struct wlc_lease_info *in = &l->info;
	/* Before the grant: the events must follow lease_fd. */
	wlc_lease_get_info(l);
	wl_display_flush(a->wl->display);
	if (!wait_for(a, pred_info_done, l, opt.timeout_ms))
		fail("no leasecast done within %d ms", opt.timeout_ms);
	if (in->finished || l->finished)
		fail("lease refused");
	printf("info connector=%s scanout=%u key=%s\n", in->connector, in->scanout_id,
	       in->key[0] ? "<64 hex>" : "<none>");
	if (in->n_outputs != 1 || strcmp(in->connector, name) != 0)
		fail("%u output events, connector %s; want one for %s", in->n_outputs,
		     in->connector, name);
	if (in->scanout_id != (uint32_t)vnum - 1)
		fail("scanout_id %u for %s, want %d", in->scanout_id, name, vnum - 1);
	if (!is_hex64(in->key))
		fail("stream key is not 64 lower-case hex digits (%zu chars)", strlen(in->key));
	ok("lease_fd, then output(%s, %u, key), then done", name, in->scanout_id);

	if ((r = info_authenticate(a, l, 0)) != EINVAL)
		fail("authenticate_magic(0): error %d, want EINVAL", r);
	ok("authenticate_magic(0) refused with EINVAL");
	if ((r = info_authenticate(a, l, magic)) != 0)
		fail("authenticate_magic: error %d (%s)", r, strerror(r));
	r = auth_check_is_authenticated(fd2);
	if (r != 1)
		fail("after authenticate_magic the fd is still %s",
		     r == 0 ? "unauthenticated" : strerror(-r));
	ok("authenticate_magic: the second fd is authenticated (GEM_FLINK works)");

	if (opt.key_out)
		write_file_atomic(opt.key_out, in->key);
	if (opt.hold_file) {
		int64_t deadline = lc_now_ms() + 120000;
		while (access(opt.hold_file, F_OK) != 0) {
			if (lc_now_ms() > deadline)
				fail("hold file %s never appeared", opt.hold_file);
			dispatch_once(a, 50, false);
			if (in->finished || l->finished)
				fail("lease ended while held");
		}
		ok("held until %s", opt.hold_file);
	}

	wlc_lease_end(l);
	wl_display_flush(a->wl->display);
	if (!wait_for(a, pred_info_finished, l, opt.timeout_ms))
		fail("no leasecast finished after the lease was destroyed");
	ok("leasecast finished after the lease ended");
	uint32_t magic3 = 0;
	int fd3 = auth_check_open("/dev/dri/card0", &magic3);
	if (fd3 < 0)
		fail("third card fd: %s", strerror(-fd3));
	if ((r = info_authenticate(a, l, magic3)) != EPERM)
		fail("authenticate_magic after the lease: error %d, want EPERM", r);
	if (auth_check_is_authenticated(fd3) != 0)
		fail("fd authenticated without an active lease");
	ok("authenticate_magic after the lease: EPERM, fd stays unauthenticated");
	close(fd3);
	close(fd2);
	wlc_lease_free(l);
	client_disconnect(a);
	return 0;
}

/* A lease's input devices: the right fds, events from the host, and
 * ENODEV once the lease ended (destroyed, or the client disconnected). */
static int cmd_input(void)
{
	if (opt.n_names != 1)
		fail("input needs one connector name");
	const char *name = opt.names[0];
	int vnum = 0;
	if (sscanf(name, "Virtual-%d", &vnum) != 1 || vnum < 1)
		fail("input: %s is not a Virtual-N connector", name);
	bool disconnect = opt.end && strcmp(opt.end, "disconnect") == 0;
	if (opt.end && !disconnect && strcmp(opt.end, "destroy") != 0)
		fail("--end must be destroy or disconnect");
	struct client *a = client_connect("A");
	if (!a->wl->manager)
		fail("no leasecast_lease_manager_v1 global");
	struct wlc_connector *conn = need_live(a, 0, name);
	struct wlc_lease *l = lease_submit(a, 0, &conn, 1);
	wlc_lease_get_info(l);
	wl_display_flush(a->wl->display);
	if (!wait_for(a, pred_info_done, l, opt.timeout_ms))
		fail("no leasecast done within %d ms", opt.timeout_ms);
	if (l->info.finished || l->finished)
		fail("lease refused");
	struct lc_lease_input in[LC_LEASE_INPUT_MAX];
	size_t n = wlc_lease_take_inputs(l, in, LC_LEASE_INPUT_MAX);
	printf("inputs n=%zu version=%u connector=%s dropped=%u\n", n, a->wl->manager_version, name,
	       l->info.inputs_dropped);
	if (opt.expect_inputs >= 0 && n != (size_t)opt.expect_inputs)
		fail("%zu input devices, want %d", n, opt.expect_inputs);
	if (!input_check_describe(in, n))
		fail("input fds are not the devices they say");
	for (size_t i = 0; i < n; i++) {
		char want[LC_LEASE_INPUT_UNIQ_LEN];
		snprintf(want, sizeof(want), "leasecast-%s-%d", i == 0 ? "kbd" : "tab", vnum - 1);
		int kind = i == 0 ? LC_LEASE_INPUT_KEYBOARD : LC_LEASE_INPUT_TABLET;
		if (strcmp(in[i].connector, name) != 0 || in[i].kind != kind ||
		    strcmp(in[i].uniq, want) != 0)
			fail("input %zu is %s %s for %s, want %s for %s", i,
			     lc_lease_input_kind_name(in[i].kind), in[i].uniq, in[i].connector,
			     want, name);
	}
	if (n)
		ok("%zu input devices of %s: keyboard then tablet, uniq by scanout %d", n, name,
		   vnum - 1);
	printf("inputs ready\n");
	if (opt.hold_file) {
		/* The events go to stdout while the broker's socket is served. */
		int64_t deadline = lc_now_ms() + 180000;
		while (access(opt.hold_file, F_OK) != 0) {
			if (lc_now_ms() > deadline)
				fail("hold file %s never appeared", opt.hold_file);
			if (!input_check_watch(in, n, NULL, 50))
				fail("an input fd failed during the lease");
			dispatch_once(a, 0, false);
			if (l->info.finished || l->finished)
				fail("lease ended while held");
		}
		if (!input_check_watch(in, n, NULL, 0))
			fail("an input fd failed during the lease");
		ok("held until %s", opt.hold_file);
	}
	if (disconnect) {
		wlc_lease_free(l);
		client_disconnect(a);
		a = NULL;
		ok("disconnected from the broker, input fds kept");
	} else {
		wlc_lease_end(l);
		wl_display_flush(a->wl->display);
		if (!wait_for(a, pred_info_finished, l, opt.timeout_ms))
			fail("no leasecast finished after the lease was destroyed");
		ok("lease destroyed, input fds kept");
	}
	if (!input_check_revoked(in, n, 10000))
		fail("input fds still work after the lease");
	if (n)
		ok("every input fd reads ENODEV after the lease");
	lc_lease_inputs_close(in, n);
	if (a) {
		wlc_lease_free(l);
		client_disconnect(a);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lc-wl-lease-client [--socket PATH] [--timeout-ms N] SUBCOMMAND [NAME...]\n"
		"         [--flip N] [--hold-ms N] [--expect-count N] [--size WxH]\n"
		"subcommands:\n"
		"  conformance [NAME...]      bind order, drm_fd; NAMEs must not be offered\n"
		"  lease NAME...              lease, modeset+flip, withdraw/re-offer checks;\n"
		"                             --size: set_requested_size (after a 640x480\n"
		"                             decoy), the mode must be WxH\n"
		"  lease-concurrent X Y       two clients lease X and Y at once\n"
		"  lease-contended X          two clients race for X: one fd, one finished\n"
		"  err-duplicate [X] | err-empty | err-wrong-device\n"
		"  err-size [X] --size WxH    bad size (0x0): invalid_size on the manager\n"
		"  release-released | release-twice\n"
		"  withdrawn-finished X       stale connector -> finished, no error\n"
		"  lease-then-close-fd X      closing the lease fd -> finished\n"
		"  wait-offered NAME...       until all NAMEs are offered\n"
		"  lease-info NAME [--key-out F] [--hold-file F]  leasecast_lease_v1: stream\n"
		"                             key of the lease, authenticate_magic, both dead after\n"
		"  input NAME [--hold-file F] [--end destroy|disconnect] [--expect-inputs N]\n"
		"             [--leasecast-version V]  the lease's input fds: checked, their\n"
		"                             events printed until F exists, ENODEV after\n"
		"--socket defaults to $WAYLAND_DISPLAY (an absolute path works).\n");
}

static long parse_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1000000000)
		fail("bad %s: %s", what, s);
	return v;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_arg = i + 1 < argc;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--socket") == 0 && has_arg) {
			opt.socket = argv[++i];
		} else if (strcmp(a, "--timeout-ms") == 0 && has_arg) {
			opt.timeout_ms = (int)parse_num(argv[++i], a);
		} else if (strcmp(a, "--flip") == 0 && has_arg) {
			opt.flips = (unsigned)parse_num(argv[++i], a);
		} else if (strcmp(a, "--hold-ms") == 0 && has_arg) {
			opt.hold_ms = (int)parse_num(argv[++i], a);
		} else if (strcmp(a, "--key-out") == 0 && has_arg) {
			opt.key_out = argv[++i];
		} else if (strcmp(a, "--hold-file") == 0 && has_arg) {
			opt.hold_file = argv[++i];
		} else if (strcmp(a, "--size") == 0 && has_arg) {
			const char *v = argv[++i];
			char *end;
			/* Any uint32 pair: err-size sends out-of-range ones on purpose. */
			unsigned long w = strtoul(v, &end, 10);
			if (end == v || *end != 'x')
				fail("bad --size: %s", v);
			const char *hp = end + 1;
			unsigned long h = strtoul(hp, &end, 10);
			if (end == hp || *end || w > UINT32_MAX || h > UINT32_MAX)
				fail("bad --size: %s", v);
			opt.width = (uint32_t)w;
			opt.height = (uint32_t)h;
			opt.size_given = true;
		} else if (strcmp(a, "--leasecast-version") == 0 && has_arg) {
			opt.leasecast_version = (uint32_t)parse_num(argv[++i], a);
		} else if (strcmp(a, "--expect-inputs") == 0 && has_arg) {
			opt.expect_inputs = (int)parse_num(argv[++i], a);
		} else if (strcmp(a, "--end") == 0 && has_arg) {
			opt.end = argv[++i];
		} else if (strcmp(a, "--expect-count") == 0 && has_arg) {
			opt.expect_count = (int)parse_num(argv[++i], a);
		} else if (a[0] == '-') {
			usage(stderr);
			return 2;
		} else if (!*subcommand) {
			subcommand = a;
		} else if (opt.n_names < MAX_NAMES) {
			opt.names[opt.n_names++] = a;
		} else {
			fprintf(stderr, "too many names\n");
			return 2;
		}
	}
	if (!*subcommand) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	/* Every wait is bounded by timeout_ms; the watchdog bounds the sum. */
	alarm((unsigned)(opt.timeout_ms / 1000) * 6 + (unsigned)(opt.hold_ms / 1000) + 10 +
	      (opt.hold_file ? 200 : 0));

	static const struct {
		const char *name;
		int (*fn)(void);
	} cmds[] = {
		{"conformance", cmd_conformance},
		{"lease", cmd_lease},
		{"lease-concurrent", cmd_lease_concurrent},
		{"lease-contended", cmd_lease_contended},
		{"err-duplicate", cmd_err_duplicate},
		{"err-empty", cmd_err_empty},
		{"err-wrong-device", cmd_err_wrong_device},
		{"err-size", cmd_err_size},
		{"release-released", cmd_release_released},
		{"release-twice", cmd_release_twice},
		{"withdrawn-finished", cmd_withdrawn_finished},
		{"lease-then-close-fd", cmd_lease_then_close_fd},
		{"wait-offered", cmd_wait_offered},
		{"lease-info", cmd_lease_info},
		{"input", cmd_input},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(subcommand, cmds[i].name) == 0) {
			int r = cmds[i].fn();
			if (r == 0)
				printf("PASS %s\n", subcommand);
			return r;
		}
	}
	fprintf(stderr, "unknown subcommand %s\n", subcommand);
	usage(stderr);
	return 2;
}
