#include "clock.h"
#include "kms_check.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

int kms_check_count_objects(int fd, unsigned *connectors, unsigned *crtcs, unsigned *planes)
{
	*connectors = *crtcs = *planes = 0;
	drmModeRes *res = drmModeGetResources(fd);
	if (!res)
		return -errno;
	*connectors = (unsigned)res->count_connectors;
	*crtcs = (unsigned)res->count_crtcs;
	drmModeFreeResources(res);
	drmModePlaneRes *pr = drmModeGetPlaneResources(fd);
	if (pr) {
		*planes = pr->count_planes;
		drmModeFreePlaneResources(pr);
	}
	return 0;
}

struct flip_state {
	bool done;
};

static void on_flip(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
	((struct flip_state *)data)->done = true;
}

static int wait_flip(int fd, struct flip_state *st, int timeout_ms)
{
	drmEventContext ev = {.version = 2, .page_flip_handler = on_flip};
	double deadline = lc_now_ms_f() + timeout_ms;
	while (!st->done) {
		int left = (int)(deadline - lc_now_ms_f());
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && drmHandleEvent(fd, &ev) != 0)
			return -EIO;
	}
	return 0;
}

struct dumb {
	uint32_t handle, pitch, fb;
	uint64_t size;
};

static int dumb_create(int fd, uint32_t w, uint32_t h, uint32_t colour, struct dumb *d)
{
	memset(d, 0, sizeof(*d));
	if (drmModeCreateDumbBuffer(fd, w, h, 32, 0, &d->handle, &d->pitch, &d->size) != 0)
		return -errno;
	uint64_t off;
	int r = -EIO;
	if (drmModeMapDumbBuffer(fd, d->handle, &off) != 0) {
		r = -errno;
		goto fail;
	}
	uint32_t *px = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (px == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			px[y * (d->pitch / 4) + x] = colour;
	munmap(px, d->size);
	if (drmModeAddFB(fd, w, h, 24, 32, d->pitch, d->handle, &d->fb) != 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	drmModeDestroyDumbBuffer(fd, d->handle);
	return r;
}

static void dumb_destroy(int fd, struct dumb *d)
{
	if (d->fb)
		drmModeRmFB(fd, d->fb);
	if (d->handle)
		drmModeDestroyDumbBuffer(fd, d->handle);
}

int kms_check_modeset_and_flip(int fd, uint32_t connector_id, unsigned flips, int timeout_ms,
			       struct kms_check_result *res)
{
	memset(res, 0, sizeof(*res));
	int r = -ENOENT;
	drmModeConnector *conn = NULL;
	drmModeEncoder *enc = NULL;
	struct dumb bufs[2] = {0};
	/* The lessee's own view lists only what it was leased. */
	drmModeRes *mr = drmModeGetResources(fd);
	if (!mr) {
		r = -errno;
		fprintf(stderr, "kms_check: drmModeGetResources: %s\n", strerror(-r));
		return r;
	}
	if (mr->count_connectors < 1 || mr->count_crtcs < 1) {
		fprintf(stderr, "kms_check: the fd sees %d connectors and %d CRTCs\n",
			mr->count_connectors, mr->count_crtcs);
		goto out;
	}
	if (!connector_id)
		connector_id = mr->connectors[0];
	conn = drmModeGetConnector(fd, connector_id);
	if (!conn) {
		r = -errno;
		fprintf(stderr, "kms_check: connector %u: %s\n", connector_id, strerror(-r));
		goto out;
	}
	uint32_t crtc_id = 0;
	for (int e = 0; e < conn->count_encoders && !crtc_id; e++) {
		enc = drmModeGetEncoder(fd, conn->encoders[e]);
		if (!enc)
			continue;
		for (int i = 0; i < mr->count_crtcs && i < 32; i++) {
			if (enc->possible_crtcs & (1u << i)) {
				crtc_id = mr->crtcs[i];
				break;
			}
		}
		drmModeFreeEncoder(enc);
		enc = NULL;
	}
	if (!crtc_id) /* encoder masks are filtered for lessees; take the leased CRTC */
		crtc_id = mr->crtcs[0];
	if (conn->count_modes < 1) {
		fprintf(stderr, "kms_check: connector %u has no modes\n", connector_id);
		r = -ENODEV;
		goto out;
	}
	drmModeModeInfo *mode = &conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++) {
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			mode = &conn->modes[i];
			break;
		}
	}
	res->connector_id = connector_id;
	res->crtc_id = crtc_id;
	res->width = mode->hdisplay;
	res->height = mode->vdisplay;
	static const uint32_t colours[2] = {0x00336699, 0x00996633};
	for (int i = 0; i < 2; i++) {
		r = dumb_create(fd, mode->hdisplay, mode->vdisplay, colours[i], &bufs[i]);
		if (r < 0) {
			fprintf(stderr, "kms_check: dumb buffer %ux%u: %s\n", mode->hdisplay,
				mode->vdisplay, strerror(-r));
			goto out;
		}
	}
	if (drmModeSetCrtc(fd, crtc_id, bufs[0].fb, 0, 0, &connector_id, 1, mode) != 0) {
		r = -errno;
		fprintf(stderr, "kms_check: SetCrtc %u on connector %u: %s\n", crtc_id,
			connector_id, strerror(-r));
		goto out;
	}
	double t0 = lc_now_ms_f();
	for (unsigned f = 0; f < flips; f++) {
		struct flip_state st = {0};
		if (drmModePageFlip(fd, crtc_id, bufs[(f + 1) % 2].fb, DRM_MODE_PAGE_FLIP_EVENT,
				    &st) != 0) {
			r = -errno;
			fprintf(stderr, "kms_check: page flip %u: %s\n", f, strerror(-r));
			goto out;
		}
		r = wait_flip(fd, &st, timeout_ms);
		if (r < 0) {
			fprintf(stderr, "kms_check: waiting for flip %u: %s\n", f, strerror(-r));
			goto out;
		}
		res->flips_done++;
	}
	res->flip_ms = flips ? (lc_now_ms_f() - t0) / flips : 0;
	r = 0;
out:
	/* RmFB of the scanned-out buffer turns the CRTC off again: fine for a check. */
	for (int i = 0; i < 2; i++)
		dumb_destroy(fd, &bufs[i]);
	if (conn)
		drmModeFreeConnector(conn);
	drmModeFreeResources(mr);
	return r;
}
