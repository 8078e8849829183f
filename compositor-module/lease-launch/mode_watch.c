#include "mode_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "log.h"

/* The connector's preferred mode by a full probe; false if it has none
 * (disconnected, or the lease is gone: the ioctl fails). */
static bool preferred(int fd, uint32_t id, uint32_t *w, uint32_t *h)
{
	drmModeConnector *c = drmModeGetConnector(fd, id);
	if (!c)
		return false;
	bool found = false;
	for (int i = 0; i < c->count_modes && !found; i++) {
		if (c->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			*w = c->modes[i].hdisplay;
			*h = c->modes[i].vdisplay;
			found = true;
		}
	}
	drmModeFreeConnector(c);
	return found;
}

/* "Virtual-2": the kernel's name is the type name and the type id. */
static bool connector_named(int fd, uint32_t id, const char *name)
{
	drmModeConnector *c = drmModeGetConnectorCurrent(fd, id);
	if (!c)
		return false;
	const char *type = drmModeGetConnectorTypeName(c->connector_type);
	size_t n = type ? strlen(type) : 0;
	bool same = type && strncmp(name, type, n) == 0 && name[n] == '-' &&
		    (uint32_t)strtoul(name + n + 1, NULL, 10) == c->connector_type_id;
	drmModeFreeConnector(c);
	return same;
}

int ll_mode_watch_init(struct ll_mode_watch *w, int fd, const char *connector, int interval_ms)
{
	*w = (struct ll_mode_watch){.fd = -1, .interval_ms = interval_ms};
	drmModeRes *res = drmModeGetResources(fd);
	if (!res) {
		int r = -errno;
		close(fd);
		return r ? r : -EIO;
	}
	for (int i = 0; i < res->count_connectors && !w->connector_id; i++)
		if (connector_named(fd, res->connectors[i], connector))
			w->connector_id = res->connectors[i];
	drmModeFreeResources(res);
	if (!w->connector_id) {
		close(fd);
		return -ENOENT;
	}
	w->fd = fd;
	preferred(fd, w->connector_id, &w->width, &w->height);
	w->next_at = 0;
	return 0;
}

bool ll_mode_watch_probe(struct ll_mode_watch *w, int64_t now_ms)
{
	if (w->fd < 0 || now_ms < w->next_at)
		return false;
	w->next_at = now_ms + w->interval_ms;
	uint32_t pw = 0, ph = 0;
	if (!preferred(w->fd, w->connector_id, &pw, &ph) || (pw == w->width && ph == w->height))
		return false;
	lc_info("the connector's preferred mode changed from %ux%u to %ux%u", w->width, w->height,
		pw, ph);
	w->width = pw;
	w->height = ph;
	return true;
}

void ll_mode_watch_finish(struct ll_mode_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
