/* The input devices of the broker's outputs. QEMU binds a virtio keyboard
 * and a virtio tablet to each leasable scanout S, with serial= (the evdev
 * uniq) "leasecast-kbd-S" and "leasecast-tab-S"; they belong to the output
 * whose connector is "Virtual-(S+1)". This file finds them with libudev, at
 * start and as they come and go (a udev monitor in the broker's loop), and
 * makes their nodes root-only (0600 root:root) as it finds them, so that
 * only the broker opens them. Per lease, the broker opens each device of
 * the leased outputs once (a fresh file description, grabbed) and hands
 * that open file to the holder; at lease end it revokes it (EVIOCREVOKE),
 * which kills every copy in every process, and closes it.
 *
 * Ownership: struct lb_inputs is the broker's (create/destroy). The fds
 * lb_inputs_open returns are the caller's until lb_inputs_revoke. */
#ifndef LB_INPUT_DEVICES_H
#define LB_INPUT_DEVICES_H

#include <stddef.h>
#include <wayland-server-core.h>

#include "lease_input.h"

struct lb_inputs;

/* Enumerates the devices there now and watches for more. NULL with errno
 * when udev or its monitor cannot be set up. */
struct lb_inputs *lb_inputs_create(struct wl_event_loop *loop);
void lb_inputs_destroy(struct lb_inputs *in);

/* Opens the devices of the output named connector (keyboard, then tablet)
 * into out[0..) (at most max): each O_RDWR | O_NONBLOCK | O_CLOEXEC, its
 * node checked to still be the device found, and grabbed (EVIOCGRAB) so
 * that no other open file of the device gets its events. A device that
 * cannot be opened is skipped with a warning. Returns how many. */
size_t lb_inputs_open(struct lb_inputs *in, const char *connector, struct lc_lease_input *out,
		      size_t max);
/* EVIOCREVOKE, then close, each fd of in[0..n) that is >= 0 (then -1). */
void lb_inputs_revoke(struct lc_lease_input *in, size_t n);

/* The devices known for connector, as lb_inputs_open would hand them out
 * (fd -1), with their node paths in nodes[i] when nodes is not NULL. */
size_t lb_inputs_describe(struct lb_inputs *in, const char *connector, struct lc_lease_input *out,
			  const char **nodes, size_t max);

#endif
