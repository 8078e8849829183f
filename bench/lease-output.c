#include "lease-output.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

static int primary_plane(int fd, int crtc_index, uint32_t *plane_id)
{
	drmModePlaneRes *pres = drmModeGetPlaneResources(fd);
	int r = -1;
	for (uint32_t p = 0; pres && p < pres->count_planes && r < 0; p++) {
		drmModePlane *pl = drmModeGetPlane(fd, pres->planes[p]);
		if (pl && (pl->possible_crtcs & (1u << crtc_index))) {
			drmModeObjectProperties *props = drmModeObjectGetProperties(
				fd, pl->plane_id, DRM_MODE_OBJECT_PLANE);
			for (uint32_t i = 0; props && i < props->count_props; i++) {
				drmModePropertyRes *prop = drmModeGetProperty(fd, props->props[i]);
				if (prop && strcmp(prop->name, "type") == 0 &&
				    props->prop_values[i] == DRM_PLANE_TYPE_PRIMARY) {
					*plane_id = pl->plane_id;
					r = 0;
				}
				drmModeFreeProperty(prop);
			}
			drmModeFreeObjectProperties(props);
		}
		drmModeFreePlane(pl);
	}
	drmModeFreePlaneResources(pres);
	return r;
}

int raw_output_open(const char *card, int scanout, struct raw_output *out)
{
	int fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0 || drmSetMaster(fd) < 0) {
		fprintf(stderr, "%s: cannot become DRM master: %s\n", card, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Primary planes are only listed to clients that ask (as the broker). */
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	drmModeRes *res = drmModeGetResources(fd);
	int found = -1;
	for (int i = 0; res && i < res->count_connectors && i < res->count_crtcs && found < 0;
	     i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		bool match = c &&
			     (scanout < 0 ? c->connection == DRM_MODE_CONNECTED
					  : c->connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
						    c->connector_type_id == (uint32_t)scanout + 1);
		if (match) {
			/* virtio-gpu: output i has CRTC i. */
			out->objs[0] = c->connector_id;
			out->objs[1] = res->crtcs[i];
			out->crtc_index = i;
			if (primary_plane(fd, i, &out->objs[2]) == 0)
				found = 0;
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	if (found < 0) {
		fprintf(stderr, "%s: no %s output with a primary plane\n", card,
			scanout < 0 ? "connected" : "such");
		close(fd);
		return -1;
	}
	return fd;
}

int raw_output_probe(int fd, const struct raw_output *out)
{
	drmModeConnector *c = drmModeGetConnector(fd, out->objs[0]);
	if (!c)
		return -1;
	int r = c->connection == DRM_MODE_CONNECTED;
	drmModeFreeConnector(c);
	return r;
}
