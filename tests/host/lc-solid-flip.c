/* lc-solid-flip: a minimal DRM client for the frame-plane rig test. As DRM
 * master of a card it modesets one connector with a solid-colour dumb
 * buffer, then, on request, page-flips between two colours a number of
 * times, so the host can count what the exporter streams per guest flip.
 *
 *   lc-solid-flip --card PATH --connector NAME --ready-file F --go-file F
 *                 --stop-file F [--flips N] [--interval-ms M] [--wait-ms W]
 *
 * It waits (up to W ms) for NAME (e.g. Virtual-2) to turn connected, shows
 * colour A, creates the ready file, waits for the go file, flips N times
 * (waiting for each flip event, M ms apart), prints "FLIPS n ms", and keeps
 * the picture until the stop file appears. Exit 0 on success. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>
#include "clock.h"

struct fb {
	uint32_t handle, id, pitch;
	uint64_t size;
};

static bool wait_file(const char *path, long long timeout_ms)
{
	long long end = lc_now_ms() + timeout_ms;
	while (access(path, F_OK) != 0) {
		if (lc_now_ms() > end)
			return false;
		usleep(50 * 1000);
	}
	return true;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

static int make_fb(int fd, uint32_t w, uint32_t h, uint32_t colour, struct fb *fb)
{
	struct drm_mode_create_dumb c = {.width = w, .height = h, .bpp = 32};
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0)
		return -errno;
	fb->handle = c.handle;
	fb->pitch = c.pitch;
	fb->size = c.size;
	struct drm_mode_map_dumb m = {.handle = c.handle};
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m) < 0)
		return -errno;
	uint32_t *p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m.offset);
	if (p == MAP_FAILED)
		return -errno;
	for (uint64_t i = 0; i < c.size / 4; i++)
		p[i] = colour;
	munmap(p, c.size);
	if (drmModeAddFB(fd, w, h, 24, 32, c.pitch, c.handle, &fb->id) < 0)
		return -errno;
	return 0;
}

static void flip_done(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
	*(bool *)data = true;
}

int main(int argc, char **argv)
{
	const char *card = "/dev/dri/card0", *name = "Virtual-2";
	const char *ready = NULL, *go = NULL, *stop = NULL;
	long flips = 60, interval = 0, wait_ms = 20000;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--card"))
			card = v;
		else if (!strcmp(a, "--connector"))
			name = v;
		else if (!strcmp(a, "--ready-file"))
			ready = v;
		else if (!strcmp(a, "--go-file"))
			go = v;
		else if (!strcmp(a, "--stop-file"))
			stop = v;
		else if (!strcmp(a, "--flips"))
			flips = strtol(v, NULL, 0);
		else if (!strcmp(a, "--interval-ms"))
			interval = strtol(v, NULL, 0);
		else if (!strcmp(a, "--wait-ms"))
			wait_ms = strtol(v, NULL, 0);
		else {
			fprintf(stderr, "lc-solid-flip: unknown option %s\n", a);
			return 2;
		}
	}
	if (!ready || !go || !stop) {
		fprintf(stderr,
			"lc-solid-flip: --ready-file, --go-file and --stop-file are needed\n");
		return 2;
	}
	int fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0 || drmSetMaster(fd) < 0) {
		fprintf(stderr, "lc-solid-flip: %s: cannot be DRM master: %s\n", card,
			strerror(errno));
		return 1;
	}
	drmModeConnector *conn = NULL;
	drmModeRes *res = NULL;
	long long end = lc_now_ms() + wait_ms;
	for (;;) {
		drmModeFreeResources(res);
		res = drmModeGetResources(fd);
		for (int i = 0; res && i < res->count_connectors && !conn; i++) {
			drmModeConnector *c = drmModeGetConnector(
				fd, res->connectors[i]); /* full probe */
			char cname[32];
			if (!c)
				continue;
			snprintf(cname, sizeof(cname), "%s-%u",
				 drmModeGetConnectorTypeName(c->connector_type),
				 c->connector_type_id);
			if (!strcmp(cname, name) && c->connection == DRM_MODE_CONNECTED &&
			    c->count_modes)
				conn = c;
			else
				drmModeFreeConnector(c);
		}
		if (conn || lc_now_ms() > end)
			break;
		usleep(200 * 1000);
	}
	if (!conn) {
		fprintf(stderr, "lc-solid-flip: %s never turned connected\n", name);
		return 1;
	}
	drmModeModeInfo mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			mode = conn->modes[i];
			break;
		}
	uint32_t crtc = 0;
	for (int e = 0; e < conn->count_encoders && !crtc; e++) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoders[e]);
		for (int i = 0; enc && i < res->count_crtcs && !crtc; i++)
			if (enc->possible_crtcs & (1u << i))
				crtc = res->crtcs[i];
		drmModeFreeEncoder(enc);
	}
	struct fb fbs[2];
	int r = crtc ? make_fb(fd, mode.hdisplay, mode.vdisplay, 0xff2060c0, &fbs[0]) : -ENOENT;
	if (r == 0)
		r = make_fb(fd, mode.hdisplay, mode.vdisplay, 0xffe0a020, &fbs[1]);
	if (r == 0 && drmModeSetCrtc(fd, crtc, fbs[0].id, 0, 0, &conn->connector_id, 1, &mode) < 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "lc-solid-flip: modeset on %s: %s\n", name, strerror(-r));
		return 1;
	}
	printf("MODESET %s %ux%u crtc %u\n", name, mode.hdisplay, mode.vdisplay, crtc);
	fflush(stdout);
	touch(ready);
	if (!wait_file(go, 120000)) {
		fprintf(stderr, "lc-solid-flip: no go\n");
		return 1;
	}
	long long t0 = lc_now_ms();
	drmEventContext ev = {.version = 2, .page_flip_handler = flip_done};
	long done = 0;
	for (long i = 0; i < flips; i++) {
		bool flipped = false;
		if (drmModePageFlip(fd, crtc, fbs[(i + 1) % 2].id, DRM_MODE_PAGE_FLIP_EVENT,
				    &flipped) < 0) {
			fprintf(stderr, "lc-solid-flip: page flip %ld: %s\n", i, strerror(errno));
			return 1;
		}
		while (!flipped) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 5000) != 1) {
				fprintf(stderr, "lc-solid-flip: no flip event\n");
				return 1;
			}
			drmHandleEvent(fd, &ev);
		}
		done++;
		if (interval > 0)
			usleep((useconds_t)interval * 1000);
	}
	long long ms = lc_now_ms() - t0;
	printf("FLIPS %ld %lld ms (%.1f flips/s)\n", done, ms,
	       ms ? done * 1000.0 / (double)ms : 0.0);
	fflush(stdout);
	wait_file(stop, 120000);
	return 0;
}
