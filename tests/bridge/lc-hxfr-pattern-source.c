/* lc-hxfr-pattern-source: a small HXFR server for the frame bridge's host
 * tests. It speaks the subscriber side of a leasecast exporter (HELLO,
 * SUBSCRIBE_KEYED checked against --key, KEYFRAME_REQ, CURSOR_DEFINE/MOVE)
 * and streams test patterns (tests/clients/patterns.h) FIRST..FIRST+COUNT-1
 * encoded with libx264 like the exporter, then holds the last one: only a
 * KEYFRAME_REQ makes it send again (an IDR), or a REFRESH_REQ (a P-frame
 * of the same picture; offered unless --no-refresh), like a static screen.
 * With --go-file the flips wait until that file exists (the first
 * subscriber gets the first pattern until then).
 * With --resize-after N --to WxH the screen changes size when it shows
 * pattern FIRST+N: from then on the encoder is a new one at WxH (an IDR
 * with a new SPS), as the exporter's is when the guest's mode changes.
 * A wrong key gets SUBSCRIBE_RESP 0 + ERROR 9 and the connection closed.
 * It offers INPUT (HXFR.md §5.10) and, with --input-log FILE, appends every
 * HELLO's features and every input message it receives as one JSON line (what the host tests of the
 * bridge's input check), after checking it is for the subscribed scanout
 * from a connection that asked for INPUT.
 * Blocking writes and one poll loop: a test tool, not a server. */
#include <errno.h>
#include <libyuv/convert.h>
#include <libyuv/convert_from_argb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "h264_encode.h"
#include "hxfr.h"
#include "patterns.h"
#include "sock.h"

#define MAX_CLIENTS 8

struct client {
	int fd;
	uint8_t in[4096];
	size_t in_len;
	bool cursor, input, subscribed, want_idr, want_refresh;
	unsigned sent_k; /* the last pattern this subscriber got */
	bool has_sent;
};

static uint8_t key[HXFR_STREAM_KEY_LEN];
static FILE *input_log;
static bool no_refresh;
static unsigned scanout = 1, width = 640, height = 360, first = 100, count = 30, fps = 15;

/* What encodes the screen at its current size. */
struct screen {
	unsigned width, height;
	struct h264_encoder *enc;
	struct pattern_checker *pc;
	uint8_t *y, *u, *v;
	size_t ys, cs;
};

static void screen_free(struct screen *s)
{
	h264_encoder_destroy(s->enc);
	pattern_checker_destroy(s->pc);
	free(s->y);
	free(s->u);
	free(s->v);
	*s = (struct screen){0};
}

static int screen_init(struct screen *s, unsigned w, unsigned h)
{
	*s = (struct screen){.width = w, .height = h, .ys = w, .cs = (w + 1) / 2};
	size_t ch = (h + 1) / 2;
	s->enc = h264_encoder_create((int)w, (int)h, (int)fps, 23, 0, 1);
	s->pc = pattern_checker_create((int)w, (int)h);
	s->y = malloc(s->ys * h);
	s->u = malloc(s->cs * ch);
	s->v = malloc(s->cs * ch);
	if (s->enc && s->pc && s->y && s->u && s->v)
		return 0;
	screen_free(s);
	return -1;
}

static void send_all(struct client *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (c->fd >= 0 && n > 0) {
		ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
			poll(&pfd, 1, 1000);
			continue;
		}
		if (w <= 0) {
			close(c->fd);
			c->fd = -1;
			return;
		}
		b += w;
		n -= (size_t)w;
	}
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* An 8x8 cursor: opaque red with a transparent corner, hotspot (1,2). */
static void send_cursor(struct client *c)
{
	uint8_t px[8 * 8 * 4];
	for (int i = 0; i < 64; i++) {
		bool clear = (i % 8) < 2 && (i / 8) < 2;
		uint32_t argb = clear ? 0 : 0xffff0000u;
		memcpy(px + 4 * i, &argb, 4);
	}
	uint8_t buf[HXFR_HEADER_SIZE + 16 + sizeof(px)];
	size_t n = hxfr_encode_cursor_define(buf, sizeof(buf), (uint16_t)scanout, 8, 8, 1, 2, px);
	send_all(c, buf, n);
	n = hxfr_encode_cursor_move(buf, sizeof(buf), (uint16_t)scanout, 50, 60, true);
	send_all(c, buf, n);
}

/* One input message as a JSON line; "bad" says why it would be refused. */
static void log_input(const struct client *c, const struct hxfr_msg *m)
{
	if (!input_log)
		return;
	const char *bad = !c->input                      ? "no INPUT in HELLO"
			  : !c->subscribed               ? "not subscribed"
			  : m->hdr.session_id != scanout ? "wrong scanout"
							 : NULL;
	char body[160];
	switch (m->hdr.type) {
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON:
		snprintf(body, sizeof(body), "\"type\":\"%s\",\"code\":%u,\"down\":%d",
			 m->hdr.type == HXFR_INPUT_KEY ? "key" : "button", m->u.input_key.code,
			 m->u.input_key.down);
		break;
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL:
		snprintf(body, sizeof(body), "\"type\":\"%s\",\"x\":%d,\"y\":%d",
			 m->hdr.type == HXFR_INPUT_ABS   ? "abs"
			 : m->hdr.type == HXFR_INPUT_REL ? "rel"
							 : "wheel",
			 m->u.input_xy.x, m->u.input_xy.y);
		break;
	case HXFR_INPUT_TOUCH:
		snprintf(body, sizeof(body),
			 "\"type\":\"touch\",\"kind\":%u,\"slot\":%u,\"x\":%d,\"y\":%d",
			 m->u.input_touch.kind, m->u.input_touch.slot, m->u.input_touch.x,
			 m->u.input_touch.y);
		break;
	case HXFR_INPUT_RELEASE_ALL:
		snprintf(body, sizeof(body), "\"type\":\"release_all\"");
		break;
	case HXFR_RESIZE_REQ:
		snprintf(body, sizeof(body), "\"type\":\"resize\",\"width\":%u,\"height\":%u",
			 m->u.resize.width, m->u.resize.height);
		break;
	default: return;
	}
	fprintf(input_log, "{%s,\"scanout\":%u,\"t\":%.3f%s%s%s}\n", body, m->hdr.session_id,
		lc_now_s(), bad ? ",\"bad\":\"" : "", bad ? bad : "", bad ? "\"" : "");
	fflush(input_log);
}

static void handle(struct client *c)
{
	for (;;) {
		struct hxfr_msg m;
		size_t used = 0;
		enum hxfr_status st = hxfr_decode(c->in, c->in_len, HXFR_MAX_CLIENT_PAYLOAD, &m,
						  &used);
		if (st == HXFR_NEED_MORE)
			return;
		if (st == HXFR_E_MAGIC || st == HXFR_E_OVERSIZE) {
			drop(c);
			return;
		}
		uint8_t out[512];
		size_t n;
		if (st == HXFR_OK && m.hdr.type == HXFR_HELLO) {
			uint8_t nonce[HXFR_NONCE_LEN] = {0};
			c->cursor = m.u.hello.features & HXFR_FEATURE_CURSOR;
			c->input = m.u.hello.features & HXFR_FEATURE_INPUT;
			if (input_log) { /* which features a bridge asked for */
				fprintf(input_log, "{\"type\":\"hello\",\"features\":%u}\n",
					m.u.hello.features);
				fflush(input_log);
			}
			n = hxfr_encode_hello_resp(out, sizeof(out),
						   HXFR_FEATURE_STREAM_KEYS | HXFR_FEATURE_CURSOR |
							   HXFR_FEATURE_INPUT |
							   (no_refresh ? 0 : HXFR_FEATURE_REFRESH),
						   nonce);
			send_all(c, out, n);
		} else if (st == HXFR_OK && m.hdr.type == HXFR_SUBSCRIBE_KEYED) {
			bool ok = m.u.subscribe_keyed.scanout_id == scanout &&
				  memcmp(m.u.subscribe_keyed.key, key, sizeof(key)) == 0;
			n = hxfr_encode_subscribe_resp(out, sizeof(out),
						       m.u.subscribe_keyed.scanout_id, ok);
			send_all(c, out, n);
			if (!ok) {
				fprintf(stderr, "source: refused a subscriber (wrong key)\n");
				n = hxfr_encode_error(out, sizeof(out), (uint16_t)scanout,
						      HXFR_ERR_AUTH_FAILED, "wrong stream key");
				send_all(c, out, n);
				drop(c);
				return;
			}
			fprintf(stderr, "source: subscriber admitted\n");
			c->subscribed = true;
			c->want_idr = true;
			if (c->cursor)
				send_cursor(c);
		} else if (st == HXFR_OK && m.hdr.type == HXFR_REFRESH_REQ && !no_refresh) {
			c->want_refresh = true;
			if (input_log) {
				fprintf(input_log, "{\"type\":\"refresh_req\",\"t\":%.3f}\n",
					lc_now_s());
				fflush(input_log);
			}
		} else if (st == HXFR_OK && m.hdr.type == HXFR_KEYFRAME_REQ) {
			c->want_idr = true;
			if (input_log) { /* who asks for frames, and when */
				fprintf(input_log, "{\"type\":\"keyframe_req\",\"t\":%.3f}\n",
					lc_now_s());
				fflush(input_log);
			}
		} else if (st == HXFR_OK && ((m.hdr.type >= HXFR_INPUT_KEY &&
					      m.hdr.type <= HXFR_INPUT_RELEASE_ALL) ||
					     m.hdr.type == HXFR_RESIZE_REQ)) {
			log_input(c, &m);
		} else if (st != HXFR_OK && input_log) {
			fprintf(input_log, "{\"type\":\"invalid\",\"msg\":%u,\"status\":%d}\n",
				m.hdr.type, (int)st);
			fflush(input_log);
		}
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
}

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:0", *go_file = NULL;
	long resize_after = -1; /* no resize */
	unsigned to_w = 0, to_h = 0;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--no-refresh")) {
			no_refresh = true;
			i--; /* no value */
		} else if (!strcmp(a, "--listen"))
			listen = v;
		else if (!strcmp(a, "--key") && hxfr_stream_key_from_hex(v, key) == 0)
			continue;
		else if (!strcmp(a, "--scanout"))
			scanout = (unsigned)atoi(v);
		else if (!strcmp(a, "--size") && sscanf(v, "%ux%u", &width, &height) == 2)
			continue;
		else if (!strcmp(a, "--go-file"))
			go_file = v;
		else if (!strcmp(a, "--first"))
			first = (unsigned)atoi(v);
		else if (!strcmp(a, "--count"))
			count = (unsigned)atoi(v);
		else if (!strcmp(a, "--fps"))
			fps = (unsigned)atoi(v);
		else if (!strcmp(a, "--input-log") && (input_log = fopen(v, "ae")))
			continue;
		else if (!strcmp(a, "--resize-after") && (resize_after = atol(v)) >= 0)
			continue;
		else if (!strcmp(a, "--to") && sscanf(v, "%ux%u", &to_w, &to_h) == 2)
			continue;
		else {
			fprintf(stderr,
				"usage: lc-hxfr-pattern-source --listen H:P --key HEX [--scanout N]"
				" [--size WxH] [--first K] [--count N] [--fps F] [--go-file PATH]"
				" [--input-log FILE] [--resize-after N --to WxH] [--no-refresh]\n"
				"  --resize-after N --to WxH: the screen becomes WxH when it shows"
				" pattern K+N\n"
				"    (a new encoder: an IDR with a new SPS), and stays so\n");
			return 2;
		}
	}
	if ((resize_after >= 0) != (to_w > 0)) {
		fprintf(stderr, "lc-hxfr-pattern-source: --resize-after and --to go together\n");
		return 2;
	}
	char host[64];
	uint16_t port;
	if (lc_parse_hostport(listen, host, sizeof(host), &port) < 0)
		return 2;
	int lfd = lc_tcp_listen(host, port);
	if (lfd < 0) {
		fprintf(stderr, "listen %s: %s\n", listen, strerror(-lfd));
		return 1;
	}
	struct screen scr;
	if (screen_init(&scr, width, height) < 0)
		return 1;
	bool resized = false;
	struct client cl[MAX_CLIENTS];
	for (int i = 0; i < MAX_CLIENTS; i++)
		cl[i].fd = -1;
	printf("listening\n");
	fflush(stdout);
	double start = -1;
	unsigned shown = first; /* the picture "on screen" */
	int64_t last_pts = 0;
	for (;;) {
		struct pollfd pfd[MAX_CLIENTS + 1];
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){.fd = cl[i].fd, .events = POLLIN};
		poll(pfd, MAX_CLIENTS + 1, 1000 / (int)fps);
		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			for (int i = 0; fd >= 0 && i < MAX_CLIENTS; i++)
				if (cl[i].fd < 0) {
					cl[i] = (struct client){.fd = fd};
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (cl[i].fd < 0 || !(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(cl[i].fd, cl[i].in + cl[i].in_len,
					 sizeof(cl[i].in) - cl[i].in_len);
			if (r <= 0) {
				drop(&cl[i]);
				continue;
			}
			cl[i].in_len += (size_t)r;
			handle(&cl[i]);
		}
		/* The screen flips once the first subscriber is in, then holds. */
		bool any = false;
		for (int i = 0; i < MAX_CLIENTS; i++)
			any |= cl[i].fd >= 0 && cl[i].subscribed;
		if (any && start < 0 && (!go_file || access(go_file, F_OK) == 0))
			start = lc_now_s();
		if (start >= 0) {
			unsigned step = (unsigned)((lc_now_s() - start) * fps);
			shown = first + (step < count ? step : count - 1);
		}
		if (!resized && resize_after >= 0 && shown >= first + (unsigned long)resize_after) {
			/* Like the exporter on a mode change: the old encoder's
			 * stream ends, a new one starts at the new size. */
			screen_free(&scr);
			if (screen_init(&scr, to_w, to_h) < 0) {
				fprintf(stderr, "source: cannot encode at %ux%u\n", to_w, to_h);
				return 1;
			}
			resized = true;
			fprintf(stderr, "source: the screen is %ux%u from pattern %u on\n", to_w,
				to_h, shown);
			/* The new size's picture goes to everyone at once. */
			for (int i = 0; i < MAX_CLIENTS; i++)
				cl[i].has_sent = false;
		}
		bool need = false, idr = false;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &cl[i];
			if (c->fd < 0 || !c->subscribed)
				continue;
			if (c->want_idr || c->want_refresh || !c->has_sent || c->sent_k != shown) {
				need = true;
				idr |= c->want_idr;
			}
		}
		if (!need)
			continue;
		/* As the exporter stamps its frames: this host's CLOCK_MONOTONIC
		 * when the picture was made, strictly rising (HXFR.md §4.1). */
		int64_t pts = lc_now_ns();
		if (pts <= last_pts)
			pts = last_pts + 1;
		last_pts = pts;
		const uint32_t *argb = pattern_checker_reference(scr.pc, shown);
		ARGBToI420((const uint8_t *)argb, (int)scr.width * 4, scr.y, (int)scr.ys, scr.u,
			   (int)scr.cs, scr.v, (int)scr.cs, (int)scr.width, (int)scr.height);
		const uint8_t *au;
		size_t au_len;
		bool is_key;
		if (h264_encoder_encode(scr.enc, scr.y, (int)scr.ys, scr.u, (int)scr.cs, scr.v,
					(int)scr.cs, idr, &au, &au_len, &is_key) < 0 ||
		    au_len == 0)
			continue;
		uint8_t prefix[HXFR_FRAME_PREFIX_SIZE];
		hxfr_encode_frame_header(prefix, sizeof(prefix), (uint16_t)scanout, pts, pts,
					 is_key, (uint32_t)au_len);
		hxfr_frame_header_set_latency(prefix, (uint32_t)((lc_now_ns() - pts) / 1000));
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &cl[i];
			if (c->fd < 0 || !c->subscribed)
				continue;
			/* Every subscriber gets every frame of the one encoder (as the
			 * exporter's shared encoder); an IDR satisfies want_idr. */
			send_all(c, prefix, sizeof(prefix));
			send_all(c, au, au_len);
			c->has_sent = true;
			c->sent_k = shown;
			c->want_refresh = false;
			if (is_key)
				c->want_idr = false;
		}
	}
}
