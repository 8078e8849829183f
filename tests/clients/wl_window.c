/* wl_window: see wl_window.h. */
#define _GNU_SOURCE /* memfd_create */
#include "wl_window.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xdg-shell-client-protocol.h"

static void buffer_release(void *data, struct wl_buffer *b)
{
	((struct lc_wl_buffer *)data)->busy = false;
}
static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buffers_destroy(struct lc_wl_window *w)
{
	for (int i = 0; i < LC_WL_WINDOW_BUFFERS; i++) {
		struct lc_wl_buffer *b = &w->buffers[i];
		if (b->wl)
			wl_buffer_destroy(b->wl);
		if (b->px)
			munmap(b->px, b->size);
		*b = (struct lc_wl_buffer){.tag = ~(uint64_t)0};
	}
}

/* One memfd per buffer: a buffer at an offset inside a shared pool would
 * need a page-aligned offset for our own mmap, which w*h*4 often is not. */
static int buffers_create(struct lc_wl_window *w, int width, int height)
{
	buffers_destroy(w);
	size_t stride = (size_t)width * 4, one = stride * (size_t)height;
	for (int i = 0; i < LC_WL_WINDOW_BUFFERS; i++) {
		struct lc_wl_buffer *b = &w->buffers[i];
		int fd = memfd_create("lc-wl-window", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)one) < 0) {
			perror("memfd");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		b->px = mmap(NULL, one, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b->px == MAP_FAILED) {
			perror("mmap");
			b->px = NULL;
			close(fd);
			return -1;
		}
		b->size = one;
		struct wl_shm_pool *pool = wl_shm_create_pool(w->shm, fd, (int32_t)one);
		b->wl = wl_shm_pool_create_buffer(pool, 0, width, height, (int32_t)stride,
						  WL_SHM_FORMAT_XRGB8888);
		wl_shm_pool_destroy(pool);
		close(fd);
		wl_buffer_add_listener(b->wl, &buffer_listener, b);
	}
	w->w = width;
	w->h = height;
	return 0;
}

static void wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	xdg_wm_base_pong(wm, serial);
}
static const struct xdg_wm_base_listener wm_listener = {.ping = wm_ping};

static void xdg_surface_configure(void *data, struct xdg_surface *s, uint32_t serial)
{
	struct lc_wl_window *w = data;
	xdg_surface_ack_configure(s, serial);
	int width = w->conf_w > 0 ? w->conf_w : w->out_w;
	int height = w->conf_h > 0 ? w->conf_h : w->out_h;
	if (width <= 0 || height <= 0) {
		width = 1920;
		height = 1080;
	}
	if (width < w->min_w || height < w->min_h || width > LC_WL_WINDOW_MAX_SIDE ||
	    height > LC_WL_WINDOW_MAX_SIDE) {
		fprintf(stderr, "configured %dx%d: outside %dx%d..%dx%d\n", width, height, w->min_w,
			w->min_h, LC_WL_WINDOW_MAX_SIDE, LC_WL_WINDOW_MAX_SIDE);
		w->closed = true;
		return;
	}
	bool resized = width != w->w || height != w->h;
	if (resized && buffers_create(w, width, height) < 0) {
		w->closed = true;
		return;
	}
	if (w->configured_hook)
		w->configured_hook(w->data, resized);
	w->configured = true;
}
static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *t, int32_t width, int32_t height,
			       struct wl_array *states)
{
	struct lc_wl_window *w = data;
	w->conf_w = width;
	w->conf_h = height;
}
static void toplevel_close(void *data, struct xdg_toplevel *t)
{
	((struct lc_wl_window *)data)->closed = true;
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
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t width,
			int32_t height, int32_t refresh)
{
	struct lc_wl_window *w = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		w->out_w = width;
		w->out_h = height;
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
	struct lc_wl_window *w = data;
	if (strcmp(iface, wl_compositor_interface.name) == 0) {
		w->compositor = wl_registry_bind(r, name, &wl_compositor_interface, v < 4 ? v : 4);
	} else if (strcmp(iface, wl_shm_interface.name) == 0) {
		w->shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0) {
		w->wm = wl_registry_bind(r, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(w->wm, &wm_listener, w);
	} else if (strcmp(iface, wl_output_interface.name) == 0 && !w->output) {
		w->output = wl_registry_bind(r, name, &wl_output_interface, v < 2 ? v : 2);
		wl_output_add_listener(w->output, &output_listener, w);
	} else if (w->global) {
		w->global(w->data, r, name, iface, v);
	}
}
static void reg_remove(void *data, struct wl_registry *r, uint32_t name) {}
static const struct wl_registry_listener reg_listener = {.global = reg_global,
							 .global_remove = reg_remove};

int lc_wl_window_connect(struct lc_wl_window *w)
{
	for (int i = 0; i < LC_WL_WINDOW_BUFFERS; i++)
		w->buffers[i].tag = ~(uint64_t)0;
	w->display = wl_display_connect(NULL);
	if (!w->display) {
		fprintf(stderr, "cannot connect to the compositor: %s\n", strerror(errno));
		return -1;
	}
	w->registry = wl_display_get_registry(w->display);
	wl_registry_add_listener(w->registry, &reg_listener, w);
	wl_display_roundtrip(w->display);
	wl_display_roundtrip(w->display); /* the output's mode, other globals' first events */
	if (!w->compositor || !w->shm || !w->wm) {
		fprintf(stderr, "the compositor lacks wl_compositor, wl_shm or xdg_wm_base\n");
		return -1;
	}
	return 0;
}

void lc_wl_window_show(struct lc_wl_window *w, const char *title, const char *app_id)
{
	w->surface = wl_compositor_create_surface(w->compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(w->wm, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
	xdg_toplevel_set_title(w->toplevel, title);
	xdg_toplevel_set_app_id(w->toplevel, app_id);
	xdg_toplevel_set_fullscreen(w->toplevel, NULL);
	wl_surface_commit(w->surface);
}

struct lc_wl_buffer *lc_wl_window_free_buffer(struct lc_wl_window *w)
{
	for (int i = 0; i < LC_WL_WINDOW_BUFFERS; i++)
		if (w->buffers[i].wl && !w->buffers[i].busy)
			return &w->buffers[i];
	return NULL;
}

void lc_wl_window_attach(struct lc_wl_window *w, struct lc_wl_buffer *b)
{
	b->busy = true;
	wl_surface_attach(w->surface, b->wl, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, w->w, w->h);
}

int lc_wl_window_dispatch(struct lc_wl_window *w, int timeout_ms, const char **why)
{
	if (wl_display_flush(w->display) < 0 && errno != EAGAIN) {
		*why = "connection lost";
		return -1;
	}
	while (wl_display_prepare_read(w->display) != 0)
		wl_display_dispatch_pending(w->display);
	struct pollfd p = {.fd = wl_display_get_fd(w->display), .events = POLLIN};
	if (poll(&p, 1, timeout_ms) > 0) {
		if (wl_display_read_events(w->display) < 0) {
			*why = "connection lost";
			return -1;
		}
	} else {
		wl_display_cancel_read(w->display);
	}
	if (wl_display_dispatch_pending(w->display) < 0) {
		*why = "connection error";
		return -1;
	}
	return 0;
}

void lc_wl_window_finish(struct lc_wl_window *w)
{
	buffers_destroy(w);
	if (w->toplevel)
		xdg_toplevel_destroy(w->toplevel);
	if (w->xdg_surface)
		xdg_surface_destroy(w->xdg_surface);
	if (w->surface)
		wl_surface_destroy(w->surface);
	if (w->output)
		wl_output_destroy(w->output);
	if (w->wm)
		xdg_wm_base_destroy(w->wm);
	if (w->shm)
		wl_shm_destroy(w->shm);
	if (w->compositor)
		wl_compositor_destroy(w->compositor);
	if (w->registry)
		wl_registry_destroy(w->registry);
	if (w->display)
		wl_display_disconnect(w->display);
	*w = (struct lc_wl_window){0};
}
