/* The client side of the broker's Wayland frontend: wp_drm_lease_v1, plus
 * leasecast_lease_v1 (leasecast-lease-v1.xml, up to version 2: the lease's
 * input devices) when the server offers it and the caller asks for it.
 * Used by lease-launch, the benches and the test clients.
 *
 * One struct wlc is one wl_display connection. It owns the registry, the
 * proxies of the globals it bound, every connector object offered to it
 * (in arrival order, withdrawn ones kept with their flag unless the
 * options drop them) and each device's drm_fd when kept. A struct
 * wlc_lease is the caller's (wlc_lease_free, before wlc_destroy).
 *
 * Each event updates that state first, then goes to the options' event
 * callback, in arrival order: tests check the order, benches time it,
 * lease-launch forwards magic results. Waits are bounded by an absolute
 * CLOCK_MONOTONIC deadline in milliseconds (lc_now_ms() + timeout); a poll
 * loop uses c->display itself instead. No globals. */
#ifndef LC_WL_LEASE_CLIENT_H
#define LC_WL_LEASE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>

#include "lease_input.h"

#define WLC_MAX_DEVICES 4
/* The newest leasecast_lease_manager_v1 this side knows. */
#define WLC_LEASECAST_VERSION 2

struct wp_drm_lease_device_v1;
struct wp_drm_lease_connector_v1;
struct wp_drm_lease_request_v1;
struct wp_drm_lease_v1;
struct leasecast_lease_manager_v1;
struct leasecast_lease_info_v1;

enum wlc_event_type {
	WLC_EV_DRM_FD,
	WLC_EV_CONNECTOR,
	WLC_EV_NAME,
	WLC_EV_DESCRIPTION,
	WLC_EV_CONNECTOR_ID,
	WLC_EV_CONNECTOR_DONE,
	WLC_EV_WITHDRAWN,
	WLC_EV_DEVICE_DONE,
	WLC_EV_RELEASED,
	WLC_EV_LEASE_FD,
	WLC_EV_FINISHED,
	/* leasecast_lease_info_v1 */
	WLC_EV_INFO_OUTPUT,
	WLC_EV_INFO_INPUT, /* version 2 */
	WLC_EV_INFO_DONE,
	WLC_EV_INFO_FINISHED,
	WLC_EV_MAGIC_RESULT,
};

struct wlc;
struct wlc_device;
struct wlc_connector;
struct wlc_lease;

struct wlc_event {
	enum wlc_event_type type;
	struct wlc_device *device;       /* device and connector events */
	struct wlc_connector *connector; /* connector events */
	struct wlc_lease *lease;         /* lease and info events */
	/* The object had this once-only event already (withdrawn, lease_fd,
	 * finished, info done or finished): a server bug. */
	bool again;
	/* WLC_EV_INFO_OUTPUT as sent (the info keeps a bounded copy) */
	const char *output_connector, *output_key;
	uint32_t output_scanout;
	/* WLC_EV_INFO_INPUT: the entry as kept in the info (fd -1 when it was
	 * dropped: a kind this side does not know, or no room), and as sent */
	const struct lc_lease_input *input;
	const char *input_connector, *input_uniq;
	uint32_t input_kind;
	/* WLC_EV_MAGIC_RESULT */
	uint32_t magic;
	int32_t error;
};

struct wlc_options {
	size_t max_devices;  /* devices to bind, in registry order; 0 is 1 (the default card) */
	bool bind_leasecast; /* also bind leasecast_lease_manager_v1 when offered */
	/* the highest version of it to bind; 0: WLC_LEASECAST_VERSION (1: the
	 * server sends no input_device) */
	uint32_t leasecast_version;
	bool keep_drm_fd;      /* keep each device's drm_fd (else it is closed at once) */
	bool drop_withdrawn;   /* destroy a connector object once withdrawn (after the event) */
	bool release_on_close; /* wlc_destroy sends release before destroying a device */
	void (*event)(void *data, const struct wlc_event *ev);
	void *data;
};

struct wlc_connector {
	struct wlc_device *device;
	struct wp_drm_lease_connector_v1 *obj;
	char name[64];
	char description[256];
	uint32_t id;
	bool done, withdrawn;
	struct wl_list link; /* wlc_device.connectors, oldest first */
};

struct wlc_device {
	struct wlc *client;
	struct wp_drm_lease_device_v1 *obj; /* NULL once released (unless keep_proxy) */
	int drm_fd;                         /* -1 unless keep_drm_fd */
	bool done, released;
	bool keep_proxy; /* on released keep obj, to send on it again (a test) */
	struct wl_list connectors;
};

struct wlc {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wlc_device devices[WLC_MAX_DEVICES];
	size_t n_devices;
	struct leasecast_lease_manager_v1 *manager; /* NULL: not offered or not asked for */
	uint32_t manager_version;                   /* as bound */
	struct wlc_options opt;
};

struct wlc_lease_info {
	struct leasecast_lease_info_v1 *obj; /* NULL until wlc_lease_get_info */
	char connector[64];
	uint32_t scanout_id;
	char key[80];
	unsigned n_outputs;
	bool done, finished;
	bool magic_answered; /* the last magic_result, reset by wlc_lease_auth_magic */
	uint32_t magic;
	int32_t magic_error;
	/* input_device events: the entries of known kinds, fds owned here
	 * until taken (wlc_lease_take_inputs); the others' fds are closed. */
	struct lc_lease_input inputs[LC_LEASE_INPUT_MAX];
	size_t n_inputs;
	unsigned inputs_dropped;
};

struct wlc_lease {
	struct wlc *client;
	struct wlc_device *device;
	struct wp_drm_lease_v1 *obj; /* NULL after wlc_lease_end */
	int fd;                      /* the lease fd once granted, the caller may take it */
	bool granted, finished;
	struct wlc_lease_info info;
};

/* Connects (socket NULL: $WAYLAND_DISPLAY) and asks for the registry; the
 * globals come with the caller's first roundtrip. NULL with errno set. */
struct wlc *wlc_connect(const char *socket, const struct wlc_options *opt);
/* Destroys every object, flushes, disconnects. NULL is a no-op. */
void wlc_destroy(struct wlc *c);

/* One round: dispatches what is queued, flushes, waits up to timeout_ms
 * for the socket, reads and dispatches. 1: events were read; 0: timed out
 * (or a signal); -EPIPE: the connection failed (wl_display_get_error says
 * why); else -errno of poll. */
int wlc_dispatch_timeout(struct wlc *c, int timeout_ms);

typedef bool (*wlc_pred_fn)(struct wlc *c, void *arg);
/* Dispatches until done(c, arg) or deadline_ms. 0; -ETIMEDOUT; -EPIPE
 * (connection failed); -errno of poll. */
int wlc_wait(struct wlc *c, wlc_pred_fn done, void *arg, int64_t deadline_ms);
bool wlc_pred_devices_done(struct wlc *c, void *arg);     /* every bound device sent done */
bool wlc_pred_flag(struct wlc *c, void *flag);            /* *(bool *)flag */
bool wlc_pred_lease_answered(struct wlc *c, void *lease); /* lease_fd or finished */

/* A live (not withdrawn), complete connector of dev named name (NULL: any),
 * the oldest first; NULL if none. */
struct wlc_connector *wlc_device_find(struct wlc_device *dev, const char *name);
size_t wlc_device_count(const struct wlc_device *dev, bool live_only);

/* A lease request on dev for n connectors: add to it (the size below, or
 * wrong things on purpose), then submit it. */
struct wp_drm_lease_request_v1 *wlc_request(struct wlc_device *dev,
					    struct wlc_connector *const *conns, size_t n);
/* leasecast_lease_manager_v1.set_requested_size; -ENOTSUP without it. */
int wlc_request_size(struct wlc *c, struct wp_drm_lease_request_v1 *req, uint32_t width,
		     uint32_t height);
/* Submits req (its proxy is gone afterwards). NULL only without memory
 * (then req is destroyed). */
struct wlc_lease *wlc_lease_submit(struct wlc_device *dev, struct wp_drm_lease_request_v1 *req);
/* leasecast_lease_manager_v1.get_lease_info for l: its events fill l->info.
 * -ENOTSUP without the manager. */
int wlc_lease_get_info(struct wlc_lease *l);
/* authenticate_magic on l's info, flushed; the answer: l->info.magic_*.
 * -ENOTSUP without an info object. */
int wlc_lease_auth_magic(struct wlc_lease *l, uint32_t magic);
/* Takes the lease fd out of l (-1 if none). */
int wlc_lease_take_fd(struct wlc_lease *l);
/* Moves up to max input entries (with their fds) into out; returns how
 * many. What does not fit stays in l (closed by wlc_lease_free). */
size_t wlc_lease_take_inputs(struct wlc_lease *l, struct lc_lease_input *out, size_t max);
/* wp_drm_lease_v1.destroy (the server revokes); the fd and the info stay. */
void wlc_lease_end(struct wlc_lease *l);
/* The info object, the lease object, the fd, the input fds still here, l.
 * NULL is a no-op. */
void wlc_lease_free(struct wlc_lease *l);

const char *wlc_event_name(enum wlc_event_type type);

#endif
