/* wp_drm_lease_v1 server. This file only translates the protocol into
 * broker calls (lb_lease_request / lb_lease_destroy) and the broker's
 * signals into events; policy and DRM work live in broker.c and card.c.
 *
 * Object model, one struct per protocol object:
 *   lb_wl_device     one per card: the global and the card's listeners;
 *                    lists every resource created from it so that
 *                    offer/withdraw can reach all clients
 *   lb_wl_connector  one per connector resource (per client, per offer)
 *   lb_wl_request    one per lease request resource
 *   lb_wl_lease      one per lease resource; owns at most one lb_lease
 * Each struct is freed only in its resource's destroy handler; the
 * manager's destroy makes surviving resources inert instead. */
#include <drm-lease-v1-server-protocol.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <xf86drm.h>

#include "log.h"
#include "wl_lease.h"

#define LB_WL_DEVICE_VERSION 1

struct lb_wl_lease_manager {
	struct lb_broker *broker;
	struct wl_display *display;
	struct wl_list devices; /* lb_wl_device.link */
	struct wl_listener client_created;
};

struct lb_wl_device {
	struct lb_wl_lease_manager *manager;
	struct lb_card *card;
	struct wl_global *global;
	struct wl_list link;
	char driver[32];
	struct wl_list resources;  /* device resources, via wl_resource_get_link */
	struct wl_list connectors; /* lb_wl_connector.link */
	struct wl_list requests;   /* lb_wl_request.link */
	struct wl_list leases;     /* lb_wl_lease.link */
	struct wl_listener output_offered;
	struct wl_listener output_withdrawn;
};

struct lb_wl_connector {
	struct lb_wl_device *device; /* NULL once inert */
	struct wl_resource *resource;
	struct wl_resource *device_resource; /* the binding it was sent on; NULL once released */
	struct lb_output *output;
	bool withdrawn;
	struct wl_list link;
};

struct lb_wl_request_entry {
	struct lb_output *output;
	/* The connector object was (or became) stale: the lease must end in
	 * `finished`. Tracked here, not via the connector, because the
	 * client may destroy the connector object before submitting. */
	bool withdrawn;
};

struct lb_wl_request {
	struct lb_wl_device *device; /* NULL once inert */
	struct wl_resource *resource;
	struct wl_list link;
	struct lb_wl_request_entry entries[LB_MAX_LEASE_OUTPUTS];
	size_t n_entries;
	bool overflow; /* more connectors than a lease can hold */
	/* leasecast_lease_manager_v1.set_requested_size; 0x0: the broker's
	 * default. Only for outputs the broker turns on. */
	uint32_t width, height;
};

struct lb_wl_lease {
	struct lb_wl_device *device; /* NULL once inert */
	struct wl_resource *resource;
	struct wl_list link;
	struct lb_lease *lease; /* owned; NULL when none */
	struct wl_listener granted;
	struct wl_listener finished;
	bool finished_sent;
	bool info_claimed; /* a leasecast_lease_info_v1 was created for it */
};

/* ---- connectors ---- */

static void connector_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_drm_lease_connector_v1_interface connector_impl = {
	.destroy = connector_handle_destroy,
};

static void connector_resource_destroy(struct wl_resource *resource)
{
	struct lb_wl_connector *conn = wl_resource_get_user_data(resource);
	wl_list_remove(&conn->link);
	free(conn);
}

/* Creates a connector object for one binding and sends the whole offer:
 * connector, name, description, connector_id, done. */
static void device_offer_output(struct lb_wl_device *dev, struct wl_resource *device_resource,
				struct lb_output *o)
{
	struct wl_client *client = wl_resource_get_client(device_resource);
	struct lb_wl_connector *conn = calloc(1, sizeof(*conn));
	if (!conn) {
		wl_client_post_no_memory(client);
		return;
	}
	conn->resource = wl_resource_create(client, &wp_drm_lease_connector_v1_interface,
					    wl_resource_get_version(device_resource), 0);
	if (!conn->resource) {
		free(conn);
		wl_client_post_no_memory(client);
		return;
	}
	conn->device = dev;
	conn->device_resource = device_resource;
	conn->output = o;
	wl_resource_set_implementation(conn->resource, &connector_impl, conn,
				       connector_resource_destroy);
	wl_list_insert(dev->connectors.prev, &conn->link);

	char desc[128];
	if (o->scanout_id >= 0)
		snprintf(desc, sizeof(desc), "%s output %s (scanout %d, %s)", dev->driver, o->name,
			 o->scanout_id, lb_output_state_name(o->state));
	else
		snprintf(desc, sizeof(desc), "%s output %s (%s)", dev->driver, o->name,
			 lb_output_state_name(o->state));

	wp_drm_lease_device_v1_send_connector(device_resource, conn->resource);
	wp_drm_lease_connector_v1_send_name(conn->resource, o->name);
	wp_drm_lease_connector_v1_send_description(conn->resource, desc);
	wp_drm_lease_connector_v1_send_connector_id(conn->resource, o->connector_id);
	wp_drm_lease_connector_v1_send_done(conn->resource);
}

/* ---- leases ---- */

static void lease_detach(struct lb_wl_lease *l)
{
	if (!l->lease)
		return;
	wl_list_remove(&l->granted.link);
	wl_list_remove(&l->finished.link);
	wl_list_init(&l->granted.link);
	wl_list_init(&l->finished.link);
}

/* Hands the broker lease back: revoke and re-offer happen in the broker. */
static void lease_release_broker_lease(struct lb_wl_lease *l)
{
	if (!l->lease)
		return;
	lease_detach(l);
	struct lb_lease *lease = l->lease;
	l->lease = NULL;
	lb_lease_destroy(lease);
}

static void lease_send_finished(struct lb_wl_lease *l)
{
	if (l->finished_sent)
		return;
	l->finished_sent = true;
	wp_drm_lease_v1_send_finished(l->resource);
}

static void lease_handle_granted(struct wl_listener *listener, void *data)
{
	struct lb_wl_lease *l = wl_container_of(listener, l, granted);
	const int *fd = data;
	lc_info("wayland: lease %u granted to client (lessee %u)", l->lease->id,
		l->lease->lessee_id);
	/* libwayland dups the fd while marshalling; the broker closes its copy. */
	wp_drm_lease_v1_send_lease_fd(l->resource, *fd);
}

static void lease_handle_finished(struct wl_listener *listener, void *data)
{
	struct lb_wl_lease *l = wl_container_of(listener, l, finished);
	const char *reason = data;
	lc_info("wayland: lease %u finished: %s", l->lease->id, reason ? reason : "");
	lease_send_finished(l);
	/* broker.h allows destroying a lease from inside its own signal. */
	lease_release_broker_lease(l);
}

static void lease_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_drm_lease_v1_interface lease_impl = {
	.destroy = lease_handle_destroy,
};

struct lb_wl_lease *lb_wl_lease_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wp_drm_lease_v1_interface, &lease_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

struct lb_lease *lb_wl_lease_get_lease(const struct lb_wl_lease *l)
{
	return l->lease;
}

bool lb_wl_lease_claim_info(struct lb_wl_lease *l)
{
	if (l->info_claimed)
		return false;
	l->info_claimed = true;
	return true;
}

/* Client destroy request or disconnect: the lease ends here. */
static void lease_resource_destroy(struct wl_resource *resource)
{
	struct lb_wl_lease *l = wl_resource_get_user_data(resource);
	lease_release_broker_lease(l);
	wl_list_remove(&l->link);
	free(l);
}

/* ---- requests ---- */

static void request_handle_request_connector(struct wl_client *client, struct wl_resource *resource,
					     struct wl_resource *connector)
{
	struct lb_wl_request *req = wl_resource_get_user_data(resource);
	struct lb_wl_connector *conn = wl_resource_get_user_data(connector);

	if (!req->device || conn->device != req->device) {
		wl_resource_post_error(resource, WP_DRM_LEASE_REQUEST_V1_ERROR_WRONG_DEVICE,
				       "connector belongs to another lease device");
		return;
	}
	for (size_t i = 0; i < req->n_entries; i++) {
		/* Two objects for one DRM connector (a stale and a fresh offer,
		 * or two bindings) name the same connector as well. */
		if (req->entries[i].output == conn->output) {
			wl_resource_post_error(resource,
					       WP_DRM_LEASE_REQUEST_V1_ERROR_DUPLICATE_CONNECTOR,
					       "connector %s requested twice", conn->output->name);
			return;
		}
	}
	if (req->n_entries == LB_MAX_LEASE_OUTPUTS) {
		req->overflow = true;
		return;
	}
	req->entries[req->n_entries++] = (struct lb_wl_request_entry){
		.output = conn->output,
		.withdrawn = conn->withdrawn,
	};
}

static void request_handle_submit(struct wl_client *client, struct wl_resource *resource,
				  uint32_t id)
{
	struct lb_wl_request *req = wl_resource_get_user_data(resource);

	if (req->n_entries == 0) {
		/* empty_lease is an error of the request: post it there, before
		 * the destructor runs. */
		wl_resource_post_error(resource, WP_DRM_LEASE_REQUEST_V1_ERROR_EMPTY_LEASE,
				       "lease request has no connectors");
		return;
	}

	struct lb_wl_lease *l = calloc(1, sizeof(*l));
	if (!l) {
		wl_client_post_no_memory(client);
		return;
	}
	l->resource = wl_resource_create(client, &wp_drm_lease_v1_interface,
					 wl_resource_get_version(resource), id);
	if (!l->resource) {
		free(l);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(l->resource, &lease_impl, l, lease_resource_destroy);
	wl_list_init(&l->granted.link);
	wl_list_init(&l->finished.link);
	l->granted.notify = lease_handle_granted;
	l->finished.notify = lease_handle_finished;

	struct lb_wl_device *dev = req->device;
	if (!dev) {
		wl_list_init(&l->link);
		lease_send_finished(l);
		wl_resource_destroy(resource);
		return;
	}
	l->device = dev;
	wl_list_insert(&dev->leases, &l->link);

	bool stale = req->overflow;
	for (size_t i = 0; i < req->n_entries; i++)
		stale = stale || req->entries[i].withdrawn;
	if (stale) {
		lc_info("wayland: lease request with a withdrawn connector: finished");
		lease_send_finished(l);
		wl_resource_destroy(resource);
		return;
	}

	struct lb_lease_params params = {
		.card = dev->card,
		.n_outputs = req->n_entries,
		.width = req->width,
		.height = req->height,
		.via = "wayland",
	};
	for (size_t i = 0; i < req->n_entries; i++)
		params.outputs[i] = req->entries[i].output;
	wl_client_get_credentials(client, &params.holder.pid, &params.holder.uid,
				  &params.holder.gid);
	wl_resource_destroy(resource);

	char err[256] = "";
	struct lb_lease *lease = lb_lease_request(dev->manager->broker, &params, err, sizeof(err));
	if (!lease) {
		lc_info("wayland: lease refused for pid %d: %s", (int)params.holder.pid, err);
		lease_send_finished(l);
		return;
	}
	l->lease = lease;
	wl_signal_add(&lease->events.granted, &l->granted);
	wl_signal_add(&lease->events.finished, &l->finished);
}

static const struct wp_drm_lease_request_v1_interface request_impl = {
	.request_connector = request_handle_request_connector,
	.submit = request_handle_submit,
};

struct lb_wl_request *lb_wl_request_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wp_drm_lease_request_v1_interface, &request_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

void lb_wl_request_set_size(struct lb_wl_request *req, uint32_t width, uint32_t height)
{
	req->width = width;
	req->height = height;
}

static void request_resource_destroy(struct wl_resource *resource)
{
	struct lb_wl_request *req = wl_resource_get_user_data(resource);
	wl_list_remove(&req->link);
	free(req);
}

/* ---- device ---- */

static void device_handle_create_lease_request(struct wl_client *client,
					       struct wl_resource *resource, uint32_t id)
{
	struct lb_wl_device *dev = wl_resource_get_user_data(resource);
	struct lb_wl_request *req = calloc(1, sizeof(*req));
	if (!req) {
		wl_client_post_no_memory(client);
		return;
	}
	req->resource = wl_resource_create(client, &wp_drm_lease_request_v1_interface,
					   wl_resource_get_version(resource), id);
	if (!req->resource) {
		free(req);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(req->resource, &request_impl, req, request_resource_destroy);
	req->device = dev;
	if (dev)
		wl_list_insert(&dev->requests, &req->link);
	else
		wl_list_init(&req->link);
}

static void device_handle_release(struct wl_client *client, struct wl_resource *resource)
{
	wp_drm_lease_device_v1_send_released(resource);
	wl_resource_destroy(resource);
}

static const struct wp_drm_lease_device_v1_interface device_impl = {
	.create_lease_request = device_handle_create_lease_request,
	.release = device_handle_release,
};

static void device_resource_destroy(struct wl_resource *resource)
{
	struct lb_wl_device *dev = wl_resource_get_user_data(resource);
	wl_list_remove(wl_resource_get_link(resource));
	if (!dev)
		return;
	struct lb_wl_connector *conn;
	wl_list_for_each (conn, &dev->connectors, link) {
		if (conn->device_resource == resource)
			conn->device_resource = NULL;
	}
}

static void device_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct lb_wl_device *dev = data;
	struct wl_resource *resource = wl_resource_create(client, &wp_drm_lease_device_v1_interface,
							  version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &device_impl, dev, device_resource_destroy);
	wl_list_insert(dev->resources.prev, wl_resource_get_link(resource));

	int fd = lb_card_open_non_master(dev->card);
	if (fd >= 0) {
		wp_drm_lease_device_v1_send_drm_fd(resource, fd);
		close(fd); /* libwayland dup'ed it */
	} else {
		lc_err("wayland: no non-master fd for %s: %s", dev->card->path, strerror(-fd));
	}

	struct lb_output *o;
	wl_list_for_each (o, &dev->card->outputs, link) {
		if (lb_output_is_offerable(o))
			device_offer_output(dev, resource, o);
	}
	wp_drm_lease_device_v1_send_done(resource);
}

static bool binding_has_live_offer(struct lb_wl_device *dev, struct wl_resource *device_resource,
				   const struct lb_output *o)
{
	struct lb_wl_connector *conn;
	wl_list_for_each (conn, &dev->connectors, link) {
		if (conn->device_resource == device_resource && conn->output == o &&
		    !conn->withdrawn)
			return true;
	}
	return false;
}

static void device_handle_output_offered(struct wl_listener *listener, void *data)
{
	struct lb_wl_device *dev = wl_container_of(listener, dev, output_offered);
	struct lb_output *o = data;
	struct wl_resource *resource;
	wl_resource_for_each(resource, &dev->resources)
	{
		if (binding_has_live_offer(dev, resource, o))
			continue;
		device_offer_output(dev, resource, o);
		wp_drm_lease_device_v1_send_done(resource);
	}
}

static void device_handle_output_withdrawn(struct wl_listener *listener, void *data)
{
	struct lb_wl_device *dev = wl_container_of(listener, dev, output_withdrawn);
	struct lb_output *o = data;

	struct wl_resource *resource;
	wl_resource_for_each(resource, &dev->resources)
	{
		bool sent = false;
		struct lb_wl_connector *conn;
		wl_list_for_each (conn, &dev->connectors, link) {
			if (conn->device_resource != resource || conn->output != o ||
			    conn->withdrawn)
				continue;
			conn->withdrawn = true;
			wp_drm_lease_connector_v1_send_withdrawn(conn->resource);
			sent = true;
		}
		if (sent)
			wp_drm_lease_device_v1_send_done(resource);
	}
	/* Connectors whose binding was released still learn they are stale
	 * (there is no device left to send done on). */
	struct lb_wl_connector *conn;
	wl_list_for_each (conn, &dev->connectors, link) {
		if (conn->output == o && !conn->withdrawn) {
			conn->withdrawn = true;
			wp_drm_lease_connector_v1_send_withdrawn(conn->resource);
		}
	}
	struct lb_wl_request *req;
	wl_list_for_each (req, &dev->requests, link) {
		for (size_t i = 0; i < req->n_entries; i++) {
			if (req->entries[i].output == o)
				req->entries[i].withdrawn = true;
		}
	}
}

static void device_destroy(struct lb_wl_device *dev)
{
	wl_list_remove(&dev->output_offered.link);
	wl_list_remove(&dev->output_withdrawn.link);
	if (dev->global)
		wl_global_destroy(dev->global);

	/* Resources outlive us: leave them inert. */
	struct wl_resource *resource, *rtmp;
	wl_resource_for_each_safe(resource, rtmp, &dev->resources)
	{
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}
	struct lb_wl_connector *conn, *ctmp;
	wl_list_for_each_safe (conn, ctmp, &dev->connectors, link) {
		conn->device = NULL;
		conn->device_resource = NULL;
		if (!conn->withdrawn) {
			conn->withdrawn = true;
			wp_drm_lease_connector_v1_send_withdrawn(conn->resource);
		}
		wl_list_remove(&conn->link);
		wl_list_init(&conn->link);
	}
	struct lb_wl_request *req, *qtmp;
	wl_list_for_each_safe (req, qtmp, &dev->requests, link) {
		req->device = NULL;
		wl_list_remove(&req->link);
		wl_list_init(&req->link);
	}
	struct lb_wl_lease *l, *ltmp;
	wl_list_for_each_safe (l, ltmp, &dev->leases, link) {
		lease_release_broker_lease(l);
		lease_send_finished(l);
		l->device = NULL;
		wl_list_remove(&l->link);
		wl_list_init(&l->link);
	}
	wl_list_remove(&dev->link);
	free(dev);
}

static struct lb_wl_device *device_create(struct lb_wl_lease_manager *m, struct lb_card *card)
{
	struct lb_wl_device *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->manager = m;
	dev->card = card;
	wl_list_init(&dev->resources);
	wl_list_init(&dev->connectors);
	wl_list_init(&dev->requests);
	wl_list_init(&dev->leases);
	snprintf(dev->driver, sizeof(dev->driver), "DRM");
	drmVersionPtr ver = drmGetVersion(card->fd);
	if (ver) {
		snprintf(dev->driver, sizeof(dev->driver), "%s",
			 strcmp(ver->name, "virtio_gpu") == 0 ? "virtio-gpu" : ver->name);
		drmFreeVersion(ver);
	}
	dev->global = wl_global_create(m->display, &wp_drm_lease_device_v1_interface,
				       LB_WL_DEVICE_VERSION, dev, device_bind);
	if (!dev->global) {
		free(dev);
		return NULL;
	}
	dev->output_offered.notify = device_handle_output_offered;
	wl_signal_add(&card->events.output_offered, &dev->output_offered);
	dev->output_withdrawn.notify = device_handle_output_withdrawn;
	wl_signal_add(&card->events.output_withdrawn, &dev->output_withdrawn);
	wl_list_insert(m->devices.prev, &dev->link);
	return dev;
}

/* ---- manager ---- */

static void manager_handle_client_created(struct wl_listener *listener, void *data)
{
	struct lb_wl_lease_manager *m = wl_container_of(listener, m, client_created);
	struct wl_client *client = data;
	struct lc_peer peer = {0};
	wl_client_get_credentials(client, &peer.pid, &peer.uid, &peer.gid);
	if (lb_broker_peer_allowed(m->broker, &peer))
		return;
	lc_warn("wayland: refusing client pid %d uid %u: not allowed", (int)peer.pid,
		(unsigned)peer.uid);
	/* libwayland only checks wl_client_create's result for NULL after
	 * this signal, so the client can go right here. */
	wl_client_destroy(client);
}

struct lb_wl_lease_manager *lb_wl_lease_manager_create(struct lb_broker *broker)
{
	struct lb_wl_lease_manager *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->broker = broker;
	m->display = lb_broker_display(broker);
	wl_list_init(&m->devices);
	m->client_created.notify = manager_handle_client_created;
	wl_display_add_client_created_listener(m->display, &m->client_created);

	struct lb_card *card;
	wl_list_for_each (card, lb_broker_cards(broker), link) {
		if (!device_create(m, card)) {
			lc_err("wayland: cannot create the lease device for %s", card->path);
			lb_wl_lease_manager_destroy(m);
			return NULL;
		}
	}
	return m;
}

void lb_wl_lease_manager_destroy(struct lb_wl_lease_manager *m)
{
	if (!m)
		return;
	struct lb_wl_device *dev, *tmp;
	wl_list_for_each_safe (dev, tmp, &m->devices, link)
		device_destroy(dev);
	wl_list_remove(&m->client_created.link);
	free(m);
}
