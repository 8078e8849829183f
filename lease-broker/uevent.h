/* Kernel uevents of the drm subsystem (HOTPLUG=1, LEASE=1), straight from
 * the kernel's netlink source: the broker does not depend on udevd. */
#ifndef LB_UEVENT_H
#define LB_UEVENT_H

#include <sys/types.h>
#include <wayland-server-core.h>

struct lb_uevent;

struct lb_uevent_handler {
	void (*hotplug)(void *data, dev_t dev);
	void (*lease)(void *data, dev_t dev);
	void *data;
};

struct lb_uevent *lb_uevent_create(struct wl_event_loop *loop, const struct lb_uevent_handler *h);
void lb_uevent_destroy(struct lb_uevent *u);

#endif
