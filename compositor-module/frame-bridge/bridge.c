#include "bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "gop.h"
#include "hist.h"
#include "hxfr.h"
#include "input.h"
#include "log.h"
#include "msg.h"
#include "rawfd.h"
#include "sps.h"
#include "vqueue.h"
#include "wsinit.h"
#include "wsinput.h"
#include "wsmsg.h"

_Static_assert(LCB_PRE >= LWS_PRE, "LCB_PRE must cover libwebsockets' header room");

/* Replay: one GOP of a busy 1080p desktop fits; a bigger one is dropped. */
#define GOP_MAX_FRAMES 600
#define GOP_MAX_BYTES (24u << 20)
/* A viewer more than this far behind drops to the next keyframe. */
#define VIEWER_MAX_MSGS 512
#define VIEWER_MAX_BYTES (12u << 20)
/* What a viewer may send us in one message (its test report is the largest). */
#define VIEWER_RX_MAX (64u << 10)
#define EXIT_REFUSED 2
/* A viewer is told why its input went nowhere at most this often. */
#define INPUT_ERROR_GAP_US (1 * LWS_USEC_PER_SEC)
/* Malformed input messages a viewer may send before it is disconnected:
 * a correct page sends none, a few may be a bug worth an error message. */
#define MALFORMED_MAX 64
/* Helix's server waits this long for a viewer's init, then hangs up. */
#define INIT_TIMEOUT_S 30
/* A viewer that needs frames on a static screen (Helix's client calls 5 s
 * without a painted frame a render stall) gets one after this long
 * without any: a margin under 5 s for a slow encoder and network. */
#define KEEPALIVE_GAP_US (2 * LWS_USEC_PER_SEC)
#define KEEPALIVE_TICK_US (500 * LWS_US_PER_MS)
/* The Pong's scheduling figures are those of the last complete window. */
#define SCHED_WINDOW_US (5 * LWS_USEC_PER_SEC)
#define FPS_DEFAULT 60

enum rights {
	RIGHTS_REFUSED = -1,
	RIGHTS_VIEW = 0,
	RIGHTS_CONTROL = 1
};

struct viewer {
	struct viewer *prev, *next;
	struct lws *wsi;
	unsigned id;
	struct lcb_vqueue q;
	uint8_t *rx;
	size_t rx_len;
	bool rx_binary, rx_overflow;
	struct lcb_input_viewer in;
	lws_usec_t last_error_us;
	unsigned malformed;
	bool kick; /* close at the next writable */
	const char *kick_why;
	int kick_status;
	/* Set by its init (WS.md): nothing but the init is taken before it,
	 * and it is sent nothing. */
	bool inited;
	bool control;
	unsigned ext;   /* leasecast extension version; 0: Helix's protocol only */
	bool keepalive; /* needs a frame every KEEPALIVE_GAP_US on a static screen */
	bool complete;  /* StreamInit, CursorName and ConnectionComplete went */
	bool video_off; /* Control set_video_enabled false */
	/* Its frames' time from their arrival here to their write (ms), and
	 * the newest frame's time from the guest's change to its write. */
	struct lc_hist sched;
	lws_usec_t sched_since;
	uint16_t sched_p50, sched_p99, sched_max, encoder_ms;
};

struct lcb_bridge {
	struct lcb_bridge_config cfg;
	struct lws_context *ctx;
	struct lws_vhost *vh, *vh_helix;
	struct lws_protocols protocols[3];
	struct lcb_upstream *up;
	struct lcb_rawfd sig_raw;
	int sig_fd;
	struct viewer viewers; /* list head */
	unsigned n_viewers, next_viewer_id;
	struct lcb_gop gop;
	bool have_sps;
	struct lcb_sps_info sps;
	/* The state a joiner is sent: StreamInit in Helix's 13 bytes and with
	 * leasecast's codec tail, the cursor (Helix's 0x50 with its image, its
	 * position; 0x51 "none" while hidden), the status (leasecast's). */
	struct lcb_msg *init_helix, *init_ext, *cursor_image, *cursor_pos, *status;
	bool cursor_hidden;
	/* Where it is and its hotspot: each of Helix's 0x50 carries both. */
	int32_t cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;
	uint8_t fps; /* StreamInit's */
	/* The newest controlling viewer's wishes, applied on each subscription. */
	unsigned config_fps;
	uint32_t config_bps;
	/* The exporter's pts are this host's CLOCK_MONOTONIC (it is on
	 * loopback): the Pong's encoder latency is the pts' age. */
	bool same_clock;
	lws_sorted_usec_list_t keepalive_sul;
	lws_usec_t last_frame_us, last_keepalive_us;
	struct lcb_input input;
	bool stop;
	int exit_code;
};

static struct lcb_bridge *bridge_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static void send_to(struct lcb_bridge *b, struct viewer *v, struct lcb_msg *m, bool replay)
{
	if (m->video && v->video_off)
		return; /* Helix's set_video_enabled false: cursor and pongs still go */
	enum lcb_push_result r = lcb_vqueue_push(&v->q, m, replay);
	if (r == LCB_PUSH_DROPPED) {
		lc_warn("viewer %u is too slow: dropped to the next keyframe", v->id);
		if (v->q.need_key)
			lcb_upstream_request_keyframe(b->up);
	}
	if (v->q.n > 0)
		lws_callback_on_writable(v->wsi);
}

/* To every viewer that has had its handshake (StreamInit, CursorName,
 * ConnectionComplete): frames and the cursor. */
static void broadcast(struct lcb_bridge *b, struct lcb_msg *m)
{
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next)
		if (v->complete)
			send_to(b, v, m, false);
}

static struct lcb_msg *msg_of(const void *p, size_t n, bool text)
{
	struct lcb_msg *m = n ? lcb_msg_new(n) : NULL;
	if (!m)
		return NULL;
	memcpy(m->data, p, n);
	m->text = text;
	return m;
}

static void send_bytes(struct lcb_bridge *b, struct viewer *v, const uint8_t *p, size_t n)
{
	struct lcb_msg *m = msg_of(p, n, false);
	if (!m)
		return;
	send_to(b, v, m, false);
	lcb_msg_unref(m);
}

static void send_cursor_name(struct lcb_bridge *b, struct viewer *v, const char *name)
{
	uint8_t buf[LCB_WS_CURSOR_NAME_MAX];
	send_bytes(b, v, buf, lcb_ws_cursor_name(buf, sizeof(buf), name));
}

static void set_status(struct lcb_bridge *b, enum lcb_ws_state st, const char *text)
{
	uint8_t buf[300];
	struct lcb_msg *m = msg_of(buf, lcb_ws_status(buf, sizeof(buf), st, text), false);
	if (!m)
		return;
	lcb_msg_unref(b->status);
	b->status = m;
	/* leasecast's message: only to pages that speak the extension. */
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next)
		if (v->inited && v->ext)
			send_to(b, v, m, false);
}

/* Closes v's WebSocket once what is queued for it went out. */
static void kick(struct viewer *v, int status, const char *why)
{
	v->kick = true;
	v->kick_status = status;
	v->kick_why = why;
	lws_callback_on_writable(v->wsi);
}

/* StreamError (Helix shows it over the picture) and, when final, a close:
 * Helix's client reconnects on any close but 4000, and a reconnect gets a
 * whole new handshake. */
static void stream_error(struct lcb_bridge *b, struct viewer *v, const char *text, bool close)
{
	uint8_t buf[LCB_WS_STREAM_ERROR_MAX];
	lc_warn("viewer %u: stream error: %s%s", v->id, text, close ? " (closing)" : "");
	send_bytes(b, v, buf, lcb_ws_stream_error(buf, sizeof(buf), text));
	if (close)
		kick(v, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "stream error");
}

/* The handshake's rest once StreamInit is known, in Helix's order:
 * StreamInit, CursorName, ConnectionComplete, then the cursor's image and
 * position (Helix's client applies a shape only after ConnectionComplete). */
static void send_handshake(struct lcb_bridge *b, struct viewer *v)
{
	send_to(b, v, v->ext ? b->init_ext : b->init_helix, false);
	send_cursor_name(b, v, b->cursor_hidden ? "none" : "default");
	char cc[200];
	size_t n = lcb_ws_connection_complete(cc, sizeof(cc), (uint16_t)b->sps.width,
					      (uint16_t)b->sps.height,
					      v->control && b->cfg.upstream.input);
	struct lcb_msg *m = msg_of(cc, n, true);
	if (m) {
		send_to(b, v, m, false);
		lcb_msg_unref(m);
	}
	v->complete = true;
	if (!b->cursor_hidden && b->cursor_image)
		send_to(b, v, b->cursor_image, false);
	if (!b->cursor_hidden && b->cursor_pos)
		send_to(b, v, b->cursor_pos, false);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void update_stream_init(struct lcb_bridge *b, const uint8_t *au, size_t len)
{
	struct lcb_sps_info s;
	int r = lcb_sps_find(au, len, &s);
	if (r < 0) {
		lc_warn("keyframe without a readable SPS (%s)", strerror(-r));
		return;
	}
	if (b->have_sps && s.width == b->sps.width && s.height == b->sps.height &&
	    strcmp(s.codec, b->sps.codec) == 0)
		return;
	uint8_t buf[LCB_WS_STREAM_INIT_MAX];
	bool touch = b->cfg.upstream.input;
	struct lcb_msg *helix = msg_of(buf,
				       lcb_ws_stream_init(buf, sizeof(buf), (uint16_t)s.width,
							  (uint16_t)s.height, b->fps, touch, NULL),
				       false);
	struct lcb_msg *ext = msg_of(buf,
				     lcb_ws_stream_init(buf, sizeof(buf), (uint16_t)s.width,
							(uint16_t)s.height, b->fps, touch, s.codec),
				     false);
	if (!helix || !ext) {
		lcb_msg_unref(helix);
		lcb_msg_unref(ext);
		return;
	}
	lc_info("stream: %ux%u %s", s.width, s.height, s.codec);
	b->sps = s;
	b->have_sps = true;
	lcb_input_set_size(&b->input, s.width, s.height);
	/* Frames of the old size must not be replayed after the new init. */
	lcb_gop_clear(&b->gop);
	lcb_msg_unref(b->init_helix);
	lcb_msg_unref(b->init_ext);
	b->init_helix = helix;
	b->init_ext = ext;
	/* Each StreamInit makes a fresh decoder in Helix's client: the new
	 * size's keyframe, next, is what it decodes first. */
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next) {
		if (!v->inited)
			continue;
		if (v->complete)
			send_to(b, v, v->ext ? ext : helix, false);
		else
			send_handshake(b, v);
	}
}

static void on_frame(void *data, const struct hxfr_frame *f)
{
	struct lcb_bridge *b = data;
	/* The decoder has validated the entries: they fill nals exactly. */
	size_t au = f->nals_len - 4u * f->nal_count;
	struct lcb_msg *m = lcb_msg_new(LCB_WS_VIDEO_HEADER + au);
	if (!m) {
		lc_err("out of memory for a %zu-byte frame", au);
		return;
	}
	uint8_t *dst = m->data + LCB_WS_VIDEO_HEADER;
	const uint8_t *p = f->nals;
	for (uint32_t i = 0; i < f->nal_count; i++) {
		uint32_t n = le32(p);
		memcpy(dst, p + 4, n);
		dst += n;
		p += 4 + n;
	}
	if (f->keyframe)
		update_stream_init(b, m->data + LCB_WS_VIDEO_HEADER, au);
	if (!b->have_sps) {
		lcb_msg_unref(m); /* nothing a browser could be configured for yet */
		return;
	}
	uint64_t pts_us = f->pts_ns > 0 ? (uint64_t)f->pts_ns / 1000u : 0;
	lcb_ws_video_header(m->data, f->keyframe ? LCB_WS_FLAG_KEY : 0, pts_us,
			    (uint16_t)b->sps.width, (uint16_t)b->sps.height);
	m->video = true;
	m->keyframe = f->keyframe;
	m->pts_us = pts_us;
	m->arrival_us = lws_now_usecs();
	m->encode_us = f->latency_us;
	b->last_frame_us = m->arrival_us;
	lcb_gop_push(&b->gop, m);
	broadcast(b, m);
	lcb_msg_unref(m);
}

static void on_cursor_define(void *data, const struct hxfr_cursor_define *c)
{
	struct lcb_bridge *b = data;
	size_t n = lcb_ws_cursor_image_size(c->width, c->height);
	struct lcb_msg *m = n ? lcb_msg_new(n) : NULL;
	if (!m)
		return;
	b->cursor_hot_x = c->hot_x;
	b->cursor_hot_y = c->hot_y;
	lcb_ws_cursor_image(m->data, n, b->cursor_x, b->cursor_y, c->width, c->height, c->hot_x,
			    c->hot_y, c->pixels);
	lcb_msg_unref(b->cursor_image);
	b->cursor_image = m;
	if (!b->cursor_hidden)
		broadcast(b, m);
}

static void on_cursor_move(void *data, const struct hxfr_cursor_move *c)
{
	struct lcb_bridge *b = data;
	struct lcb_msg *m = lcb_msg_new(LCB_WS_CURSOR_POS_SIZE);
	if (!m)
		return;
	b->cursor_x = c->x;
	b->cursor_y = c->y;
	lcb_ws_cursor_pos(m->data, c->x, c->y, b->cursor_hot_x, b->cursor_hot_y);
	lcb_msg_unref(b->cursor_pos);
	b->cursor_pos = m;
	bool hidden = !c->visible;
	if (hidden != b->cursor_hidden) {
		b->cursor_hidden = hidden;
		/* Helix's client has no "hidden": the CSS cursor "none" is; a
		 * shown cursor gets its image again. */
		for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next) {
			if (!v->complete)
				continue;
			if (hidden || !b->cursor_image)
				send_cursor_name(b, v, hidden ? "none" : "default");
			else
				send_to(b, v, b->cursor_image, false);
		}
	}
	if (!hidden)
		broadcast(b, m);
}

static void on_state(void *data, bool streaming, const char *why)
{
	struct lcb_bridge *b = data;
	/* A new connection, or none: either way the exporter released what
	 * the old one held. */
	lcb_input_upstream_reset(&b->input);
	set_status(b, streaming ? LCB_WS_STATE_STREAMING : LCB_WS_STATE_WAITING, why);
	if (streaming) {
		if (b->config_fps || b->config_bps)
			lcb_upstream_configure(b->up, b->config_fps, b->config_bps);
		return;
	}
	/* The next subscription starts a new stream: a new handshake for
	 * every viewer on its first keyframe. Helix's client keeps an error
	 * until it reconnects, so its viewers are told and closed (it
	 * reconnects by itself, and waits in its handshake for the stream). */
	lcb_gop_clear(&b->gop);
	b->have_sps = false;
	lcb_msg_unref(b->init_helix);
	lcb_msg_unref(b->init_ext);
	b->init_helix = b->init_ext = NULL;
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next) {
		if (v->complete && !v->ext) {
			char text[300];
			snprintf(text, sizeof(text), "the desktop's stream was lost: %s", why);
			stream_error(b, v, text, true);
		}
		v->complete = false;
	}
}

static void on_tx_room(void *data)
{
	struct lcb_bridge *b = data;
	lcb_input_flush(&b->input);
}

static void on_refused(void *data, const char *why)
{
	struct lcb_bridge *b = data;
	lc_err("%s: giving up", why);
	set_status(b, LCB_WS_STATE_WAITING, why);
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next)
		if (v->inited && !v->ext)
			stream_error(b, v, why, false);
	b->exit_code = EXIT_REFUSED;
	b->stop = true;
	lws_cancel_service(b->ctx);
}

/* ---- viewers ---- */

static void input_error(struct lcb_bridge *b, struct viewer *v, enum lcb_ws_input_error code,
			const char *text)
{
	lws_usec_t now = lws_now_usecs();
	if (v->last_error_us && now - v->last_error_us < INPUT_ERROR_GAP_US)
		return; /* counted, not repeated */
	v->last_error_us = now;
	lc_warn("viewer %u: input refused: %s", v->id, text);
	uint8_t buf[300];
	send_bytes(b, v, buf, lcb_ws_input_error(buf, sizeof(buf), code, text));
}

static void viewer_joined(struct lcb_bridge *b, struct viewer *v, struct lws *wsi, bool control)
{
	v->wsi = wsi;
	v->id = ++b->next_viewer_id;
	if (lcb_vqueue_init(&v->q, VIEWER_MAX_MSGS, VIEWER_MAX_BYTES) < 0)
		return;
	v->next = b->viewers.next;
	v->prev = &b->viewers;
	b->viewers.next->prev = v;
	b->viewers.next = v;
	b->n_viewers++;
	lcb_input_viewer_join(&b->input, &v->in, control, lws_now_usecs());
	v->control = control;
	v->sched_since = lws_now_usecs();
	lc_info("viewer %u joined (%u watching), %s; waiting for its init", v->id, b->n_viewers,
		control ? "may control" : "view only");
	/* Nothing goes to it before its init (Helix's order); without one in
	 * time, libwebsockets closes it. */
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, INIT_TIMEOUT_S);
}

/* Its init came (text JSON, WS.md): it is a viewer now. */
static void viewer_init(struct lcb_bridge *b, struct viewer *v)
{
	struct lcb_wsinit in;
	const char *why = "";
	if (lcb_wsinit_decode((const char *)v->rx, v->rx_len, &in, &why) < 0) {
		lc_warn("viewer %u: bad init: %s", v->id, why);
		char text[300];
		snprintf(text, sizeof(text), "bad init message: %s", why);
		v->inited = true; /* so that the error is sent */
		stream_error(b, v, text, true);
		return;
	}
	lws_set_timeout(v->wsi, NO_PENDING_TIMEOUT, 0);
	v->inited = true;
	v->ext = in.ext;
	v->keepalive = in.keepalive;
	lc_info("viewer %u: init%s%s, asks %ux%u at %u fps, %u kbit/s%s", v->id,
		v->ext ? " (leasecast extensions)" : " (Helix's protocol)",
		v->keepalive ? ", keepalive" : "", in.width, in.height, in.fps, in.bitrate_kbps,
		v->control ? "" : " (view only: not applied)");
	if (in.has_formats && !(in.formats & LCB_WSINIT_FORMAT_H264)) {
		stream_error(b, v,
			     "this desktop streams H.264 (Constrained Baseline) only, and this "
			     "client says it cannot decode H.264",
			     true);
		return;
	}
	if (v->ext) {
		uint8_t rights[LCB_WS_RIGHTS_SIZE];
		lcb_ws_rights(rights, v->control);
		send_bytes(b, v, rights, sizeof(rights));
		if (b->status)
			send_to(b, v, b->status, false);
	}
	/* Its wishes, as a controlling viewer's input: the size through the
	 * Resize path (rights, rate), frame rate and bitrate as CONFIG_REQ. */
	if (v->control && in.has_size &&
	    (!b->have_sps || in.width != b->sps.width || in.height != b->sps.height)) {
		struct lcb_wsin r = {.kind = LCB_WSIN_RESIZE,
				     .u.resize = {.width = in.width, .height = in.height}};
		const char *rwhy = "";
		enum lcb_input_result rr = lcb_input_handle(&b->input, &v->in, &r, lws_now_usecs(),
							    &rwhy);
		if (rr != LCB_IN_SENT && rr != LCB_IN_NOOP && rr != LCB_IN_OWED)
			lc_warn("viewer %u: the init's size %ux%u went nowhere: %s", v->id,
				in.width, in.height, rwhy);
	}
	if (v->control && (in.fps || in.bitrate_kbps)) {
		if (in.fps)
			b->fps = b->config_fps = in.fps;
		if (in.bitrate_kbps)
			b->config_bps = in.bitrate_kbps * 1000u;
		lcb_upstream_configure(b->up, b->config_fps, b->config_bps);
	}
	if (!b->init_helix)
		return; /* the handshake goes with the stream's first StreamInit */
	send_handshake(b, v);
	for (size_t i = 0; i < b->gop.n; i++)
		send_to(b, v, b->gop.frames[i], true);
	/* A fresh IDR as well: the replay may be long, and a static screen
	 * would send no frame at all. */
	lcb_upstream_request_keyframe(b->up);
}

static void viewer_left(struct lcb_bridge *b, struct viewer *v)
{
	if (!v->next)
		return; /* never joined */
	v->prev->next = v->next;
	v->next->prev = v->prev;
	v->next = v->prev = NULL;
	b->n_viewers--;
	lcb_input_viewer_leave(&b->input, &v->in);
	lcb_vqueue_finish(&v->q);
	free(v->rx);
	v->rx = NULL;
	const struct lcb_input_counters *c = &v->in.c;
	lc_info("viewer %u left (%u watching); input: %llu forwarded, %llu view-only refused, "
		"%llu rate-limited, %llu dropped (congested), %llu refused, %llu unavailable, "
		"%u malformed",
		v->id, b->n_viewers, (unsigned long long)c->forwarded,
		(unsigned long long)c->view_only, (unsigned long long)c->rate_limited,
		(unsigned long long)c->busy_dropped, (unsigned long long)c->refused,
		(unsigned long long)c->unavailable, v->malformed);
}

static void write_report(struct lcb_bridge *b, struct viewer *v, const char *text, size_t len)
{
	if (!b->cfg.test_report) {
		lc_info("viewer %u sent a report; ignored (no --test-report)", v->id);
		return;
	}
	/* One JSON line per report; a line break inside would split it. */
	if (memchr(text, '\n', len) || memchr(text, '\r', len)) {
		lc_warn("viewer %u: report with a line break, ignored", v->id);
		return;
	}
	char head[64];
	int hn = snprintf(head, sizeof(head), "{\"viewer\":%u,\"report\":", v->id);
	char *line = malloc((size_t)hn + len + 3);
	if (!line)
		return;
	memcpy(line, head, (size_t)hn);
	memcpy(line + hn, text, len);
	memcpy(line + (size_t)hn + len, "}\n", 2);
	int fd = open(b->cfg.test_report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, (size_t)hn + len + 2) != (ssize_t)((size_t)hn + len + 2))
		lc_err("%s: %s", b->cfg.test_report, strerror(errno));
	else
		lc_info("viewer %u: report written to %s", v->id, b->cfg.test_report);
	if (fd >= 0)
		close(fd);
	free(line);
}

static void viewer_input(struct lcb_bridge *b, struct viewer *v)
{
	struct lcb_wsin m;
	const char *why = "";
	enum lcb_wsin_status st = lcb_wsin_decode(v->rx, v->rx_len, &m, &why);
	if (st != LCB_WSIN_OK) {
		v->malformed++;
		char text[200];
		snprintf(text, sizeof(text), "malformed input message (type 0x%02x, %zu bytes): %s",
			 v->rx[0], v->rx_len, why);
		v->last_error_us = 0; /* a malformed message is always answered */
		input_error(b, v, LCB_WS_IERR_MALFORMED, text);
		if (v->malformed > MALFORMED_MAX) {
			lc_warn("viewer %u: over %u malformed input messages: disconnecting", v->id,
				MALFORMED_MAX);
			kick(v, LWS_CLOSE_STATUS_POLICY_VIOLATION, "malformed input");
		}
		return;
	}
	switch (lcb_input_handle(&b->input, &v->in, &m, lws_now_usecs(), &why)) {
	case LCB_IN_SENT:
	case LCB_IN_NOOP:
	case LCB_IN_OWED: break;
	case LCB_IN_VIEW_ONLY: input_error(b, v, LCB_WS_IERR_VIEW_ONLY, why); break;
	case LCB_IN_RATE_LIMITED: input_error(b, v, LCB_WS_IERR_RATE_LIMITED, why); break;
	case LCB_IN_BUSY: input_error(b, v, LCB_WS_IERR_BUSY, why); break;
	case LCB_IN_REFUSED: input_error(b, v, LCB_WS_IERR_REFUSED, why); break;
	case LCB_IN_UNAVAILABLE: input_error(b, v, LCB_WS_IERR_UNAVAILABLE, why); break;
	}
}

static void viewer_pong(struct lcb_bridge *b, struct viewer *v)
{
	if (v->rx_len < LCB_WS_PING_SIZE) {
		lc_debug("viewer %u: a %zu-byte Ping, under Helix's 13: not answered", v->id,
			 v->rx_len);
		return;
	}
	/* The window's figures once it has ended; until then, the live ones. */
	lws_usec_t now = lws_now_usecs();
	if (now - v->sched_since >= SCHED_WINDOW_US || v->sched_p50 == 0) {
		v->sched_p50 = (uint16_t)(lc_hist_quantile(&v->sched, 0.5) / 1000u);
		v->sched_p99 = (uint16_t)(lc_hist_quantile(&v->sched, 0.99) / 1000u);
		v->sched_max = (uint16_t)(v->sched.max / 1000u > 0xffff ? 0xffff
									: v->sched.max / 1000u);
		if (now - v->sched_since >= SCHED_WINDOW_US) {
			lc_hist_reset(&v->sched);
			v->sched_since = now;
		}
	}
	struct lcb_ws_pong_figures f = {
		/* Stamped here, as late as the bridge can: a page takes the
		 * min-RTT sample, whose stamp is nearest the round trip's middle. */
		.server_us = (uint64_t)(lc_now_ns() / 1000),
		.encoder_ms = v->encoder_ms,
		.sched_p50_ms = v->sched_p50,
		.sched_p99_ms = v->sched_p99,
		.sched_max_ms = v->sched_max,
	};
	struct lcb_msg *m = lcb_msg_new(LCB_WS_PONG_SIZE);
	if (!m)
		return;
	lcb_ws_pong(m->data, v->rx, &f);
	send_to(b, v, m, false);
	lcb_msg_unref(m);
}

static void viewer_control(struct lcb_bridge *b, struct viewer *v)
{
	struct lcb_wscontrol c;
	const char *why = "";
	if (lcb_wscontrol_decode(v->rx, v->rx_len, &c, &why) < 0) {
		v->malformed++;
		lc_warn("viewer %u: bad Control message: %s", v->id, why);
		return;
	}
	if (!c.has_video_enabled || c.video_enabled == !v->video_off)
		return;
	v->video_off = !c.video_enabled;
	lc_info("viewer %u: video %s", v->id, v->video_off ? "off" : "on");
	/* Off: what is queued goes; on: from a fresh keyframe. */
	lcb_vqueue_resync(&v->q);
	if (!v->video_off)
		lcb_upstream_request_keyframe(b->up);
}

static void viewer_message(struct lcb_bridge *b, struct viewer *v)
{
	if (v->rx_overflow) {
		lc_warn("viewer %u: message over %u bytes, ignored", v->id, VIEWER_RX_MAX);
		return;
	}
	if (!v->rx_binary) {
		if (!v->inited)
			viewer_init(b, v);
		else if (v->ext)
			write_report(b, v, (const char *)v->rx, v->rx_len);
		else
			lc_debug("viewer %u: text after the init, ignored", v->id);
		return;
	}
	if (v->rx_len == 0 || !v->inited)
		return; /* Helix's server, too, skips what comes before the init */
	if (lcb_wsin_is_input(v->rx[0])) {
		viewer_input(b, v);
		return;
	}
	switch (v->rx[0]) {
	case LCB_WS_PING: viewer_pong(b, v); break;
	case LCB_WS_CONTROL: viewer_control(b, v); break;
	case LCB_WS_KEYFRAME_REQ:
		lc_info("viewer %u lost sync: resynchronising on a keyframe", v->id);
		lcb_vqueue_resync(&v->q);
		lcb_upstream_request_keyframe(b->up);
		break;
	default: lc_debug("viewer %u: ignoring message type 0x%02x", v->id, v->rx[0]);
	}
}

static int viewer_receive(struct lcb_bridge *b, struct viewer *v, struct lws *wsi, const void *in,
			  size_t len)
{
	if (lws_is_first_fragment(wsi)) {
		v->rx_len = 0;
		v->rx_overflow = false;
		v->rx_binary = lws_frame_is_binary(wsi);
	}
	if (!v->rx && !(v->rx = malloc(VIEWER_RX_MAX)))
		return -1;
	if (len > VIEWER_RX_MAX - v->rx_len)
		v->rx_overflow = true;
	else if (!v->rx_overflow) {
		memcpy(v->rx + v->rx_len, in, len);
		v->rx_len += len;
	}
	if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
		viewer_message(b, v);
	return 0;
}

/* A frame goes out: this viewer's latency figures (the Pong's). */
static void frame_written(struct lcb_bridge *b, struct viewer *v, const struct lcb_msg *m)
{
	lws_usec_t now = lws_now_usecs();
	if (m->arrival_us && now >= m->arrival_us)
		lc_hist_add(&v->sched, (uint64_t)(now - m->arrival_us));
	if (m->encode_us && m->arrival_us && now >= m->arrival_us) {
		/* The exporter's part (the change to the end of its encode, on
		 * its clock) and ours (arrival to write, on ours): no clock is
		 * compared, so the exporter may be on another host. The wire
		 * between is not counted. */
		uint64_t us = m->encode_us + (uint64_t)(now - m->arrival_us);
		uint64_t ms = (us + 500u) / 1000u;
		v->encoder_ms = (uint16_t)(ms == 0 ? 1 : ms > 0xffff ? 0xffff : ms);
	} else if (b->same_clock && m->pts_us) {
		/* An age outside 0..10 s is not of our clock (an exporter that
		 * counts pts from 0, as Helix's did): unknown, 0. */
		uint64_t mono_us = (uint64_t)(lc_now_ns() / 1000);
		uint64_t age_us = mono_us >= m->pts_us ? mono_us - m->pts_us : UINT64_MAX;
		/* Rounded, and at least 1: 0 means unknown (WS.md). */
		uint64_t ms = (age_us + 500u) / 1000u;
		v->encoder_ms = age_us <= 10u * 1000000u ? (uint16_t)(ms ? ms : 1) : 0;
	}
}

static int viewer_writable(struct lcb_bridge *b, struct viewer *v, struct lws *wsi)
{
	struct lcb_qent e;
	if (!lcb_vqueue_pop(&v->q, &e)) {
		if (v->kick) {
			const char *why = v->kick_why ? v->kick_why : "closing";
			lws_close_reason(wsi, (enum lws_close_status)v->kick_status,
					 (unsigned char *)why, strlen(why));
			return -1;
		}
		return 0;
	}
	struct lcb_msg *m = e.msg;
	if (m->video)
		m->data[LCB_WS_VIDEO_FLAGS_OFFSET] = (uint8_t)((m->keyframe ? LCB_WS_FLAG_KEY : 0) |
							       (e.replay ? LCB_WS_FLAG_REPLAY : 0));
	int n = lws_write(wsi, m->data, m->len, m->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
	if (n >= 0 && m->video && !e.replay)
		frame_written(b, v, m);
	lcb_msg_unref(m);
	if (n < 0) {
		lc_warn("viewer %u: write failed", v->id);
		return -1;
	}
	if (v->q.n > 0 || v->kick)
		lws_callback_on_writable(wsi);
	return 0;
}

/* ---- HTTP and WebSocket callback ---- */

/* The exporter on this host: its pts are our CLOCK_MONOTONIC. */
static bool host_is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

static bool token_eq(const char *want, const char *got)
{
	if (!want || !*want || !got)
		return false;
	/* Constant time in the secret's length: no early exit on a mismatch. */
	size_t wl = strlen(want), gl = strlen(got);
	unsigned char diff = (unsigned char)(wl != gl);
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
	return diff == 0;
}

static bool set(const char *t)
{
	return t && *t;
}

/* What the viewer's ?token= gives it (bridge.h). */
static enum rights rights_of(struct lcb_bridge *b, struct lws *wsi)
{
	const struct lcb_bridge_config *c = &b->cfg;
	if (b->vh_helix && lws_get_vhost(wsi) == b->vh_helix)
		return c->helix_control ? RIGHTS_CONTROL : RIGHTS_VIEW;
	char buf[320];
	const char *got = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf));
	if (token_eq(c->control_token, got))
		return RIGHTS_CONTROL;
	if (token_eq(c->view_token, got) || token_eq(c->viewer_token, got))
		return RIGHTS_VIEW;
	if (set(c->control_token) || set(c->view_token) || set(c->viewer_token))
		return RIGHTS_REFUSED;
	return c->open_control ? RIGHTS_CONTROL : RIGHTS_VIEW;
}

static int serve_http(struct lcb_bridge *b, struct lws *wsi, const char *path)
{
	/* Only the viewer's two files; any other path is a 404, so there is
	 * no directory listing and no way out of the www directory. */
	const char *file = NULL, *mime = NULL;
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		file = "index.html";
		mime = "text/html; charset=utf-8";
	} else if (strcmp(path, "/viewer.js") == 0) {
		file = "viewer.js";
		mime = "text/javascript; charset=utf-8";
	}
	if (!file) {
		lc_debug("http: 404 for %s", path);
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", b->cfg.www_dir, file);
	int n = lws_serve_http_file(wsi, full, mime, NULL, 0);
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static int stream_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			   size_t len)
{
	struct lcb_bridge *b = bridge_of(wsi);
	struct viewer *v = user;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (b->vh_helix && lws_get_vhost(wsi) == b->vh_helix) {
			/* Helix's endpoint is the WebSocket alone. */
			if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
				return -1;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		return serve_http(b, wsi, in);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION: return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (rights_of(b, wsi) == RIGHTS_REFUSED) {
			lc_warn("viewer refused: wrong or missing token");
			return 1;
		}
		if (b->n_viewers >= b->cfg.max_viewers) {
			lc_warn("viewer refused: %u viewers already (--max-viewers)", b->n_viewers);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED: {
		/* The URL is still there; the filter above refused the rest. */
		enum rights r = rights_of(b, wsi);
		if (r == RIGHTS_REFUSED)
			return -1;
		viewer_joined(b, v, wsi, r == RIGHTS_CONTROL);
		return v->next ? 0 : -1;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE: return v->next ? viewer_writable(b, v, wsi) : 0;
	case LWS_CALLBACK_RECEIVE: return v->next ? viewer_receive(b, v, wsi, in, len) : 0;
	case LWS_CALLBACK_CLOSED: viewer_left(b, v); return 0;
	default: return 0;
	}
}

/* ---- keepalive ---- */

/* A frame at least every KEEPALIVE_GAP_US for viewers that need one
 * (Helix's render-stall watchdog): asked of the exporter only while such
 * a viewer watches and nothing else came, so a screen nobody watches, or
 * that changes anyway, costs no extra encode. The exporter answers
 * REFRESH_REQ with a new P-frame of the unchanged picture (a few hundred
 * bytes), an older one KEYFRAME_REQ with an IDR of it: either decodes to
 * the same picture (never an old frame sent again, which corrupts). */
static void keepalive_tick(lws_sorted_usec_list_t *sul)
{
	struct lcb_bridge *b = lws_container_of(sul, struct lcb_bridge, keepalive_sul);
	lws_usec_t now = lws_now_usecs();
	bool needed = false;
	for (struct viewer *v = b->viewers.next; v != &b->viewers && !needed; v = v->next)
		needed = v->complete && v->keepalive && !v->video_off;
	if (needed && now - b->last_frame_us >= KEEPALIVE_GAP_US &&
	    now - b->last_keepalive_us >= KEEPALIVE_GAP_US) {
		b->last_keepalive_us = now;
		lc_debug("keepalive: no frame for %lld ms, asking for one",
			 (long long)((now - b->last_frame_us) / 1000));
		lcb_upstream_request_refresh(b->up);
	}
	lws_sul_schedule(b->ctx, 0, &b->keepalive_sul, keepalive_tick, KEEPALIVE_TICK_US);
}

/* ---- signals ---- */

static int handle_signal(struct lcb_rawfd *r, struct lws *wsi, enum lws_callback_reasons reason)
{
	struct lcb_bridge *b = lws_container_of(r, struct lcb_bridge, sig_raw);
	if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
		b->sig_fd = -1;
		return 0;
	}
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	struct signalfd_siginfo si;
	if (read(b->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		lc_info("signal %u: stopping", si.ssi_signo);
		b->stop = true;
		lws_cancel_service(b->ctx);
	}
	return 0;
}

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		n--;
	lc_log(level == LLL_ERR    ? LC_LOG_ERROR
	       : level == LLL_WARN ? LC_LOG_WARN
				   : LC_LOG_DEBUG,
	       "lws: %.*s", (int)n, line);
}

struct lcb_bridge *lcb_bridge_create(const struct lcb_bridge_config *cfg)
{
	struct lcb_bridge *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->cfg = *cfg;
	b->sig_fd = -1;
	b->viewers.next = b->viewers.prev = &b->viewers;
	lcb_input_init(&b->input, lcb_upstream_input, NULL); /* data: the upstream, below */
	if (lcb_gop_init(&b->gop, GOP_MAX_FRAMES, GOP_MAX_BYTES) < 0)
		goto fail;

	lws_set_log_level(lc_log_get_level() >= LC_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE
							     : LLL_ERR | LLL_WARN,
			  lws_log_emit);
	struct lws_context_creation_info ci = {0};
	ci.port = CONTEXT_PORT_NO_LISTEN;
	ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	ci.gid = -1;
	ci.uid = -1;
	ci.user = b;
	b->ctx = lws_create_context(&ci);
	if (!b->ctx) {
		lc_err("cannot create the libwebsockets context");
		goto fail;
	}
	b->protocols[0] = (struct lws_protocols){
		.name = "leasecast-stream",
		.callback = stream_callback,
		.per_session_data_size = sizeof(struct viewer),
	};
	b->protocols[1] = lcb_rawfd_protocol;
	struct lws_context_creation_info vi = {0};
	vi.port = cfg->listen_port;
	vi.iface = cfg->listen_host;
	vi.protocols = b->protocols;
	vi.vhost_name = "leasecast";
	vi.options = 0;
	b->vh = lws_create_vhost(b->ctx, &vi);
	if (!b->vh) {
		lc_err("cannot listen on %s:%u", cfg->listen_host, cfg->listen_port);
		goto fail;
	}
	if (cfg->helix_port) {
		vi.port = cfg->helix_port;
		vi.iface = cfg->helix_host;
		vi.vhost_name = "helix";
		b->vh_helix = lws_create_vhost(b->ctx, &vi);
		if (!b->vh_helix) {
			lc_err("cannot listen on %s:%u (--helix-listen)", cfg->helix_host,
			       cfg->helix_port);
			goto fail;
		}
		lc_info("Helix's endpoint: ws://%s:%u/ws/stream, no token, %s", cfg->helix_host,
			cfg->helix_port, cfg->helix_control ? "viewers control" : "view only");
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	b->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	b->sig_raw.handle = handle_signal;
	if (b->sig_fd < 0 || !lcb_rawfd_adopt(b->vh, b->sig_fd, &b->sig_raw)) {
		lc_err("signalfd: %s", strerror(errno));
		if (b->sig_fd >= 0)
			close(b->sig_fd);
		b->sig_fd = -1;
		goto fail;
	}

	struct lcb_upstream_listener l = {
		.frame = on_frame,
		.cursor_define = on_cursor_define,
		.cursor_move = on_cursor_move,
		.state = on_state,
		.refused = on_refused,
		.tx_room = on_tx_room,
		.data = b,
	};
	b->up = lcb_upstream_create(b->ctx, b->vh, &cfg->upstream, &l);
	if (!b->up)
		goto fail;
	b->input.data = b->up;
	b->fps = FPS_DEFAULT;
	b->same_clock = host_is_loopback(cfg->upstream.host);
	lws_sul_schedule(b->ctx, 0, &b->keepalive_sul, keepalive_tick, KEEPALIVE_TICK_US);
	set_status(b, LCB_WS_STATE_WAITING, "connecting to the exporter");
	lc_info("viewer at http://%s:%u/ (scanout %u from %s:%u); input: %s", cfg->listen_host,
		cfg->listen_port, cfg->upstream.scanout, cfg->upstream.host, cfg->upstream.port,
		!cfg->upstream.input      ? "off, every viewer is view-only"
		: set(cfg->control_token) ? "viewers with the control token"
					  : "every viewer (loopback, no token)");
	return b;
fail:
	lcb_bridge_destroy(b);
	return NULL;
}

int lcb_bridge_run(struct lcb_bridge *b)
{
	while (!b->stop)
		if (lws_service(b->ctx, 0) < 0)
			break;
	return b->exit_code;
}

void lcb_bridge_destroy(struct lcb_bridge *b)
{
	if (!b)
		return;
	lcb_upstream_destroy(b->up);
	b->up = NULL;
	b->input.data = NULL; /* the viewers' leaves below send nothing */
	/* Closes every wsi: the viewers (CLOSED frees their queues), the signalfd. */
	if (b->ctx) {
		lws_sul_cancel(&b->keepalive_sul);
		lws_context_destroy(b->ctx);
	}
	lcb_gop_finish(&b->gop);
	lcb_msg_unref(b->init_helix);
	lcb_msg_unref(b->init_ext);
	lcb_msg_unref(b->cursor_image);
	lcb_msg_unref(b->cursor_pos);
	lcb_msg_unref(b->status);
	free(b);
}
