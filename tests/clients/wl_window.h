/* wl_window: what the rig's full-screen Wayland test clients
 * (lc-wl-pattern-client, lc-wl-input-client) share: the core globals
 * (wl_compositor, wl_shm, xdg_wm_base, the first wl_output), one
 * fullscreen xdg toplevel, and two wl_shm XRGB8888 buffers at the size the
 * compositor configures (the output's current mode when it says 0x0).
 *
 * The client owns the struct and what it draws; the window owns every
 * proxy it created and destroys them in lc_wl_window_finish, after the
 * client has destroyed its own (a wl_seat and its devices, say): every
 * proxy must go before the display, or libwayland-client leaks them.
 * Other globals reach the client through `global`; each acked configure
 * through `configured` (resized: the buffers are new and all free). */
#ifndef LC_WL_WINDOW_H
#define LC_WL_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>

#define LC_WL_WINDOW_BUFFERS 2
#define LC_WL_WINDOW_MAX_SIDE 16384

struct lc_wl_buffer {
	struct wl_buffer *wl;
	uint32_t *px; /* w*h pixels, stride w*4 */
	size_t size;
	bool busy;    /* the compositor's until it releases it */
	uint64_t tag; /* the client's note of what it holds; reset to ~0 when new */
};

struct lc_wl_window {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm;
	struct wl_output *output;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct lc_wl_buffer buffers[LC_WL_WINDOW_BUFFERS];
	int out_w, out_h;   /* the output's current mode (or the client's --size) */
	int conf_w, conf_h; /* the last toplevel configure */
	int w, h;           /* the buffers' size */
	int min_w, min_h;   /* a smaller configure closes the window */
	bool configured, closed;

	void *data; /* passed to the hooks below */
	void (*global)(void *data, struct wl_registry *r, uint32_t name, const char *iface,
		       uint32_t version);
	void (*configured_hook)(void *data, bool resized);
};

/* Connects to $WAYLAND_DISPLAY and binds the globals (two roundtrips: the
 * output's mode and the other globals' first events are in). -1 with a
 * message when the compositor lacks a core global. */
int lc_wl_window_connect(struct lc_wl_window *w);
/* Creates the fullscreen toplevel and commits it without a buffer. */
void lc_wl_window_show(struct lc_wl_window *w, const char *title, const char *app_id);
/* A buffer the compositor does not hold, or NULL. */
struct lc_wl_buffer *lc_wl_window_free_buffer(struct lc_wl_window *w);
/* Attaches b, damaged whole, and marks it busy; the caller commits. */
void lc_wl_window_attach(struct lc_wl_window *w, struct lc_wl_buffer *b);
/* One turn of the client's loop: flush, wait up to timeout_ms for events,
 * dispatch them. -1 with `why` set when the connection is gone. */
int lc_wl_window_dispatch(struct lc_wl_window *w, int timeout_ms, const char **why);
/* Destroys what the window created, then disconnects. */
void lc_wl_window_finish(struct lc_wl_window *w);

#endif
