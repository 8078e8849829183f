/* Acquire and release through a running drm-lease-broker, as its clients
 * see them. Every release is timed by an observer: a wp_drm_lease_v1 client
 * of the broker's Wayland socket that sees the leased connector withdrawn
 * and, once the holder is gone, offered again as a brand-new connector
 * object, which counts when the device.done that closes the offer arrives.
 *
 *   helix:   connect + LEASE -> fd            acquire-<tag>-helix
 *            close(socket) -> re-offer         release-hangup-helix-<tag>
 *   wayland: request + submit -> lease_fd      acquire-<tag>-wayland
 *            wp_drm_lease_v1.destroy -> re-offer  release-destroy-wayland-<tag>
 *
 * The holder keeps its lease fd open until the re-offer: the broker's
 * revoke, not the kernel's lessee cleanup, ends the lease. */
#include <drm-lease-v1-client-protocol.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>

#include "clock.h"
#include "fdpass.h"
#include "helix_lease.h"
#include "lease-modes.h"
#include "lease-stats.h"
#include "sock.h"

#define STEP_TIMEOUT_MS 20000.0
#define MAX_IDS 64
#define SLOW_MS 500.0 /* see samples_over */

struct wlc;

struct offer {
	struct wlc *c;
	struct wp_drm_lease_connector_v1 *obj;
	uint32_t id;
	struct wl_list link; /* wlc.offers */
};

/* One Wayland connection with one wp_drm_lease_device_v1 binding. */
struct wlc {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wp_drm_lease_device_v1 *device;
	struct wl_list offers; /* live (not withdrawn) connector objects */
	/* observer */
	uint32_t withdrawn_id; /* the last connector withdrawn */
	uint32_t watch_id;     /* waiting for its re-offer */
	bool watch_seen;       /* a new object for watch_id came */
	double reoffered_ms;   /* the device.done after it */
	/* holder */
	struct wp_drm_lease_v1 *lease;
	int lease_fd;
	bool lease_finished;
	double lease_fd_ms;
	/* least recently leased first: like the broker's choice of an output
	 * that is off over one still turning off */
	uint32_t used_id[MAX_IDS];
	long used_at[MAX_IDS];
};

static void offer_free(struct offer *o)
{
	wl_list_remove(&o->link);
	wp_drm_lease_connector_v1_destroy(o->obj);
	free(o);
}

static void conn_name(void *data, struct wp_drm_lease_connector_v1 *obj, const char *name) {}
static void conn_description(void *data, struct wp_drm_lease_connector_v1 *obj, const char *d) {}
static void conn_done(void *data, struct wp_drm_lease_connector_v1 *obj) {}

static void conn_id(void *data, struct wp_drm_lease_connector_v1 *obj, uint32_t id)
{
	struct offer *o = data;
	o->id = id;
	if (o->c->watch_id && id == o->c->watch_id)
		o->c->watch_seen = true;
}

static void conn_withdrawn(void *data, struct wp_drm_lease_connector_v1 *obj)
{
	struct offer *o = data;
	o->c->withdrawn_id = o->id;
	offer_free(o);
}

static const struct wp_drm_lease_connector_v1_listener conn_listener = {
	.name = conn_name,
	.description = conn_description,
	.connector_id = conn_id,
	.done = conn_done,
	.withdrawn = conn_withdrawn,
};

static void dev_drm_fd(void *data, struct wp_drm_lease_device_v1 *obj, int32_t fd)
{
	close(fd);
}

static void dev_connector(void *data, struct wp_drm_lease_device_v1 *obj,
			  struct wp_drm_lease_connector_v1 *cobj)
{
	struct wlc *c = data;
	struct offer *o = calloc(1, sizeof(*o));
	if (!o) {
		wp_drm_lease_connector_v1_destroy(cobj);
		return;
	}
	o->c = c;
	o->obj = cobj;
	wl_list_insert(c->offers.prev, &o->link);
	wp_drm_lease_connector_v1_add_listener(cobj, &conn_listener, o);
}

static void dev_done(void *data, struct wp_drm_lease_device_v1 *obj)
{
	struct wlc *c = data;
	if (c->watch_seen && c->reoffered_ms == 0)
		c->reoffered_ms = lc_now_ms_f();
}

static void dev_released(void *data, struct wp_drm_lease_device_v1 *obj) {}

static const struct wp_drm_lease_device_v1_listener dev_listener = {
	.drm_fd = dev_drm_fd,
	.connector = dev_connector,
	.done = dev_done,
	.released = dev_released,
};

static void reg_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
		       uint32_t version)
{
	struct wlc *c = data;
	if (c->device || strcmp(iface, wp_drm_lease_device_v1_interface.name) != 0)
		return;
	c->device = wl_registry_bind(reg, name, &wp_drm_lease_device_v1_interface, 1);
	wp_drm_lease_device_v1_add_listener(c->device, &dev_listener, c);
}

static void reg_global_remove(void *data, struct wl_registry *reg, uint32_t name) {}

static const struct wl_registry_listener reg_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

static int wlc_connect(struct wlc *c, const char *socket)
{
	wl_list_init(&c->offers);
	c->lease_fd = -1;
	c->display = wl_display_connect(socket);
	if (!c->display) {
		fprintf(stderr, "cannot connect to %s: %s\n", socket, strerror(errno));
		return -1;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &reg_listener, c);
	/* Globals, then the device's first offer and done. */
	if (wl_display_roundtrip(c->display) < 0 || !c->device ||
	    wl_display_roundtrip(c->display) < 0) {
		fprintf(stderr, "%s: no wp_drm_lease_device_v1\n", socket);
		return -1;
	}
	return 0;
}

static void wlc_disconnect(struct wlc *c)
{
	if (!c->display)
		return;
	struct offer *o, *tmp;
	wl_list_for_each_safe (o, tmp, &c->offers, link)
		offer_free(o);
	if (c->lease)
		wp_drm_lease_v1_destroy(c->lease);
	if (c->lease_fd >= 0)
		close(c->lease_fd);
	if (c->device)
		wp_drm_lease_device_v1_destroy(c->device);
	wl_registry_destroy(c->registry);
	wl_display_disconnect(c->display);
	c->display = NULL;
}

/* Dispatches c until done(c) or the step's timeout. */
static int wlc_wait(struct wlc *c, bool (*done)(struct wlc *), const char *what)
{
	double deadline = lc_now_ms_f() + STEP_TIMEOUT_MS;
	for (;;) {
		if (wl_display_dispatch_pending(c->display) < 0)
			break;
		if (done(c))
			return 0;
		if (wl_display_prepare_read(c->display) != 0)
			continue;
		wl_display_flush(c->display);
		struct pollfd p = {.fd = wl_display_get_fd(c->display), .events = POLLIN};
		int left = (int)(deadline - lc_now_ms_f());
		if (left <= 0 || poll(&p, 1, left) <= 0) {
			wl_display_cancel_read(c->display);
			fprintf(stderr, "timed out waiting for %s\n", what);
			return -1;
		}
		if (wl_display_read_events(c->display) < 0)
			break;
	}
	fprintf(stderr, "Wayland connection lost waiting for %s: %s\n", what,
		strerror(wl_display_get_error(c->display)));
	return -1;
}

static bool reoffered(struct wlc *c)
{
	return c->reoffered_ms > 0;
}

static bool lease_answered(struct wlc *c)
{
	return c->lease_fd >= 0 || c->lease_finished;
}

static void observer_arm(struct wlc *obs, uint32_t id)
{
	obs->watch_id = id;
	obs->watch_seen = false;
	obs->reoffered_ms = 0;
}

/* After a grant: the observer has seen the leased connector withdrawn. */
static int observer_saw_withdrawn(struct wlc *obs, uint32_t *id)
{
	if (wl_display_roundtrip(obs->display) < 0 || obs->withdrawn_id == 0) {
		fprintf(stderr, "the observer never saw the leased connector withdrawn\n");
		return -1;
	}
	*id = obs->withdrawn_id;
	return 0;
}

/* One Helix lease: the fd or -1; the socket stays open in *sock. */
static int helix_lease(const char *path, int *sock)
{
	*sock = lc_unix_connect(path);
	if (*sock < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-*sock));
		return -1;
	}
	uint8_t req[HELIX_LEASE_REQ_SIZE], rep[HELIX_LEASE_RESP_SIZE];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_LEASE};
	helix_lease_req_encode(req, sizeof(req), &r);
	if (write(*sock, req, sizeof(req)) != (ssize_t)sizeof(req))
		return -1;
	struct pollfd p = {.fd = *sock, .events = POLLIN};
	if (poll(&p, 1, (int)STEP_TIMEOUT_MS) != 1) {
		fprintf(stderr, "no Helix reply\n");
		return -1;
	}
	int fd = -1;
	ssize_t n = lc_recv_with_fd(*sock, rep, sizeof(rep), &fd);
	struct helix_lease_resp resp;
	if (n != (ssize_t)sizeof(rep) || helix_lease_resp_decode(rep, sizeof(rep), &resp) != 0 ||
	    resp.status != HELIX_LEASE_OK || fd < 0) {
		fprintf(stderr, "lease refused: %s\n",
			n == (ssize_t)sizeof(rep) ? resp.name : "no valid reply");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int helix_cycle(const struct broker_bench *cfg, struct wlc *obs, struct samples *acq,
		       struct samples *rel)
{
	int sock = -1;
	obs->withdrawn_id = 0;
	double t0 = lc_now_ms_f();
	int fd = helix_lease(cfg->helix_socket, &sock);
	double t1 = lc_now_ms_f();
	uint32_t id;
	if (fd < 0 || observer_saw_withdrawn(obs, &id) < 0) {
		if (sock >= 0)
			close(sock);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	samples_add(acq, t1 - t0);
	observer_arm(obs, id);
	double t2 = lc_now_ms_f();
	close(sock);
	int r = wlc_wait(obs, reoffered, "the re-offer after a Helix hang-up");
	if (r == 0)
		samples_add(rel, obs->reoffered_ms - t2);
	observer_arm(obs, 0);
	close(fd);
	return r;
}

static void lease_fd_ev(void *data, struct wp_drm_lease_v1 *obj, int32_t fd)
{
	struct wlc *c = data;
	c->lease_fd = fd;
	c->lease_fd_ms = lc_now_ms_f();
}

static void lease_finished_ev(void *data, struct wp_drm_lease_v1 *obj)
{
	struct wlc *c = data;
	c->lease_finished = true;
}

static const struct wp_drm_lease_v1_listener lease_listener = {
	.lease_fd = lease_fd_ev,
	.finished = lease_finished_ev,
};

static struct offer *pick_offer(struct wlc *c)
{
	struct offer *o, *best = NULL;
	long best_at = 0;
	wl_list_for_each (o, &c->offers, link) {
		long at = -1;
		for (int i = 0; i < MAX_IDS; i++)
			if (c->used_id[i] == o->id)
				at = c->used_at[i];
		if (o->id && (!best || at < best_at)) {
			best = o;
			best_at = at;
		}
	}
	return best;
}

static void mark_used(struct wlc *c, uint32_t id, long cycle)
{
	int slot = 0;
	for (int i = 0; i < MAX_IDS; i++) {
		if (c->used_id[i] == id) {
			slot = i;
			break;
		}
		if (c->used_at[i] < c->used_at[slot])
			slot = i;
	}
	c->used_id[slot] = id;
	c->used_at[slot] = cycle;
}

static int wayland_cycle(struct wlc *holder, struct wlc *obs, long cycle, struct samples *acq,
			 struct samples *rel)
{
	struct offer *o = pick_offer(holder);
	if (!o) {
		fprintf(stderr, "the holder has no connector offered\n");
		return -1;
	}
	mark_used(holder, o->id, cycle + 1);
	obs->withdrawn_id = 0;
	holder->lease_fd = -1;
	holder->lease_finished = false;
	double t0 = lc_now_ms_f();
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		holder->device);
	wp_drm_lease_request_v1_request_connector(req, o->obj);
	holder->lease = wp_drm_lease_request_v1_submit(req);
	wp_drm_lease_v1_add_listener(holder->lease, &lease_listener, holder);
	uint32_t id;
	if (wlc_wait(holder, lease_answered, "lease_fd") < 0)
		return -1;
	if (holder->lease_finished) {
		fprintf(stderr, "the broker finished the lease instead of granting it\n");
		return -1;
	}
	samples_add(acq, holder->lease_fd_ms - t0);
	if (observer_saw_withdrawn(obs, &id) < 0)
		return -1;
	observer_arm(obs, id);
	double t1 = lc_now_ms_f();
	wp_drm_lease_v1_destroy(holder->lease);
	holder->lease = NULL;
	wl_display_flush(holder->display);
	int r = wlc_wait(obs, reoffered, "the re-offer after wp_drm_lease_v1.destroy");
	if (r == 0)
		samples_add(rel, obs->reoffered_ms - t1);
	observer_arm(obs, 0);
	close(holder->lease_fd);
	holder->lease_fd = -1;
	/* The holder's own view: its withdrawn object gone, the new offer in. */
	if (r == 0 && wl_display_roundtrip(holder->display) < 0)
		r = -1;
	return r;
}

static int print_case(const struct broker_bench *cfg, const char *name, struct samples *s,
		      const char *baseline, double helix_ms)
{
	char extra[200];
	long slow = samples_over(s, SLOW_MS);
	struct figures f = samples_figures(s);
	snprintf(extra, sizeof(extra),
		 "\"over_%.0f_ms\":%ld,\"helix_fixed_ms\":%.0f,\"ratio_p50_to_helix\":%.5f,"
		 "\"ratio_p99_to_helix\":%.5f",
		 SLOW_MS, slow, helix_ms, f.p50 / helix_ms, f.p99 / helix_ms);
	return figures_print(name, f, cfg->baseline_file, baseline, extra);
}

int bench_broker(const struct broker_bench *cfg)
{
	struct wlc obs = {0}, holder = {0};
	struct samples acq_h, rel_h, acq_w, rel_w;
	int rc = 1;
	long i = -1;
	const char *phase = "helix";
	if (samples_init(&acq_h, cfg->n) < 0 || samples_init(&rel_h, cfg->n) < 0 ||
	    samples_init(&acq_w, cfg->n) < 0 || samples_init(&rel_w, cfg->n) < 0 ||
	    wlc_connect(&obs, cfg->wayland_socket) < 0)
		goto out;
	for (i = 0; i < cfg->n; i++)
		if (helix_cycle(cfg, &obs, &acq_h, &rel_h) < 0)
			goto out;
	phase = "wayland";
	i = -1;
	if (wlc_connect(&holder, cfg->wayland_socket) < 0)
		goto out;
	for (i = 0; i < cfg->n; i++)
		if (wayland_cycle(&holder, &obs, i, &acq_w, &rel_w) < 0)
			goto out;
	char name[4][96];
	snprintf(name[0], sizeof(name[0]), "acquire-%s-helix", cfg->acquire_tag);
	snprintf(name[1], sizeof(name[1]), "release-hangup-helix-%s", cfg->release_tag);
	snprintf(name[2], sizeof(name[2]), "acquire-%s-wayland", cfg->acquire_tag);
	snprintf(name[3], sizeof(name[3]), "release-destroy-wayland-%s", cfg->release_tag);
	rc = 0;
	rc |= print_case(cfg, name[0], &acq_h, cfg->acquire_baseline, HELIX_ACQUIRE_SLEEP_MS);
	rc |= print_case(cfg, name[1], &rel_h, cfg->release_baseline, HELIX_RELEASE_STALL_MS);
	rc |= print_case(cfg, name[2], &acq_w, cfg->acquire_baseline, HELIX_ACQUIRE_SLEEP_MS);
	rc |= print_case(cfg, name[3], &rel_w, cfg->release_baseline, HELIX_RELEASE_STALL_MS);
	rc = rc ? 1 : 0;
out:
	if (rc && i >= 0 && i < cfg->n)
		fprintf(stderr, "%s cycle %ld of %ld failed\n", phase, i, cfg->n);
	wlc_disconnect(&holder);
	wlc_disconnect(&obs);
	samples_finish(&acq_h);
	samples_finish(&rel_h);
	samples_finish(&acq_w);
	samples_finish(&rel_w);
	return rc;
}
