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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "patterns.h"
#include "wl_window.h"

struct client {
	struct lc_wl_window win;
	unsigned first, count, next;
	unsigned shown_mask;
};

/* Shows the next pattern in a free buffer; false if none is free. */
static bool show_next(struct client *c)
{
	struct lc_wl_window *w = &c->win;
	struct lc_wl_buffer *b = lc_wl_window_free_buffer(w);
	if (!b)
		return false;
	unsigned k = c->first + c->next % c->count;
	if (b->tag != k)
		pattern_draw(b->px, (size_t)w->w, w->w, w->h, k);
	b->tag = k;
	lc_wl_window_attach(w, b);
	wl_surface_commit(w->surface);
	unsigned bit = 1u << (c->next % c->count % 32);
	if (!(c->shown_mask & bit)) {
		c->shown_mask |= bit;
		printf("shown %u size=%dx%d\n", k, w->w, w->h);
		fflush(stdout);
	}
	c->next++;
	return true;
}

static void configured(void *data, bool resized)
{
	struct client *c = data;
	if (resized) {
		printf("configured %dx%d\n", c->win.w, c->win.h);
		fflush(stdout);
	}
	show_next(c);
}

int main(int argc, char **argv)
{
	struct client c = {.first = 1, .count = 4};
	c.win = (struct lc_wl_window){.data = &c,
				      .configured_hook = configured,
				      .min_w = PATTERN_MIN_WIDTH,
				      .min_h = PATTERN_MIN_HEIGHT};
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
			if (sscanf(v, "%dx%d", &c.win.out_w, &c.win.out_h) != 2) {
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
	struct lc_wl_window *w = &c.win;
	if (lc_wl_window_connect(w) < 0)
		return 1;
	printf("output %dx%d\n", w->out_w, w->out_h);
	lc_wl_window_show(w, "lc-wl-pattern-client", "lc-wl-pattern-client");

	/* The duration counts from the first pattern shown, not from the
	 * start: a slow compositor only delays it. */
	int64_t t0 = -1, next_at = 0;
	int rc = 0;
	const char *why = NULL;
	while (!w->closed) {
		int64_t t = lc_now_ms();
		if (duration_ms > 0 && t0 >= 0 && t - t0 >= duration_ms)
			break;
		if (w->configured && t >= next_at) {
			if (show_next(&c)) {
				next_at = t + interval_ms;
				if (t0 < 0)
					t0 = t;
			}
		}
		int timeout = w->configured ? (int)(next_at > t ? next_at - t : 10) : 100;
		if (lc_wl_window_dispatch(w, timeout, &why) < 0) {
			fprintf(stderr, "%s\n", why);
			rc = 1;
			break;
		}
	}
	printf("done shown=%u closed=%d\n", (unsigned)__builtin_popcount(c.shown_mask), w->closed);
	lc_wl_window_finish(w);
	return rc;
}
