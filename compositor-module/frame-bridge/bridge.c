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
#include "hxfr.h"
#include "input.h"
#include "log.h"
#include "msg.h"
#include "rawfd.h"
#include "sps.h"
#include "vqueue.h"
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
};

struct lcb_bridge {
	struct lcb_bridge_config cfg;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lws_protocols protocols[3];
	struct lcb_upstream *up;
	struct lcb_rawfd sig_raw;
	int sig_fd;
	struct viewer viewers; /* list head */
	unsigned n_viewers, next_viewer_id;
	struct lcb_gop gop;
	bool have_sps;
	struct lcb_sps_info sps;
	struct lcb_msg *init, *cursor_image, *cursor_move, *status;
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
	enum lcb_push_result r = lcb_vqueue_push(&v->q, m, replay);
	if (r == LCB_PUSH_DROPPED) {
		lc_warn("viewer %u is too slow: dropped to the next keyframe", v->id);
		if (v->q.need_key)
			lcb_upstream_request_keyframe(b->up);
	}
	if (v->q.n > 0)
		lws_callback_on_writable(v->wsi);
}

static void broadcast(struct lcb_bridge *b, struct lcb_msg *m)
{
	for (struct viewer *v = b->viewers.next; v != &b->viewers; v = v->next)
		send_to(b, v, m, false);
}

/* Replaces *slot with m (taking m's reference) and sends it to everyone. */
static void set_and_broadcast(struct lcb_bridge *b, struct lcb_msg **slot, struct lcb_msg *m)
{
	lcb_msg_unref(*slot);
	*slot = m;
	broadcast(b, m);
}

static void set_status(struct lcb_bridge *b, enum lcb_ws_state st, const char *text)
{
	uint8_t buf[300];
	size_t n = lcb_ws_status(buf, sizeof(buf), st, text);
	struct lcb_msg *m = n ? lcb_msg_new(n) : NULL;
	if (!m)
		return;
	memcpy(m->data, buf, n);
	set_and_broadcast(b, &b->status, m);
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
	size_t n = lcb_ws_stream_init(buf, sizeof(buf), (uint16_t)s.width, (uint16_t)s.height,
				      s.codec);
	struct lcb_msg *m = lcb_msg_new(n);
	if (!m)
		return;
	memcpy(m->data, buf, n);
	lc_info("stream: %ux%u %s", s.width, s.height, s.codec);
	b->sps = s;
	b->have_sps = true;
	lcb_input_set_size(&b->input, s.width, s.height);
	/* Frames of the old size must not be replayed after the new init. */
	lcb_gop_clear(&b->gop);
	set_and_broadcast(b, &b->init, m);
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
	lcb_ws_cursor_image(m->data, n, c->width, c->height, c->hot_x, c->hot_y, c->pixels);
	set_and_broadcast(b, &b->cursor_image, m);
}

static void on_cursor_move(void *data, const struct hxfr_cursor_move *c)
{
	struct lcb_bridge *b = data;
	struct lcb_msg *m = lcb_msg_new(LCB_WS_CURSOR_MOVE_SIZE);
	if (!m)
		return;
	lcb_ws_cursor_move(m->data, c->x, c->y, c->visible);
	set_and_broadcast(b, &b->cursor_move, m);
}

static void on_state(void *data, bool streaming, const char *why)
{
	struct lcb_bridge *b = data;
	if (!streaming)
		lcb_gop_clear(&b->gop); /* the next subscription starts a new stream */
	/* A new connection, or none: either way the exporter released what
	 * the old one held. */
	lcb_input_upstream_reset(&b->input);
	set_status(b, streaming ? LCB_WS_STATE_STREAMING : LCB_WS_STATE_WAITING, why);
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
	b->exit_code = EXIT_REFUSED;
	b->stop = true;
	lws_cancel_service(b->ctx);
}

/* ---- viewers ---- */

static void send_bytes(struct lcb_bridge *b, struct viewer *v, const uint8_t *p, size_t n)
{
	struct lcb_msg *m = n ? lcb_msg_new(n) : NULL;
	if (!m)
		return;
	memcpy(m->data, p, n);
	send_to(b, v, m, false);
	lcb_msg_unref(m);
}

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
	lc_info("viewer %u joined (%u watching), %s", v->id, b->n_viewers,
		control ? "may control" : "view only");
	uint8_t rights[LCB_WS_RIGHTS_SIZE];
	lcb_ws_rights(rights, control);
	send_bytes(b, v, rights, sizeof(rights));
	struct lcb_msg *state[] = {b->status, b->init, b->cursor_image, b->cursor_move};
	for (size_t i = 0; i < sizeof(state) / sizeof(state[0]); i++)
		if (state[i])
			send_to(b, v, state[i], false);
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
			v->kick = true;
			lws_callback_on_writable(v->wsi);
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

static void viewer_message(struct lcb_bridge *b, struct viewer *v)
{
	if (v->rx_overflow) {
		lc_warn("viewer %u: message over %u bytes, ignored", v->id, VIEWER_RX_MAX);
		return;
	}
	if (!v->rx_binary) {
		write_report(b, v, (const char *)v->rx, v->rx_len);
		return;
	}
	if (v->rx_len == 0)
		return;
	if (lcb_wsin_is_input(v->rx[0])) {
		viewer_input(b, v);
		return;
	}
	switch (v->rx[0]) {
	case LCB_WS_PING: {
		if (v->rx_len > LCB_WS_PING_MAX)
			break;
		struct lcb_msg *m = lcb_msg_new(v->rx_len + 8);
		if (!m)
			break;
		/* Stamped here, as late as the bridge can: the page takes the
		 * min-RTT sample, whose stamp is nearest the round trip's middle. */
		lcb_ws_pong(m->data, v->rx_len + 8, v->rx, v->rx_len,
			    (uint64_t)(lc_now_ns() / 1000));
		send_to(b, v, m, false);
		lcb_msg_unref(m);
		break;
	}
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

static int viewer_writable(struct viewer *v, struct lws *wsi)
{
	if (v->kick) {
		static const char reason[] = "malformed input";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)reason,
				 sizeof(reason) - 1);
		return -1;
	}
	struct lcb_qent e;
	if (!lcb_vqueue_pop(&v->q, &e))
		return 0;
	struct lcb_msg *m = e.msg;
	if (m->video)
		m->data[LCB_WS_VIDEO_FLAGS_OFFSET] = (uint8_t)((m->keyframe ? LCB_WS_FLAG_KEY : 0) |
							       (e.replay ? LCB_WS_FLAG_REPLAY : 0));
	int n = lws_write(wsi, m->data, m->len, LWS_WRITE_BINARY);
	lcb_msg_unref(m);
	if (n < 0) {
		lc_warn("viewer %u: write failed", v->id);
		return -1;
	}
	if (v->q.n > 0)
		lws_callback_on_writable(wsi);
	return 0;
}

/* ---- HTTP and WebSocket callback ---- */

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
	case LWS_CALLBACK_HTTP: return serve_http(b, wsi, in);
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
	case LWS_CALLBACK_SERVER_WRITEABLE: return v->next ? viewer_writable(v, wsi) : 0;
	case LWS_CALLBACK_RECEIVE: return v->next ? viewer_receive(b, v, wsi, in, len) : 0;
	case LWS_CALLBACK_CLOSED: viewer_left(b, v); return 0;
	default: return 0;
	}
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
	if (b->ctx)
		lws_context_destroy(b->ctx);
	lcb_gop_finish(&b->gop);
	lcb_msg_unref(b->init);
	lcb_msg_unref(b->cursor_image);
	lcb_msg_unref(b->cursor_move);
	lcb_msg_unref(b->status);
	free(b);
}
