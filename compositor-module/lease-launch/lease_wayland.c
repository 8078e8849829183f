/* A lease through wp_drm_lease_v1 on the broker's Wayland socket, plus
 * leasecast_lease_v1 (stream keys, drmAuthMagic by the broker, and since
 * version 2 the output's input devices) when the broker offers it. The connection stays open for the lease's life:
 * wp_drm_lease_v1.finished is the revocation, a lost connection too. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "lease.h"
#include "log.h"
#include "wl_lease_client.h"

struct wl_lease {
	struct ll_lease base;
	struct wlc *c;
	struct wlc_lease *lease;
};

static void on_event(void *data, const struct wlc_event *ev)
{
	struct wl_lease *l = data;
	switch (ev->type) {
	case WLC_EV_LEASE_FD:
		if (l->base.lease_fd >= 0)
			close(l->base.lease_fd);
		l->base.lease_fd = wlc_lease_take_fd(ev->lease);
		break;
	case WLC_EV_INFO_OUTPUT:
		if (strcmp(ev->output_connector, l->base.info.connector) != 0) {
			lc_warn("lease info for %s, expected %s: ignored", ev->output_connector,
				l->base.info.connector);
			break;
		}
		l->base.info.scanout_id = ev->output_scanout;
		if (strlen(ev->output_key) == 64 &&
		    strspn(ev->output_key, "0123456789abcdef") == 64)
			memcpy(l->base.info.stream_key, ev->output_key, 65);
		else if (ev->output_key[0])
			lc_warn("malformed stream key for %s: ignored", ev->output_connector);
		break;
	case WLC_EV_MAGIC_RESULT:
		if (l->base.magic_result)
			l->base.magic_result(l->base.magic_data, ev->magic, ev->error);
		break;
	default: break;
	}
}

static bool info_settled(struct wlc *c, void *lease)
{
	return ((struct wlc_lease *)lease)->info.done;
}

static int wl_fd(struct ll_lease *base)
{
	struct wl_lease *l = (struct wl_lease *)base;
	return wl_display_get_fd(l->c->display);
}

static short wl_prepare(struct ll_lease *base)
{
	struct wl_display *d = ((struct wl_lease *)base)->c->display;
	wl_display_dispatch_pending(d);
	/* A full socket buffer: POLLOUT, then flush again. */
	if (wl_display_flush(d) < 0 && errno == EAGAIN)
		return POLLIN | POLLOUT;
	return POLLIN;
}

static bool wl_dispatch(struct ll_lease *base, short revents)
{
	struct wl_lease *l = (struct wl_lease *)base;
	struct wl_display *d = l->c->display;
	if (revents & POLLIN) {
		if (wl_display_prepare_read(d) == 0 && wl_display_read_events(d) < 0) {
			lc_warn("broker connection lost: %s", strerror(errno));
			return false;
		}
		if (wl_display_dispatch_pending(d) < 0) {
			lc_warn("broker connection error: %s", strerror(wl_display_get_error(d)));
			return false;
		}
	} else if (revents & (POLLHUP | POLLERR)) {
		lc_warn("broker connection hung up");
		return false;
	}
	if (revents & POLLOUT)
		wl_display_flush(d);
	if (l->lease->finished) {
		lc_info("the broker ended the lease on %s", l->base.info.connector);
		return false;
	}
	return true;
}

static int wl_auth_magic(struct ll_lease *base, uint32_t magic)
{
	struct wl_lease *l = (struct wl_lease *)base;
	if (!l->lease->info.obj)
		return -ENOTSUP;
	if (l->lease->info.finished || l->lease->finished)
		return -EPERM;
	return wlc_lease_auth_magic(l->lease, magic);
}

static void wl_destroy(struct ll_lease *base)
{
	struct wl_lease *l = (struct wl_lease *)base;
	wlc_lease_free(l->lease); /* the broker revokes */
	wlc_destroy(l->c);
	if (l->base.lease_fd >= 0)
		close(l->base.lease_fd);
	free(l);
}

static const struct ll_lease_impl wl_impl = {
	.fd = wl_fd,
	.prepare = wl_prepare,
	.dispatch = wl_dispatch,
	.auth_magic = wl_auth_magic,
	.destroy = wl_destroy,
};

/* How many connectors an "any" lease tries when others claim them first. */
#define LL_ANY_ATTEMPTS 16

struct ll_lease *ll_lease_wayland_acquire(const char *socket, const char *output, uint32_t width,
					  uint32_t height, int timeout_ms)
{
	int64_t deadline = lc_now_ms() + timeout_ms;
	struct wl_lease *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->base.impl = &wl_impl;
	l->base.lease_fd = -1;
	l->base.info.scanout_id = LL_NO_SCANOUT;
	/* The first lease device is the broker's default card. */
	struct wlc_options opt = {
		.bind_leasecast = true, .release_on_close = true, .event = on_event, .data = l};
	l->c = wlc_connect(socket, &opt);
	if (!l->c) {
		lc_err("cannot connect to the broker's Wayland socket %s: %s", socket,
		       strerror(errno));
		goto fail;
	}
	if (wl_display_roundtrip(l->c->display) < 0)
		goto lost;
	if (l->c->n_devices == 0) {
		lc_err("%s offers no wp_drm_lease_device_v1", socket);
		goto fail;
	}
	struct wlc_device *dev = &l->c->devices[0];
	/* wp_drm_lease_v1 cannot carry a size: an explicit --size must not
	 * silently become the broker's default. */
	if (width && !l->c->manager) {
		lc_err("--size %ux%u needs leasecast_lease_manager_v1, which %s does not offer",
		       width, height, socket);
		goto fail;
	}
	if (wlc_wait(l->c, wlc_pred_flag, &dev->done, deadline) < 0)
		goto lost;

	/* Without --output, the first offered connector; when another client
	 * claimed it at the same moment (the broker withdraws a claimed
	 * connector from everyone and finishes the later request), the next
	 * one, as a person would pick another free seat. */
	struct wlc_connector *pick = NULL;
	for (int attempt = 1;; attempt++) {
		pick = wlc_device_find(dev, output);
		if (!pick) {
			lc_err("no %s%s offered by the broker (%zu connectors offered)",
			       output ? "connector " : "free connector", output ? output : "",
			       wlc_device_count(dev, false));
			goto fail;
		}
		snprintf(l->base.info.connector, sizeof(l->base.info.connector), "%s", pick->name);
		l->base.info.scanout_id = ll_scanout_from_connector(pick->name);
		struct wp_drm_lease_request_v1 *req = wlc_request(dev, &pick, 1);
		if (width) {
			lc_info("requesting a lease on %s (%ux%u if it must be turned on)",
				pick->name, width, height);
			wlc_request_size(l->c, req, width, height);
		} else {
			lc_info("requesting a lease on %s", pick->name);
		}
		l->lease = wlc_lease_submit(dev, req);
		if (!l->lease)
			goto fail;
		wlc_lease_get_info(l->lease); /* when the broker has the manager */
		/* lease_fd or finished, whichever first. */
		if (wlc_wait(l->c, wlc_pred_lease_answered, l->lease, deadline) < 0)
			goto lost;
		if (!l->lease->finished)
			break;
		/* Taken by someone else: its withdrawal reached us first (the
		 * broker withdraws before it answers), so it is not picked again. */
		if (output || !pick->withdrawn || attempt >= LL_ANY_ATTEMPTS) {
			lc_err("the broker refused or ended the lease on %s", pick->name);
			goto fail;
		}
		lc_warn("%s was claimed by another client at the same time: trying the next free "
			"connector",
			pick->name);
		wlc_lease_free(l->lease);
		l->lease = NULL;
	}
	/* The info's output events follow lease_fd at once. */
	if (l->lease->info.obj) {
		int64_t info_deadline = lc_now_ms() + 2000;
		if (wlc_wait(l->c, info_settled, l->lease,
			     info_deadline < deadline ? info_deadline : deadline) < 0 &&
		    !l->lease->info.finished)
			lc_warn("no leasecast_lease_info_v1.done from the broker: no stream key");
		l->base.n_inputs = wlc_lease_take_inputs(l->lease, l->base.inputs,
							 LC_LEASE_INPUT_MAX);
		l->base.n_inputs = ll_lease_keep_inputs(l->base.info.connector, l->base.inputs,
							l->base.n_inputs);
		if (l->c->manager_version < 2)
			lc_info("the broker's leasecast_lease_manager_v1 is version %u: no input "
				"devices",
				l->c->manager_version);
	} else {
		lc_info("the broker has no leasecast_lease_manager_v1: no stream key, no drmAuthMagic help");
	}
	return &l->base;
lost:
	lc_err("lease on %s failed: %s", socket,
	       wl_display_get_error(l->c->display) ? strerror(wl_display_get_error(l->c->display))
						   : "timed out or connection lost");
fail:
	ll_lease_destroy(&l->base);
	return NULL;
}
