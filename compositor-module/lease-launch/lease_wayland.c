/* A lease through wp_drm_lease_v1 on the broker's Wayland socket, plus
 * leasecast_lease_v1 (stream keys, drmAuthMagic by the broker) when the
 * broker offers it. The connection stays open for the lease's life:
 * wp_drm_lease_v1.finished is the revocation, a lost connection too. */
#include <drm-lease-v1-client-protocol.h>
#include <errno.h>
#include <leasecast-lease-v1-client-protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "clock.h"
#include "lease.h"
#include "log.h"

#define MAX_CONNECTORS 32

struct wl_conn {
	struct wp_drm_lease_connector_v1 *obj;
	char name[64];
	bool withdrawn;
};

struct wl_lease {
	struct ll_lease base;
	struct wl_display *display;
	struct wl_registry *registry;
	struct wp_drm_lease_device_v1 *device;
	struct leasecast_lease_manager_v1 *manager;
	struct wp_drm_lease_v1 *lease;
	struct leasecast_lease_info_v1 *info;
	struct wl_conn conns[MAX_CONNECTORS];
	size_t n_conns;
	bool device_done, finished, settled, info_done, info_finished;
};

/* wp_drm_lease_connector_v1 */
static void conn_name(void *data, struct wp_drm_lease_connector_v1 *c, const char *name)
{
	struct wl_conn *wc = data;
	snprintf(wc->name, sizeof(wc->name), "%s", name);
}
static void conn_description(void *data, struct wp_drm_lease_connector_v1 *c, const char *d) {}
static void conn_id(void *data, struct wp_drm_lease_connector_v1 *c, uint32_t id) {}
static void conn_done(void *data, struct wp_drm_lease_connector_v1 *c) {}
static void conn_withdrawn(void *data, struct wp_drm_lease_connector_v1 *c)
{
	struct wl_conn *wc = data;
	wc->withdrawn = true;
}
static const struct wp_drm_lease_connector_v1_listener conn_listener = {
	.name = conn_name,
	.description = conn_description,
	.connector_id = conn_id,
	.done = conn_done,
	.withdrawn = conn_withdrawn,
};

/* wp_drm_lease_device_v1 */
static void dev_drm_fd(void *data, struct wp_drm_lease_device_v1 *d, int32_t fd)
{
	close(fd); /* the compositor opens the card itself; we only lease */
}
static void dev_connector(void *data, struct wp_drm_lease_device_v1 *d,
			  struct wp_drm_lease_connector_v1 *c)
{
	struct wl_lease *l = data;
	if (l->n_conns == MAX_CONNECTORS) {
		wp_drm_lease_connector_v1_destroy(c);
		return;
	}
	struct wl_conn *wc = &l->conns[l->n_conns++];
	wc->obj = c;
	wp_drm_lease_connector_v1_add_listener(c, &conn_listener, wc);
}
static void dev_done(void *data, struct wp_drm_lease_device_v1 *d)
{
	struct wl_lease *l = data;
	l->device_done = true;
}
static void dev_released(void *data, struct wp_drm_lease_device_v1 *d) {}
static const struct wp_drm_lease_device_v1_listener dev_listener = {
	.drm_fd = dev_drm_fd,
	.connector = dev_connector,
	.done = dev_done,
	.released = dev_released,
};

/* wp_drm_lease_v1 */
static void lease_fd_ev(void *data, struct wp_drm_lease_v1 *lease, int32_t fd)
{
	struct wl_lease *l = data;
	if (l->base.lease_fd >= 0)
		close(l->base.lease_fd);
	l->base.lease_fd = fd;
	l->settled = true;
}
static void lease_finished(void *data, struct wp_drm_lease_v1 *lease)
{
	struct wl_lease *l = data;
	l->finished = true;
	l->settled = true;
}
static const struct wp_drm_lease_v1_listener lease_listener = {
	.lease_fd = lease_fd_ev,
	.finished = lease_finished,
};

/* leasecast_lease_info_v1 */
static void info_output(void *data, struct leasecast_lease_info_v1 *info, const char *connector,
			uint32_t scanout_id, const char *stream_key)
{
	struct wl_lease *l = data;
	if (strcmp(connector, l->base.info.connector) != 0) {
		lc_warn("lease info for %s, expected %s: ignored", connector,
			l->base.info.connector);
		return;
	}
	l->base.info.scanout_id = scanout_id;
	if (strlen(stream_key) == 64 && strspn(stream_key, "0123456789abcdef") == 64)
		memcpy(l->base.info.stream_key, stream_key, 65);
	else if (stream_key[0])
		lc_warn("malformed stream key for %s: ignored", connector);
}
static void info_done(void *data, struct leasecast_lease_info_v1 *info)
{
	struct wl_lease *l = data;
	l->info_done = true;
}
static void info_finished(void *data, struct leasecast_lease_info_v1 *info)
{
	struct wl_lease *l = data;
	l->info_finished = true;
}
static void info_magic_result(void *data, struct leasecast_lease_info_v1 *info, uint32_t magic,
			      int32_t error)
{
	struct wl_lease *l = data;
	if (l->base.magic_result)
		l->base.magic_result(l->base.magic_data, magic, error);
}
static const struct leasecast_lease_info_v1_listener info_listener = {
	.output = info_output,
	.done = info_done,
	.finished = info_finished,
	.magic_result = info_magic_result,
};

static void reg_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
		       uint32_t version)
{
	struct wl_lease *l = data;
	/* The first lease device is the broker's default card. */
	if (!l->device && strcmp(iface, wp_drm_lease_device_v1_interface.name) == 0) {
		l->device = wl_registry_bind(reg, name, &wp_drm_lease_device_v1_interface, 1);
		wp_drm_lease_device_v1_add_listener(l->device, &dev_listener, l);
	} else if (!l->manager && strcmp(iface, leasecast_lease_manager_v1_interface.name) == 0) {
		l->manager = wl_registry_bind(reg, name, &leasecast_lease_manager_v1_interface, 1);
	}
}
static void reg_global_remove(void *data, struct wl_registry *reg, uint32_t name) {}
static const struct wl_registry_listener reg_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

/* Dispatches until *flag or deadline; -1 on error or timeout. */
static int wait_for(struct wl_lease *l, const bool *flag, int64_t deadline)
{
	while (!*flag) {
		if (wl_display_dispatch_pending(l->display) < 0)
			return -1;
		if (*flag)
			break;
		while (wl_display_prepare_read(l->display) != 0)
			if (wl_display_dispatch_pending(l->display) < 0)
				return -1;
		wl_display_flush(l->display);
		int64_t left = deadline - lc_now_ms();
		struct pollfd p = {.fd = wl_display_get_fd(l->display), .events = POLLIN};
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r <= 0) {
			wl_display_cancel_read(l->display);
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		if (wl_display_read_events(l->display) < 0)
			return -1;
	}
	return 0;
}

static int wl_fd(struct ll_lease *base)
{
	struct wl_lease *l = (struct wl_lease *)base;
	return wl_display_get_fd(l->display);
}

static short wl_prepare(struct ll_lease *base)
{
	struct wl_lease *l = (struct wl_lease *)base;
	wl_display_dispatch_pending(l->display);
	/* A full socket buffer: POLLOUT, then flush again. */
	if (wl_display_flush(l->display) < 0 && errno == EAGAIN)
		return POLLIN | POLLOUT;
	return POLLIN;
}

static bool wl_dispatch(struct ll_lease *base, short revents)
{
	struct wl_lease *l = (struct wl_lease *)base;
	if (revents & POLLIN) {
		if (wl_display_prepare_read(l->display) == 0 &&
		    wl_display_read_events(l->display) < 0) {
			lc_warn("broker connection lost: %s", strerror(errno));
			return false;
		}
		if (wl_display_dispatch_pending(l->display) < 0) {
			lc_warn("broker connection error: %s",
				strerror(wl_display_get_error(l->display)));
			return false;
		}
	} else if (revents & (POLLHUP | POLLERR)) {
		lc_warn("broker connection hung up");
		return false;
	}
	if (revents & POLLOUT)
		wl_display_flush(l->display);
	if (l->finished) {
		lc_info("the broker ended the lease on %s", l->base.info.connector);
		return false;
	}
	return true;
}

static int wl_auth_magic(struct ll_lease *base, uint32_t magic)
{
	struct wl_lease *l = (struct wl_lease *)base;
	if (!l->info)
		return -ENOTSUP;
	if (l->info_finished || l->finished)
		return -EPERM;
	leasecast_lease_info_v1_authenticate_magic(l->info, magic);
	wl_display_flush(l->display);
	return 0;
}

static void wl_destroy(struct ll_lease *base)
{
	struct wl_lease *l = (struct wl_lease *)base;
	if (l->info)
		leasecast_lease_info_v1_destroy(l->info);
	if (l->lease)
		wp_drm_lease_v1_destroy(l->lease); /* the broker revokes */
	for (size_t i = 0; i < l->n_conns; i++)
		wp_drm_lease_connector_v1_destroy(l->conns[i].obj);
	if (l->manager)
		leasecast_lease_manager_v1_destroy(l->manager);
	if (l->device) {
		/* release only asks; the proxy is ours to free (we do not wait
		 * for `released`: the connection goes next). */
		wp_drm_lease_device_v1_release(l->device);
		wp_drm_lease_device_v1_destroy(l->device);
	}
	if (l->registry)
		wl_registry_destroy(l->registry);
	if (l->display) {
		wl_display_flush(l->display);
		wl_display_disconnect(l->display);
	}
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
	l->display = wl_display_connect(socket);
	if (!l->display) {
		lc_err("cannot connect to the broker's Wayland socket %s: %s", socket,
		       strerror(errno));
		goto fail;
	}
	l->registry = wl_display_get_registry(l->display);
	wl_registry_add_listener(l->registry, &reg_listener, l);
	if (wl_display_roundtrip(l->display) < 0)
		goto lost;
	if (!l->device) {
		lc_err("%s offers no wp_drm_lease_device_v1", socket);
		goto fail;
	}
	/* wp_drm_lease_v1 cannot carry a size: an explicit --size must not
	 * silently become the broker's default. */
	if (width && !l->manager) {
		lc_err("--size %ux%u needs leasecast_lease_manager_v1, which %s does not offer",
		       width, height, socket);
		goto fail;
	}
	if (wait_for(l, &l->device_done, deadline) < 0)
		goto lost;

	struct wl_conn *pick = NULL;
	for (size_t i = 0; i < l->n_conns && !pick; i++) {
		struct wl_conn *c = &l->conns[i];
		if (!c->withdrawn && (!output || strcmp(c->name, output) == 0))
			pick = c;
	}
	if (!pick) {
		lc_err("no %s%s offered by the broker (%zu connectors offered)",
		       output ? "connector " : "free connector", output ? output : "", l->n_conns);
		goto fail;
	}
	snprintf(l->base.info.connector, sizeof(l->base.info.connector), "%s", pick->name);
	l->base.info.scanout_id = ll_scanout_from_connector(pick->name);
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(
		l->device);
	wp_drm_lease_request_v1_request_connector(req, pick->obj);
	if (width) {
		lc_info("requesting a lease on %s (%ux%u if it must be turned on)", pick->name,
			width, height);
		leasecast_lease_manager_v1_set_requested_size(l->manager, req, width, height);
	} else {
		lc_info("requesting a lease on %s", pick->name);
	}
	l->lease = wp_drm_lease_request_v1_submit(req);
	wp_drm_lease_v1_add_listener(l->lease, &lease_listener, l);
	if (l->manager) {
		l->info = leasecast_lease_manager_v1_get_lease_info(l->manager, l->lease);
		leasecast_lease_info_v1_add_listener(l->info, &info_listener, l);
	}
	/* lease_fd or finished, whichever first. */
	if (wait_for(l, &l->settled, deadline) < 0)
		goto lost;
	if (l->finished) {
		lc_err("the broker refused or ended the lease on %s", pick->name);
		goto fail;
	}
	/* The info's output events follow lease_fd at once. */
	if (l->info) {
		int64_t info_deadline = lc_now_ms() + 2000;
		if (wait_for(l, &l->info_done,
			     info_deadline < deadline ? info_deadline : deadline) < 0 &&
		    !l->info_finished)
			lc_warn("no leasecast_lease_info_v1.done from the broker: no stream key");
	} else {
		lc_info("the broker has no leasecast_lease_manager_v1: no stream key, no drmAuthMagic help");
	}
	return &l->base;
lost:
	lc_err("lease on %s failed: %s", socket,
	       wl_display_get_error(l->display) ? strerror(wl_display_get_error(l->display))
						: "timed out or connection lost");
fail:
	wl_destroy(&l->base);
	return NULL;
}
