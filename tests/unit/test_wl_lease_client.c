/* The Wayland lease client against a real wl_display in this process (its
 * own thread): a small wp_drm_lease_v1 + leasecast_lease_v1 server with two
 * outputs that withdraws a leased output from every client, grants with a
 * descriptor, re-offers as new objects after destroy, finishes stale
 * requests and answers authenticate_magic, and (to version 2 binders)
 * sends three input devices, one of a kind the client does not know.
 * Checks what the helper tracks, the event order it reports, its waits and
 * deadlines, the input fds it keeps, drops and hands over, and teardown. */
#include <drm-lease-v1-server-protocol.h>
#include <errno.h>
#include <fcntl.h>
#include <leasecast-lease-v1-server-protocol.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server.h>

#include <drm-lease-v1-client-protocol.h>

#include "check.h"
#include "clock.h"
#include "sock.h"
#include "wl_lease_client.h"

#define N_OUTPUTS 2
#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* ---- the server (its thread only touches this) ---- */

struct srv_lease;

struct srv {
	struct wl_display *display;
	struct wl_list devices; /* srv_device.link */
	struct srv_lease *holder[N_OUTPUTS];
	/* read by the test's thread too */
	atomic_uint releases, size_w, size_h;
	atomic_bool stop;
};

struct srv_device {
	struct srv *srv;
	struct wl_resource *resource;
	struct wl_list connectors; /* srv_connector.link */
	struct wl_list link;
};

struct srv_connector {
	struct srv_device *dev;
	struct wl_resource *resource;
	int output;
	bool withdrawn;
	struct wl_list link;
};

struct srv_request {
	struct srv_device *dev;
	struct srv_connector *want[N_OUTPUTS];
	size_t n;
	unsigned w, h;
};

struct srv_lease {
	struct srv *srv;
	struct wl_resource *resource, *info;
	int outputs[N_OUTPUTS];
	size_t n;
	bool active;
};

static const char *const out_names[N_OUTPUTS] = {"Virtual-1", "Virtual-2"};

static void res_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void connector_gone(struct wl_resource *resource)
{
	struct srv_connector *conn = wl_resource_get_user_data(resource);
	wl_list_remove(&conn->link);
	free(conn);
}

static const struct wp_drm_lease_connector_v1_interface connector_impl = {
	.destroy = res_destroy,
};

static void offer(struct srv_device *dev, int output)
{
	struct srv_connector *conn = calloc(1, sizeof(*conn));
	conn->dev = dev;
	conn->output = output;
	conn->resource = wl_resource_create(wl_resource_get_client(dev->resource),
					    &wp_drm_lease_connector_v1_interface, 1, 0);
	wl_resource_set_implementation(conn->resource, &connector_impl, conn, connector_gone);
	wl_list_insert(&dev->connectors, &conn->link);
	wp_drm_lease_device_v1_send_connector(dev->resource, conn->resource);
	wp_drm_lease_connector_v1_send_name(conn->resource, out_names[output]);
	char desc[32];
	snprintf(desc, sizeof(desc), "virtual output %d", output + 1);
	wp_drm_lease_connector_v1_send_description(conn->resource, desc);
	wp_drm_lease_connector_v1_send_connector_id(conn->resource, 40 + (uint32_t)output);
	wp_drm_lease_connector_v1_send_done(conn->resource);
}

/* Withdraws output from every device resource, each with its done. */
static void withdraw_everywhere(struct srv *s, int output)
{
	struct srv_device *dev;
	wl_list_for_each (dev, &s->devices, link) {
		struct srv_connector *conn;
		wl_list_for_each (conn, &dev->connectors, link) {
			if (conn->output == output && !conn->withdrawn) {
				conn->withdrawn = true;
				wp_drm_lease_connector_v1_send_withdrawn(conn->resource);
				wp_drm_lease_device_v1_send_done(dev->resource);
			}
		}
	}
}

static void reoffer_everywhere(struct srv *s, int output)
{
	struct srv_device *dev;
	wl_list_for_each (dev, &s->devices, link) {
		offer(dev, output);
		wp_drm_lease_device_v1_send_done(dev->resource);
	}
}

static void info_send(struct srv_lease *l)
{
	for (size_t i = 0; i < l->n; i++)
		leasecast_lease_info_v1_send_output(l->info, out_names[l->outputs[i]],
						    (uint32_t)l->outputs[i], KEY);
	if (wl_resource_get_version(l->info) >=
	    LEASECAST_LEASE_INFO_V1_INPUT_DEVICE_SINCE_VERSION) {
		/* keyboard on /dev/null, tablet on /dev/zero, kind 7 on /dev/full */
		static const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full"};
		static const uint32_t kinds[] = {1, 2, 7};
		static const char *const uniqs[] = {"leasecast-kbd-1", "leasecast-tab-1", "x"};
		for (size_t i = 0; i < l->n; i++) {
			for (int k = 0; k < 3; k++) {
				int fd = open(nodes[k], O_RDONLY | O_CLOEXEC);
				leasecast_lease_info_v1_send_input_device(
					l->info, out_names[l->outputs[i]], fd, kinds[k], uniqs[k]);
				close(fd);
			}
		}
	}
	leasecast_lease_info_v1_send_done(l->info);
}

static void lease_end(struct srv_lease *l)
{
	if (!l->active)
		return;
	l->active = false;
	for (size_t i = 0; i < l->n; i++) {
		l->srv->holder[l->outputs[i]] = NULL;
		reoffer_everywhere(l->srv, l->outputs[i]);
	}
	if (l->info)
		leasecast_lease_info_v1_send_finished(l->info);
}

static void lease_gone(struct wl_resource *resource)
{
	struct srv_lease *l = wl_resource_get_user_data(resource);
	lease_end(l);
	if (l->info)
		wl_resource_set_user_data(l->info, NULL);
	free(l);
}

static const struct wp_drm_lease_v1_interface lease_impl = {
	.destroy = res_destroy,
};

static void request_connector(struct wl_client *client, struct wl_resource *resource,
			      struct wl_resource *connector)
{
	struct srv_request *req = wl_resource_get_user_data(resource);
	struct srv_connector *conn = wl_resource_get_user_data(connector);
	for (size_t i = 0; i < req->n; i++) {
		if (req->want[i] == conn) {
			wl_resource_post_error(resource,
					       WP_DRM_LEASE_REQUEST_V1_ERROR_DUPLICATE_CONNECTOR,
					       "duplicate connector");
			return;
		}
	}
	if (req->n < N_OUTPUTS)
		req->want[req->n++] = conn;
}

static void request_submit(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
	struct srv_request *req = wl_resource_get_user_data(resource);
	struct srv *s = req->dev->srv;
	struct srv_lease *l = calloc(1, sizeof(*l));
	l->srv = s;
	l->resource = wl_resource_create(client, &wp_drm_lease_v1_interface, 1, id);
	wl_resource_set_implementation(l->resource, &lease_impl, l, lease_gone);
	bool free_all = req->n > 0;
	for (size_t i = 0; i < req->n; i++)
		free_all = free_all && !req->want[i]->withdrawn && !s->holder[req->want[i]->output];
	if (!free_all) {
		wp_drm_lease_v1_send_finished(l->resource);
	} else {
		s->size_w = req->w;
		s->size_h = req->h;
		for (size_t i = 0; i < req->n; i++) {
			l->outputs[l->n++] = req->want[i]->output;
			s->holder[req->want[i]->output] = l;
			withdraw_everywhere(s, req->want[i]->output);
		}
		l->active = true;
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		wp_drm_lease_v1_send_lease_fd(l->resource, fd);
		close(fd);
		if (l->info)
			info_send(l);
	}
	wl_resource_destroy(resource);
}

static const struct wp_drm_lease_request_v1_interface request_impl = {
	.request_connector = request_connector,
	.submit = request_submit,
};

static void request_gone(struct wl_resource *resource)
{
	free(wl_resource_get_user_data(resource));
}

static void create_lease_request(struct wl_client *client, struct wl_resource *resource,
				 uint32_t id)
{
	struct srv_request *req = calloc(1, sizeof(*req));
	req->dev = wl_resource_get_user_data(resource);
	struct wl_resource *r = wl_resource_create(client, &wp_drm_lease_request_v1_interface, 1,
						   id);
	wl_resource_set_implementation(r, &request_impl, req, request_gone);
}

static void device_release(struct wl_client *client, struct wl_resource *resource)
{
	struct srv_device *dev = wl_resource_get_user_data(resource);
	dev->srv->releases++;
	wp_drm_lease_device_v1_send_released(resource);
	wl_resource_destroy(resource);
}

static const struct wp_drm_lease_device_v1_interface device_impl = {
	.create_lease_request = create_lease_request,
	.release = device_release,
};

static void device_gone(struct wl_resource *resource)
{
	struct srv_device *dev = wl_resource_get_user_data(resource);
	struct srv_connector *conn, *tmp;
	wl_list_for_each_safe (conn, tmp, &dev->connectors, link) {
		wl_list_remove(&conn->link);
		wl_list_init(&conn->link);
	}
	wl_list_remove(&dev->link);
	free(dev);
}

static void device_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct srv *s = data;
	struct srv_device *dev = calloc(1, sizeof(*dev));
	dev->srv = s;
	wl_list_init(&dev->connectors);
	wl_list_insert(s->devices.prev, &dev->link);
	dev->resource = wl_resource_create(client, &wp_drm_lease_device_v1_interface, 1, id);
	wl_resource_set_implementation(dev->resource, &device_impl, dev, device_gone);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	wp_drm_lease_device_v1_send_drm_fd(dev->resource, fd);
	close(fd);
	for (int i = 0; i < N_OUTPUTS; i++)
		if (!s->holder[i])
			offer(dev, i);
	wp_drm_lease_device_v1_send_done(dev->resource);
}

static void info_authenticate(struct wl_client *client, struct wl_resource *resource,
			      uint32_t magic)
{
	struct srv_lease *l = wl_resource_get_user_data(resource);
	int32_t err = magic == 0 ? EINVAL : (!l || !l->active) ? EPERM : 0;
	leasecast_lease_info_v1_send_magic_result(resource, magic, err);
}

static const struct leasecast_lease_info_v1_interface info_impl = {
	.destroy = res_destroy,
	.authenticate_magic = info_authenticate,
};

static void info_gone(struct wl_resource *resource)
{
	struct srv_lease *l = wl_resource_get_user_data(resource);
	if (l)
		l->info = NULL;
}

static void get_lease_info(struct wl_client *client, struct wl_resource *resource, uint32_t id,
			   struct wl_resource *lease)
{
	struct srv_lease *l = wl_resource_get_user_data(lease);
	struct wl_resource *info = wl_resource_create(client, &leasecast_lease_info_v1_interface,
						      wl_resource_get_version(resource), id);
	wl_resource_set_implementation(info, &info_impl, l, info_gone);
	l->info = info;
	if (l->active)
		info_send(l);
}

static void set_requested_size(struct wl_client *client, struct wl_resource *resource,
			       struct wl_resource *request, uint32_t w, uint32_t h)
{
	struct srv_request *req = wl_resource_get_user_data(request);
	req->w = w;
	req->h = h;
}

static const struct leasecast_lease_manager_v1_interface manager_impl = {
	.destroy = res_destroy,
	.get_lease_info = get_lease_info,
	.set_requested_size = set_requested_size,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &leasecast_lease_manager_v1_interface,
						   version, id);
	wl_resource_set_implementation(r, &manager_impl, data, NULL);
}

static void *serve(void *arg)
{
	struct srv *s = arg;
	struct wl_event_loop *loop = wl_display_get_event_loop(s->display);
	while (!atomic_load(&s->stop)) {
		wl_event_loop_dispatch(loop, 20);
		wl_display_flush_clients(s->display);
	}
	return NULL;
}

/* ---- the client side ---- */

struct seen {
	enum wlc_event_type type[256];
	struct wlc_connector *conn[256];
	bool again[256];
	size_t n;
	struct wlc_lease *magic_lease;
};

static void record(void *data, const struct wlc_event *ev)
{
	struct seen *s = data;
	if (s->n < 256) {
		s->type[s->n] = ev->type;
		s->conn[s->n] = ev->connector;
		s->again[s->n] = ev->again;
		s->n++;
	}
	if (ev->type == WLC_EV_INFO_OUTPUT) {
		/* as sent, not the bounded copy */
		CHECK_STR(ev->output_connector, "Virtual-2");
		CHECK_STR(ev->output_key, KEY);
	}
	if (ev->type == WLC_EV_INFO_INPUT) {
		CHECK_STR(ev->input_connector, "Virtual-2");
		CHECK(ev->input != NULL);
		if (ev->input_kind == 7) /* dropped: closed, and said so */
			CHECK(ev->input->fd == -1 && ev->input->kind == LC_LEASE_INPUT_UNKNOWN);
		else
			CHECK(ev->input->fd >= 0 && ev->input->kind == (int)ev->input_kind);
	}
	if (ev->type == WLC_EV_WITHDRAWN && ev->connector->device->client->opt.drop_withdrawn)
		CHECK(ev->connector->withdrawn); /* still valid during the event */
}

static void expect_types(struct seen *s, size_t from, const enum wlc_event_type *want, size_t n)
{
	CHECK_EQ(s->n - from, n);
	for (size_t i = 0; i < n && from + i < s->n; i++) {
		if (s->type[from + i] != want[i])
			fprintf(stderr, "event %zu: %s, want %s\n", from + i,
				wlc_event_name(s->type[from + i]), wlc_event_name(want[i]));
		CHECK_EQ(s->type[from + i], want[i]);
	}
}

static bool is_node(int fd, const char *path)
{
	struct stat a, b;
	return fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_rdev == b.st_rdev;
}

static bool offered_other_than(struct wlc *c, void *old)
{
	struct wlc_connector *now = wlc_device_find(&c->devices[0], "Virtual-2");
	return now && now != old;
}

static bool count_is_one(struct wlc *c, void *arg)
{
	return wlc_device_count(&c->devices[0], false) == 1;
}

static bool magic_answered(struct wlc *c, void *lease)
{
	return ((struct wlc_lease *)lease)->info.magic_answered;
}

static bool info_done(struct wlc *c, void *lease)
{
	return ((struct wlc_lease *)lease)->info.done;
}

static bool info_finished(struct wlc *c, void *lease)
{
	return ((struct wlc_lease *)lease)->info.finished;
}

static bool never(struct wlc *c, void *arg)
{
	return false;
}

static int32_t auth(struct wlc *c, struct wlc_lease *l, uint32_t magic)
{
	CHECK_EQ(wlc_lease_auth_magic(l, magic), 0);
	CHECK(!l->info.magic_answered);
	CHECK_EQ(wlc_wait(c, magic_answered, l, lc_now_ms() + 2000), 0);
	CHECK_EQ(l->info.magic, magic);
	return l->info.magic_error;
}

static void test_lifecycle(const char *name, struct srv *srv)
{
	int fds_before = lc_count_open_fds();
	struct seen sa = {0}, sb = {0};
	struct wlc_options oa = {
		.bind_leasecast = true, .release_on_close = true, .event = record, .data = &sa};
	struct wlc *a = wlc_connect(name, &oa);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK(wl_display_roundtrip(a->display) >= 0);
	CHECK_EQ(a->n_devices, 1);
	CHECK(a->manager != NULL);
	CHECK_EQ(wlc_wait(a, wlc_pred_devices_done, NULL, lc_now_ms() + 2000), 0);
	static const enum wlc_event_type bind_order[] = {
		WLC_EV_DRM_FD,       WLC_EV_CONNECTOR,      WLC_EV_NAME,
		WLC_EV_DESCRIPTION,  WLC_EV_CONNECTOR_ID,   WLC_EV_CONNECTOR_DONE,
		WLC_EV_CONNECTOR,    WLC_EV_NAME,           WLC_EV_DESCRIPTION,
		WLC_EV_CONNECTOR_ID, WLC_EV_CONNECTOR_DONE, WLC_EV_DEVICE_DONE,
	};
	expect_types(&sa, 0, bind_order, sizeof(bind_order) / sizeof(bind_order[0]));
	struct wlc_device *dev = &a->devices[0];
	CHECK_EQ(dev->drm_fd, -1); /* not kept: closed at once */
	CHECK_EQ(wlc_device_count(dev, true), 2);
	struct wlc_connector *any = wlc_device_find(dev, NULL);
	CHECK(any && strcmp(any->name, "Virtual-1") == 0); /* the oldest */
	struct wlc_connector *v2 = wlc_device_find(dev, "Virtual-2");
	CHECK(v2 != NULL);
	if (!v2)
		return;
	CHECK_STR(v2->description, "virtual output 2");
	CHECK_EQ(v2->id, 41);
	CHECK(v2->done && !v2->withdrawn);
	CHECK(wlc_device_find(dev, "Virtual-9") == NULL);

	/* B watches, keeping only live offers; it keeps its drm_fd. */
	struct wlc_options ob = {
		.drop_withdrawn = true, .keep_drm_fd = true, .event = record, .data = &sb};
	struct wlc *b = wlc_connect(name, &ob);
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK(wl_display_roundtrip(b->display) >= 0);
	CHECK(b->manager == NULL); /* not asked for */
	CHECK_EQ(wlc_wait(b, wlc_pred_devices_done, NULL, lc_now_ms() + 2000), 0);
	CHECK(b->devices[0].drm_fd >= 0);
	CHECK_EQ(wlc_device_count(&b->devices[0], false), 2);

	/* A leases Virtual-2 with a size and the info asked before the grant. */
	size_t mark = sa.n;
	struct wp_drm_lease_request_v1 *req = wlc_request(dev, &v2, 1);
	CHECK_EQ(wlc_request_size(a, req, 1024, 768), 0);
	struct wlc_lease *l = wlc_lease_submit(dev, req);
	CHECK(l != NULL);
	if (!l)
		return;
	CHECK_EQ(wlc_lease_get_info(l), 0);
	CHECK_EQ(wlc_wait(a, wlc_pred_lease_answered, l, lc_now_ms() + 2000), 0);
	CHECK(l->granted && !l->finished && l->fd >= 0);
	CHECK_EQ(wlc_wait(a, info_done, l, lc_now_ms() + 2000), 0);
	static const enum wlc_event_type grant_order[] = {
		WLC_EV_WITHDRAWN,  WLC_EV_DEVICE_DONE, WLC_EV_LEASE_FD,   WLC_EV_INFO_OUTPUT,
		WLC_EV_INFO_INPUT, WLC_EV_INFO_INPUT,  WLC_EV_INFO_INPUT, WLC_EV_INFO_DONE,
	};
	expect_types(&sa, mark, grant_order, sizeof(grant_order) / sizeof(grant_order[0]));
	CHECK(sa.conn[mark] == v2);
	CHECK(v2->withdrawn);
	CHECK_EQ(l->info.n_outputs, 1);
	CHECK_STR(l->info.connector, "Virtual-2");
	CHECK_EQ(l->info.scanout_id, 1);
	CHECK_STR(l->info.key, KEY);
	/* Version 2: the two known input devices, in order, with their fds. */
	CHECK_EQ(a->manager_version, 2);
	CHECK_EQ(l->info.n_inputs, 2);
	CHECK_EQ(l->info.inputs_dropped, 1);
	CHECK_STR(l->info.inputs[0].connector, "Virtual-2");
	CHECK_EQ(l->info.inputs[0].kind, LC_LEASE_INPUT_KEYBOARD);
	CHECK_STR(l->info.inputs[0].uniq, "leasecast-kbd-1");
	CHECK(is_node(l->info.inputs[0].fd, "/dev/null"));
	CHECK_EQ(l->info.inputs[1].kind, LC_LEASE_INPUT_TABLET);
	CHECK_STR(l->info.inputs[1].uniq, "leasecast-tab-1");
	CHECK(is_node(l->info.inputs[1].fd, "/dev/zero"));
	struct lc_lease_input taken[LC_LEASE_INPUT_MAX];
	CHECK_EQ(wlc_lease_take_inputs(l, taken, 1), 1);
	CHECK_EQ(taken[0].kind, LC_LEASE_INPUT_KEYBOARD);
	CHECK_EQ(l->info.n_inputs, 1); /* the tablet stays, freed with l */
	CHECK_EQ(l->info.inputs[0].kind, LC_LEASE_INPUT_TABLET);
	lc_lease_inputs_close(taken, 1);
	CHECK_EQ(wlc_device_count(dev, true), 1);
	CHECK_EQ(wlc_device_count(dev, false), 2);

	/* B: the withdrawn object is dropped. */
	CHECK_EQ(wlc_wait(b, count_is_one, NULL, lc_now_ms() + 2000), 0);
	CHECK(wlc_device_find(&b->devices[0], "Virtual-2") == NULL);

	CHECK_EQ(auth(a, l, 0), EINVAL);
	CHECK_EQ(auth(a, l, 77), 0);

	/* A stale request (the withdrawn object): finished, no lease_fd. */
	struct wlc_lease *stale = wlc_lease_submit(dev, wlc_request(dev, &v2, 1));
	CHECK_EQ(wlc_wait(a, wlc_pred_lease_answered, stale, lc_now_ms() + 2000), 0);
	CHECK(stale->finished && !stale->granted && stale->fd == -1);
	wlc_lease_free(stale);

	/* Destroying the lease re-offers a new object everywhere; the fd and the
	 * info stay, the info finishes, magic is refused afterwards. */
	int fd = wlc_lease_take_fd(l);
	CHECK(fd >= 0 && l->fd == -1);
	wlc_lease_end(l);
	CHECK(l->obj == NULL);
	CHECK_EQ(wlc_wait(a, offered_other_than, v2, lc_now_ms() + 2000), 0);
	CHECK_EQ(wlc_wait(b, offered_other_than, NULL, lc_now_ms() + 2000), 0);
	CHECK_EQ(wlc_wait(a, info_finished, l, lc_now_ms() + 2000), 0);
	CHECK_EQ(auth(a, l, 78), EPERM);
	CHECK_EQ(wlc_device_count(dev, false), 3); /* A keeps the withdrawn one */
	CHECK_EQ(wlc_device_count(&b->devices[0], false), 2);
	wlc_lease_free(l);
	close(fd);

	/* Deadlines: nothing comes. */
	int64_t t0 = lc_now_ms();
	CHECK_EQ(wlc_dispatch_timeout(a, 50), 0);
	CHECK_EQ(wlc_wait(a, never, NULL, lc_now_ms() + 80), -ETIMEDOUT);
	int64_t waited = lc_now_ms() - t0;
	CHECK(waited >= 120 && waited < 2000);

	/* No event was a repeat. */
	for (size_t i = 0; i < sa.n; i++)
		CHECK(!sa.again[i]);

	/* A protocol error ends the connection: -EPIPE. */
	struct wlc_connector *v1 = wlc_device_find(&b->devices[0], "Virtual-1");
	struct wp_drm_lease_request_v1 *dup = wlc_request(&b->devices[0], &v1, 1);
	wp_drm_lease_request_v1_request_connector(dup, v1->obj);
	CHECK_EQ(wlc_wait(b, never, NULL, lc_now_ms() + 2000), -EPIPE);
	CHECK_EQ(wl_display_get_error(b->display), EPROTO);
	wp_drm_lease_request_v1_destroy(dup);

	wlc_destroy(b);
	wlc_destroy(a); /* sends release first; a server that sees the hang-up
			 * at once may drop it, as libwayland's does */
	wlc_destroy(NULL);
	CHECK_EQ(srv->size_w, 1024);
	CHECK_EQ(srv->size_h, 768);
	/* Nothing leaks: the server thread closes its ends as it sees them go. */
	int64_t deadline = lc_now_ms() + 2000;
	while (lc_now_ms() < deadline && lc_count_open_fds() != fds_before)
		usleep(10000);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

/* A version 1 binder gets no input_device (and a lease of it keeps no fd). */
static void test_input_v1(const char *name, struct srv *srv)
{
	int fds_before = lc_count_open_fds();
	struct seen s = {0};
	struct wlc_options o = {
		.bind_leasecast = true, .leasecast_version = 1, .event = record, .data = &s};
	struct wlc *c = wlc_connect(name, &o);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(wl_display_roundtrip(c->display) >= 0);
	CHECK_EQ(c->manager_version, 1);
	CHECK_EQ(wlc_wait(c, wlc_pred_devices_done, NULL, lc_now_ms() + 2000), 0);
	struct wlc_connector *v2 = wlc_device_find(&c->devices[0], "Virtual-2");
	CHECK(v2 != NULL);
	if (!v2)
		return;
	struct wlc_lease *l = wlc_lease_submit(&c->devices[0], wlc_request(&c->devices[0], &v2, 1));
	CHECK_EQ(wlc_lease_get_info(l), 0);
	CHECK_EQ(wlc_wait(c, info_done, l, lc_now_ms() + 2000), 0);
	CHECK_EQ(l->info.n_outputs, 1);
	CHECK_EQ(l->info.n_inputs, 0);
	CHECK_EQ(l->info.inputs_dropped, 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(s.type[i] != WLC_EV_INFO_INPUT);
	wlc_lease_free(l);
	wlc_destroy(c);
	int64_t deadline = lc_now_ms() + 2000;
	while (lc_now_ms() < deadline && lc_count_open_fds() != fds_before)
		usleep(10000);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

/* released: the helper frees the proxy unless asked to keep it. */
static void test_released(const char *name, struct srv *srv)
{
	unsigned releases_before = srv->releases;
	struct seen s = {0};
	struct wlc_options o = {.event = record, .data = &s};
	struct wlc *c = wlc_connect(name, &o);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(wl_display_roundtrip(c->display) >= 0);
	struct wlc_device *dev = &c->devices[0];
	wp_drm_lease_device_v1_release(dev->obj);
	CHECK(wl_display_roundtrip(c->display) >= 0);
	CHECK(dev->released);
	CHECK(dev->obj == NULL);
	CHECK_EQ(srv->releases, releases_before + 1);
	CHECK(s.n > 0 && s.type[s.n - 1] == WLC_EV_RELEASED);
	wlc_destroy(c);

	CHECK(wlc_connect("lc-no-such-socket", NULL) == NULL);
	CHECK(errno != 0);
}

int main(void)
{
	char dir[] = "/tmp/lc-wl-lease-client-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	struct srv srv = {.display = wl_display_create()};
	wl_list_init(&srv.devices);
	const char *name = wl_display_add_socket_auto(srv.display);
	CHECK(name != NULL);
	wl_global_create(srv.display, &wp_drm_lease_device_v1_interface, 1, &srv, device_bind);
	wl_global_create(srv.display, &leasecast_lease_manager_v1_interface, 2, &srv, manager_bind);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, serve, &srv), 0);
	char sock_name[64];
	snprintf(sock_name, sizeof(sock_name), "%s", name ? name : "");
	test_lifecycle(sock_name, &srv);
	test_input_v1(sock_name, &srv);
	test_released(sock_name, &srv);
	atomic_store(&srv.stop, true);
	pthread_join(t, NULL);
	wl_display_destroy_clients(srv.display);
	wl_display_destroy(srv.display);
	rmdir(dir);
	return check_report();
}
