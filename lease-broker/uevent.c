#include "uevent.h"

#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct lb_uevent {
	struct udev *udev;
	struct udev_monitor *mon;
	struct wl_event_source *src;
	struct lb_uevent_handler h;
};

static bool prop_is_1(struct udev_device *d, const char *key)
{
	const char *v = udev_device_get_property_value(d, key);
	return v && strcmp(v, "1") == 0;
}

static int handle_readable(int fd, uint32_t mask, void *data)
{
	struct lb_uevent *u = data;
	/* Drain what is queued; each receive returns one event or NULL. */
	for (int i = 0; i < 64; i++) {
		struct udev_device *d = udev_monitor_receive_device(u->mon);
		if (!d)
			break;
		dev_t dev = udev_device_get_devnum(d);
		const char *action = udev_device_get_action(d);
		bool change = action && strcmp(action, "change") == 0;
		if (change && prop_is_1(d, "HOTPLUG")) {
			lc_debug("uevent: HOTPLUG on %s", udev_device_get_sysname(d));
			u->h.hotplug(u->h.data, dev);
		}
		if (change && prop_is_1(d, "LEASE")) {
			lc_debug("uevent: LEASE on %s", udev_device_get_sysname(d));
			u->h.lease(u->h.data, dev);
		}
		udev_device_unref(d);
	}
	return 0;
}

struct lb_uevent *lb_uevent_create(struct wl_event_loop *loop, const struct lb_uevent_handler *h)
{
	struct lb_uevent *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->h = *h;
	u->udev = udev_new();
	if (!u->udev)
		goto fail;
	/* "kernel", not "udev": the test VM (and some containers) run no
	 * udevd, and HOTPLUG/LEASE need no udev rule processing. */
	u->mon = udev_monitor_new_from_netlink(u->udev, "kernel");
	if (!u->mon)
		goto fail;
	if (udev_monitor_filter_add_match_subsystem_devtype(u->mon, "drm", NULL) < 0 ||
	    udev_monitor_enable_receiving(u->mon) < 0)
		goto fail;
	/* A burst of hotplugs must not be lost to a small default buffer. */
	udev_monitor_set_receive_buffer_size(u->mon, 1 << 20);
	u->src = wl_event_loop_add_fd(loop, udev_monitor_get_fd(u->mon), WL_EVENT_READABLE,
				      handle_readable, u);
	if (!u->src)
		goto fail;
	return u;
fail:
	lc_err("cannot listen to kernel uevents: %s", strerror(errno));
	lb_uevent_destroy(u);
	return NULL;
}

void lb_uevent_destroy(struct lb_uevent *u)
{
	if (!u)
		return;
	if (u->src)
		wl_event_source_remove(u->src);
	if (u->mon)
		udev_monitor_unref(u->mon);
	if (u->udev)
		udev_unref(u->udev);
	free(u);
}
