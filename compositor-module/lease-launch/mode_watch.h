/* The leased connector's preferred mode, watched on lease-launch's own
 * copy of the lease fd (--on-preferred-mode).
 *
 * Why: a viewer's "fit to window" ends as a new preferred mode on the
 * connector (SetUIInfo -> virtio-gpu's display change), but virtio-gpu
 * only re-detects the connector's status on that interrupt, so no hotplug
 * uevent follows and the kernel's mode list is refreshed only by the next
 * full probe; and wlroots 0.15 keeps the mode it picked for a connector
 * that stays connected in any case. The lease fd is a DRM master (a
 * lessee), so drmModeGetConnector on it is a full probe of the leased
 * connector: lease-launch probes it every interval_ms and reports when its
 * preferred mode changed, for the command that tells the compositor
 * (sway: swaymsg ... mode --custom).
 *
 * Owns fd (closed by ll_mode_watch_finish, or at the lease's end: the
 * broker takes the output back only once every copy of the lease fd is
 * closed). */
#ifndef LL_MODE_WATCH_H
#define LL_MODE_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct ll_mode_watch {
	int fd;
	uint32_t connector_id;
	uint32_t width, height; /* the preferred mode last seen; 0x0: none */
	int interval_ms;
	int64_t next_at; /* lc_now_ms() of the next probe */
};

/* Takes FD (a lease fd); finds CONNECTOR among the lease's connectors and
 * reads its preferred mode. Negative errno (FD closed) on failure. */
int ll_mode_watch_init(struct ll_mode_watch *w, int fd, const char *connector, int interval_ms);
/* When a probe is due (next_at): probes, true if the preferred mode
 * changed (then width/height are the new one). */
bool ll_mode_watch_probe(struct ll_mode_watch *w, int64_t now_ms);
void ll_mode_watch_finish(struct ll_mode_watch *w);

#endif
