#include "wl_lease_client.h"

#include <drm-lease-v1-client-protocol.h>
#include <errno.h>
#include <leasecast-lease-v1-client-protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

static void emit(struct wlc *c, struct wlc_event ev)
{
	if (c->opt.event)
		c->opt.event(c->opt.data, &ev);
}

static void connector_event(struct wlc_connector *conn, enum wlc_event_type type, bool again)
{
	emit(conn->device->client,
	     (struct wlc_event){
		     .type = type, .device = conn->device, .connector = conn, .again = again});
}

static void lease_event(struct wlc_lease *l, enum wlc_event_type type, bool again)
{
	emit(l->client,
	     (struct wlc_event){.type = type, .device = l->device, .lease = l, .again = again});
}

static void connector_free(struct wlc_connector *conn)
{
	wl_list_remove(&conn->link);
	wp_drm_lease_connector_v1_destroy(conn->obj);
	free(conn);
}

/* ---- wp_drm_lease_connector_v1 ---- */

static void conn_name(void *data, struct wp_drm_lease_connector_v1 *obj, const char *name)
{
	struct wlc_connector *conn = data;
	snprintf(conn->name, sizeof(conn->name), "%s", name);
	connector_event(conn, WLC_EV_NAME, false);
}

static void conn_description(void *data, struct wp_drm_lease_connector_v1 *obj, const char *desc)
{
	struct wlc_connector *conn = data;
	snprintf(conn->description, sizeof(conn->description), "%s", desc);
	connector_event(conn, WLC_EV_DESCRIPTION, false);
}

static void conn_id(void *data, struct wp_drm_lease_connector_v1 *obj, uint32_t id)
{
	struct wlc_connector *conn = data;
	conn->id = id;
	connector_event(conn, WLC_EV_CONNECTOR_ID, false);
}

static void conn_done(void *data, struct wp_drm_lease_connector_v1 *obj)
{
	struct wlc_connector *conn = data;
	conn->done = true;
	connector_event(conn, WLC_EV_CONNECTOR_DONE, false);
}

static void conn_withdrawn(void *data, struct wp_drm_lease_connector_v1 *obj)
{
	struct wlc_connector *conn = data;
	bool again = conn->withdrawn;
	conn->withdrawn = true;
	connector_event(conn, WLC_EV_WITHDRAWN, again);
	if (conn->device->client->opt.drop_withdrawn)
		connector_free(conn);
}

static const struct wp_drm_lease_connector_v1_listener conn_listener = {
	.name = conn_name,
	.description = conn_description,
	.connector_id = conn_id,
	.done = conn_done,
	.withdrawn = conn_withdrawn,
};

/* ---- wp_drm_lease_device_v1 ---- */

static void dev_drm_fd(void *data, struct wp_drm_lease_device_v1 *obj, int32_t fd)
{
	struct wlc_device *dev = data;
	if (dev->client->opt.keep_drm_fd) {
		if (dev->drm_fd >= 0)
			close(dev->drm_fd);
		dev->drm_fd = fd;
	} else {
		close(fd); /* a lease holder opens nothing through it */
	}
	emit(dev->client, (struct wlc_event){.type = WLC_EV_DRM_FD, .device = dev});
}

static void dev_connector(void *data, struct wp_drm_lease_device_v1 *obj,
			  struct wp_drm_lease_connector_v1 *cobj)
{
	struct wlc_device *dev = data;
	struct wlc_connector *conn = calloc(1, sizeof(*conn));
	if (!conn) {
		wp_drm_lease_connector_v1_destroy(cobj);
		return;
	}
	conn->device = dev;
	conn->obj = cobj;
	wl_list_insert(dev->connectors.prev, &conn->link);
	wp_drm_lease_connector_v1_add_listener(cobj, &conn_listener, conn);
	connector_event(conn, WLC_EV_CONNECTOR, false);
}

static void dev_done(void *data, struct wp_drm_lease_device_v1 *obj)
{
	struct wlc_device *dev = data;
	dev->done = true;
	emit(dev->client, (struct wlc_event){.type = WLC_EV_DEVICE_DONE, .device = dev});
}

static void dev_released(void *data, struct wp_drm_lease_device_v1 *obj)
{
	struct wlc_device *dev = data;
	dev->released = true;
	if (!dev->keep_proxy) {
		wp_drm_lease_device_v1_destroy(obj);
		dev->obj = NULL;
	}
	emit(dev->client, (struct wlc_event){.type = WLC_EV_RELEASED, .device = dev});
}

static const struct wp_drm_lease_device_v1_listener dev_listener = {
	.drm_fd = dev_drm_fd,
	.connector = dev_connector,
	.done = dev_done,
	.released = dev_released,
};

/* ---- wp_drm_lease_v1 ---- */

static void lease_fd_ev(void *data, struct wp_drm_lease_v1 *obj, int32_t fd)
{
	struct wlc_lease *l = data;
	bool again = l->granted;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	l->granted = true;
	lease_event(l, WLC_EV_LEASE_FD, again);
}

static void lease_finished_ev(void *data, struct wp_drm_lease_v1 *obj)
{
	struct wlc_lease *l = data;
	bool again = l->finished;
	l->finished = true;
	lease_event(l, WLC_EV_FINISHED, again);
}

static const struct wp_drm_lease_v1_listener lease_listener = {
	.lease_fd = lease_fd_ev,
	.finished = lease_finished_ev,
};

/* ---- leasecast_lease_info_v1 ---- */

static void info_output(void *data, struct leasecast_lease_info_v1 *obj, const char *connector,
			uint32_t scanout_id, const char *stream_key)
{
	struct wlc_lease *l = data;
	l->info.n_outputs++;
	snprintf(l->info.connector, sizeof(l->info.connector), "%s", connector);
	l->info.scanout_id = scanout_id;
	snprintf(l->info.key, sizeof(l->info.key), "%s", stream_key);
	emit(l->client, (struct wlc_event){.type = WLC_EV_INFO_OUTPUT,
					   .device = l->device,
					   .lease = l,
					   .output_connector = connector,
					   .output_key = stream_key,
					   .output_scanout = scanout_id});
}

static void info_input_device(void *data, struct leasecast_lease_info_v1 *obj,
			      const char *connector, int32_t fd, uint32_t kind, const char *uniq)
{
	struct wlc_lease *l = data;
	struct lc_lease_input e = {.fd = fd, .kind = (int)kind};
	snprintf(e.connector, sizeof(e.connector), "%s", connector);
	snprintf(e.uniq, sizeof(e.uniq), "%s", uniq);
	struct lc_lease_input *kept = &e;
	if (kind > INT32_MAX || !lc_lease_input_kind_name((int)kind) ||
	    l->info.n_inputs == LC_LEASE_INPUT_MAX) {
		/* A kind this side cannot use (the protocol says: ignore it),
		 * or more than a lease can have. */
		close(fd);
		e.fd = -1;
		e.kind = LC_LEASE_INPUT_UNKNOWN;
		l->info.inputs_dropped++;
	} else {
		kept = &l->info.inputs[l->info.n_inputs++];
		*kept = e;
	}
	emit(l->client, (struct wlc_event){.type = WLC_EV_INFO_INPUT,
					   .device = l->device,
					   .lease = l,
					   .input = kept,
					   .input_connector = connector,
					   .input_uniq = uniq,
					   .input_kind = kind});
}

static void info_done(void *data, struct leasecast_lease_info_v1 *obj)
{
	struct wlc_lease *l = data;
	bool again = l->info.done;
	l->info.done = true;
	lease_event(l, WLC_EV_INFO_DONE, again);
}

static void info_finished(void *data, struct leasecast_lease_info_v1 *obj)
{
	struct wlc_lease *l = data;
	bool again = l->info.finished;
	l->info.finished = true;
	lease_event(l, WLC_EV_INFO_FINISHED, again);
}

static void info_magic_result(void *data, struct leasecast_lease_info_v1 *obj, uint32_t magic,
			      int32_t error)
{
	struct wlc_lease *l = data;
	l->info.magic_answered = true;
	l->info.magic = magic;
	l->info.magic_error = error;
	emit(l->client, (struct wlc_event){.type = WLC_EV_MAGIC_RESULT,
					   .device = l->device,
					   .lease = l,
					   .magic = magic,
					   .error = error});
}

static const struct leasecast_lease_info_v1_listener info_listener = {
	.output = info_output,
	.input_device = info_input_device,
	.done = info_done,
	.finished = info_finished,
	.magic_result = info_magic_result,
};

/* ---- wl_registry ---- */

static void reg_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
		       uint32_t version)
{
	struct wlc *c = data;
	if (strcmp(iface, wp_drm_lease_device_v1_interface.name) == 0) {
		if (c->n_devices == c->opt.max_devices)
			return;
		struct wlc_device *dev = &c->devices[c->n_devices++];
		dev->client = c;
		dev->drm_fd = -1;
		wl_list_init(&dev->connectors);
		dev->obj = wl_registry_bind(reg, name, &wp_drm_lease_device_v1_interface, 1);
		wp_drm_lease_device_v1_add_listener(dev->obj, &dev_listener, dev);
	} else if (c->opt.bind_leasecast && !c->manager &&
		   strcmp(iface, leasecast_lease_manager_v1_interface.name) == 0) {
		c->manager_version = version < c->opt.leasecast_version ? version
									: c->opt.leasecast_version;
		c->manager = wl_registry_bind(reg, name, &leasecast_lease_manager_v1_interface,
					      c->manager_version);
	}
}

static void reg_global_remove(void *data, struct wl_registry *reg, uint32_t name) {}

static const struct wl_registry_listener reg_listener = {
	.global = reg_global,
	.global_remove = reg_global_remove,
};

struct wlc *wlc_connect(const char *socket, const struct wlc_options *opt)
{
	struct wlc *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (opt)
		c->opt = *opt;
	if (c->opt.max_devices == 0)
		c->opt.max_devices = 1;
	if (c->opt.max_devices > WLC_MAX_DEVICES)
		c->opt.max_devices = WLC_MAX_DEVICES;
	if (c->opt.leasecast_version == 0 || c->opt.leasecast_version > WLC_LEASECAST_VERSION)
		c->opt.leasecast_version = WLC_LEASECAST_VERSION;
	c->display = wl_display_connect(socket);
	if (!c->display) {
		int e = errno;
		free(c);
		errno = e;
		return NULL;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &reg_listener, c);
	return c;
}

void wlc_destroy(struct wlc *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_devices; i++) {
		struct wlc_device *dev = &c->devices[i];
		struct wlc_connector *conn, *tmp;
		wl_list_for_each_safe (conn, tmp, &dev->connectors, link)
			connector_free(conn);
		if (dev->obj) {
			/* release only asks; the proxy is ours to free (nothing
			 * waits for `released`: the connection goes next). */
			if (c->opt.release_on_close && !dev->released)
				wp_drm_lease_device_v1_release(dev->obj);
			wp_drm_lease_device_v1_destroy(dev->obj);
		}
		if (dev->drm_fd >= 0)
			close(dev->drm_fd);
	}
	if (c->manager)
		leasecast_lease_manager_v1_destroy(c->manager);
	wl_registry_destroy(c->registry);
	wl_display_flush(c->display);
	wl_display_disconnect(c->display);
	free(c);
}

int wlc_dispatch_timeout(struct wlc *c, int timeout_ms)
{
	struct wl_display *d = c->display;
	while (wl_display_prepare_read(d) != 0) {
		if (wl_display_dispatch_pending(d) < 0)
			return -EPIPE;
	}
	if (wl_display_flush(d) < 0 && errno != EAGAIN) {
		wl_display_cancel_read(d);
		return -EPIPE;
	}
	struct pollfd p = {.fd = wl_display_get_fd(d), .events = POLLIN};
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0) {
		int e = errno;
		wl_display_cancel_read(d);
		return r < 0 && e != EINTR ? -e : 0;
	}
	if (wl_display_read_events(d) < 0 || wl_display_dispatch_pending(d) < 0)
		return -EPIPE;
	return 1;
}

int wlc_wait(struct wlc *c, wlc_pred_fn done, void *arg, int64_t deadline_ms)
{
	for (;;) {
		if (wl_display_dispatch_pending(c->display) < 0)
			return -EPIPE;
		if (done(c, arg))
			return 0;
		int64_t left = deadline_ms - lc_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int r = wlc_dispatch_timeout(c, left > 60000 ? 60000 : (int)left);
		if (r < 0)
			return r;
	}
}

bool wlc_pred_devices_done(struct wlc *c, void *arg)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		if (!c->devices[i].done)
			return false;
	}
	return true;
}

bool wlc_pred_flag(struct wlc *c, void *flag)
{
	return *(const bool *)flag;
}

bool wlc_pred_lease_answered(struct wlc *c, void *lease)
{
	const struct wlc_lease *l = lease;
	return l->granted || l->finished;
}

struct wlc_connector *wlc_device_find(struct wlc_device *dev, const char *name)
{
	struct wlc_connector *conn;
	wl_list_for_each (conn, &dev->connectors, link) {
		if (!conn->withdrawn && conn->done && (!name || strcmp(conn->name, name) == 0))
			return conn;
	}
	return NULL;
}

size_t wlc_device_count(const struct wlc_device *dev, bool live_only)
{
	size_t n = 0;
	const struct wlc_connector *conn;
	wl_list_for_each (conn, &dev->connectors, link)
		n += !live_only || !conn->withdrawn;
	return n;
}

struct wp_drm_lease_request_v1 *wlc_request(struct wlc_device *dev,
					    struct wlc_connector *const *conns, size_t n)
{
	struct wp_drm_lease_request_v1 *req = wp_drm_lease_device_v1_create_lease_request(dev->obj);
	for (size_t i = 0; i < n; i++)
		wp_drm_lease_request_v1_request_connector(req, conns[i]->obj);
	return req;
}

int wlc_request_size(struct wlc *c, struct wp_drm_lease_request_v1 *req, uint32_t width,
		     uint32_t height)
{
	if (!c->manager)
		return -ENOTSUP;
	leasecast_lease_manager_v1_set_requested_size(c->manager, req, width, height);
	return 0;
}

struct wlc_lease *wlc_lease_submit(struct wlc_device *dev, struct wp_drm_lease_request_v1 *req)
{
	struct wlc_lease *l = calloc(1, sizeof(*l));
	if (!l) {
		wp_drm_lease_request_v1_destroy(req);
		return NULL;
	}
	l->client = dev->client;
	l->device = dev;
	l->fd = -1;
	l->info.scanout_id = UINT32_MAX;
	l->obj = wp_drm_lease_request_v1_submit(req);
	wp_drm_lease_v1_add_listener(l->obj, &lease_listener, l);
	return l;
}

int wlc_lease_get_info(struct wlc_lease *l)
{
	if (!l->client->manager || !l->obj)
		return -ENOTSUP;
	l->info.obj = leasecast_lease_manager_v1_get_lease_info(l->client->manager, l->obj);
	leasecast_lease_info_v1_add_listener(l->info.obj, &info_listener, l);
	return 0;
}

int wlc_lease_auth_magic(struct wlc_lease *l, uint32_t magic)
{
	if (!l->info.obj)
		return -ENOTSUP;
	l->info.magic_answered = false;
	leasecast_lease_info_v1_authenticate_magic(l->info.obj, magic);
	wl_display_flush(l->client->display);
	return 0;
}

int wlc_lease_take_fd(struct wlc_lease *l)
{
	int fd = l->fd;
	l->fd = -1;
	return fd;
}

size_t wlc_lease_take_inputs(struct wlc_lease *l, struct lc_lease_input *out, size_t max)
{
	size_t n = l->info.n_inputs < max ? l->info.n_inputs : max;
	memcpy(out, l->info.inputs, n * sizeof(*out));
	memmove(l->info.inputs, l->info.inputs + n, (l->info.n_inputs - n) * sizeof(*out));
	l->info.n_inputs -= n;
	return n;
}

void wlc_lease_end(struct wlc_lease *l)
{
	if (l->obj)
		wp_drm_lease_v1_destroy(l->obj);
	l->obj = NULL;
}

void wlc_lease_free(struct wlc_lease *l)
{
	if (!l)
		return;
	if (l->info.obj)
		leasecast_lease_info_v1_destroy(l->info.obj);
	wlc_lease_end(l);
	if (l->fd >= 0)
		close(l->fd);
	lc_lease_inputs_close(l->info.inputs, l->info.n_inputs);
	free(l);
}

const char *wlc_event_name(enum wlc_event_type type)
{
	static const char *const names[] = {
		[WLC_EV_DRM_FD] = "drm_fd",
		[WLC_EV_CONNECTOR] = "connector",
		[WLC_EV_NAME] = "name",
		[WLC_EV_DESCRIPTION] = "description",
		[WLC_EV_CONNECTOR_ID] = "connector_id",
		[WLC_EV_CONNECTOR_DONE] = "connector.done",
		[WLC_EV_WITHDRAWN] = "withdrawn",
		[WLC_EV_DEVICE_DONE] = "device.done",
		[WLC_EV_RELEASED] = "released",
		[WLC_EV_LEASE_FD] = "lease_fd",
		[WLC_EV_FINISHED] = "finished",
		[WLC_EV_INFO_OUTPUT] = "info.output",
		[WLC_EV_INFO_INPUT] = "info.input_device",
		[WLC_EV_INFO_DONE] = "info.done",
		[WLC_EV_INFO_FINISHED] = "info.finished",
		[WLC_EV_MAGIC_RESULT] = "magic_result",
	};
	return (size_t)type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "?";
}
