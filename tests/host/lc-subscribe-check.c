/* lc-subscribe-check: a real HXFR subscriber that checks what the exporter
 * streams. It subscribes to one scanout with a stream key, decodes every
 * FRAME_RESPONSE with libavcodec, finds the test patterns that
 * lc-pattern-flip shows in the guest (patterns.h), and prints JSON lines:
 * one per event and a final {"event":"summary",...,"pass":...}. A "frame"
 * event carries the size ("w", "h") of the last picture decoded (a resize
 * shows as a change of size at an IDR).
 *
 *   lc-subscribe-check key --scanout N --control-key FILE [--enable WxH]
 *       obtains a fresh stream key (HELLO, AUTH, STREAM_KEY_REQ) and prints
 *       it as hex (it replaces the scanout's previous key).
 *   lc-subscribe-check watch --scanout N (--key HEX | --key-file FILE) [checks]
 *
 * --stall-ms N: after the first frame, reads nothing for N ms (with a small
 * receive buffer, so that the server's queue for it overflows), then reads
 * again. The server must then resynchronise it: the first frame encoded
 * after the resumption (pts >= the resume time; the server's pts is
 * CLOCK_MONOTONIC) must be an IDR, and within --resume-within-ms (default
 * 1000) the subscriber must hold the picture the screen shows (with
 * --expect-patterns: the last pattern), even on a static screen.
 *
 * Cursor (HXFR.md §5.9): --cursor says HELLO(features CURSOR) before
 * subscribing. --expect-cursor N then wants lc-pattern-flip --cursor-moves
 * N's cursor: a CURSOR_DEFINE of cursor_pattern_draw's image (size, hotspot
 * and every pixel, patterns.h), and CURSOR_MOVEs at the hotspot of the
 * positions cursor_pattern_position(0..N-1) (the guest positions the
 * image's top-left; CURSOR_MOVE says where the hotspot is), in that order
 * and ending with N-1; QEMU
 * and the server may coalesce moves, so those that arrive need only be a
 * subsequence (a repeat of the last one is no step back). The watch ends
 * once the last position is in. --expect-no-cursor fails on any cursor
 * message (a subscriber without --cursor, or of another scanout).
 *
 * REFRESH_REQ (HXFR.md §4.2.1):
 *   lc-subscribe-check refresh --scanout N (--key HEX | --key-file FILE)
 *       [--quiet-ms MS] [--static-within SEC] [--observe-ms MS] [--rounds K]
 *       [--burst B] [--refresh-within-ms MS]
 *   says HELLO(features REFRESH) (HELLO_RESP must offer it), subscribes,
 *   and waits (at most --static-within, default 60 s) until the screen is
 *   static: no frame for --quiet-ms (default 1000). Then K times (default
 *   2): nothing may come for --observe-ms (default 1500) without a
 *   request; then B REFRESH_REQs at once (default 3) must bring exactly one
 *   frame (waited for up to --refresh-within-ms, default 10000), which is
 *   not an IDR, decodes to one picture that is the previous one (over every
 *   Y, U and V sample, a PSNR of at least --same-psnr, default 45 dB: the
 *   encoder may refine a few blocks of its reconstruction towards the
 *   unchanged source, by a level or two; any other picture is far below),
 *   and has a pts above the previous frame's,
 *   not before the request and not after its arrival (the server's pts is
 *   CLOCK_MONOTONIC on this host). A last --observe-ms window after the
 *   last refresh frame must be empty too (B requests, one frame).
 *
 * Exit status: 0 when every requested check held, 1 when one did not, 2 on
 * bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <libavutil/log.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "h264_decode.h"
#include "hxfr_json.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_sync.h"
#include "patterns.h"
#include "sock.h"

#define REPLY_TIMEOUT_MS 5000
#define MAX_LATENCIES 100000

struct options {
	char host[64];
	uint16_t port;
	uint32_t scanout;
	const char *control_key, *key_hex, *key_file, *ready_file, *stop_file, *dump_dir;
	uint32_t enable_w, enable_h;
	double duration_s;
	/* checks */
	bool expect_refused, stop_reading, keyframe_req, quiet_frames;
	long expect_patterns; /* -1: no pattern check */
	unsigned first_pattern;
	double min_psnr, min_share, no_frames_s;
	long stall_ms, resume_within_ms;
	uint32_t want_w, want_h;
	bool cursor, expect_no_cursor;
	long expect_cursor; /* -1: no cursor check */
	/* refresh */
	long quiet_ms, observe_ms, rounds, burst, refresh_within_ms;
	double static_within_s, same_psnr;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: lc-subscribe-check key --scanout N --control-key FILE [--connect HOST:PORT]\n"
		"                               [--enable WxH]\n"
		"       lc-subscribe-check watch --scanout N (--key HEX | --key-file FILE)\n"
		"           [--connect HOST:PORT] [--duration SEC] [--ready-file PATH] [--stop-file PATH]\n"
		"           [--expect-patterns N [--first-pattern K] [--min-psnr DB] [--min-share X]]\n"
		"           [--size WxH] [--expect-no-frames-for SEC] [--keyframe-req]\n"
		"           [--stop-reading] [--stall-ms MS [--resume-within-ms MS]] [--expect-refused]\n"
		"           [--quiet-frames] [--dump-dir DIR]\n"
		"           [--cursor [--expect-cursor N]] [--expect-no-cursor]\n"
		"       lc-subscribe-check refresh --scanout N (--key HEX | --key-file FILE)\n"
		"           [--connect HOST:PORT] [--quiet-ms MS] [--static-within SEC]\n"
		"           [--observe-ms MS] [--rounds K] [--burst B] [--refresh-within-ms MS]\n"
		"           [--same-psnr DB]\n");
}

/* A socket like a remote subscriber's: an Ethernet-sized MSS (on loopback
 * the MSS is 64 KiB, and the sender's initial send buffer, ten of them, would
 * swallow a whole test run) and a small receive buffer, both set before
 * the handshake. IPv4 literals only: -1 for anything else. */
static int connect_small_window(const struct options *o, int rcvbuf)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(o->port)};
	if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int mss = 1400, one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* rcvbuf < 0: a small window (connect_small_window) of -rcvbuf bytes. */
static int conn_open(struct hxfr_sync *c, const struct options *o, int rcvbuf)
{
	int fd = rcvbuf < 0 ? connect_small_window(o, -rcvbuf) : -1;
	if (fd == -1)
		fd = lc_tcp_connect_start(o->host, o->port);
	if (fd < 0) {
		*c = (struct hxfr_sync){.fd = -1};
		return fd;
	}
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return hxfr_sync_open(c, fd, HXFR_MAX_SERVER_PAYLOAD, REPLY_TIMEOUT_MS);
}

/* The next whole message (pointers valid until the next call) by the
 * deadline. 1: a message; 0: the server closed (EOF or reset);
 * -ETIMEDOUT; -EPROTO on a stream a client must close (bad magic,
 * oversize). Malformed but skippable messages are reported and skipped. */
static int conn_next(struct hxfr_sync *c, struct hxfr_msg *msg, double deadline)
{
	for (;;) {
		int left = (int)((deadline - lc_now_s()) * 1e3);
		switch (hxfr_sync_next(c, msg, left > 0 ? left : 0)) {
		case HXFR_SYNC_MESSAGE: return 1;
		case HXFR_SYNC_CLOSED: return 0;
		case HXFR_SYNC_TIMEOUT:
			if (lc_now_s() >= deadline)
				return -ETIMEDOUT;
			continue;
		case HXFR_SYNC_SKIPPED:
			printf("{\"event\":\"bad-message\",\"type\":%u,\"status\":\"%s\"}\n",
			       msg->hdr.type, hxfr_status_str(hxfr_client_status(c->client)));
			continue;
		case HXFR_SYNC_FAILED:
			if (hxfr_client_state(c->client) != HXFR_CLIENT_FAILED)
				return -EIO; /* the socket, not the stream */
			printf("{\"event\":\"bad-stream\",\"status\":\"%s\"}\n",
			       hxfr_client_error(c->client));
			return -EPROTO;
		}
	}
}

/* Waits for a message of the given type; ERRORs on the way are printed. */
static int expect_type(struct hxfr_sync *c, struct hxfr_msg *m, uint8_t type)
{
	double deadline = lc_now_s() + REPLY_TIMEOUT_MS / 1e3;
	for (;;) {
		int r = conn_next(c, m, deadline);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : r;
		if (m->hdr.type == type)
			return 0;
		if (m->hdr.type == HXFR_ERROR)
			hxfr_json_print_error(m);
	}
}

/* Sends a request the machine queued (queued: what queueing returned). */
static int send_req(struct hxfr_sync *c, int queued)
{
	return queued < 0 ? queued : hxfr_sync_flush(c, REPLY_TIMEOUT_MS);
}

/* HELLO, AUTH with the control key, optionally ENABLE_SCANOUT, then
 * STREAM_KEY_REQ: the broker's steps, for tests that run without it. */
static int obtain_key(const struct options *o, uint8_t key[HXFR_STREAM_KEY_LEN])
{
	struct hxfr_key ck;
	int r = hxfr_key_load(o->control_key, &ck, true);
	if (r < 0) {
		fprintf(stderr, "lc-subscribe-check: control key %s: %s\n", o->control_key,
			strerror(-r));
		return r;
	}
	struct hxfr_sync c;
	if ((r = conn_open(&c, o, 0)) < 0) {
		fprintf(stderr, "lc-subscribe-check: connect %s:%u: %s\n", o->host, o->port,
			strerror(-r));
		return r;
	}
	struct hxfr_msg m;
	r = hxfr_sync_handshake(&c, HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS, &ck,
				REPLY_TIMEOUT_MS);
	explicit_bzero(&ck, sizeof(ck));
	if (r < 0) {
		fprintf(stderr, "lc-subscribe-check: key request: %s\n", c.error);
		r = -EIO;
		goto out;
	}
	if (!(hxfr_client_offered(c.client) & HXFR_FEATURE_STREAM_KEYS)) {
		fprintf(stderr, "lc-subscribe-check: the server offers no stream keys\n");
		r = -ENOTSUP;
		goto out;
	}
	if (!(hxfr_client_granted(c.client) & HXFR_FEATURE_STREAM_KEYS)) {
		fprintf(stderr, "lc-subscribe-check: AUTH granted 0x%x\n",
			hxfr_client_granted(c.client));
		r = -EACCES;
		goto out;
	}
	if (o->enable_w) {
		struct hxfr_enable_scanout e = {o->scanout, o->enable_w, o->enable_h, 60};
		if ((r = send_req(&c, hxfr_client_enable_scanout(c.client, &e))) < 0 ||
		    (r = expect_type(&c, &m, HXFR_SCANOUT_RESP)) < 0)
			goto out;
		if (!m.u.scanout_resp.success) {
			fprintf(stderr, "lc-subscribe-check: ENABLE_SCANOUT %u refused\n",
				o->scanout);
			r = -EIO;
			goto out;
		}
	}
	if ((r = send_req(&c, hxfr_client_stream_key_req(c.client, o->scanout))) < 0 ||
	    (r = expect_type(&c, &m, HXFR_STREAM_KEY)) < 0)
		goto out;
	if (m.u.stream_key.scanout_id != o->scanout ||
	    hxfr_stream_key_is_zero(m.u.stream_key.key)) {
		fprintf(stderr, "lc-subscribe-check: no key for scanout %u\n", o->scanout);
		r = -EIO;
		goto out;
	}
	memcpy(key, m.u.stream_key.key, HXFR_STREAM_KEY_LEN);
	r = 0;
out:
	if (r < 0 && r != -ENOTSUP && r != -EACCES && r != -EIO)
		fprintf(stderr, "lc-subscribe-check: key request: %s\n", strerror(-r));
	hxfr_sync_close(&c);
	return r;
}

/* What the watch saw, for the summary. */
struct watch {
	const struct options *o;
	struct h264_decoder *dec;
	struct pattern_checker *checker;
	int width, height;
	double t_sub, t_first, t_last_frame;
	unsigned frames, idr_frames, key_flags, decoded, decode_errors, pictures_this_au;
	bool first_is_idr, first_seen;
	uint64_t au_bytes;
	/* patterns */
	long last_pattern, first_pattern_seen;
	unsigned idle_frames, unknown_frames, leading_unknown, pattern_frames, distinct,
		order_errors, low_psnr, idle_after_patterns, out_of_range, size_errors;
	double worst_psnr, psnr_sum;
	/* static / keyframe checks */
	unsigned frames_in_static_window, frames_after_kfr;
	bool kfr_sent, kfr_answered_idr;
	double t_kfr, kfr_ms;
	/* pts age (receive time - pts): the exporter's pts is the
	 * CLOCK_MONOTONIC time the picture reached it, so on the same host it
	 * rises from frame to frame and never lies in the future. */
	double *ages;
	size_t n_ages;
	int64_t last_pts;
	unsigned pts_errors;
	/* stall then resume */
	bool resumed, after_resume_seen, after_resume_idr;
	int64_t t_resume_ns;
	double t_resume, after_resume_ms, final_ms; /* final_ms: last pattern first held */
	unsigned frames_before_resume, frames_after_resume;
	int last_pic_pattern;
	double last_pic_psnr;
	unsigned dumped;
	/* cursor */
	unsigned cursor_defines, cursor_bad_defines, cursor_moves, cursor_out_of_order,
		cursor_hidden, cursor_moves_before_define, cursor_wrong_session;
	long cursor_next; /* index in the expected path after the last match */
};

/* A CURSOR_DEFINE is lc-pattern-flip's cursor: size, hotspot, pixels. */
static bool cursor_define_matches(const struct hxfr_cursor_define *d, int *bad_x, int *bad_y)
{
	*bad_x = *bad_y = -1;
	if (d->width != CURSOR_PATTERN_SIZE || d->height != CURSOR_PATTERN_SIZE ||
	    d->hot_x != CURSOR_PATTERN_HOT_X || d->hot_y != CURSOR_PATTERN_HOT_Y)
		return false;
	for (int y = 0; y < d->height; y++) {
		for (int x = 0; x < d->width; x++) {
			const uint8_t *p = d->pixels +
					   ((size_t)y * (size_t)d->width + (size_t)x) * 4;
			uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24;
			if (v != cursor_pattern_pixel(x, y)) {
				*bad_x = x;
				*bad_y = y;
				return false;
			}
		}
	}
	return true;
}

static void handle_cursor(struct watch *w, const struct hxfr_msg *m)
{
	double t_ms = (lc_now_s() - w->t_sub) * 1e3;
	w->cursor_wrong_session += m->hdr.session_id != w->o->scanout;
	if (m->hdr.type == HXFR_CURSOR_DEFINE) {
		const struct hxfr_cursor_define *d = &m->u.cursor_define;
		int bx, by;
		bool ok = cursor_define_matches(d, &bx, &by);
		w->cursor_defines++;
		w->cursor_bad_defines += !ok;
		printf("{\"event\":\"cursor-define\",\"session\":%u,\"t_ms\":%.1f,\"width\":%d,"
		       "\"height\":%d,\"hot_x\":%d,\"hot_y\":%d,\"matches\":%s,\"first_bad_x\":%d,"
		       "\"first_bad_y\":%d}\n",
		       m->hdr.session_id, t_ms, d->width, d->height, d->hot_x, d->hot_y,
		       ok ? "true" : "false", bx, by);
		return;
	}
	const struct hxfr_cursor_move *mv = &m->u.cursor_move;
	w->cursor_moves++;
	w->cursor_hidden += !mv->visible;
	if (!w->cursor_defines)
		w->cursor_moves_before_define++;
	long at = -1;
	if (w->o->expect_cursor > 0) {
		/* The earliest match from the last matched step on: a repeat of
		 * that step is fine, an earlier step is going back. */
		long from = w->cursor_next > 0 ? w->cursor_next - 1 : 0;
		for (long j = from; j < w->o->expect_cursor && at < 0; j++) {
			int x, y;
			cursor_pattern_position((unsigned)j, &x, &y);
			if (x + CURSOR_PATTERN_HOT_X == mv->x && y + CURSOR_PATTERN_HOT_Y == mv->y)
				at = j;
		}
		if (at < 0)
			w->cursor_out_of_order++;
		else
			w->cursor_next = at + 1;
	}
	printf("{\"event\":\"cursor-move\",\"session\":%u,\"t_ms\":%.1f,\"x\":%d,\"y\":%d,"
	       "\"visible\":%s,\"step\":%ld}\n",
	       m->hdr.session_id, t_ms, mv->x, mv->y, mv->visible ? "true" : "false", at);
}

/* An unidentified picture is the interesting one: keep its luma as a PGM
 * (at most 20 of them) to look at. */
static void dump_unknown(struct watch *w, const struct h264_picture *p)
{
	printf("{\"event\":\"unknown-picture\",\"frame\":%u}\n", w->frames);
	if (!w->o->dump_dir || w->dumped >= 20)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/unknown-%u.pgm", w->o->dump_dir, w->frames);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "P5\n%d %d\n255\n", p->width, p->height);
	for (int y = 0; y < p->height; y++)
		fwrite(p->y + (size_t)y * (size_t)p->y_stride, 1, (size_t)p->width, f);
	fclose(f);
	w->dumped++;
}

static void on_picture(const struct h264_picture *p, void *data)
{
	struct watch *w = data;
	w->decoded++;
	w->pictures_this_au++;
	w->last_pic_pattern = -1;
	w->last_pic_psnr = 0;
	if (!w->checker || p->width != w->width || p->height != w->height) {
		pattern_checker_destroy(w->checker);
		w->width = p->width;
		w->height = p->height;
		w->checker = pattern_checker_create(p->width, p->height);
	}
	if (w->o->want_w &&
	    ((uint32_t)p->width != w->o->want_w || (uint32_t)p->height != w->o->want_h))
		w->size_errors++;
	if (!w->checker)
		return;
	int k = pattern_identify(p->y, p->y_stride, p->width, p->height);
	w->last_pic_pattern = k;
	if (k < 0) {
		dump_unknown(w, p);
		return;
	}
	w->last_pic_psnr = pattern_checker_psnr(w->checker, (unsigned)k, p->y, p->y_stride, p->u,
						p->u_stride, p->v, p->v_stride);
}

static void account_pattern(struct watch *w, int k, double psnr)
{
	const struct options *o = w->o;
	if (o->expect_patterns < 0)
		return;
	if (k < 0) {
		/* Before the guest's first picture (idle or pattern) the scanout
		 * shows whatever QEMU had: not an error. After it, every frame
		 * must be one of ours. */
		if (w->idle_frames == 0 && w->last_pattern < 0)
			w->leading_unknown++;
		else
			w->unknown_frames++;
		return;
	}
	if ((unsigned)k == PATTERN_IDLE) {
		w->idle_frames++;
		if (w->last_pattern >= 0)
			w->idle_after_patterns++;
		return;
	}
	if ((unsigned)k < o->first_pattern ||
	    (unsigned)k >= o->first_pattern + (unsigned long)o->expect_patterns) {
		w->out_of_range++;
		return;
	}
	w->pattern_frames++;
	if (psnr < o->min_psnr)
		w->low_psnr++;
	if (psnr < w->worst_psnr)
		w->worst_psnr = psnr;
	w->psnr_sum += psnr;
	if (w->last_pattern < 0)
		w->first_pattern_seen = k;
	if (k < w->last_pattern)
		w->order_errors++;
	else if (k > w->last_pattern)
		w->distinct++;
	if (k > w->last_pattern)
		w->last_pattern = k;
	/* 0 when the last pattern was held before the resumption. */
	if (k == (long)(o->first_pattern + (unsigned long)o->expect_patterns - 1) &&
	    w->final_ms >= 1e9)
		w->final_ms = w->resumed ? (lc_now_s() - w->t_resume) * 1e3 : 0;
}

static void handle_frame(struct watch *w, const struct hxfr_msg *m)
{
	const struct options *o = w->o;
	double t = lc_now_s();
	int64_t recv_ns = lc_now_ns();
	const struct hxfr_frame *f = &m->u.frame;
	w->frames++;
	w->key_flags += f->keyframe;
	/* Helix's layout: one entry holding the whole access unit. */
	const uint8_t *p = f->nals;
	size_t left = f->nals_len;
	bool idr = false, sps_pps = false;
	size_t total = 0;
	w->pictures_this_au = 0;
	w->last_pic_pattern = -1;
	w->last_pic_psnr = 0;
	for (uint32_t i = 0; i < f->nal_count && left >= 4; i++) {
		uint32_t sz = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			      (uint32_t)p[3] << 24;
		const uint8_t *au = p + 4;
		bool sp = false;
		idr |= h264_au_is_idr(au, sz, &sp);
		sps_pps |= sp;
		char err[160] = "";
		if (h264_decoder_decode(w->dec, au, sz, on_picture, w, err, sizeof(err)) < 0) {
			w->decode_errors++;
			printf("{\"event\":\"decode-error\",\"frame\":%u,\"message\":\"%s\"}\n",
			       w->frames, err);
		}
		total += sz;
		p += 4 + sz;
		left -= 4 + (size_t)sz;
	}
	w->au_bytes += total;
	w->idr_frames += idr;
	if (!w->first_seen) {
		w->first_seen = true;
		w->first_is_idr = idr && sps_pps && f->keyframe;
		w->t_first = t;
	} else if (o->no_frames_s > 0 && t - w->t_first <= o->no_frames_s && !w->kfr_sent) {
		w->frames_in_static_window++;
	}
	if (w->kfr_sent) {
		if (w->frames_after_kfr == 0) {
			w->kfr_answered_idr = idr && sps_pps && f->keyframe;
			w->kfr_ms = (t - w->t_kfr) * 1e3;
		}
		w->frames_after_kfr++;
	}
	w->t_last_frame = t;
	if (w->resumed && f->pts_ns >= w->t_resume_ns) {
		if (!w->after_resume_seen) {
			w->after_resume_seen = true;
			w->after_resume_idr = idr && sps_pps && f->keyframe;
			w->after_resume_ms = (t - w->t_resume) * 1e3;
			printf("{\"event\":\"first-after-resume\",\"n\":%u,\"ms\":%.1f,\"idr\":%s}\n",
			       w->frames, w->after_resume_ms,
			       w->after_resume_idr ? "true" : "false");
		}
		w->frames_after_resume++;
	} else if (!w->resumed) {
		w->frames_before_resume++;
	}
	if (w->n_ages < MAX_LATENCIES)
		w->ages[w->n_ages++] = (double)(recv_ns - f->pts_ns) / 1e6;
	if (f->pts_ns <= w->last_pts || f->pts_ns > recv_ns) {
		w->pts_errors++;
		printf("{\"event\":\"bad-pts\",\"n\":%u,\"pts_ns\":%lld,\"previous_ns\":%lld,"
		       "\"received_ns\":%lld}\n",
		       w->frames, (long long)f->pts_ns, (long long)w->last_pts, (long long)recv_ns);
	}
	w->last_pts = f->pts_ns;
	if (w->pictures_this_au == 1)
		account_pattern(w, w->last_pic_pattern, w->last_pic_psnr);
	else if (o->expect_patterns >= 0)
		w->unknown_frames++;
	if (!o->quiet_frames)
		printf("{\"event\":\"frame\",\"n\":%u,\"t_ms\":%.1f,\"bytes\":%zu,\"keyframe\":%s,\"idr\":%s,"
		       "\"pictures\":%u,\"pattern\":%d,\"psnr\":%.2f,\"pts_ns\":%lld,\"w\":%d,\"h\":%d}\n",
		       w->frames, (t - w->t_sub) * 1e3, total, f->keyframe ? "true" : "false",
		       idr ? "true" : "false", w->pictures_this_au, w->last_pic_pattern,
		       w->last_pic_psnr, (long long)f->pts_ns, w->width, w->height);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double q)
{
	if (!n)
		return 0;
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static bool file_exists(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0;
}

static void touch(const char *path)
{
	if (!path)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f) {
		fclose(f);
		rename(tmp, path);
	}
}

/* The stream key from --key or --key-file; -1 (said why) when unusable. */
static int read_stream_key(const struct options *o, uint8_t key[HXFR_STREAM_KEY_LEN])
{
	char hex[HXFR_STREAM_KEY_HEX_LEN + 2] = "";
	if (o->key_file) {
		FILE *f = fopen(o->key_file, "r");
		if (!f || !fgets(hex, sizeof(hex), f)) {
			fprintf(stderr, "lc-subscribe-check: cannot read %s\n", o->key_file);
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		hex[strcspn(hex, "\r\n")] = '\0';
	} else {
		snprintf(hex, sizeof(hex), "%s", o->key_hex);
	}
	if (hxfr_stream_key_from_hex(hex, key) < 0 || hxfr_stream_key_is_zero(key)) {
		fprintf(stderr,
			"lc-subscribe-check: the key must be 64 hex digits, not all zero\n");
		return -1;
	}
	return 0;
}

static int cmd_watch(const struct options *o)
{
	uint8_t key[HXFR_STREAM_KEY_LEN];
	if (read_stream_key(o, key) < 0)
		return 2;
	struct watch w = {.o = o,
			  .last_pattern = -1,
			  .first_pattern_seen = -1,
			  .worst_psnr = 1e9,
			  .final_ms = 1e9,
			  .after_resume_ms = -1};
	w.ages = calloc(MAX_LATENCIES, sizeof(double));
	w.dec = h264_decoder_create();
	struct hxfr_sync c = {.fd = -1};
	bool pass = true;
	int r;
	if (!w.ages || !w.dec) {
		fprintf(stderr, "lc-subscribe-check: out of memory or no h264 decoder\n");
		pass = false;
		goto out;
	}
	/* A slow subscriber: a small receive buffer fills at once. One that
	 * reads again needs a window the kernel reopens as soon as it reads: a
	 * 4 KiB one on loopback (64 KiB MSS) waits for the sender's zero-window
	 * probe, which backs off to seconds during a long stall. */
	if ((r = conn_open(&c, o, o->stop_reading ? 4096 : o->stall_ms > 0 ? -8192 : 0)) < 0) {
		printf("{\"event\":\"connect-error\",\"message\":\"%s\"}\n", strerror(-r));
		pass = false;
		goto out;
	}
	struct hxfr_msg m;
	if (o->cursor) {
		if (hxfr_sync_handshake(&c, HXFR_FEATURE_CURSOR, NULL, REPLY_TIMEOUT_MS) < 0) {
			printf("{\"event\":\"no-hello-resp\"}\n");
			pass = false;
			goto out;
		}
		if (!(hxfr_client_offered(c.client) & HXFR_FEATURE_CURSOR)) {
			printf("{\"event\":\"summary\",\"cursor_offered\":false,\"pass\":false}\n");
			pass = false;
			goto out;
		}
	}
	w.t_sub = lc_now_s();
	if (send_req(&c, hxfr_client_subscribe_keyed(c.client, o->scanout, key)) < 0) {
		pass = false;
		goto out;
	}
	r = expect_type(&c, &m, HXFR_SUBSCRIBE_RESP);
	if (r < 0) {
		printf("{\"event\":\"no-subscribe-resp\",\"message\":\"%s\"}\n", strerror(-r));
		pass = false;
		goto out;
	}
	bool ok = m.u.subscribe_resp.success && m.u.subscribe_resp.scanout_id == o->scanout;
	printf("{\"event\":\"subscribe-resp\",\"scanout\":%u,\"success\":%s,\"ms\":%.1f}\n",
	       m.u.subscribe_resp.scanout_id, m.u.subscribe_resp.success ? "true" : "false",
	       (lc_now_s() - w.t_sub) * 1e3);
	fflush(stdout);
	if (o->expect_refused) {
		/* Refused: SUBSCRIBE_RESP 0, ERROR 9 (auth failed), then the server closes. */
		bool got_err9 = false, closed = false, frames = false;
		double deadline = lc_now_s() + REPLY_TIMEOUT_MS / 1e3;
		for (;;) {
			r = conn_next(&c, &m, deadline);
			if (r == 0) {
				closed = true;
				break;
			}
			if (r < 0)
				break;
			if (m.hdr.type == HXFR_ERROR) {
				hxfr_json_print_error(&m);
				got_err9 |= m.u.error.code == HXFR_ERR_AUTH_FAILED;
			}
			frames |= m.hdr.type == HXFR_FRAME_RESPONSE;
		}
		pass = !ok && got_err9 && closed && !frames;
		printf("{\"event\":\"summary\",\"check\":\"refused\",\"success\":%s,\"error9\":%s,"
		       "\"closed\":%s,\"frames\":%s,\"pass\":%s}\n",
		       ok ? "true" : "false", got_err9 ? "true" : "false",
		       closed ? "true" : "false", frames ? "true" : "false",
		       pass ? "true" : "false");
		goto out;
	}
	if (!ok) {
		r = conn_next(&c, &m, lc_now_s() + 1);
		if (r > 0 && m.hdr.type == HXFR_ERROR)
			hxfr_json_print_error(&m);
		printf("{\"event\":\"summary\",\"subscribed\":false,\"pass\":false}\n");
		pass = false;
		goto out;
	}
	double end = lc_now_s() + o->duration_s;
	if (o->stop_reading) {
		/* Reads nothing until the end: the server's queue for us fills;
		 * it may drop frames or close us, but nobody else may notice.
		 * Then drains what is left, to tell how much got through. */
		touch(o->ready_file);
		double t_stop = lc_now_s();
		while (lc_now_s() < end && !file_exists(o->stop_file))
			usleep(50000);
		double held = lc_now_s() - t_stop;
		unsigned got = 0;
		bool closed = false;
		for (;;) {
			r = conn_next(&c, &m, lc_now_s() + 1.0);
			if (r <= 0) {
				closed = r == 0;
				break;
			}
			got += m.hdr.type == HXFR_FRAME_RESPONSE;
			if (m.hdr.type == HXFR_ERROR)
				hxfr_json_print_error(&m);
		}
		printf("{\"event\":\"summary\",\"check\":\"stop-reading\",\"held_s\":%.1f,"
		       "\"frames\":%u,\"bytes_in\":%llu,\"closed_by_server\":%s,\"pass\":true}\n",
		       held, got, (unsigned long long)c.bytes_in, closed ? "true" : "false");
		goto out;
	}
	bool ended_by_server = false, revoked = false, done = false;
	while (!done) {
		double t = lc_now_s();
		if (t >= end || file_exists(o->stop_file))
			break;
		if (o->stall_ms > 0 && !w.resumed && w.first_seen) {
			printf("{\"event\":\"stall\",\"t_ms\":%.1f,\"stall_ms\":%ld}\n",
			       (t - w.t_sub) * 1e3, o->stall_ms);
			fflush(stdout);
			usleep((useconds_t)o->stall_ms * 1000);
			w.resumed = true;
			w.t_resume = lc_now_s();
			w.t_resume_ns = lc_now_ns();
			/* Reads on for the resynchronisation, then stops. */
			double stop_at = w.t_resume + (double)o->resume_within_ms / 1e3 + 0.5;
			if (stop_at < end)
				end = stop_at;
			printf("{\"event\":\"resume\",\"t_ms\":%.1f}\n",
			       (w.t_resume - w.t_sub) * 1e3);
			continue;
		}
		/* The keyframe request goes out after the first frame, and after
		 * the static window when that is checked too. */
		if (o->keyframe_req && !w.kfr_sent && w.first_seen &&
		    (o->no_frames_s <= 0 || t - w.t_first > o->no_frames_s)) {
			send_req(&c, hxfr_client_keyframe_req(c.client, o->scanout));
			w.kfr_sent = true;
			w.t_kfr = t;
			printf("{\"event\":\"keyframe-req-sent\",\"t_ms\":%.1f}\n",
			       (t - w.t_sub) * 1e3);
		}
		if (o->keyframe_req && w.kfr_sent && w.frames_after_kfr > 0 &&
		    o->expect_patterns < 0 && o->no_frames_s > 0)
			break;
		double until = end;
		if (o->keyframe_req && !w.kfr_sent && w.first_seen && o->no_frames_s > 0)
			until = w.t_first + o->no_frames_s + 0.01;
		if (until > t + 0.2)
			until = t + 0.2;
		r = conn_next(&c, &m, until);
		if (r == -ETIMEDOUT)
			continue;
		if (r <= 0) {
			ended_by_server = true;
			break;
		}
		switch (m.hdr.type) {
		case HXFR_FRAME_RESPONSE:
			handle_frame(&w, &m);
			if (w.frames == 1) {
				touch(o->ready_file);
				fflush(stdout);
			}
			if (o->expect_patterns > 0 && o->stall_ms <= 0 &&
			    w.last_pattern == (long)(o->first_pattern +
						     (unsigned long)o->expect_patterns - 1))
				done = true;
			break;
		case HXFR_ERROR:
			hxfr_json_print_error(&m);
			revoked |= m.u.error.code == HXFR_ERR_KEY_REVOKED;
			break;
		case HXFR_CURSOR_DEFINE:
		case HXFR_CURSOR_MOVE: handle_cursor(&w, &m); break;
		default:
			printf("{\"event\":\"unexpected\",\"type\":\"%s\"}\n",
			       hxfr_type_name(m.hdr.type));
			break;
		}
		/* The cursor's path is complete, and a picture is in (a late
		 * subscriber gets the cursor state before its first IDR). */
		if (o->expect_cursor > 0 && w.cursor_next == o->expect_cursor &&
		    w.cursor_defines > 0 && w.frames > 0)
			done = true;
	}
	double secs = lc_now_s() - w.t_sub;
	/* The verdicts, each only when asked for. */
	pass = w.decode_errors == 0 && w.size_errors == 0 && w.pts_errors == 0;
	if (w.frames == 0 || !w.first_is_idr)
		pass = false;
	double share = 0;
	if (o->expect_patterns > 0) {
		share = (double)w.distinct / (double)o->expect_patterns;
		if (w.unknown_frames || w.out_of_range || w.order_errors || w.low_psnr ||
		    w.idle_after_patterns ||
		    w.last_pattern !=
			    (long)(o->first_pattern + (unsigned long)o->expect_patterns - 1) ||
		    share < o->min_share)
			pass = false;
	}
	if (o->no_frames_s > 0 && (w.frames_in_static_window > 0 || secs < o->no_frames_s))
		pass = false;
	if (o->keyframe_req && (!w.kfr_sent || !w.kfr_answered_idr))
		pass = false;
	/* Resynchronised: what was encoded after the resumption starts with an
	 * IDR, and the current picture is held promptly. A stall that cost no
	 * frame needs no IDR; frames_after_resume = 0 says so. */
	bool stall_ok = true;
	if (o->stall_ms > 0) {
		if (!w.resumed || (w.after_resume_seen && !w.after_resume_idr))
			stall_ok = false;
		if (o->expect_patterns > 0 && w.final_ms > (double)o->resume_within_ms)
			stall_ok = false;
		if (o->expect_patterns < 0 &&
		    (!w.after_resume_seen || w.after_resume_ms > (double)o->resume_within_ms))
			stall_ok = false;
		/* Losing frames is what a stalled subscriber does: not an error. */
		if (!stall_ok)
			pass = false;
	}
	if (o->cursor || o->expect_no_cursor) {
		bool cursor_ok = true;
		unsigned msgs = w.cursor_defines + w.cursor_moves;
		if (o->expect_no_cursor && msgs > 0)
			cursor_ok = false;
		/* Every image is the guest's (it defines one); the path is in
		 * order, complete, visible, and never before an image. */
		if (o->expect_cursor > 0 &&
		    (w.cursor_defines == 0 || w.cursor_bad_defines || w.cursor_out_of_order ||
		     w.cursor_next != o->expect_cursor || w.cursor_hidden ||
		     w.cursor_moves_before_define || w.cursor_wrong_session))
			cursor_ok = false;
		printf("{\"event\":\"cursor-summary\",\"expect_moves\":%ld,\"expect_none\":%s,"
		       "\"defines\":%u,\"bad_defines\":%u,\"moves\":%u,\"out_of_order\":%u,"
		       "\"hidden\":%u,\"moves_before_define\":%u,\"wrong_session\":%u,\"last_step\":%ld,"
		       "\"pass\":%s}\n",
		       o->expect_cursor, o->expect_no_cursor ? "true" : "false", w.cursor_defines,
		       w.cursor_bad_defines, w.cursor_moves, w.cursor_out_of_order, w.cursor_hidden,
		       w.cursor_moves_before_define, w.cursor_wrong_session, w.cursor_next - 1,
		       cursor_ok ? "true" : "false");
		if (!cursor_ok)
			pass = false;
	}
	qsort(w.ages, w.n_ages, sizeof(double), cmp_double);
	printf("{\"event\":\"summary\",\"scanout\":%u,\"secs\":%.2f,\"frames\":%u,\"fps\":%.2f,"
	       "\"first_is_idr\":%s,\"idr_frames\":%u,\"keyframe_flags\":%u,\"decoded\":%u,"
	       "\"decode_errors\":%u,\"width\":%d,\"height\":%d,\"size_errors\":%u,"
	       "\"bytes_per_frame\":%.0f,\"bytes_in\":%llu,"
	       "\"patterns_expected\":%ld,\"pattern_frames\":%u,\"distinct\":%u,\"share\":%.3f,"
	       "\"first_pattern\":%ld,\"last_pattern\":%ld,\"idle_frames\":%u,\"leading_unknown\":%u,"
	       "\"unknown_frames\":%u,"
	       "\"out_of_range\":%u,\"order_errors\":%u,\"idle_after_patterns\":%u,\"low_psnr\":%u,"
	       "\"worst_psnr\":%.2f,\"mean_psnr\":%.2f,\"static_window_s\":%.1f,"
	       "\"frames_in_static_window\":%u,\"keyframe_req\":%s,\"keyframe_req_answered_idr\":%s,"
	       "\"keyframe_req_ms\":%.1f,\"pts_age_ms_p50\":%.2f,\"pts_age_ms_p99\":%.2f,\"pts_errors\":%u,"
	       "\"ended_by_server\":%s,\"revoked\":%s,\"stall_ms\":%ld,\"frames_before_resume\":%u,"
	       "\"frames_after_resume\":%u,\"first_after_resume_idr\":%s,\"first_after_resume_ms\":%.1f,"
	       "\"final_pattern_ms_after_resume\":%.1f,\"resynced_by\":\"%s\",\"stall_ok\":%s,\"pass\":%s}\n",
	       o->scanout, secs, w.frames, secs > 0 ? w.frames / secs : 0.0,
	       w.first_is_idr ? "true" : "false", w.idr_frames, w.key_flags, w.decoded,
	       w.decode_errors, w.width, w.height, w.size_errors,
	       w.frames ? (double)w.au_bytes / w.frames : 0.0, (unsigned long long)c.bytes_in,
	       o->expect_patterns, w.pattern_frames, w.distinct, share, w.first_pattern_seen,
	       w.last_pattern, w.idle_frames, w.leading_unknown, w.unknown_frames, w.out_of_range,
	       w.order_errors, w.idle_after_patterns, w.low_psnr,
	       w.pattern_frames ? w.worst_psnr : 0.0,
	       w.pattern_frames ? w.psnr_sum / w.pattern_frames : 0.0, o->no_frames_s,
	       w.frames_in_static_window, w.kfr_sent ? "true" : "false",
	       w.kfr_answered_idr ? "true" : "false",
	       w.kfr_sent && w.frames_after_kfr ? w.kfr_ms : -1.0,
	       percentile(w.ages, w.n_ages, 0.5), percentile(w.ages, w.n_ages, 0.99), w.pts_errors,
	       ended_by_server ? "true" : "false", revoked ? "true" : "false", o->stall_ms,
	       w.frames_before_resume, w.frames_after_resume, w.after_resume_idr ? "true" : "false",
	       w.after_resume_ms, w.final_ms,
	       o->stall_ms <= 0      ? ""
	       : w.after_resume_seen ? "idr-after-resume"
				     : "queue",
	       stall_ok ? "true" : "false", pass ? "true" : "false");
out:
	fflush(stdout);
	hxfr_sync_close(&c);
	h264_decoder_destroy(w.dec);
	pattern_checker_destroy(w.checker);
	free(w.ages);
	return pass ? 0 : 1;
}

/* refresh: a decoded picture kept to compare the next one with. */
struct kept_picture {
	int width, height;
	uint8_t *planes[3];
	int widths[3], heights[3];
	unsigned count; /* pictures the last access unit yielded */
};

static void kept_free(struct kept_picture *k)
{
	for (int i = 0; i < 3; i++)
		free(k->planes[i]);
	*k = (struct kept_picture){0};
}

static void keep_picture(const struct h264_picture *p, void *data)
{
	struct kept_picture *k = data;
	kept_free(k);
	k->count = 1;
	k->width = p->width;
	k->height = p->height;
	const uint8_t *src[3] = {p->y, p->u, p->v};
	int strides[3] = {p->y_stride, p->u_stride, p->v_stride};
	for (int i = 0; i < 3; i++) {
		/* 4:2:0: chroma planes are half the size, rounded up. */
		k->widths[i] = i ? (p->width + 1) / 2 : p->width;
		k->heights[i] = i ? (p->height + 1) / 2 : p->height;
		k->planes[i] = malloc((size_t)k->widths[i] * (size_t)k->heights[i]);
		if (!k->planes[i]) {
			kept_free(k);
			return;
		}
		for (int y = 0; y < k->heights[i]; y++)
			memcpy(k->planes[i] + (size_t)y * (size_t)k->widths[i],
			       src[i] + (size_t)y * (size_t)strides[i], (size_t)k->widths[i]);
	}
}

/* How far b is from a over every Y, U and V sample: the samples that
 * differ, the largest difference, and the PSNR (1e9 when identical);
 * false when there is nothing to compare (no picture, another size). */
static bool compare_pictures(const struct kept_picture *a, const struct kept_picture *b,
			     uint64_t *differing, int *max_diff, double *psnr)
{
	*differing = 0;
	*max_diff = 0;
	*psnr = 0;
	if (!a->planes[0] || !b->planes[0] || a->width != b->width || a->height != b->height)
		return false;
	uint64_t sq = 0, total = 0;
	for (int i = 0; i < 3; i++) {
		size_t n = (size_t)a->widths[i] * (size_t)a->heights[i];
		for (size_t j = 0; j < n; j++) {
			int d = abs((int)a->planes[i][j] - (int)b->planes[i][j]);
			*differing += d != 0;
			sq += (uint64_t)(d * d);
			if (d > *max_diff)
				*max_diff = d;
		}
		total += n;
	}
	*psnr = sq ? 10.0 * log10(255.0 * 255.0 * (double)total / (double)sq) : 1e9;
	return true;
}

/* One frame, decoded into *into (its pictures counted in into->count). */
struct refresh_frame {
	int64_t pts_ns, recv_ns;
	bool keyflag, idr;
	size_t bytes;
	int decode_errors;
};

static void decode_frame(struct h264_decoder *dec, const struct hxfr_frame *f,
			 struct kept_picture *into, struct refresh_frame *out)
{
	*out = (struct refresh_frame){
		.pts_ns = f->pts_ns, .recv_ns = lc_now_ns(), .keyflag = f->keyframe};
	into->count = 0;
	const uint8_t *p = f->nals;
	size_t left = f->nals_len;
	unsigned pictures = 0;
	for (uint32_t i = 0; i < f->nal_count && left >= 4; i++) {
		uint32_t sz = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			      (uint32_t)p[3] << 24;
		bool sp = false;
		out->idr |= h264_au_is_idr(p + 4, sz, &sp);
		char err[160] = "";
		into->count = 0;
		if (h264_decoder_decode(dec, p + 4, sz, keep_picture, into, err, sizeof(err)) < 0) {
			out->decode_errors++;
			printf("{\"event\":\"decode-error\",\"message\":\"%s\"}\n", err);
		}
		pictures += into->count;
		out->bytes += sz;
		p += 4 + sz;
		left -= 4 + (size_t)sz;
	}
	into->count = pictures;
}

/* Frames until the deadline. 1: a frame in *m; 0: the deadline passed;
 * -1: the connection ended or the stream broke (said why). Other messages
 * (an ERROR, cursor) are printed and passed over. */
static int next_frame(struct hxfr_sync *c, struct hxfr_msg *m, double deadline)
{
	for (;;) {
		int r = conn_next(c, m, deadline);
		if (r == -ETIMEDOUT)
			return 0;
		if (r <= 0) {
			printf("{\"event\":\"connection-lost\",\"message\":\"%s\"}\n",
			       r == 0 ? "the server closed" : strerror(-r));
			return -1;
		}
		if (m->hdr.type == HXFR_FRAME_RESPONSE)
			return 1;
		if (m->hdr.type == HXFR_ERROR)
			hxfr_json_print_error(m);
		else
			printf("{\"event\":\"other\",\"type\":\"%s\"}\n",
			       hxfr_type_name(m->hdr.type));
	}
}

static int cmd_refresh(const struct options *o)
{
	uint8_t key[HXFR_STREAM_KEY_LEN];
	if (read_stream_key(o, key) < 0)
		return 2;
	struct h264_decoder *dec = h264_decoder_create();
	struct kept_picture prev = {0}, cur = {0};
	struct hxfr_sync c = {.fd = -1};
	struct hxfr_msg m;
	const char *why = NULL; /* the first check that failed */
	char why_buf[256];
	unsigned frames = 0, refreshes = 0, silent_frames = 0;
	int64_t last_pts = 0;
	size_t refresh_bytes_max = 0;
	double max_refresh_ms = 0;
	int r;
	if (!dec) {
		why = "no h264 decoder";
		goto out;
	}
	if ((r = conn_open(&c, o, 0)) < 0) {
		snprintf(why_buf, sizeof(why_buf), "connect: %s", strerror(-r));
		why = why_buf;
		goto out;
	}
	if (hxfr_sync_handshake(&c, HXFR_FEATURE_REFRESH, NULL, REPLY_TIMEOUT_MS) < 0) {
		why = "no HELLO_RESP";
		goto out;
	}
	if (!(hxfr_client_offered(c.client) & HXFR_FEATURE_REFRESH)) {
		snprintf(why_buf, sizeof(why_buf), "HELLO_RESP does not offer REFRESH (0x%x)",
			 hxfr_client_offered(c.client));
		why = why_buf;
		goto out;
	}
	double t_sub = lc_now_s();
	if (send_req(&c, hxfr_client_subscribe_keyed(c.client, o->scanout, key)) < 0 ||
	    expect_type(&c, &m, HXFR_SUBSCRIBE_RESP) < 0 || !m.u.subscribe_resp.success) {
		why = "not subscribed";
		goto out;
	}
	/* Static: --quiet-ms without a frame, the first one being the join IDR. */
	double static_deadline = t_sub + o->static_within_s, t_last = t_sub;
	for (;;) {
		double now = lc_now_s(), quiet_end = t_last + (double)o->quiet_ms / 1e3;
		if (frames > 0 && now >= quiet_end)
			break;
		if (now >= static_deadline) {
			snprintf(
				why_buf, sizeof(why_buf),
				"the screen never went static: %u frames in %.1f s, the last %.0f ms "
				"ago (waited for %ld ms without a frame)",
				frames, now - t_sub, (now - t_last) * 1e3, o->quiet_ms);
			why = why_buf;
			goto out;
		}
		double until = frames > 0 && quiet_end < static_deadline ? quiet_end
									 : static_deadline;
		if ((r = next_frame(&c, &m, until)) < 0) {
			why = "the connection ended before the screen went static";
			goto out;
		}
		if (r == 0)
			continue;
		struct refresh_frame f;
		decode_frame(dec, &m.u.frame, &cur, &f);
		if (frames == 0 && !(f.idr && f.keyflag)) {
			why = "the first frame is not an IDR";
			goto out;
		}
		if (f.decode_errors || cur.count != 1 || f.pts_ns <= last_pts) {
			why = "a frame before the screen went static did not decode, or its pts "
			      "did not rise";
			goto out;
		}
		frames++;
		last_pts = f.pts_ns;
		t_last = lc_now_s();
		kept_free(&prev);
		prev = cur;
		cur = (struct kept_picture){0};
	}
	printf("{\"event\":\"static\",\"frames\":%u,\"t_ms\":%.1f,\"w\":%d,\"h\":%d}\n", frames,
	       (lc_now_s() - t_sub) * 1e3, prev.width, prev.height);
	for (long round = 0; round <= o->rounds; round++) {
		/* Nothing without a request: the bounded window a static screen
		 * must keep silent (before each burst, and after the last
		 * refresh frame: B requests, one frame). */
		double window_end = lc_now_s() + (double)o->observe_ms / 1e3;
		while ((r = next_frame(&c, &m, window_end)) == 1) {
			silent_frames++;
			printf("{\"event\":\"unasked-frame\",\"round\":%ld,\"keyframe\":%s,"
			       "\"pts_ns\":%lld}\n",
			       round, m.u.frame.keyframe ? "true" : "false",
			       (long long)m.u.frame.pts_ns);
		}
		if (r < 0) {
			why = "the connection ended in a window without requests";
			goto out;
		}
		if (silent_frames) {
			snprintf(why_buf, sizeof(why_buf),
				 "%u frame(s) came on a static screen within %ld ms %s",
				 silent_frames, o->observe_ms,
				 round == 0 ? "without a REFRESH_REQ"
					    : "after a refresh frame (one burst, several frames?)");
			why = why_buf;
			goto out;
		}
		if (round == o->rounds)
			break;
		int64_t t_req_ns = lc_now_ns();
		for (long i = 0; i < o->burst; i++)
			if (hxfr_client_refresh_req(c.client, o->scanout) < 0) {
				why = "cannot queue REFRESH_REQ";
				goto out;
			}
		if (hxfr_sync_flush(&c, REPLY_TIMEOUT_MS) < 0) {
			why = "cannot send REFRESH_REQ";
			goto out;
		}
		double t_req = lc_now_s();
		if ((r = next_frame(&c, &m, t_req + (double)o->refresh_within_ms / 1e3)) <= 0) {
			snprintf(why_buf, sizeof(why_buf),
				 "round %ld: no frame within %ld ms of %ld REFRESH_REQ(s)%s", round,
				 o->refresh_within_ms, o->burst,
				 r < 0 ? " (the connection ended)" : "");
			why = why_buf;
			goto out;
		}
		struct refresh_frame f;
		decode_frame(dec, &m.u.frame, &cur, &f);
		double ms = (lc_now_s() - t_req) * 1e3;
		uint64_t differing = 0;
		int max_diff = 0;
		double psnr = 0;
		/* The same picture: the encoder codes the unchanged input against
		 * its reconstruction of it, so it may refine a few blocks towards
		 * the source (libx264 does, once, by a level or two); any other
		 * picture, or a decode from a broken reference, is far below. */
		bool same = cur.count == 1 &&
			    compare_pictures(&prev, &cur, &differing, &max_diff, &psnr) &&
			    psnr >= o->same_psnr;
		printf("{\"event\":\"refresh-frame\",\"round\":%ld,\"ms\":%.1f,\"bytes\":%zu,"
		       "\"keyframe\":%s,\"idr\":%s,\"pictures\":%u,\"decode_errors\":%d,"
		       "\"differing_samples\":%llu,\"max_diff\":%d,\"psnr\":%.2f,\"pts_ns\":%lld,"
		       "\"previous_pts_ns\":%lld,\"request_ns\":%lld,\"received_ns\":%lld}\n",
		       round, ms, f.bytes, f.keyflag ? "true" : "false", f.idr ? "true" : "false",
		       cur.count, f.decode_errors, (unsigned long long)differing, max_diff,
		       psnr > 999 ? 999.0 : psnr, (long long)f.pts_ns, (long long)last_pts,
		       (long long)t_req_ns, (long long)f.recv_ns);
		const char *bad = f.keyflag || f.idr                  ? "it is an IDR"
				  : f.decode_errors || cur.count != 1 ? "it does not decode to one "
									"picture"
				  : !same                ? "its picture differs from the "
							   "previous one"
				  : f.pts_ns <= last_pts ? "its pts is not above the "
							   "previous frame's"
				  : f.pts_ns < t_req_ns || f.pts_ns > f.recv_ns
					  ? "its pts is not between the request and its arrival"
					  : NULL;
		if (bad) {
			snprintf(why_buf, sizeof(why_buf),
				 "round %ld: the refresh frame is wrong: %s", round, bad);
			why = why_buf;
			goto out;
		}
		refreshes++;
		frames++;
		last_pts = f.pts_ns;
		if (f.bytes > refresh_bytes_max)
			refresh_bytes_max = f.bytes;
		if (ms > max_refresh_ms)
			max_refresh_ms = ms;
		kept_free(&prev);
		prev = cur;
		cur = (struct kept_picture){0};
	}
out:
	printf("{\"event\":\"summary\",\"check\":\"refresh\",\"scanout\":%u,\"frames\":%u,"
	       "\"refresh_frames\":%u,\"rounds\":%ld,\"burst\":%ld,\"refresh_bytes_max\":%zu,"
	       "\"refresh_ms_max\":%.1f,\"w\":%d,\"h\":%d,\"failed\":\"%s\",\"pass\":%s}\n",
	       o->scanout, frames, refreshes, o->rounds, o->burst, refresh_bytes_max,
	       max_refresh_ms, prev.width, prev.height, why ? why : "", why ? "false" : "true");
	fflush(stdout);
	hxfr_sync_close(&c);
	h264_decoder_destroy(dec);
	kept_free(&prev);
	kept_free(&cur);
	return why ? 1 : 0;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char x;
	return sscanf(s, "%u%c%u", w, &x, h) == 3 && x == 'x' && *w && *h ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.port = HXFR_DEFAULT_PORT,
			      .duration_s = 10,
			      .expect_patterns = -1,
			      .min_psnr = 35.0,
			      .scanout = UINT32_MAX,
			      .resume_within_ms = 1000,
			      .expect_cursor = -1,
			      .quiet_ms = 1000,
			      .static_within_s = 60,
			      .observe_ms = 1500,
			      .rounds = 2,
			      .burst = 3,
			      .refresh_within_ms = 10000,
			      .same_psnr = 45};
	snprintf(o->host, sizeof(o->host), "127.0.0.1");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--expect-refused") == 0) {
			o->expect_refused = true;
			continue;
		} else if (strcmp(a, "--stop-reading") == 0) {
			o->stop_reading = true;
			continue;
		} else if (strcmp(a, "--keyframe-req") == 0) {
			o->keyframe_req = true;
			continue;
		} else if (strcmp(a, "--quiet-frames") == 0) {
			o->quiet_frames = true;
			continue;
		} else if (strcmp(a, "--cursor") == 0) {
			o->cursor = true;
			continue;
		} else if (strcmp(a, "--expect-no-cursor") == 0) {
			o->expect_no_cursor = true;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (strcmp(a, "--connect") == 0) {
			if (lc_parse_hostport(v, o->host, sizeof(o->host), &o->port) < 0)
				return -1;
		} else if (strcmp(a, "--scanout") == 0) {
			o->scanout = (uint32_t)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--control-key") == 0) {
			o->control_key = v;
		} else if (strcmp(a, "--key") == 0) {
			o->key_hex = v;
		} else if (strcmp(a, "--key-file") == 0) {
			o->key_file = v;
		} else if (strcmp(a, "--enable") == 0) {
			if (parse_size(v, &o->enable_w, &o->enable_h) < 0)
				return -1;
		} else if (strcmp(a, "--size") == 0) {
			if (parse_size(v, &o->want_w, &o->want_h) < 0)
				return -1;
		} else if (strcmp(a, "--duration") == 0) {
			o->duration_s = strtod(v, NULL);
		} else if (strcmp(a, "--ready-file") == 0) {
			o->ready_file = v;
		} else if (strcmp(a, "--dump-dir") == 0) {
			o->dump_dir = v;
		} else if (strcmp(a, "--stop-file") == 0) {
			o->stop_file = v;
		} else if (strcmp(a, "--expect-patterns") == 0) {
			o->expect_patterns = strtol(v, NULL, 0);
		} else if (strcmp(a, "--first-pattern") == 0) {
			o->first_pattern = (unsigned)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--min-psnr") == 0) {
			o->min_psnr = strtod(v, NULL);
		} else if (strcmp(a, "--min-share") == 0) {
			o->min_share = strtod(v, NULL);
		} else if (strcmp(a, "--stall-ms") == 0) {
			o->stall_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--resume-within-ms") == 0) {
			o->resume_within_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--expect-cursor") == 0) {
			o->expect_cursor = strtol(v, NULL, 0);
		} else if (strcmp(a, "--same-psnr") == 0) {
			o->same_psnr = strtod(v, NULL);
		} else if (strcmp(a, "--quiet-ms") == 0) {
			o->quiet_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--static-within") == 0) {
			o->static_within_s = strtod(v, NULL);
		} else if (strcmp(a, "--observe-ms") == 0) {
			o->observe_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--rounds") == 0) {
			o->rounds = strtol(v, NULL, 0);
		} else if (strcmp(a, "--burst") == 0) {
			o->burst = strtol(v, NULL, 0);
		} else if (strcmp(a, "--refresh-within-ms") == 0) {
			o->refresh_within_ms = strtol(v, NULL, 0);
		} else if (strcmp(a, "--expect-no-frames-for") == 0) {
			o->no_frames_s = strtod(v, NULL);
		} else {
			return -1;
		}
	}
	if (o->stall_ms < 0 || o->stall_ms > 600000 || o->resume_within_ms <= 0 ||
	    (o->stall_ms > 0 && (o->stop_reading || o->keyframe_req || o->no_frames_s > 0)))
		return -1;
	/* A window shorter than the server's 250 ms refresh gap would let the
	 * next burst be a no-op by design. */
	if (o->quiet_ms < 100 || o->observe_ms < 300 || o->rounds < 1 || o->rounds > 100 ||
	    o->burst < 1 || o->burst > 100 || o->refresh_within_ms < 100 || o->static_within_s <= 0)
		return -1;
	if (o->expect_cursor == 0 || o->expect_cursor > 100000 ||
	    (o->expect_cursor > 0 && (!o->cursor || o->expect_no_cursor)))
		return -1;
	if (o->scanout == UINT32_MAX || o->scanout > 0xffff || o->duration_s <= 0 ||
	    o->expect_patterns == 0 || o->expect_patterns > 65535)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	if (argc < 2 || parse_args(argc, argv, &o) < 0) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	av_log_set_level(AV_LOG_ERROR);
	if (strcmp(argv[1], "key") == 0) {
		if (!o.control_key) {
			usage();
			return 2;
		}
		uint8_t key[HXFR_STREAM_KEY_LEN];
		if (obtain_key(&o, key) < 0)
			return 1;
		char hex[HXFR_STREAM_KEY_HEX_LEN + 1];
		hxfr_stream_key_to_hex(key, hex);
		printf("%s\n", hex);
		return 0;
	}
	if (strcmp(argv[1], "watch") == 0) {
		if (!o.key_hex == !o.key_file) {
			usage();
			return 2;
		}
		return cmd_watch(&o);
	}
	if (strcmp(argv[1], "refresh") == 0) {
		if (!o.key_hex == !o.key_file) {
			usage();
			return 2;
		}
		return cmd_refresh(&o);
	}
	usage();
	return 2;
}
