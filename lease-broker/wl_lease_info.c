/* leasecast_lease_v1 server (protocols/leasecast-lease-v1.xml): tells the
 * holder of a wp_drm_lease_v1 the scanout ids and stream keys of its
 * outputs, hands it (version 2) the fds of their input devices, and
 * authenticates DRM magics for it on the card's master.
 *
 * An info object only observes its broker lease (granted, finished and
 * destroy signals); the lease stays owned by wl_lease.c. Each struct is
 * freed only in its resource's destroy handler. */
#include <errno.h>
#include <leasecast-lease-v1-server-protocol.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>

#include "helix_lease.h"
#include "log.h"
#include "wl_lease.h"
#include "wl_lease_info.h"

#define LB_LEASECAST_MANAGER_VERSION 2
/* set_requested_size: the same bound as a Helix LEASE request's. */
#define LB_MAX_REQUESTED_SIZE HELIX_LEASE_MAX_DIM

struct lb_wl_lease_info_manager {
	struct lb_broker *broker;
	struct wl_global *global;
};

struct lb_wl_info {
	struct wl_resource *resource;
	struct lb_lease *lease; /* observed; NULL once it finished or went */
	struct wl_listener granted;
	struct wl_listener finished;
	struct wl_listener destroy;
	bool finished_sent;
};

static void info_detach(struct lb_wl_info *info)
{
	if (!info->lease)
		return;
	wl_list_remove(&info->granted.link);
	wl_list_remove(&info->finished.link);
	wl_list_remove(&info->destroy.link);
	info->lease = NULL;
}

static void info_send_finished(struct lb_wl_info *info)
{
	info_detach(info);
	if (info->finished_sent)
		return;
	info->finished_sent = true;
	leasecast_lease_info_v1_send_finished(info->resource);
}

static void info_send_outputs(struct lb_wl_info *info)
{
	const struct lb_lease *l = info->lease;
	for (size_t i = 0; i < l->n_outputs; i++) {
		const struct lb_output *o = l->outputs[i];
		char key[HXFR_STREAM_KEY_HEX_LEN + 1];
		lb_lease_stream_key_hex(l, i, key);
		leasecast_lease_info_v1_send_output(
			info->resource, o->name,
			o->scanout_id >= 0 ? (uint32_t)o->scanout_id : UINT32_MAX, key);
		explicit_bzero(key, sizeof(key));
	}
	/* Version 1 clients never see them (nor could they decode them). */
	if (wl_resource_get_version(info->resource) >=
	    LEASECAST_LEASE_INFO_V1_INPUT_DEVICE_SINCE_VERSION) {
		for (size_t i = 0; i < l->n_inputs; i++) {
			const struct lc_lease_input *in = &l->inputs[i];
			/* libwayland sends a copy of the broker's open file. */
			leasecast_lease_info_v1_send_input_device(info->resource, in->connector,
								  in->fd, (uint32_t)in->kind,
								  in->uniq);
		}
	}
	leasecast_lease_info_v1_send_done(info->resource);
}

/* Runs after wl_lease.c's own listener (added earlier): the holder gets
 * lease_fd first, then the keys. */
static void info_handle_granted(struct wl_listener *listener, void *data)
{
	struct lb_wl_info *info = wl_container_of(listener, info, granted);
	info_send_outputs(info);
}

static void info_handle_finished(struct wl_listener *listener, void *data)
{
	struct lb_wl_info *info = wl_container_of(listener, info, finished);
	info_send_finished(info);
}

static void info_handle_lease_destroy(struct wl_listener *listener, void *data)
{
	struct lb_wl_info *info = wl_container_of(listener, info, destroy);
	info_send_finished(info);
}

static void info_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void info_handle_authenticate_magic(struct wl_client *client, struct wl_resource *resource,
					   uint32_t magic)
{
	struct lb_wl_info *info = wl_resource_get_user_data(resource);
	int r = info->lease ? lb_lease_auth_magic(info->lease, magic) : -EPERM;
	if (r < 0 && !info->lease) {
		pid_t pid;
		wl_client_get_credentials(client, &pid, NULL, NULL);
		lc_info("wayland: pid %d: authenticate_magic refused: no active lease", (int)pid);
	}
	leasecast_lease_info_v1_send_magic_result(resource, magic, -r);
}

static const struct leasecast_lease_info_v1_interface info_impl = {
	.destroy = info_handle_destroy,
	.authenticate_magic = info_handle_authenticate_magic,
};

static void info_resource_destroy(struct wl_resource *resource)
{
	struct lb_wl_info *info = wl_resource_get_user_data(resource);
	info_detach(info);
	free(info);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_get_lease_info(struct wl_client *client, struct wl_resource *resource,
					  uint32_t id, struct wl_resource *lease_resource)
{
	struct lb_wl_lease *wl = lb_wl_lease_from_resource(lease_resource);
	if (!wl) {
		wl_resource_post_error(resource, LEASECAST_LEASE_MANAGER_V1_ERROR_INVALID_LEASE,
				       "not a wp_drm_lease_v1 of this server");
		return;
	}
	if (!lb_wl_lease_claim_info(wl)) {
		wl_resource_post_error(resource, LEASECAST_LEASE_MANAGER_V1_ERROR_ALREADY_REQUESTED,
				       "get_lease_info was already called for this lease");
		return;
	}
	struct lb_wl_info *info = calloc(1, sizeof(*info));
	if (!info) {
		wl_client_post_no_memory(client);
		return;
	}
	info->resource = wl_resource_create(client, &leasecast_lease_info_v1_interface,
					    wl_resource_get_version(resource), id);
	if (!info->resource) {
		free(info);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(info->resource, &info_impl, info, info_resource_destroy);

	struct lb_lease *lease = lb_wl_lease_get_lease(wl);
	if (!lease || lease->state == LB_LEASE_FINISHED) {
		info_send_finished(info);
		return;
	}
	info->lease = lease;
	info->granted.notify = info_handle_granted;
	info->finished.notify = info_handle_finished;
	info->destroy.notify = info_handle_lease_destroy;
	wl_signal_add(&lease->events.granted, &info->granted);
	wl_signal_add(&lease->events.finished, &info->finished);
	wl_signal_add(&lease->events.destroy, &info->destroy);
	if (lease->state == LB_LEASE_ACTIVE)
		info_send_outputs(info);
}

static void manager_handle_set_requested_size(struct wl_client *client,
					      struct wl_resource *resource,
					      struct wl_resource *request_resource, uint32_t width,
					      uint32_t height)
{
	struct lb_wl_request *req = lb_wl_request_from_resource(request_resource);
	if (!req) {
		/* libwayland checked the interface; only wl_lease.c makes these. */
		wl_resource_post_error(resource, LEASECAST_LEASE_MANAGER_V1_ERROR_INVALID_LEASE,
				       "not a wp_drm_lease_request_v1 of this server");
		return;
	}
	if (width < 1 || width > LB_MAX_REQUESTED_SIZE || height < 1 ||
	    height > LB_MAX_REQUESTED_SIZE) {
		wl_resource_post_error(resource, LEASECAST_LEASE_MANAGER_V1_ERROR_INVALID_SIZE,
				       "requested size %ux%u is not within 1..%u each", width,
				       height, LB_MAX_REQUESTED_SIZE);
		return;
	}
	lb_wl_request_set_size(req, width, height);
}

static const struct leasecast_lease_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.get_lease_info = manager_handle_get_lease_info,
	.set_requested_size = manager_handle_set_requested_size,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &leasecast_lease_manager_v1_interface, version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

struct lb_wl_lease_info_manager *lb_wl_lease_info_manager_create(struct lb_broker *broker)
{
	struct lb_wl_lease_info_manager *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->broker = broker;
	m->global = wl_global_create(lb_broker_display(broker),
				     &leasecast_lease_manager_v1_interface,
				     LB_LEASECAST_MANAGER_VERSION, m, manager_bind);
	if (!m->global) {
		free(m);
		return NULL;
	}
	return m;
}

void lb_wl_lease_info_manager_destroy(struct lb_wl_lease_info_manager *m)
{
	if (!m)
		return;
	wl_global_destroy(m->global);
	free(m);
}
