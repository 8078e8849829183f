#include "client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "console_input.h"
#include "control.h"
#include "frames.h"
#include "hxfr_auth.h"
#include "log.h"
#include "qemu_display.h"

/* The largest message a client may send fits the read buffer exactly. */
#define IN_MAX (HXFR_HEADER_SIZE + HXFR_MAX_CLIENT_PAYLOAD)
/* Replies are small; a client that leaves this much unread is not reading. */
#define OUT_MAX (256u * 1024u)
/* Control requests in flight per connection. */
#define MAX_PENDING 8
/* How long a closing connection may take to take its last reply. */
#define LINGER_USEC (2 * 1000 * 1000ull)
#define REPLY_MAX (HXFR_HEADER_SIZE + 4 + HXFR_ERROR_MESSAGE_LEN + 16)

struct client_req {
	struct qe_control_req req;
	struct qe_client *client;
	uint16_t session_id;
	bool disable;
	uint32_t scanout_id;
};

/* What this server offers in HELLO_RESP (§5.6). */
static uint32_t offered_features(const struct qe_client *c)
{
	return (c->env->cfg->have_key ? HXFR_FEATURE_CONTROL : 0) | HXFR_FEATURE_STREAM_KEYS |
	       HXFR_FEATURE_CURSOR | (c->env->input ? HXFR_FEATURE_INPUT : 0) |
	       HXFR_FEATURE_REFRESH;
}

/* Lets go of everything this connection holds down in the guest: it is
 * going away, its subscription ends or moves, its key died, or it asked.
 * The calls belong to console_input, so they go out even when the
 * connection is gone right after. */
static void release_input(struct qe_client *c)
{
	if (!c->env->input || !qe_input_holds(&c->input))
		return;
	lc_debug("connection %" PRIu64 ": releasing what it holds on scanout %" PRIu32, c->id,
		 c->input.scanout);
	qe_input_release_all(&c->input, qe_display_generation(c->env->display),
			     qe_console_input_emit, c->env->input);
}

/* Control (and with it stream keys) after AUTH, or for everyone when the
 * operator opened it. */
static bool may_control(const struct qe_client *c)
{
	return c->authenticated || c->env->cfg->allow_unauthenticated_control;
}

static void update_io(struct qe_client *c);

static bool send_bytes(struct qe_client *c, const uint8_t *buf, size_t len)
{
	if (len == 0) {
		lc_err("connection %" PRIu64 ": reply does not fit its buffer", c->id);
		return false;
	}
	int r = lc_buf_append(&c->out, buf, len);
	if (r == -ENOBUFS) {
		lc_warn("connection %" PRIu64 " (%s): does not read its replies (%zu bytes queued)",
			c->id, c->peer, c->out.len);
		return false;
	}
	if (r < 0) {
		lc_err("connection %" PRIu64 ": %s", c->id, strerror(-r));
		return false;
	}
	return true;
}

static bool send_error(struct qe_client *c, uint16_t session_id, int32_t code, const char *msg)
{
	uint8_t buf[REPLY_MAX];
	lc_info("connection %" PRIu64 " (%s): error %" PRId32 ": %s", c->id, c->peer, code, msg);
	return send_bytes(c, buf, hxfr_encode_error(buf, sizeof(buf), session_id, code, msg));
}

static bool send_scanout_result(struct qe_client *c, const struct qe_control_result *res,
				uint16_t session_id)
{
	uint8_t buf[REPLY_MAX];
	/* Every ENABLE/DISABLE gets exactly one SCANOUT_RESP, so a Helix v1
	 * caller waiting for it is never left hanging; the why follows. */
	if (!send_bytes(c, buf,
			hxfr_encode_scanout_resp(buf, sizeof(buf), res->scanout_id, res->success,
						 res->connector)))
		return false;
	if (!res->success)
		return send_error(c, session_id, res->error_code, res->message);
	return true;
}

static void start_closing(struct qe_client *c, const char *why);

static int linger_expired(sd_event_source *s, uint64_t usec, void *data)
{
	qe_client_destroy(data, "did not take its last reply in time");
	return 0;
}

/* Stop serving, send what is queued, then close: an abusive or failed
 * client learns why, but gets nothing more. */
static void start_closing(struct qe_client *c, const char *why)
{
	if (c->closing)
		return;
	lc_info("connection %" PRIu64 " (%s): closing: %s", c->id, c->peer, why);
	c->closing = true;
	release_input(c);
	lc_buf_consume(&c->in, c->in.len);
	/* No frame after the last word; a half-sent one is finished first, or
	 * the peer could not parse what follows. */
	qe_stream_detach(&c->sub);
	qe_outq_drop(&c->sub.q, QE_BLOB_FRAME);
	qe_outq_drop(&c->sub.q, QE_BLOB_CURSOR_DEFINE);
	qe_outq_drop(&c->sub.q, QE_BLOB_CURSOR_MOVE);
	int r = sd_event_add_time_relative(c->env->ev, &c->close_timer, CLOCK_MONOTONIC,
					   LINGER_USEC, 0, linger_expired, c);
	if (r < 0)
		lc_err("cannot arm a timer: %s", strerror(-r));
}

static void req_done(struct qe_control_req *req, const struct qe_control_result *res)
{
	struct client_req *cr = qe_container_of(req, struct client_req, req);
	struct qe_client *c = cr->client;
	uint16_t session_id = cr->session_id;
	bool disabled = cr->disable && res->success;
	uint32_t scanout = cr->scanout_id;
	qe_list_remove(&req->link);
	c->pending--;
	free(cr);
	if (disabled) /* the output is off: its stream key dies (HXFR.md §5.8.1) */
		qe_frames_scanout_disabled(c->env->frames, scanout, "the scanout was disabled");
	if (c->closing)
		return;
	if (!send_scanout_result(c, res, session_id)) {
		qe_client_destroy(c, "reply buffer full");
		return;
	}
	update_io(c);
}

static bool handle_control(struct qe_client *c, const struct hxfr_msg *msg, bool enable)
{
	uint32_t id = enable ? msg->u.enable.scanout_id : msg->u.scanout_id;
	struct qe_control_result res;
	if (c->pending >= MAX_PENDING) {
		res = (struct qe_control_result){.scanout_id = id, .error_code = HXFR_ERR_LIMIT};
		snprintf(res.message, sizeof(res.message),
			 "too many control requests in flight (at most %d per connection)",
			 MAX_PENDING);
		return send_scanout_result(c, &res, msg->hdr.session_id);
	}
	struct client_req *cr = calloc(1, sizeof(*cr));
	if (!cr) {
		res = (struct qe_control_result){.scanout_id = id, .error_code = HXFR_ERR_LIMIT};
		snprintf(res.message, sizeof(res.message), "out of memory");
		return send_scanout_result(c, &res, msg->hdr.session_id);
	}
	cr->client = c;
	cr->session_id = msg->hdr.session_id;
	cr->disable = !enable;
	cr->scanout_id = id;
	cr->req.conn_id = c->id;
	cr->req.done = req_done;
	qe_list_init(&cr->req.link);
	lc_debug("connection %" PRIu64 ": %s scanout %" PRIu32, c->id,
		 enable ? "ENABLE" : "DISABLE", id);
	if (qe_control_submit(c->env->ctl, &cr->req, c->authenticated, enable, id,
			      enable ? msg->u.enable.width : 0, enable ? msg->u.enable.height : 0,
			      &res)) {
		qe_list_insert_tail(&c->reqs, &cr->req.link);
		c->pending++;
		return true;
	}
	free(cr);
	return send_scanout_result(c, &res, msg->hdr.session_id);
}

static bool handle_hello(struct qe_client *c, const struct hxfr_msg *msg)
{
	uint32_t features = offered_features(c);
	int r = hxfr_nonce_fill(c->nonce);
	if (r < 0) {
		c->nonce_valid = false;
		lc_err("cannot draw a nonce: %s", strerror(-r));
		return send_error(c, msg->hdr.session_id, HXFR_ERR_BACKEND,
				  "cannot draw a random nonce");
	}
	c->nonce_valid = true;
	c->features = msg->u.hello.features;
	lc_debug("connection %" PRIu64 ": HELLO version %u features 0x%" PRIx32, c->id,
		 msg->u.hello.version, msg->u.hello.features);
	uint8_t buf[REPLY_MAX];
	return send_bytes(c, buf, hxfr_encode_hello_resp(buf, sizeof(buf), features, c->nonce));
}

static bool handle_auth(struct qe_client *c, const struct hxfr_msg *msg)
{
	const struct qe_config *cfg = c->env->cfg;
	uint16_t sid = msg->hdr.session_id;
	if (!cfg->have_key)
		return send_error(c, sid, HXFR_ERR_UNSUPPORTED,
				  "AUTH: this exporter has no control key (--control-key)");
	if (!c->nonce_valid)
		return send_error(c, sid, HXFR_ERR_PROTOCOL,
				  "AUTH needs a fresh nonce: send HELLO first");
	/* One guess per nonce, and one failed guess per connection. */
	c->nonce_valid = false;
	if (!hxfr_auth_verify(&cfg->key, c->nonce, msg->u.mac)) {
		lc_warn("connection %" PRIu64 " (%s): AUTH failed (wrong key)", c->id, c->peer);
		if (send_error(c, sid, HXFR_ERR_AUTH_FAILED, "authentication failed"))
			start_closing(c, "failed AUTH");
		return true; /* closing; or destroyed by the caller if the send failed */
	}
	c->authenticated = true;
	lc_info("connection %" PRIu64 " (%s): authenticated for control", c->id, c->peer);
	uint8_t buf[REPLY_MAX];
	return send_bytes(c, buf,
			  hxfr_encode_auth_resp(buf, sizeof(buf), true,
						HXFR_FEATURE_CONTROL | HXFR_FEATURE_STREAM_KEYS));
}

static bool send_subscribe_refusal(struct qe_client *c, uint16_t sid, uint32_t scanout,
				   int32_t code, const char *text)
{
	uint8_t buf[REPLY_MAX];
	if (!send_bytes(c, buf, hxfr_encode_subscribe_resp(buf, sizeof(buf), scanout, false)) ||
	    !send_error(c, sid, code, text))
		return false;
	/* Each wrong key costs the guesser a connection. */
	if (code == HXFR_ERR_AUTH_FAILED)
		start_closing(c, "wrong stream key");
	return true;
}

static bool handle_subscribe(struct qe_client *c, const struct hxfr_msg *msg, bool keyed)
{
	uint16_t sid = msg->hdr.session_id;
	uint32_t scanout = keyed ? msg->u.subscribe_keyed.scanout_id : msg->u.scanout_id;
	/* A new subscription replaces the old one: its frames stop here, and
	 * what it held down is let go (HXFR.md §5.10). */
	release_input(c);
	qe_stream_detach(&c->sub);
	qe_outq_drop(&c->sub.q, QE_BLOB_FRAME);
	qe_outq_drop(&c->sub.q, QE_BLOB_CURSOR_DEFINE);
	qe_outq_drop(&c->sub.q, QE_BLOB_CURSOR_MOVE);
	c->sub.cursor = (c->features & HXFR_FEATURE_CURSOR) != 0;
	int32_t code = 0;
	char text[HXFR_ERROR_MESSAGE_LEN];
	if (!qe_frames_subscribe(c->env->frames, &c->sub, scanout,
				 keyed ? msg->u.subscribe_keyed.key : NULL, &code, text))
		return send_subscribe_refusal(c, sid, scanout, code, text);
	/* Replies go out before queued stream messages (flush_all), so
	 * SUBSCRIBE_RESP precedes the cursor state attach just queued. */
	uint8_t buf[REPLY_MAX];
	if (!send_bytes(c, buf, hxfr_encode_subscribe_resp(buf, sizeof(buf), scanout, true)))
		return false;
	lc_info("connection %" PRIu64 " (%s): subscribed to scanout %" PRIu32 "%s%s", c->id,
		c->peer, scanout, keyed ? " with its stream key" : " without a key (compat)",
		c->sub.cursor ? ", with cursor" : "");
	return true;
}

static bool handle_subscription_req(struct qe_client *c, const struct hxfr_msg *msg)
{
	uint16_t sid = msg->hdr.session_id;
	const char *what = hxfr_type_name(msg->hdr.type);
	if (!c->sub.stream) {
		char text[HXFR_ERROR_MESSAGE_LEN];
		snprintf(text, sizeof(text), "%s: this connection has no subscription", what);
		return send_error(c, sid, HXFR_ERR_PROTOCOL, text);
	}
	if (msg->hdr.type == HXFR_KEYFRAME_REQ) {
		/* The next frame to this subscriber is an IDR; until it comes,
		 * P-frames would be useless to a decoder that asked. */
		c->sub.needs_idr = true;
		c->sub.idr_asked = true;
		qe_stream_request_idr(c->sub.stream);
		return true;
	}
	if (msg->hdr.type == HXFR_REFRESH_REQ) {
		/* No answer, and no IDR: the next frame, a P-frame of the same
		 * picture unless the screen changes meanwhile, is the answer
		 * (HXFR.md §4.2.1). Like KEYFRAME_REQ it needs no HELLO. */
		static const char *const what_done[] = {
			[QE_REFRESH_QUEUED] = "encoding the picture again",
			[QE_REFRESH_PENDING] = "a frame is coming anyway",
			[QE_REFRESH_RECENT] = "a frame was encoded less than 250 ms ago",
			[QE_REFRESH_NO_PICTURE] = "no picture yet",
		};
		enum qe_refresh r = qe_stream_request_refresh(c->sub.stream);
		lc_debug("connection %" PRIu64 ": REFRESH_REQ for scanout %" PRIu32 ": %s", c->id,
			 qe_stream_scanout(c->sub.stream), what_done[r]);
		return true;
	}
	struct hxfr_config_req applied;
	qe_stream_configure(c->sub.stream, &msg->u.config, &applied);
	uint8_t buf[REPLY_MAX];
	return send_bytes(c, buf,
			  hxfr_encode_config_resp(buf, sizeof(buf),
						  (uint16_t)qe_stream_scanout(c->sub.stream),
						  &applied));
}

static bool handle_stream_key(struct qe_client *c, const struct hxfr_msg *msg, bool create)
{
	uint16_t sid = msg->hdr.session_id;
	uint32_t scanout = msg->u.scanout_id;
	const char *what = create ? "STREAM_KEY_REQ" : "STREAM_KEY_REVOKE";
	uint8_t key[HXFR_STREAM_KEY_LEN] = {0};
	int32_t code = 0;
	char text[HXFR_ERROR_MESSAGE_LEN];
	bool ok;
	if (!may_control(c)) {
		ok = false;
		code = HXFR_ERR_UNAUTHENTICATED;
		snprintf(text, sizeof(text),
			 "%s needs an authenticated control connection (HELLO, then AUTH)", what);
	} else if (create) {
		ok = qe_frames_key_create(c->env->frames, scanout, key, &code, text);
	} else {
		ok = qe_frames_key_revoke(c->env->frames, scanout, &code, text);
	}
	uint8_t buf[REPLY_MAX];
	/* Every key request gets exactly one STREAM_KEY (the zero key when
	 * refused or revoked), then the why. */
	bool sent = send_bytes(c, buf,
			       hxfr_encode_stream_key(buf, sizeof(buf), scanout, ok ? key : NULL));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(buf, sizeof(buf));
	if (!sent)
		return false;
	return ok || send_error(c, sid, code, text);
}

/* ERROR 10 for a dropped event, at most once a second (HXFR.md §5.10). */
static bool input_limited(struct qe_client *c, uint16_t sid, const char *what, const char *why)
{
	if (!qe_input_limit_error_due(&c->input, (uint64_t)lc_now_ns()))
		return true;
	char text[HXFR_ERROR_MESSAGE_LEN];
	snprintf(text, sizeof(text),
		 "%s: %s; events dropped so far: %" PRIu64 " over the rate, %" PRIu64
		 " while QEMU was busy",
		 what, why, c->input.n.rate_dropped, c->input.n.busy_dropped);
	return send_error(c, sid, HXFR_ERR_LIMIT, text);
}

/* Who may send input, then the rate (RELEASE_ALL is never limited: it
 * only lets go). false: refused, *ok is whether the connection goes on. */
static bool input_allowed(struct qe_client *c, const struct hxfr_msg *msg, bool *ok)
{
	uint16_t sid = msg->hdr.session_id;
	const char *what = hxfr_type_name(msg->hdr.type);
	char text[HXFR_ERROR_MESSAGE_LEN];
	*ok = true;
	if (!c->env->input) {
		snprintf(text, sizeof(text), "%s: this exporter takes no input", what);
		*ok = send_error(c, sid, HXFR_ERR_UNSUPPORTED, text);
		return false;
	}
	enum qe_input_verdict v = qe_input_rights((c->features & HXFR_FEATURE_INPUT) != 0,
						  c->sub.stream != NULL, c->sub.keyed,
						  c->sub.scanout, sid);
	switch (v) {
	case QE_INPUT_OK: break;
	case QE_INPUT_NO_RIGHT:
		snprintf(text, sizeof(text), "%s: ask for INPUT in HELLO first", what);
		*ok = send_error(c, sid, HXFR_ERR_UNAUTHENTICATED, text);
		return false;
	case QE_INPUT_FORGED:
		snprintf(text, sizeof(text),
			 "%s for scanout %u: this connection is subscribed to scanout %" PRIu32,
			 what, (unsigned)sid, c->sub.scanout);
		lc_warn("connection %" PRIu64 " (%s): %s", c->id, c->peer, text);
		*ok = send_error(c, sid, HXFR_ERR_PROTOCOL, text);
		if (*ok)
			start_closing(c, "input for another scanout");
		return false;
	default:
		snprintf(text, sizeof(text), "%s: needs a keyed subscription (SUBSCRIBE_KEYED)",
			 what);
		*ok = send_error(c, sid, HXFR_ERR_PROTOCOL, text);
		return false;
	}
	if (qe_display_state(c->env->display) != QE_DISPLAY_READY) {
		snprintf(text, sizeof(text), "%s: QEMU is not connected", what);
		*ok = send_error(c, sid, HXFR_ERR_BACKEND, text);
		return false;
	}
	if (msg->hdr.type != HXFR_INPUT_RELEASE_ALL &&
	    !qe_input_take_token(&c->input, (uint64_t)lc_now_ns())) {
		*ok = input_limited(c, sid, what,
				    "over the rate limit (2000 events/s, burst 4000)");
		return false;
	}
	return true;
}

static bool handle_input(struct qe_client *c, const struct hxfr_msg *msg)
{
	bool ok;
	if (!input_allowed(c, msg, &ok))
		return ok;
	uint16_t sid = msg->hdr.session_id;
	const char *what = hxfr_type_name(msg->hdr.type);
	uint32_t scanout = c->sub.scanout, w, h;
	qe_stream_size(c->sub.stream, &w, &h);
	enum qe_input_verdict v = qe_input_handle(
		&c->input, msg, scanout, qe_display_generation(c->env->display), w, h,
		qe_display_scanout_touch_slots(c->env->display, scanout), qe_console_input_emit,
		c->env->input);
	char text[HXFR_ERROR_MESSAGE_LEN];
	switch (v) {
	case QE_INPUT_OK: return true;
	case QE_INPUT_BUSY:
		return input_limited(c, sid, what, "QEMU has too many input calls in flight");
	case QE_INPUT_BAD_CODE:
		snprintf(text, sizeof(text), "%s: code %u has no QEMU equivalent (skipped)", what,
			 msg->hdr.type == HXFR_INPUT_TOUCH ? (unsigned)msg->u.input_touch.slot
							   : (unsigned)msg->u.input_key.code);
		return send_error(c, sid, HXFR_ERR_BAD_VALUE, text);
	default:
		snprintf(text, sizeof(text), "%s: this display does not support it", what);
		return send_error(c, sid, HXFR_ERR_UNSUPPORTED, text);
	}
}

static bool handle_resize(struct qe_client *c, const struct hxfr_msg *msg)
{
	bool ok;
	if (!input_allowed(c, msg, &ok))
		return ok;
	struct qe_control_result res;
	if (qe_control_resize(c->env->ctl, c->id, c->sub.scanout, msg->u.resize.width,
			      msg->u.resize.height, &res))
		return true;
	return send_error(c, msg->hdr.session_id, res.error_code, res.message);
}

/* Returns false when the connection cannot go on (the caller destroys it). */
static bool handle_msg(struct qe_client *c, const struct hxfr_msg *msg)
{
	uint16_t sid = msg->hdr.session_id;
	uint8_t buf[REPLY_MAX];
	switch (msg->hdr.type) {
	case HXFR_PING:
		return send_bytes(c, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_PONG, sid));
	case HXFR_HELLO: return handle_hello(c, msg);
	case HXFR_AUTH: return handle_auth(c, msg);
	case HXFR_ENABLE_SCANOUT: return handle_control(c, msg, true);
	case HXFR_DISABLE_SCANOUT: return handle_control(c, msg, false);
	case HXFR_SUBSCRIBE: return handle_subscribe(c, msg, false);
	case HXFR_SUBSCRIBE_KEYED: return handle_subscribe(c, msg, true);
	case HXFR_KEYFRAME_REQ:
	case HXFR_REFRESH_REQ:
	case HXFR_CONFIG_REQ: return handle_subscription_req(c, msg);
	case HXFR_STREAM_KEY_REQ: return handle_stream_key(c, msg, true);
	case HXFR_STREAM_KEY_REVOKE: return handle_stream_key(c, msg, false);
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON:
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL:
	case HXFR_INPUT_TOUCH:
	case HXFR_INPUT_RELEASE_ALL: return handle_input(c, msg);
	case HXFR_RESIZE_REQ: return handle_resize(c, msg);
	case HXFR_ERROR:
		/* Never answer an error with an error: two peers could ping-pong. */
		lc_info("connection %" PRIu64 " (%s): peer reports error %" PRId32 ": %s", c->id,
			c->peer, msg->u.error.code, msg->u.error.message);
		return true;
	default: {
		char text[HXFR_ERROR_MESSAGE_LEN];
		snprintf(text, sizeof(text), "%s (0x%02x) is a server message, not a request",
			 hxfr_type_name(msg->hdr.type), msg->hdr.type);
		return send_error(c, sid, HXFR_ERR_PROTOCOL, text);
	}
	}
}

static bool process_input(struct qe_client *c)
{
	while (!c->closing) {
		struct hxfr_msg msg;
		size_t consumed = 0;
		enum hxfr_status st = hxfr_decode(lc_buf_head(&c->in), c->in.len,
						  HXFR_MAX_CLIENT_PAYLOAD, &msg, &consumed);
		if (st == HXFR_NEED_MORE)
			return true;
		if (st == HXFR_OK) {
			bool ok = handle_msg(c, &msg);
			lc_buf_consume(&c->in, consumed);
			if (!ok)
				return false;
			continue;
		}
		char text[HXFR_ERROR_MESSAGE_LEN];
		int32_t code;
		bool fatal = false;
		switch (st) {
		case HXFR_E_MAGIC:
			code = HXFR_ERR_BAD_MAGIC;
			fatal = true;
			snprintf(text, sizeof(text), "bad magic 0x%08" PRIx32 " (want 0x%08x)",
				 msg.hdr.magic, HXFR_MAGIC);
			break;
		case HXFR_E_OVERSIZE:
			code = HXFR_ERR_OVERSIZE;
			fatal = true;
			snprintf(text, sizeof(text),
				 "%s: payload_size %" PRIu32 " over the limit %u",
				 hxfr_type_name(msg.hdr.type), msg.hdr.payload_size,
				 HXFR_MAX_CLIENT_PAYLOAD);
			break;
		case HXFR_E_TYPE:
			code = HXFR_ERR_UNKNOWN_TYPE;
			snprintf(text, sizeof(text), "unknown message type 0x%02x (skipped)",
				 msg.hdr.type);
			break;
		case HXFR_E_SIZE:
			code = HXFR_ERR_BAD_SIZE;
			snprintf(text, sizeof(text), "%s: wrong payload_size %" PRIu32 " (skipped)",
				 hxfr_type_name(msg.hdr.type), msg.hdr.payload_size);
			break;
		default:
			code = HXFR_ERR_BAD_VALUE;
			snprintf(text, sizeof(text), "%s: %s (skipped)",
				 hxfr_type_name(msg.hdr.type), hxfr_status_str(st));
			break;
		}
		if (!send_error(c, fatal ? 0 : msg.hdr.session_id, code, text))
			return false;
		if (fatal) {
			start_closing(c, text);
			return true;
		}
		lc_buf_consume(&c->in, consumed);
	}
	return true;
}

/* A subscriber whose frames were dropped because its socket was full has
 * caught up when the socket takes data again. */
static bool socket_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* Writes replies and stream messages in order: a reply never goes into the
 * middle of a stream message. Returns bytes still queued (>0 when the
 * socket is full), or -errno. */
static ssize_t flush_all(struct qe_client *c)
{
	for (;;) {
		if (!qe_outq_mid_message(&c->sub.q) && c->out.len > 0) {
			ssize_t left = lc_buf_flush(&c->out, c->fd);
			if (left != 0)
				return left;
		}
		if (qe_outq_empty(&c->sub.q)) {
			if (qe_stream_sub_awaits_drain(&c->sub) && socket_writable(c->fd))
				qe_stream_sub_drained(&c->sub);
			return (ssize_t)c->out.len;
		}
		int64_t damage_ns;
		int r = qe_outq_send_one(&c->sub.q, c->fd, &damage_ns);
		if (r == 1 && c->sub.stream)
			qe_stream_frame_sent(c->sub.stream, damage_ns);
		if (r == -EAGAIN)
			return (ssize_t)(c->sub.q.bytes + c->out.len);
		if (r < 0)
			return r;
	}
}

/* Flushes and picks the events to wait for; may destroy c. */
static void update_io(struct qe_client *c)
{
	ssize_t left = flush_all(c);
	if (left < 0) {
		qe_client_destroy(c, strerror((int)-left));
		return;
	}
	if (c->closing && left == 0)
		/* Everything said: half-close so the peer sees our FIN after the last
		 * reply, and read until its EOF, so a close with unread input does not
		 * turn into a reset that could discard that reply. */
		shutdown(c->fd, SHUT_WR);
	uint32_t events = (c->closing && left > 0) ? 0 : EPOLLIN;
	/* With nothing queued, a subscriber that lost frames is woken by the
	 * socket draining, to ask for its IDR. */
	if (left > 0 || (!c->closing && qe_stream_sub_awaits_drain(&c->sub)))
		events |= EPOLLOUT;
	sd_event_source_set_io_events(c->io, events);
}

static void sub_wake(struct qe_sub *sub)
{
	struct qe_client *c = qe_container_of(sub, struct qe_client, sub);
	/* Sent from the loop's next turn, never from inside the fan-out. */
	if (!c->closing)
		sd_event_source_set_io_events(c->io, EPOLLIN | EPOLLOUT);
}

static void sub_kick(struct qe_sub *sub, int32_t code, const char *why)
{
	struct qe_client *c = qe_container_of(sub, struct qe_client, sub);
	if (c->closing)
		return;
	lc_info("connection %" PRIu64 " (%s): subscription ended: %s", c->id, c->peer, why);
	if (!send_error(c, (uint16_t)sub->scanout, code, why)) {
		qe_client_destroy(c, "reply buffer full");
		return;
	}
	start_closing(c, why);
	update_io(c);
}

static const struct qe_sub_ops sub_ops = {
	.wake = sub_wake,
	.kick = sub_kick,
};

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct qe_client *c = data;
	if (c->closing) {
		if (revents & EPOLLIN) {
			uint8_t sink[4096];
			ssize_t n = read(fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				qe_client_destroy(c, "closed");
				return 0;
			}
		} else if (revents & (EPOLLERR | EPOLLHUP)) {
			qe_client_destroy(c, "closed");
			return 0;
		}
		update_io(c);
		return 0;
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = lc_buf_read(&c->in, fd);
		if (n == 0) {
			if (c->in.len > 0) {
				char why[96];
				snprintf(why, sizeof(why),
					 "closed by peer mid-message (%zu bytes unread)",
					 c->in.len);
				qe_client_destroy(c, why);
			} else {
				qe_client_destroy(c, "closed by peer");
			}
			return 0;
		}
		if (n < 0 && n != -EAGAIN) {
			qe_client_destroy(c, strerror((int)-n));
			return 0;
		}
		if (!process_input(c)) {
			qe_client_destroy(c, "reply buffer full");
			return 0;
		}
	}
	update_io(c);
	return 0;
}

struct qe_client *qe_client_create(const struct qe_client_env *env, int fd, uint64_t id,
				   const char *peer)
{
	struct qe_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->env = env;
	c->id = id;
	c->fd = fd;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	lc_buf_init(&c->in, IN_MAX);
	lc_buf_init(&c->out, OUT_MAX);
	qe_list_init(&c->reqs);
	qe_list_init(&c->link);
	qe_list_init(&c->sub.link);
	qe_input_init(&c->input);
	qe_outq_init(&c->sub.q, env->cfg->queue_bytes, env->cfg->queue_frames);
	c->sub.ops = &sub_ops;
	int r = sd_event_add_io(env->ev, &c->io, fd, EPOLLIN, client_io, c);
	if (r < 0) {
		lc_err("cannot watch connection %" PRIu64 ": %s", id, strerror(-r));
		close(fd);
		free(c);
		return NULL;
	}
	return c;
}

void qe_client_destroy(struct qe_client *c, const char *why)
{
	lc_debug("connection %" PRIu64 " (%s): gone: %s", c->id, c->peer, why);
	struct qe_list *pos, *tmp;
	release_input(c);
	qe_list_for_each_safe(pos, tmp, &c->reqs)
	{
		struct client_req *cr = qe_container_of(pos, struct client_req, req.link);
		qe_control_detach(&cr->req);
		qe_list_remove(pos);
		free(cr);
	}
	qe_stream_detach(&c->sub);
	qe_outq_clear(&c->sub.q);
	c->io = sd_event_source_disable_unref(c->io);
	c->close_timer = sd_event_source_disable_unref(c->close_timer);
	close(c->fd);
	lc_buf_finish(&c->in);
	lc_buf_finish(&c->out);
	explicit_bzero(c->nonce, sizeof(c->nonce));
	if (c->env->gone)
		c->env->gone(c->env->data, c);
	free(c);
}
