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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "helix_lease_client.h"
#include "lease-modes.h"
#include "lease-stats.h"
#include "wl_lease_client.h"

#define STEP_TIMEOUT_MS 20000.0
#define MAX_IDS 64
#define SLOW_MS 500.0 /* see samples_over */

/* One Wayland connection with one wp_drm_lease_device_v1 binding, as the
 * observer or the holder. Withdrawn connector objects are dropped at once:
 * only the live offers stay listed. */
struct peer {
	struct wlc *c;
	/* observer */
	uint32_t withdrawn_id; /* the last connector withdrawn */
	uint32_t watch_id;     /* waiting for its re-offer */
	bool watch_seen;       /* a new object for watch_id came */
	double reoffered_ms;   /* the device.done after it */
	/* holder */
	struct wlc_lease *lease;
	double lease_fd_ms;
	/* least recently leased first: like the broker's choice of an output
	 * that is off over one still turning off */
	uint32_t used_id[MAX_IDS];
	long used_at[MAX_IDS];
};

static void peer_event(void *data, const struct wlc_event *ev)
{
	struct peer *p = data;
	switch (ev->type) {
	case WLC_EV_CONNECTOR_ID:
		if (p->watch_id && ev->connector->id == p->watch_id)
			p->watch_seen = true;
		break;
	case WLC_EV_WITHDRAWN: p->withdrawn_id = ev->connector->id; break;
	case WLC_EV_DEVICE_DONE:
		if (p->watch_seen && p->reoffered_ms == 0)
			p->reoffered_ms = lc_now_ms_f();
		break;
	case WLC_EV_LEASE_FD: p->lease_fd_ms = lc_now_ms_f(); break;
	default: break;
	}
}

static int peer_connect(struct peer *p, const char *socket)
{
	struct wlc_options opt = {.drop_withdrawn = true, .event = peer_event, .data = p};
	p->c = wlc_connect(socket, &opt);
	if (!p->c) {
		fprintf(stderr, "cannot connect to %s: %s\n", socket, strerror(errno));
		return -1;
	}
	/* Globals, then the device's first offer and done. */
	if (wl_display_roundtrip(p->c->display) < 0 || p->c->n_devices == 0 ||
	    wl_display_roundtrip(p->c->display) < 0) {
		fprintf(stderr, "%s: no wp_drm_lease_device_v1\n", socket);
		return -1;
	}
	return 0;
}

static void peer_disconnect(struct peer *p)
{
	wlc_lease_free(p->lease);
	p->lease = NULL;
	wlc_destroy(p->c);
	p->c = NULL;
}

/* Dispatches p until done(p) or the step's timeout. */
static int peer_wait(struct peer *p, wlc_pred_fn done, void *arg, const char *what)
{
	int r = wlc_wait(p->c, done, arg, lc_now_ms() + (int64_t)STEP_TIMEOUT_MS);
	if (r == -EPIPE)
		fprintf(stderr, "Wayland connection lost waiting for %s: %s\n", what,
			strerror(wl_display_get_error(p->c->display)));
	else if (r < 0)
		fprintf(stderr, "timed out waiting for %s\n", what);
	return r < 0 ? -1 : 0;
}

static bool reoffered(struct wlc *c, void *peer)
{
	return ((struct peer *)peer)->reoffered_ms > 0;
}

static void observer_arm(struct peer *obs, uint32_t id)
{
	obs->watch_id = id;
	obs->watch_seen = false;
	obs->reoffered_ms = 0;
}

/* After a grant: the observer has seen the leased connector withdrawn. */
static int observer_saw_withdrawn(struct peer *obs, uint32_t *id)
{
	if (wl_display_roundtrip(obs->c->display) < 0 || obs->withdrawn_id == 0) {
		fprintf(stderr, "the observer never saw the leased connector withdrawn\n");
		return -1;
	}
	*id = obs->withdrawn_id;
	return 0;
}

/* One Helix lease: the fd or -1; the socket stays open in *sock. */
static int helix_lease(const char *path, int *sock)
{
	struct helix_client_reply r;
	int fd = helix_client_open(path, 0, 0, lc_now_ms() + (int64_t)STEP_TIMEOUT_MS, sock, &r);
	switch (r.outcome) {
	case HELIX_CLIENT_GRANTED: break;
	case HELIX_CLIENT_CONNECT_FAILED:
		fprintf(stderr, "%s: %s\n", path, strerror(-r.err));
		break;
	case HELIX_CLIENT_SEND_FAILED: break;
	default:
		if (r.err == -ETIMEDOUT)
			fprintf(stderr, "no Helix reply\n");
		else
			fprintf(stderr, "lease refused: %s\n",
				r.replied ? r.resp.name : "no valid reply");
	}
	return fd;
}

static int helix_cycle(const struct broker_bench *cfg, struct peer *obs, struct samples *acq,
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
	int r = peer_wait(obs, reoffered, obs, "the re-offer after a Helix hang-up");
	if (r == 0)
		samples_add(rel, obs->reoffered_ms - t2);
	observer_arm(obs, 0);
	close(fd);
	return r;
}

static struct wlc_connector *pick_offer(struct peer *p)
{
	struct wlc_connector *o, *best = NULL;
	long best_at = 0;
	wl_list_for_each (o, &p->c->devices[0].connectors, link) {
		long at = -1;
		for (int i = 0; i < MAX_IDS; i++)
			if (p->used_id[i] == o->id)
				at = p->used_at[i];
		if (o->id && (!best || at < best_at)) {
			best = o;
			best_at = at;
		}
	}
	return best;
}

static void mark_used(struct peer *p, uint32_t id, long cycle)
{
	int slot = 0;
	for (int i = 0; i < MAX_IDS; i++) {
		if (p->used_id[i] == id) {
			slot = i;
			break;
		}
		if (p->used_at[i] < p->used_at[slot])
			slot = i;
	}
	p->used_id[slot] = id;
	p->used_at[slot] = cycle;
}

static int wayland_cycle(struct peer *holder, struct peer *obs, long cycle, struct samples *acq,
			 struct samples *rel)
{
	struct wlc_connector *o = pick_offer(holder);
	if (!o) {
		fprintf(stderr, "the holder has no connector offered\n");
		return -1;
	}
	mark_used(holder, o->id, cycle + 1);
	obs->withdrawn_id = 0;
	wlc_lease_free(holder->lease);
	double t0 = lc_now_ms_f();
	struct wlc_device *dev = &holder->c->devices[0];
	holder->lease = wlc_lease_submit(dev, wlc_request(dev, &o, 1));
	if (!holder->lease)
		return -1;
	uint32_t id;
	if (peer_wait(holder, wlc_pred_lease_answered, holder->lease, "lease_fd") < 0)
		return -1;
	if (holder->lease->finished) {
		fprintf(stderr, "the broker finished the lease instead of granting it\n");
		return -1;
	}
	samples_add(acq, holder->lease_fd_ms - t0);
	if (observer_saw_withdrawn(obs, &id) < 0)
		return -1;
	observer_arm(obs, id);
	double t1 = lc_now_ms_f();
	wlc_lease_end(holder->lease);
	wl_display_flush(holder->c->display);
	int r = peer_wait(obs, reoffered, obs, "the re-offer after wp_drm_lease_v1.destroy");
	if (r == 0)
		samples_add(rel, obs->reoffered_ms - t1);
	observer_arm(obs, 0);
	wlc_lease_free(holder->lease); /* closes the lease fd */
	holder->lease = NULL;
	/* The holder's own view: its withdrawn object gone, the new offer in. */
	if (r == 0 && wl_display_roundtrip(holder->c->display) < 0)
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
	struct peer obs = {0}, holder = {0};
	struct samples acq_h, rel_h, acq_w, rel_w;
	int rc = 1;
	long i = -1;
	const char *phase = "helix";
	if (samples_init(&acq_h, cfg->n) < 0 || samples_init(&rel_h, cfg->n) < 0 ||
	    samples_init(&acq_w, cfg->n) < 0 || samples_init(&rel_w, cfg->n) < 0 ||
	    peer_connect(&obs, cfg->wayland_socket) < 0)
		goto out;
	for (i = 0; i < cfg->n; i++)
		if (helix_cycle(cfg, &obs, &acq_h, &rel_h) < 0)
			goto out;
	phase = "wayland";
	i = -1;
	if (peer_connect(&holder, cfg->wayland_socket) < 0)
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
	peer_disconnect(&holder);
	peer_disconnect(&obs);
	samples_finish(&acq_h);
	samples_finish(&rel_h);
	samples_finish(&acq_w);
	samples_finish(&rel_w);
	return rc;
}
