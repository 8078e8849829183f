/* lc-wl-pattern-client: a Wayland client that shows tests/clients/patterns.h
 * patterns full-screen, so a host-side decoder can prove that a compositor's
 * output (through the lease, QEMU and the exporter) shows a client's
 * content. An xdg-shell toplevel, fullscreen, wl_shm XRGB8888 buffers at the
 * size the compositor configures (the output's size when fullscreen).
 *
 *   lc-wl-pattern-client [--first K] [--count N] [--interval-ms MS]
 *                        [--duration-ms MS] [--size WxH]
 *
 * Shows K, K+1, ..., K+N-1, K, ... switching every MS, until the compositor
 * closes it, a signal ends it, or --duration-ms after the first one shown
 * (default: no end). Prints
 * "configured WxH", "shown K" (first time each), "done shown=N" lines. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "clock.h"
#include "patterns.h"
#include "xdg-shell-client-protocol.h"

#define N_BUFFERS 2

struct buffer {
	struct wl_buffer *wl;
	uint32_t *px;
	size_t size;
	bool busy;
	long shown; /* pattern drawn in it, -1 none */
};

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm;
	struct wl_output *output;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct buffer buffers[N_BUFFERS];
	int out_w, out_h;   /* the output's current mode */
	int conf_w, conf_h; /* the last toplevel configure */
	int w, h;           /* buffers' size */
	bool configured, closed;
	unsigned first, count, next;
	unsigned shown_mask;
};

static void buffer_release(void *data, struct wl_buffer *b)
{
	((struct buffer *)data)->busy = false;
}
static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buffers_destroy(struct client *c)
{
	for (int i = 0; i < N_BUFFERS; i++) {
		struct buffer *b = &c->buffers[i];
		if (b->wl)
			wl_buffer_destroy(b->wl);
		if (b->px)
			munmap(b->px, b->size);
		*b = (struct buffer){.shown = -1};
	}
}

/* One memfd per buffer: a buffer at an offset inside a shared pool would
 * need a page-aligned offset for our own mmap, which w*h*4 often is not. */
static int buffers_create(struct client *c, int w, int h)
{
	buffers_destroy(c);
	size_t stride = (size_t)w * 4, one = stride * (size_t)h;
	for (int i = 0; i < N_BUFFERS; i++) {
		struct buffer *b = &c->buffers[i];
		int fd = memfd_create("lc-wl-pattern", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)one) < 0) {
			perror("memfd");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		b->size = one;
		b->px = mmap(NULL, one, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b->px == MAP_FAILED) {
			perror("mmap");
			b->px = NULL;
			close(fd);
			return -1;
		}
		struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)one);
		b->wl = wl_shm_pool_create_buffer(pool, 0, w, h, (int32_t)stride,
						  WL_SHM_FORMAT_XRGB8888);
		wl_shm_pool_destroy(pool);
		close(fd);
		wl_buffer_add_listener(b->wl, &buffer_listener, b);
		b->shown = -1;
	}
	c->w = w;
	c->h = h;
	return 0;
}

/* Shows the next pattern in a free buffer; false if none is free. */
static bool show_next(struct client *c)
{
	struct buffer *b = NULL;
	for (int i = 0; i < N_BUFFERS && !b; i++)
		if (!c->buffers[i].busy)
			b = &c->buffers[i];
	if (!b)
		return false;
	unsigned k = c->first + c->next % c->count;
	if (b->shown != (long)k)
		pattern_draw(b->px, (size_t)c->w, c->w, c->h, k);
	b->shown = k;
	b->busy = true;
	wl_surface_attach(c->surface, b->wl, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, c->w, c->h);
	wl_surface_commit(c->surface);
	unsigned bit = 1u << (c->next % c->count % 32);
	if (!(c->shown_mask & bit)) {
		c->shown_mask |= bit;
		printf("shown %u size=%dx%d\n", k, c->w, c->h);
		fflush(stdout);
	}
	c->next++;
	return true;
}

static void wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	xdg_wm_base_pong(wm, serial);
}
static const struct xdg_wm_base_listener wm_listener = {.ping = wm_ping};

static void xdg_surface_configure(void *data, struct xdg_surface *s, uint32_t serial)
{
	struct client *c = data;
	xdg_surface_ack_configure(s, serial);
	int w = c->conf_w > 0 ? c->conf_w : c->out_w, h = c->conf_h > 0 ? c->conf_h : c->out_h;
	if (w <= 0 || h <= 0) {
		w = 1920;
		h = 1080;
	}
	if (w < PATTERN_MIN_WIDTH || h < PATTERN_MIN_HEIGHT) {
		fprintf(stderr, "configured %dx%d: too small for a pattern\n", w, h);
		c->closed = true;
		return;
	}
	if (w != c->w || h != c->h) {
		printf("configured %dx%d\n", w, h);
		fflush(stdout);
		if (buffers_create(c, w, h) < 0) {
			c->closed = true;
			return;
		}
	}
	c->configured = true;
	show_next(c);
}
static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *t, int32_t w, int32_t h,
			       struct wl_array *states)
{
	struct client *c = data;
	c->conf_w = w;
	c->conf_h = h;
}
static void toplevel_close(void *data, struct xdg_toplevel *t)
{
	((struct client *)data)->closed = true;
}
static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw,
			    int32_t ph, int32_t sub, const char *make, const char *model,
			    int32_t tr)
{
}
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w, int32_t h,
			int32_t refresh)
{
	struct client *c = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		c->out_w = w;
		c->out_h = h;
	}
}
static void output_done(void *data, struct wl_output *o) {}
static void output_scale(void *data, struct wl_output *o, int32_t f) {}
static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
};

static void reg_global(void *data, struct wl_registry *r, uint32_t name, const char *iface,
		       uint32_t v)
{
	struct client *c = data;
	if (strcmp(iface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(r, name, &wl_compositor_interface, v < 4 ? v : 4);
	} else if (strcmp(iface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0) {
		c->wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm, &wm_listener, c);
	} else if (strcmp(iface, wl_output_interface.name) == 0 && !c->output) {
		c->output = wl_registry_bind(r, name, &wl_output_interface, v < 2 ? v : 2);
		wl_output_add_listener(c->output, &output_listener, c);
	}
}
static void reg_remove(void *data, struct wl_registry *r, uint32_t name) {}
static const struct wl_registry_listener reg_listener = {.global = reg_global,
							 .global_remove = reg_remove};

int main(int argc, char **argv)
{
	struct client c = {.first = 1, .count = 4};
	long interval_ms = 500, duration_ms = 0;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr,
				"usage: lc-wl-pattern-client [--first K] [--count N] [--interval-ms MS] "
				"[--duration-ms MS] [--size WxH]\n");
			return 2;
		}
		if (strcmp(a, "--first") == 0)
			c.first = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			c.count = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--interval-ms") == 0)
			interval_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--duration-ms") == 0)
			duration_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--size") == 0) {
			if (sscanf(v, "%dx%d", &c.out_w, &c.out_h) != 2) {
				fprintf(stderr, "bad --size %s\n", v);
				return 2;
			}
		} else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
	}
	if (c.count == 0 || c.count > 32 || c.first + c.count > 0xfffe || interval_ms <= 0) {
		fprintf(stderr, "bad pattern range or interval\n");
		return 2;
	}
	c.display = wl_display_connect(NULL);
	if (!c.display) {
		fprintf(stderr, "cannot connect to the compositor: %s\n", strerror(errno));
		return 1;
	}
	struct wl_registry *reg = wl_display_get_registry(c.display);
	wl_registry_add_listener(reg, &reg_listener, &c);
	wl_display_roundtrip(c.display);
	wl_display_roundtrip(c.display); /* the output's mode */
	if (!c.compositor || !c.shm || !c.wm) {
		fprintf(stderr, "the compositor lacks wl_compositor, wl_shm or xdg_wm_base\n");
		return 1;
	}
	printf("output %dx%d\n", c.out_w, c.out_h);
	c.surface = wl_compositor_create_surface(c.compositor);
	c.xdg_surface = xdg_wm_base_get_xdg_surface(c.wm, c.surface);
	xdg_surface_add_listener(c.xdg_surface, &xdg_surface_listener, &c);
	c.toplevel = xdg_surface_get_toplevel(c.xdg_surface);
	xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(c.toplevel, "lc-wl-pattern-client");
	xdg_toplevel_set_app_id(c.toplevel, "lc-wl-pattern-client");
	xdg_toplevel_set_fullscreen(c.toplevel, NULL);
	wl_surface_commit(c.surface);

	/* The duration counts from the first pattern shown, not from the
	 * start: a slow compositor only delays it. */
	int64_t t0 = -1, next_at = 0;
	int rc = 0;
	while (!c.closed) {
		int64_t t = lc_now_ms();
		if (duration_ms > 0 && t0 >= 0 && t - t0 >= duration_ms)
			break;
		if (c.configured && t >= next_at) {
			if (show_next(&c)) {
				next_at = t + interval_ms;
				if (t0 < 0)
					t0 = t;
			}
		}
		wl_display_flush(c.display);
		int timeout = c.configured ? (int)(next_at > t ? next_at - t : 10) : 100;
		struct pollfd p = {.fd = wl_display_get_fd(c.display), .events = POLLIN};
		while (wl_display_prepare_read(c.display) != 0)
			wl_display_dispatch_pending(c.display);
		if (poll(&p, 1, timeout) > 0) {
			if (wl_display_read_events(c.display) < 0) {
				fprintf(stderr, "connection lost\n");
				rc = 1;
				break;
			}
		} else {
			wl_display_cancel_read(c.display);
		}
		if (wl_display_dispatch_pending(c.display) < 0) {
			fprintf(stderr, "connection error\n");
			rc = 1;
			break;
		}
	}
	printf("done shown=%u closed=%d\n", (unsigned)__builtin_popcount(c.shown_mask), c.closed);
	buffers_destroy(&c);
	xdg_toplevel_destroy(c.toplevel);
	xdg_surface_destroy(c.xdg_surface);
	wl_surface_destroy(c.surface);
	/* Every proxy goes before the display, or libwayland-client leaks them. */
	if (c.output)
		wl_output_destroy(c.output);
	xdg_wm_base_destroy(c.wm);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(reg);
	wl_display_disconnect(c.display);
	return rc;
}
