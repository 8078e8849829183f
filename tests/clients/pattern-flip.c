/* lc-pattern-flip: in the VM, drives one output with known pictures for the
 * frame plane's end-to-end checks and benchmarks.
 *
 * Gets the output from the broker (a lease over the Helix socket) or, with
 * --card, as the DRM master of the card itself; modesets it and then
 *   patterns:      page-flips patterns FIRST..FIRST+COUNT-1 (patterns.h),
 *   motion:        page-flips consecutive patterns for --duration seconds
 *                  (every pixel changes on every flip),
 *   small-damage:  redraws a small rectangle of the front buffer and
 *                  reports it with DIRTYFB (a typing/clock-like update),
 * at --fps (paced by the clock, each flip waiting for its event). Before
 * the first flip the output shows PATTERN_IDLE. Results are printed as
 * "key=value" lines: "lease ok ...", "modeset ok ...", "flip-result ...".
 *
 * --cursor-moves N: after the flips, a hardware cursor on the output's
 * cursor plane (which the lease must hold): cursor_pattern_draw's image
 * (patterns.h) set with drmModeSetCursor2 at cursor_pattern_position(0),
 * then moved to positions 1..N-1, one every --cursor-interval-ms. One line
 * per step ("cursor-define ...", "cursor-move step=I x=X y=Y"), then
 * "cursor-result ..." or "cursor error msg=...". virtio-gpu turns these
 * into cursor-queue commands, which QEMU reports to display listeners as
 * CursorDefine and MouseSet.
 *
 * A buffer is redrawn only once the host has read it. On virtio-gpu 2D the
 * host's copy of a dumb buffer is made by the TRANSFER_TO_HOST_2D that the
 * flip queues, and Linux 6.1 sends the flip event without waiting for it
 * (no fence on a non-blob primary plane): an unpaced flipper runs many
 * flips ahead of QEMU and would overwrite a buffer before QEMU copied it,
 * which shows up as pictures out of order. So after every flip a fenced
 * command (creating a one-pixel resource) goes into the same in-order
 * queue, and the buffer is redrawn after DRM_IOCTL_VIRTGPU_WAIT on it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <virtgpu_drm.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "clock.h"
#include "fdpass.h"
#include "helix_lease.h"
#include "patterns.h"
#include "sock.h"

#define FLIP_TIMEOUT_MS 3000

enum mode {
	MODE_PATTERNS,
	MODE_MOTION,
	MODE_SMALL_DAMAGE
};

struct options {
	const char *socket_path, *card_path, *connector_name;
	uint32_t width, height;
	enum mode mode;
	unsigned first, count;
	double fps, duration_s;
	const char *go_file, *hold_file;
	long hold_ms;
	unsigned cursor_moves;
	long cursor_interval_ms;
};

struct buffer {
	uint32_t handle, pitch, fb;
	uint64_t size;
	uint32_t *px;
	uint32_t barrier; /* fenced after this buffer's last flip; 0: none */
};

struct cursor {
	uint32_t handle, pitch;
	uint64_t size;
	uint32_t *px;
};

struct output {
	int fd;
	uint32_t connector_id, crtc_id, scanout_id;
	int crtc_index; /* in this fd's view of the resources */
	char connector[HELIX_LEASE_NAME_LEN];
	drmModeModeInfo mode;
	struct buffer bufs[PATTERN_PERIOD];
	unsigned nbufs;
	bool virtio;            /* barriers work (virtio-gpu) */
	unsigned barrier_waits; /* redraws that had to wait for the host */
	double barrier_wait_s;
	struct cursor cursor;
};

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: lc-pattern-flip [--socket PATH | --card PATH [--connector NAME]]\n"
			"         [--size WxH] [--mode patterns|motion|small-damage] [--first K]\n"
			"         [--count N] [--fps F] [--duration SEC] [--go-file PATH]\n"
			"         [--hold-ms MS | --hold-file PATH]\n"
			"         [--cursor-moves N [--cursor-interval-ms MS]]\n");
}

/* Helix lease: the reply carries the lease fd; the socket's life is the
 * lease's, so it stays open until exit. */
static int helix_lease(const char *path, uint32_t w, uint32_t h, int *sock_out, struct output *out)
{
	int sock = lc_unix_connect(path);
	if (sock < 0) {
		printf("lease error msg=connect(%s):%s\n", path, strerror(-sock));
		return -1;
	}
	uint8_t req[HELIX_LEASE_REQ_SIZE];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_LEASE, .width = w, .height = h};
	if (helix_lease_req_encode(req, sizeof(req), &r) != sizeof(req) ||
	    lc_send_with_fd(sock, req, sizeof(req), -1) != (ssize_t)sizeof(req)) {
		printf("lease error msg=send-failed\n");
		close(sock);
		return -1;
	}
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	size_t got = 0;
	int fd = -1;
	while (got < sizeof(buf)) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1)
			break;
		int rfd = -1;
		ssize_t n = lc_recv_with_fd(sock, buf + got, sizeof(buf) - got, &rfd);
		if (rfd >= 0) {
			if (fd < 0)
				fd = rfd;
			else
				close(rfd);
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct helix_lease_resp resp;
	if (got != sizeof(buf) ||
	    helix_lease_resp_decode(buf, got, &resp) != HELIX_LEASE_DECODE_OK ||
	    resp.status != HELIX_LEASE_OK || fd < 0) {
		printf("lease error msg=\"%s\" bytes=%zu fd=%s\n",
		       got == sizeof(buf) ? resp.name : "no-valid-reply", got,
		       fd >= 0 ? "yes" : "no");
		if (fd >= 0)
			close(fd);
		close(sock);
		return -1;
	}
	*sock_out = sock;
	out->fd = fd;
	out->scanout_id = resp.scanout_id;
	snprintf(out->connector, sizeof(out->connector), "%s", resp.name);
	printf("lease ok scanout=%u connector=%s\n", resp.scanout_id, resp.name);
	return 0;
}

static bool connector_named(drmModeConnector *c, const char *name)
{
	const char *type = drmModeGetConnectorTypeName(c->connector_type);
	char buf[64];
	snprintf(buf, sizeof(buf), "%s-%u", type ? type : "Unknown", c->connector_type_id);
	return strcmp(buf, name) == 0;
}

/* Finds the connector (by name, or the lease's only one), its CRTC and the
 * mode of the requested size (else the preferred one). */
static int pick_output(struct output *o, const char *name, uint32_t w, uint32_t h)
{
	drmModeRes *res = drmModeGetResources(o->fd);
	if (!res) {
		printf("modeset error msg=GetResources:%s\n", strerror(errno));
		return -1;
	}
	int ret = -1;
	drmModeConnector *conn = NULL;
	for (int i = 0; i < res->count_connectors && !conn; i++) {
		drmModeConnector *c = drmModeGetConnector(o->fd, res->connectors[i]);
		if (!c)
			continue;
		if (!name || connector_named(c, name)) {
			conn = c;
			/* virtio-gpu: CRTC i drives connector i; a lessee sees
			 * only its own CRTC. */
			o->crtc_index = res->count_crtcs == 1 ? 0 : i < res->count_crtcs ? i : 0;
			o->crtc_id = res->crtcs[o->crtc_index];
		} else {
			drmModeFreeConnector(c);
		}
	}
	if (!conn) {
		printf("modeset error msg=no-connector(%s)\n", name ? name : "any");
		goto out;
	}
	o->connector_id = conn->connector_id;
	const char *type = drmModeGetConnectorTypeName(conn->connector_type);
	if (!o->connector[0])
		snprintf(o->connector, sizeof(o->connector), "%s-%u", type ? type : "Unknown",
			 conn->connector_type_id);
	if (!o->scanout_id)
		o->scanout_id = conn->connector_type_id - 1;
	if (conn->connection != DRM_MODE_CONNECTED || conn->count_modes < 1) {
		printf("modeset error msg=%s-not-connected\n", o->connector);
		goto out;
	}
	int pick = -1;
	for (int i = 0; i < conn->count_modes; i++) {
		if (w && conn->modes[i].hdisplay == w && conn->modes[i].vdisplay == h) {
			pick = i;
			break;
		}
		if (pick < 0 && (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED))
			pick = i;
	}
	o->mode = conn->modes[pick < 0 ? 0 : pick];
	ret = 0;
out:
	if (conn)
		drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

static int buffer_create(int fd, uint32_t w, uint32_t h, struct buffer *b)
{
	memset(b, 0, sizeof(*b));
	if (drmModeCreateDumbBuffer(fd, w, h, 32, 0, &b->handle, &b->pitch, &b->size) != 0)
		return -errno;
	uint64_t off;
	if (drmModeMapDumbBuffer(fd, b->handle, &off) != 0)
		return -errno;
	b->px = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (b->px == MAP_FAILED) {
		b->px = NULL;
		return -errno;
	}
	if (drmModeAddFB(fd, w, h, 24, 32, b->pitch, b->handle, &b->fb) != 0)
		return -errno;
	return 0;
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = {.handle = handle};
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* A fenced command queued behind everything the last flip queued: when it
 * signals, QEMU has executed that flip's transfer. 0 when the card is no
 * virtio-gpu (then there is nothing to wait for). */
static uint32_t barrier_create(struct output *o)
{
	if (!o->virtio)
		return 0;
	struct drm_virtgpu_resource_create rc = {
		.target = 2, /* PIPE_TEXTURE_2D: all a 2D device accepts */
		.format = 2, /* VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM */
		.width = 1,
		.height = 1,
		.depth = 1,
		.array_size = 1,
	};
	if (drmIoctl(o->fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc) != 0) {
		printf("barrier warning msg=RESOURCE_CREATE:%s (buffers may be redrawn early)\n",
		       strerror(errno));
		o->virtio = false;
		return 0;
	}
	return rc.bo_handle;
}

/* Waits until the host is done with b's last flip. */
static int barrier_wait(struct output *o, struct buffer *b)
{
	if (!b->barrier)
		return 0;
	struct drm_virtgpu_3d_wait w = {.handle = b->barrier, .flags = VIRTGPU_WAIT_NOWAIT};
	int r = 0;
	if (drmIoctl(o->fd, DRM_IOCTL_VIRTGPU_WAIT, &w) != 0) {
		double t0 = lc_now_s();
		w.flags = 0;
		r = drmIoctl(o->fd, DRM_IOCTL_VIRTGPU_WAIT, &w) != 0 ? -errno : 0;
		o->barrier_waits++;
		o->barrier_wait_s += lc_now_s() - t0;
	}
	gem_close(o->fd, b->barrier);
	b->barrier = 0;
	return r;
}

static void buffer_destroy(int fd, struct buffer *b)
{
	if (b->barrier)
		gem_close(fd, b->barrier);
	if (b->fb)
		drmModeRmFB(fd, b->fb);
	if (b->px)
		munmap(b->px, b->size);
	if (b->handle)
		drmModeDestroyDumbBuffer(fd, b->handle);
}

static void on_flip(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
	*(bool *)data = true;
}

/* Flips to b and waits for the event: the flip's user data is the flag
 * that its handler sets. */
static int flip_to(struct output *o, struct buffer *b)
{
	bool done = false;
	if (drmModePageFlip(o->fd, o->crtc_id, b->fb, DRM_MODE_PAGE_FLIP_EVENT, &done) != 0)
		return -errno;
	drmEventContext ev = {.version = 2, .page_flip_handler = on_flip};
	double deadline = lc_now_s() + FLIP_TIMEOUT_MS / 1e3;
	while (!done) {
		int left = (int)((deadline - lc_now_s()) * 1e3);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = o->fd, .events = POLLIN};
		int r = poll(&p, 1, left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && drmHandleEvent(o->fd, &ev) != 0)
			return -EIO;
	}
	return 0;
}

static int setup(struct output *o, const struct options *opt)
{
	uint32_t w = o->mode.hdisplay, h = o->mode.vdisplay;
	if (w < PATTERN_MIN_WIDTH || h < PATTERN_MIN_HEIGHT) {
		printf("modeset error msg=mode-too-small(%ux%u)\n", w, h);
		return -1;
	}
	o->nbufs = opt->mode == MODE_SMALL_DAMAGE ? 1 : PATTERN_PERIOD;
	drmVersion *ver = drmGetVersion(o->fd);
	o->virtio = ver && ver->name && strcmp(ver->name, "virtio_gpu") == 0;
	drmFreeVersion(ver);
	for (unsigned i = 0; i < o->nbufs; i++) {
		int r = buffer_create(o->fd, w, h, &o->bufs[i]);
		if (r < 0) {
			printf("modeset error msg=dumb-buffer:%s\n", strerror(-r));
			return -1;
		}
		/* Buffer i holds the background of every pattern k = i mod PERIOD. */
		pattern_draw_background(o->bufs[i].px, o->bufs[i].pitch / 4, (int)w, (int)h, i);
	}
	struct buffer *first =
		&o->bufs[opt->mode == MODE_SMALL_DAMAGE ? 0 : PATTERN_IDLE % PATTERN_PERIOD];
	if (opt->mode == MODE_SMALL_DAMAGE)
		pattern_draw_background(first->px, first->pitch / 4, (int)w, (int)h, PATTERN_IDLE);
	pattern_draw_code(first->px, first->pitch / 4, (int)w, (int)h, PATTERN_IDLE);
	if (drmModeSetCrtc(o->fd, o->crtc_id, first->fb, 0, 0, &o->connector_id, 1, &o->mode) !=
	    0) {
		printf("modeset error msg=SetCrtc:%s\n", strerror(errno));
		return -1;
	}
	printf("modeset ok scanout=%u connector=%s width=%u height=%u refresh=%u\n", o->scanout_id,
	       o->connector, w, h, o->mode.vrefresh);
	fflush(stdout);
	return 0;
}

/* The cursor plane of the output's CRTC among the planes this fd may use
 * (a lessee sees only its lease's): 0 when there is none. */
static uint32_t find_cursor_plane(struct output *o)
{
	if (drmSetClientCap(o->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0)
		return 0;
	drmModePlaneRes *pr = drmModeGetPlaneResources(o->fd);
	uint32_t found = 0;
	for (uint32_t i = 0; pr && i < pr->count_planes && !found; i++) {
		drmModePlane *p = drmModeGetPlane(o->fd, pr->planes[i]);
		if (!p)
			continue;
		bool ours = p->possible_crtcs & (1u << o->crtc_index);
		drmModeFreePlane(p);
		drmModeObjectProperties *props = ours ? drmModeObjectGetProperties(
								o->fd, pr->planes[i],
								DRM_MODE_OBJECT_PLANE)
						      : NULL;
		for (uint32_t k = 0; props && k < props->count_props && !found; k++) {
			drmModePropertyRes *pd = drmModeGetProperty(o->fd, props->props[k]);
			if (pd && strcmp(pd->name, "type") == 0 &&
			    props->prop_values[k] == DRM_PLANE_TYPE_CURSOR)
				found = pr->planes[i];
			drmModeFreeProperty(pd);
		}
		drmModeFreeObjectProperties(props);
	}
	drmModeFreePlaneResources(pr);
	return found;
}

static int cursor_create(int fd, struct cursor *c)
{
	if (drmModeCreateDumbBuffer(fd, CURSOR_PATTERN_SIZE, CURSOR_PATTERN_SIZE, 32, 0, &c->handle,
				    &c->pitch, &c->size) != 0)
		return -errno;
	uint64_t off;
	if (drmModeMapDumbBuffer(fd, c->handle, &off) != 0)
		return -errno;
	void *p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	c->px = p;
	cursor_pattern_draw(c->px, c->pitch / 4);
	return 0;
}

static void cursor_destroy(int fd, struct cursor *c)
{
	if (c->px)
		munmap(c->px, c->size);
	if (c->handle)
		drmModeDestroyDumbBuffer(fd, c->handle);
}

static int cursor_run(struct output *o, const struct options *opt)
{
	uint32_t plane = find_cursor_plane(o);
	if (!plane) {
		printf("cursor error msg=no-cursor-plane (this fd holds none for crtc %u)\n",
		       o->crtc_id);
		return -1;
	}
	int r = cursor_create(o->fd, &o->cursor);
	if (r < 0) {
		printf("cursor error msg=dumb-buffer:%s\n", strerror(-r));
		return -1;
	}
	/* Positioned first (the plane is still off: no command to the host),
	 * so that the image arrives at step 0's position, not at wherever the
	 * CRTC's cursor was left. */
	int x, y;
	cursor_pattern_position(0, &x, &y);
	if (drmModeMoveCursor(o->fd, o->crtc_id, x, y) != 0) {
		printf("cursor error msg=MoveCursor:%s\n", strerror(errno));
		return -1;
	}
	if (drmModeSetCursor2(o->fd, o->crtc_id, o->cursor.handle, CURSOR_PATTERN_SIZE,
			      CURSOR_PATTERN_SIZE, CURSOR_PATTERN_HOT_X,
			      CURSOR_PATTERN_HOT_Y) != 0) {
		printf("cursor error msg=SetCursor2:%s\n", strerror(errno));
		return -1;
	}
	printf("cursor-define plane=%u w=%d h=%d hot_x=%d hot_y=%d x=%d y=%d\n", plane,
	       CURSOR_PATTERN_SIZE, CURSOR_PATTERN_SIZE, CURSOR_PATTERN_HOT_X, CURSOR_PATTERN_HOT_Y,
	       x, y);
	double t0 = lc_now_s();
	for (unsigned i = 1; i < opt->cursor_moves; i++) {
		sleep_s((double)opt->cursor_interval_ms / 1e3);
		cursor_pattern_position(i, &x, &y);
		if (drmModeMoveCursor(o->fd, o->crtc_id, x, y) != 0) {
			printf("cursor error at=%u msg=MoveCursor:%s\n", i, strerror(errno));
			return -1;
		}
		printf("cursor-move step=%u x=%d y=%d\n", i, x, y);
	}
	printf("cursor-result moves=%u last_x=%d last_y=%d secs=%.3f\n", opt->cursor_moves, x, y,
	       lc_now_s() - t0);
	fflush(stdout);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int run(struct output *o, const struct options *opt)
{
	int w = o->mode.hdisplay, h = o->mode.vdisplay;
	if (opt->go_file) {
		while (!exists(opt->go_file))
			sleep_s(0.02);
	}
	double interval = opt->fps > 0 ? 1.0 / opt->fps : 0;
	double t0 = lc_now_s(), end = t0 + opt->duration_s;
	unsigned done = 0, late = 0;
	unsigned k = opt->first;
	for (unsigned i = 0;; i++) {
		if (opt->mode == MODE_PATTERNS && i >= opt->count)
			break;
		if (opt->mode != MODE_PATTERNS && lc_now_s() >= end)
			break;
		double due = t0 + i * interval;
		double wait = due - lc_now_s();
		if (wait > 0)
			sleep_s(wait);
		else if (interval > 0 && -wait > interval)
			late++;
		int r;
		if (opt->mode == MODE_SMALL_DAMAGE) {
			int rc[4];
			pattern_draw_tick(o->bufs[0].px, o->bufs[0].pitch / 4, w, h, i, rc);
			drmModeClip clip = {(uint16_t)rc[0], (uint16_t)rc[1],
					    (uint16_t)(rc[0] + rc[2]), (uint16_t)(rc[1] + rc[3])};
			r = drmModeDirtyFB(o->fd, o->bufs[0].fb, &clip, 1) != 0 ? -errno : 0;
		} else {
			struct buffer *b = &o->bufs[k % PATTERN_PERIOD];
			r = barrier_wait(o, b);
			if (r == 0) {
				pattern_draw_code(b->px, b->pitch / 4, w, h, k);
				r = flip_to(o, b);
			}
			if (r == 0)
				b->barrier = barrier_create(o);
		}
		if (r < 0) {
			printf("flip error at=%u msg=%s\n", i, strerror(-r));
			return -1;
		}
		done++;
		k = (k + 1) & 0xffffu;
		if (k == PATTERN_IDLE)
			k = 0;
	}
	double secs = lc_now_s() - t0;
	static const char *names[] = {"patterns", "motion", "small-damage"};
	printf("flip-result mode=%s flips=%u first=%u last=%u secs=%.3f fps=%.2f target_fps=%.1f late=%u "
	       "host_waits=%u host_wait_ms=%.1f\n",
	       names[opt->mode], done, opt->first,
	       done ? (opt->first + done - 1) & 0xffffu : opt->first, secs,
	       secs > 0 ? done / secs : 0.0, opt->fps, late, o->barrier_waits,
	       o->barrier_wait_s * 1e3);
	fflush(stdout);
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.socket_path = "/run/helix-drm/drm.sock",
			      .count = 60,
			      .duration_s = 5,
			      .mode = MODE_PATTERNS,
			      .cursor_interval_ms = 30};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -1;
		i++;
		if (strcmp(a, "--socket") == 0) {
			o->socket_path = v;
		} else if (strcmp(a, "--card") == 0) {
			o->card_path = v;
		} else if (strcmp(a, "--connector") == 0) {
			o->connector_name = v;
		} else if (strcmp(a, "--size") == 0) {
			char x;
			if (sscanf(v, "%u%c%u", &o->width, &x, &o->height) != 3 || x != 'x')
				return -1;
		} else if (strcmp(a, "--mode") == 0) {
			if (strcmp(v, "patterns") == 0)
				o->mode = MODE_PATTERNS;
			else if (strcmp(v, "motion") == 0)
				o->mode = MODE_MOTION;
			else if (strcmp(v, "small-damage") == 0)
				o->mode = MODE_SMALL_DAMAGE;
			else
				return -1;
		} else if (strcmp(a, "--first") == 0) {
			o->first = (unsigned)strtoul(v, NULL, 0) & 0xffffu;
		} else if (strcmp(a, "--count") == 0) {
			o->count = (unsigned)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--fps") == 0) {
			o->fps = strtod(v, NULL);
		} else if (strcmp(a, "--duration") == 0) {
			o->duration_s = strtod(v, NULL);
		} else if (strcmp(a, "--go-file") == 0) {
			o->go_file = v;
		} else if (strcmp(a, "--hold-file") == 0) {
			o->hold_file = v;
		} else if (strcmp(a, "--hold-ms") == 0) {
			o->hold_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--cursor-moves") == 0) {
			o->cursor_moves = (unsigned)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--cursor-interval-ms") == 0) {
			o->cursor_interval_ms = strtol(v, NULL, 0);
		} else {
			return -1;
		}
	}
	if (o->first == PATTERN_IDLE || o->fps < 0 || o->fps > 1000 || o->cursor_moves > 100000 ||
	    o->cursor_interval_ms < 0 || o->cursor_interval_ms > 60000)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	if (parse_args(argc, argv, &opt) < 0) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct output o = {.fd = -1};
	int sock = -1, ret = 1;
	if (opt.card_path) {
		o.fd = open(opt.card_path, O_RDWR | O_CLOEXEC);
		if (o.fd < 0) {
			printf("card error path=%s msg=%s\n", opt.card_path, strerror(errno));
			return 1;
		}
		if (drmSetMaster(o.fd) != 0 && !drmIsMaster(o.fd)) {
			printf("card error msg=not-master:%s\n", strerror(errno));
			goto out;
		}
	} else if (helix_lease(opt.socket_path, opt.width, opt.height, &sock, &o) < 0) {
		return 1;
	}
	if (pick_output(&o, opt.card_path ? opt.connector_name : NULL, opt.width, opt.height) < 0 ||
	    setup(&o, &opt) < 0 || run(&o, &opt) < 0 ||
	    (opt.cursor_moves > 0 && cursor_run(&o, &opt) < 0))
		goto out;
	ret = 0;
	if (opt.hold_file) {
		while (!exists(opt.hold_file))
			sleep_s(0.05);
	} else {
		sleep_s(opt.hold_ms / 1e3);
	}
out:
	cursor_destroy(o.fd, &o.cursor);
	for (unsigned i = 0; i < o.nbufs; i++)
		buffer_destroy(o.fd, &o.bufs[i]);
	if (o.fd >= 0)
		close(o.fd);
	if (sock >= 0)
		close(sock);
	return ret;
}
