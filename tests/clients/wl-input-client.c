/* lc-wl-input-client: a Wayland client that reports every input event its
 * compositor gives it, so a test can prove that keys, clicks, the wheel and
 * touch injected into QEMU (or typed in the viewer page) reach a client on
 * the leased desktop, in order and where they should. An xdg-shell
 * toplevel, fullscreen, one solid colour (wl_shm XRGB8888 at the size the
 * compositor configures); with --redraw-on-key each key press repaints it
 * in the next colour of a fixed palette at once, for input-to-photon
 * measurements.
 *
 *   lc-wl-input-client --out FILE [--redraw-on-key] [--duration-ms MS]
 *                      [--app-id ID] [--size WxH]
 *
 * FILE gets one JSON object per line, flushed as it happens; every one has
 * "ev" and "t_us" (CLOCK_MONOTONIC microseconds when the client handled
 * it). Events, with their other members:
 *   configured  w h                      a new buffer size
 *   ready       w h                      first frame shown (its frame callback
 *                                        came back): inject input from here
 *   seat        caps (array: "keyboard", "pointer", "touch") version
 *   seat_name   name
 *   keymap      format size
 *   keyboard_enter / keyboard_leave      keys (array of evdev codes, enter only)
 *   key         code (evdev) state ("pressed"/"released") time (compositor ms)
 *               sym (keysym name) text (UTF-8 xkbcommon gives for the key with
 *               the modifiers in effect; "" when none)
 *   modifiers   depressed latched locked group
 *   repeat_info rate delay
 *   pointer_enter x y (surface coordinates) / pointer_leave
 *   motion      x y time
 *   button      button (evdev BTN_*) state time
 *   axis        axis (0 vertical, 1 horizontal) value time
 *   axis_source source / axis_stop axis time / axis_discrete axis discrete /
 *   axis_value120 axis value120 / pointer_frame
 *   touch_down  id x y time / touch_up id time / touch_motion id x y time /
 *   touch_frame / touch_cancel
 *   draw        n (commit number) color_n (colour changes so far: one per key
 *               press with --redraw-on-key) color ("#rrggbb") cause
 *               ("start", "resize", "key") key (the press's evdev code)
 *   frame_done  n (the draw whose frame callback came back)
 *   done        reason
 * stdout gets "configured WxH", "ready WxH" and "done" lines (for a kiosk
 * compositor's log). Ends when the compositor closes it, on SIGTERM/SIGINT,
 * or --duration-ms after ready. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "clock.h"
#include "wl_window.h"

#define KEYMAP_MAX (4u << 20) /* a generous bound on a compositor's keymap */

/* Far apart in RGB and in YUV 4:2:0, so a decoded frame tells them apart;
 * the start colour is none of them. */
static const uint32_t palette[] = {0xe02020, 0x20c020, 0x2040e0, 0xe0e020,
				   0xe020e0, 0x20e0e0, 0xf0f0f0, 0xf08000};
#define N_PALETTE (sizeof(palette) / sizeof(palette[0]))
#define START_COLOR 0x303030u

struct client {
	struct lc_wl_window win;
	struct wl_seat *seat;
	uint32_t seat_version;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct wl_touch *touch;
	struct wl_callback *frame_cb;

	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *xkb_state;

	FILE *out;
	bool redraw_on_key;
	bool ready;
	unsigned draws;         /* commits so far; the next one is number `draws` */
	unsigned presses;       /* key presses so far */
	unsigned color_n;       /* colour changes so far (0: the start colour) */
	bool redraw_pending;    /* a press came while both buffers were busy */
	uint32_t pending_key;   /* its key */
	unsigned frame_cb_draw; /* the draw frame_cb belongs to */
	int64_t ready_ms;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- JSON output -------------------------------------------------------- */

/* One JSON object per line: "ev", "t_us", then the caller's members. */
static void emit(struct client *c, const char *ev, const char *fmt, ...)
{
	fprintf(c->out, "{\"ev\":\"%s\",\"t_us\":%lld", ev, (long long)(lc_now_ns() / 1000));
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputc(',', c->out);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
	}
	fputs("}\n", c->out);
	fflush(c->out);
}

/* A JSON string body for UTF-8 text (xkbcommon's output is valid UTF-8;
 * control characters such as Return's "\r" are escaped). */
static void json_escape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; *s && n + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
}

static double fx(wl_fixed_t v)
{
	return wl_fixed_to_double(v);
}

/* ---- drawing ------------------------------------------------------------ */

static void frame_done(void *data, struct wl_callback *cb, uint32_t time);
static const struct wl_callback_listener frame_listener = {.done = frame_done};

static uint32_t color_of(unsigned color_n)
{
	return color_n == 0 ? START_COLOR : palette[(color_n - 1) % N_PALETTE];
}

/* Draws the current colour in a free buffer and commits it (draw number
 * c->draws); false when both buffers are still the compositor's. */
static bool draw(struct client *c, const char *cause, uint32_t key)
{
	struct lc_wl_window *w = &c->win;
	struct lc_wl_buffer *b = lc_wl_window_free_buffer(w);
	if (!b)
		return false;
	unsigned n = c->draws++;
	uint32_t color = color_of(c->color_n);
	if (b->tag != color) {
		size_t count = (size_t)w->w * (size_t)w->h;
		for (size_t i = 0; i < count; i++)
			b->px[i] = color;
		b->tag = color;
	}
	lc_wl_window_attach(w, b);
	if (c->frame_cb)
		wl_callback_destroy(c->frame_cb);
	c->frame_cb = wl_surface_frame(w->surface);
	wl_callback_add_listener(c->frame_cb, &frame_listener, c);
	c->frame_cb_draw = n;
	wl_surface_commit(w->surface);
	if (strcmp(cause, "key") == 0)
		emit(c, "draw",
		     "\"n\":%u,\"color_n\":%u,\"color\":\"#%06x\",\"cause\":\"key\",\"key\":%u", n,
		     c->color_n, color, key);
	else
		emit(c, "draw", "\"n\":%u,\"color_n\":%u,\"color\":\"#%06x\",\"cause\":\"%s\"", n,
		     c->color_n, color, cause);
	return true;
}

static void frame_done(void *data, struct wl_callback *cb, uint32_t time)
{
	struct client *c = data;
	wl_callback_destroy(cb);
	c->frame_cb = NULL;
	emit(c, "frame_done", "\"n\":%u,\"time\":%u", c->frame_cb_draw, time);
	if (!c->ready) {
		c->ready = true;
		c->ready_ms = lc_now_ms();
		emit(c, "ready", "\"w\":%d,\"h\":%d", c->win.w, c->win.h);
		printf("ready %dx%d\n", c->win.w, c->win.h);
		fflush(stdout);
	}
}

/* ---- window ------------------------------------------------------------- */

static void configured(void *data, bool resized)
{
	struct client *c = data;
	if (!resized)
		return;
	struct lc_wl_window *w = &c->win;
	emit(c, "configured", "\"w\":%d,\"h\":%d", w->w, w->h);
	printf("configured %dx%d\n", w->w, w->h);
	fflush(stdout);
	/* A new size: the current colour again, at it (the new buffers are
	 * all free). */
	draw(c, w->configured ? "resize" : "start", 0);
}

/* ---- keyboard ------------------------------------------------------------- */

static void kb_keymap(void *data, struct wl_keyboard *k, uint32_t format, int32_t fd, uint32_t size)
{
	struct client *c = data;
	emit(c, "keymap", "\"format\":%u,\"size\":%u", format, size);
	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || size == 0 || size > KEYMAP_MAX) {
		fprintf(stderr, "keymap: format %u size %u not usable\n", format, size);
		close(fd);
		return;
	}
	char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		perror("keymap mmap");
		return;
	}
	/* The keymap is NUL-terminated within size; from_buffer wants the
	 * length without the NUL. */
	size_t len = strnlen(map, size);
	struct xkb_keymap *km = xkb_keymap_new_from_buffer(
		c->xkb, map, len, XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	munmap(map, size);
	if (!km) {
		fprintf(stderr, "keymap: xkbcommon cannot compile it\n");
		return;
	}
	struct xkb_state *st = xkb_state_new(km);
	if (!st) {
		xkb_keymap_unref(km);
		return;
	}
	xkb_state_unref(c->xkb_state);
	xkb_keymap_unref(c->keymap);
	c->keymap = km;
	c->xkb_state = st;
}

static void kb_enter(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *s,
		     struct wl_array *keys)
{
	struct client *c = data;
	char list[512];
	size_t n = 0;
	uint32_t *key;
	list[0] = '\0';
	wl_array_for_each (key, keys) {
		if (n + 16 >= sizeof(list))
			break;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", n ? "," : "", *key);
	}
	emit(c, "keyboard_enter", "\"serial\":%u,\"keys\":[%s]", serial, list);
}

static void kb_leave(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *s)
{
	emit(data, "keyboard_leave", "\"serial\":%u", serial);
}

static void kb_key(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t time, uint32_t key,
		   uint32_t state)
{
	struct client *c = data;
	char text[64] = "", esc[400] = "", sym_name[64] = "";
	if (c->xkb_state) {
		xkb_keycode_t code = key + 8; /* evdev to XKB */
		xkb_keysym_t sym = xkb_state_key_get_one_sym(c->xkb_state, code);
		if (xkb_keysym_get_name(sym, sym_name, sizeof(sym_name)) < 0)
			sym_name[0] = '\0';
		xkb_state_key_get_utf8(c->xkb_state, code, text, sizeof(text));
	}
	json_escape(text, esc, sizeof(esc));
	char sym_esc[400];
	json_escape(sym_name, sym_esc, sizeof(sym_esc));
	bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
	emit(c, "key",
	     "\"code\":%u,\"state\":\"%s\",\"time\":%u,\"serial\":%u,\"sym\":\"%s\",\"text\":\"%s\"",
	     key, pressed ? "pressed" : "released", time, serial, sym_esc, esc);
	if (pressed) {
		c->presses++;
		if (c->redraw_on_key && c->win.configured) {
			c->color_n++;
			if (!draw(c, "key", key)) {
				/* At the next buffer release, in the newest colour. */
				c->redraw_pending = true;
				c->pending_key = key;
			}
		}
	}
}

static void kb_modifiers(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t depressed,
			 uint32_t latched, uint32_t locked, uint32_t group)
{
	struct client *c = data;
	if (c->xkb_state)
		xkb_state_update_mask(c->xkb_state, depressed, latched, locked, 0, 0, group);
	emit(c, "modifiers", "\"depressed\":%u,\"latched\":%u,\"locked\":%u,\"group\":%u",
	     depressed, latched, locked, group);
}

static void kb_repeat_info(void *data, struct wl_keyboard *k, int32_t rate, int32_t delay)
{
	emit(data, "repeat_info", "\"rate\":%d,\"delay\":%d", rate, delay);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = kb_keymap,
	.enter = kb_enter,
	.leave = kb_leave,
	.key = kb_key,
	.modifiers = kb_modifiers,
	.repeat_info = kb_repeat_info,
};

/* ---- pointer -------------------------------------------------------------- */

static void p_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s,
		    wl_fixed_t x, wl_fixed_t y)
{
	emit(data, "pointer_enter", "\"serial\":%u,\"x\":%.3f,\"y\":%.3f", serial, fx(x), fx(y));
}
static void p_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s)
{
	emit(data, "pointer_leave", "\"serial\":%u", serial);
}
static void p_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
	emit(data, "motion", "\"x\":%.3f,\"y\":%.3f,\"time\":%u", fx(x), fx(y), time);
}
static void p_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
		     uint32_t button, uint32_t state)
{
	emit(data, "button", "\"button\":%u,\"state\":\"%s\",\"time\":%u,\"serial\":%u", button,
	     state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released", time, serial);
}
static void p_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t v)
{
	emit(data, "axis", "\"axis\":%u,\"value\":%.3f,\"time\":%u", axis, fx(v), time);
}
static void p_frame(void *data, struct wl_pointer *p)
{
	emit(data, "pointer_frame", NULL);
}
static void p_axis_source(void *data, struct wl_pointer *p, uint32_t source)
{
	emit(data, "axis_source", "\"source\":%u", source);
}
static void p_axis_stop(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis)
{
	emit(data, "axis_stop", "\"axis\":%u,\"time\":%u", axis, time);
}
static void p_axis_discrete(void *data, struct wl_pointer *p, uint32_t axis, int32_t discrete)
{
	emit(data, "axis_discrete", "\"axis\":%u,\"discrete\":%d", axis, discrete);
}
static void p_axis_value120(void *data, struct wl_pointer *p, uint32_t axis, int32_t value120)
{
	emit(data, "axis_value120", "\"axis\":%u,\"value120\":%d", axis, value120);
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = p_enter,
	.leave = p_leave,
	.motion = p_motion,
	.button = p_button,
	.axis = p_axis,
	.frame = p_frame,
	.axis_source = p_axis_source,
	.axis_stop = p_axis_stop,
	.axis_discrete = p_axis_discrete,
	.axis_value120 = p_axis_value120,
};

/* ---- touch ---------------------------------------------------------------- */

static void t_down(void *data, struct wl_touch *t, uint32_t serial, uint32_t time,
		   struct wl_surface *s, int32_t id, wl_fixed_t x, wl_fixed_t y)
{
	emit(data, "touch_down", "\"id\":%d,\"x\":%.3f,\"y\":%.3f,\"time\":%u,\"serial\":%u", id,
	     fx(x), fx(y), time, serial);
}
static void t_up(void *data, struct wl_touch *t, uint32_t serial, uint32_t time, int32_t id)
{
	emit(data, "touch_up", "\"id\":%d,\"time\":%u,\"serial\":%u", id, time, serial);
}
static void t_motion(void *data, struct wl_touch *t, uint32_t time, int32_t id, wl_fixed_t x,
		     wl_fixed_t y)
{
	emit(data, "touch_motion", "\"id\":%d,\"x\":%.3f,\"y\":%.3f,\"time\":%u", id, fx(x), fx(y),
	     time);
}
static void t_frame(void *data, struct wl_touch *t)
{
	emit(data, "touch_frame", NULL);
}
static void t_cancel(void *data, struct wl_touch *t)
{
	emit(data, "touch_cancel", NULL);
}
static void t_shape(void *data, struct wl_touch *t, int32_t id, wl_fixed_t major, wl_fixed_t minor)
{
}
static void t_orientation(void *data, struct wl_touch *t, int32_t id, wl_fixed_t orientation) {}

static const struct wl_touch_listener touch_listener = {
	.down = t_down,
	.up = t_up,
	.motion = t_motion,
	.frame = t_frame,
	.cancel = t_cancel,
	.shape = t_shape,
	.orientation = t_orientation,
};

/* ---- seat, output, registry ------------------------------------------------ */

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct client *c = data;
	bool kb = caps & WL_SEAT_CAPABILITY_KEYBOARD, ptr = caps & WL_SEAT_CAPABILITY_POINTER,
	     tch = caps & WL_SEAT_CAPABILITY_TOUCH;
	if (kb && !c->keyboard) {
		c->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(c->keyboard, &keyboard_listener, c);
	} else if (!kb && c->keyboard) {
		if (c->seat_version >= WL_KEYBOARD_RELEASE_SINCE_VERSION)
			wl_keyboard_release(c->keyboard);
		else
			wl_keyboard_destroy(c->keyboard);
		c->keyboard = NULL;
	}
	if (ptr && !c->pointer) {
		c->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(c->pointer, &pointer_listener, c);
	} else if (!ptr && c->pointer) {
		if (c->seat_version >= WL_POINTER_RELEASE_SINCE_VERSION)
			wl_pointer_release(c->pointer);
		else
			wl_pointer_destroy(c->pointer);
		c->pointer = NULL;
	}
	if (tch && !c->touch) {
		c->touch = wl_seat_get_touch(seat);
		wl_touch_add_listener(c->touch, &touch_listener, c);
	} else if (!tch && c->touch) {
		if (c->seat_version >= WL_TOUCH_RELEASE_SINCE_VERSION)
			wl_touch_release(c->touch);
		else
			wl_touch_destroy(c->touch);
		c->touch = NULL;
	}
	char list[64];
	snprintf(list, sizeof(list), "%s%s%s", kb ? ",\"keyboard\"" : "", ptr ? ",\"pointer\"" : "",
		 tch ? ",\"touch\"" : "");
	emit(c, "seat", "\"caps\":[%s],\"version\":%u", list[0] ? list + 1 : "", c->seat_version);
}
static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
	char esc[256];
	json_escape(name, esc, sizeof(esc));
	emit(data, "seat_name", "\"name\":\"%s\"", esc);
}
static const struct wl_seat_listener seat_listener = {.capabilities = seat_capabilities,
						      .name = seat_name};

static void reg_global(void *data, struct wl_registry *r, uint32_t name, const char *iface,
		       uint32_t v)
{
	struct client *c = data;
	if (strcmp(iface, wl_seat_interface.name) == 0 && !c->seat) {
		/* v8: axis_value120 (high-resolution wheel) where the compositor has it. */
		c->seat_version = v < 8 ? v : 8;
		c->seat = wl_registry_bind(r, name, &wl_seat_interface, c->seat_version);
		wl_seat_add_listener(c->seat, &seat_listener, c);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: lc-wl-input-client --out FILE [--redraw-on-key] "
			"[--duration-ms MS] [--app-id ID] [--size WxH]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct client c = {0};
	c.win = (struct lc_wl_window){
		.data = &c, .global = reg_global, .configured_hook = configured};
	const char *out_path = NULL, *app_id = "lc-wl-input-client";
	long duration_ms = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--redraw-on-key") == 0) {
			c.redraw_on_key = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--out") == 0) {
			out_path = v;
		} else if (strcmp(a, "--duration-ms") == 0) {
			char *end;
			duration_ms = strtol(v, &end, 10);
			if (*end || duration_ms < 0)
				return usage();
		} else if (strcmp(a, "--app-id") == 0) {
			app_id = v;
		} else if (strcmp(a, "--size") == 0) {
			if (sscanf(v, "%dx%d", &c.win.out_w, &c.win.out_h) != 2 ||
			    c.win.out_w <= 0 || c.win.out_h <= 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (!out_path)
		return usage();
	int ofd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	c.out = ofd >= 0 ? fdopen(ofd, "w") : NULL;
	if (!c.out) {
		fprintf(stderr, "cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	c.xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct lc_wl_window *w = &c.win;
	if (!c.xkb) {
		fprintf(stderr, "xkbcommon: no context\n");
		return 1;
	}
	if (lc_wl_window_connect(w) < 0)
		return 1;
	if (!c.seat)
		emit(&c, "seat", "\"caps\":[],\"version\":0");
	lc_wl_window_show(w, "lc-wl-input-client", app_id);

	int rc = 0;
	const char *why = "closed";
	while (!w->closed) {
		if (stop_signal) {
			why = "signal";
			break;
		}
		int64_t t = lc_now_ms();
		if (duration_ms > 0 && c.ready && t - c.ready_ms >= duration_ms) {
			why = "duration";
			break;
		}
		if (c.redraw_pending && draw(&c, "key", c.pending_key))
			c.redraw_pending = false;
		if (lc_wl_window_dispatch(w, duration_ms > 0 && c.ready ? 50 : 1000, &why) < 0) {
			rc = 1;
			break;
		}
	}
	emit(&c, "done", "\"reason\":\"%s\",\"draws\":%u,\"presses\":%u", why, c.draws, c.presses);
	printf("done %s draws=%u presses=%u\n", why, c.draws, c.presses);
	fclose(c.out);

	if (c.frame_cb)
		wl_callback_destroy(c.frame_cb);
	if (c.keyboard)
		wl_keyboard_destroy(c.keyboard);
	if (c.pointer)
		wl_pointer_destroy(c.pointer);
	if (c.touch)
		wl_touch_destroy(c.touch);
	if (c.seat)
		wl_seat_destroy(c.seat);
	lc_wl_window_finish(w);
	xkb_state_unref(c.xkb_state);
	xkb_keymap_unref(c.keymap);
	xkb_context_unref(c.xkb);
	return rc;
}
