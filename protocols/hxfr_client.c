#include "hxfr_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest message a client sends (SUBSCRIBE_KEYED) fits with room. */
#define REQUEST_MAX 64u

struct hxfr_client {
	enum hxfr_client_state state;
	size_t max_payload;
	struct lc_buf rx, tx;
	bool have_key; /* AUTH follows HELLO_RESP */
	struct hxfr_key key;
	bool ready_due; /* EV_READY goes out before the next message */
	bool v1;
	bool have_nonce;
	uint8_t nonce[HXFR_NONCE_LEN];
	uint32_t offered, granted;
	enum hxfr_status status;
	char error[HXFR_ERROR_MESSAGE_LEN + 64];
};

struct hxfr_client *hxfr_client_create(const struct hxfr_client_options *opts)
{
	struct hxfr_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->state = HXFR_CLIENT_OPEN;
	c->max_payload = opts && opts->max_payload ? opts->max_payload : HXFR_MAX_SERVER_PAYLOAD;
	lc_buf_init(&c->rx, HXFR_HEADER_SIZE + c->max_payload);
	lc_buf_init(&c->tx, opts && opts->tx_max ? opts->tx_max : HXFR_CLIENT_TX_DEFAULT);
	return c;
}

static void forget_key(struct hxfr_client *c)
{
	explicit_bzero(&c->key, sizeof(c->key));
	c->have_key = false;
}

void hxfr_client_destroy(struct hxfr_client *c)
{
	if (!c)
		return;
	forget_key(c);
	lc_buf_finish(&c->rx);
	lc_buf_finish(&c->tx);
	free(c);
}

struct lc_buf *hxfr_client_rx(struct hxfr_client *c)
{
	return &c->rx;
}

struct lc_buf *hxfr_client_tx(struct hxfr_client *c)
{
	return &c->tx;
}

int hxfr_client_feed(struct hxfr_client *c, const void *data, size_t len)
{
	return len ? lc_buf_append(&c->rx, data, len) : 0;
}

static enum hxfr_client_event fail(struct hxfr_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum hxfr_client_event fail(struct hxfr_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->state = HXFR_CLIENT_FAILED;
	c->ready_due = false;
	forget_key(c);
	return HXFR_CLIENT_EV_FAILED;
}

/* What a server may send (HXFR.md §3); the rest travels the other way. */
static bool from_server(uint8_t type)
{
	switch (type) {
	case HXFR_FRAME_RESPONSE:
	case HXFR_CONFIG_RESP:
	case HXFR_PONG:
	case HXFR_SCANOUT_RESP:
	case HXFR_SUBSCRIBE_RESP:
	case HXFR_HELLO_RESP:
	case HXFR_AUTH_RESP:
	case HXFR_STREAM_KEY:
	case HXFR_CURSOR_DEFINE:
	case HXFR_CURSOR_MOVE:
	case HXFR_ERROR: return true;
	default: return false;
	}
}

static int queue(struct hxfr_client *c, const uint8_t *buf, size_t n)
{
	if (c->state == HXFR_CLIENT_FAILED)
		return -EPIPE;
	if (n == 0)
		return -EINVAL;
	return lc_buf_append(&c->tx, buf, n);
}

/* The server's HELLO_RESP: note what it offers, then AUTH or done. */
static enum hxfr_client_event on_hello_resp(struct hxfr_client *c, const struct hxfr_msg *m)
{
	if (c->state != HXFR_CLIENT_HELLO_SENT)
		return fail(c, "HELLO_RESP out of sequence");
	if (m->u.hello.version != HXFR_EXT_VERSION)
		return fail(c, "HELLO_RESP with extension version %u, not the %u we asked for",
			    m->u.hello.version, HXFR_EXT_VERSION);
	c->offered = m->u.hello.features;
	memcpy(c->nonce, m->u.hello.nonce, sizeof(c->nonce));
	c->have_nonce = true;
	if (!c->have_key) {
		c->state = HXFR_CLIENT_OPEN;
		c->ready_due = true;
		return HXFR_CLIENT_EV_MESSAGE;
	}
	uint8_t mac[HXFR_MAC_LEN], buf[REQUEST_MAX];
	hxfr_auth_mac(&c->key, c->nonce, mac);
	forget_key(c);
	int r = queue(c, buf, hxfr_encode_auth(buf, sizeof(buf), mac));
	explicit_bzero(mac, sizeof(mac));
	if (r < 0)
		return fail(c, "cannot queue AUTH: %s", strerror(-r));
	c->state = HXFR_CLIENT_AUTH_SENT;
	return HXFR_CLIENT_EV_MESSAGE;
}

static enum hxfr_client_event on_auth_resp(struct hxfr_client *c, const struct hxfr_msg *m)
{
	if (c->state != HXFR_CLIENT_AUTH_SENT)
		return fail(c, "AUTH_RESP out of sequence");
	if (m->u.auth_resp.success != 1) {
		fail(c, "authentication failed");
		return HXFR_CLIENT_EV_MESSAGE; /* the caller sees the refusal, then EV_FAILED */
	}
	c->granted = m->u.auth_resp.granted;
	c->state = HXFR_CLIENT_OPEN;
	c->ready_due = true;
	return HXFR_CLIENT_EV_MESSAGE;
}

/* A message during the handshake that is not its answer. */
static enum hxfr_client_event on_other_in_handshake(struct hxfr_client *c, const struct hxfr_msg *m)
{
	bool error = m->hdr.type == HXFR_ERROR;
	if (c->state == HXFR_CLIENT_HELLO_SENT && !c->have_key) {
		/* HXFR.md §5.5: a first message that is not HELLO_RESP comes
		 * from a Helix v1 server, which skipped HELLO. The message
		 * stays in the buffer: it comes next, on the open connection. */
		c->v1 = true;
		c->state = HXFR_CLIENT_OPEN;
		return HXFR_CLIENT_EV_READY;
	}
	if (!error && c->state == HXFR_CLIENT_HELLO_SENT)
		return fail(c,
			    "no HELLO_RESP (the server sent %s): it does not speak the "
			    "leasecast extension",
			    hxfr_type_name(m->hdr.type));
	if (error) {
		fail(c, "the server refused %s: error %d: %s",
		     c->state == HXFR_CLIENT_HELLO_SENT ? "HELLO" : "AUTH", m->u.error.code,
		     m->u.error.message);
	}
	return HXFR_CLIENT_EV_MESSAGE;
}

enum hxfr_client_event hxfr_client_next(struct hxfr_client *c, struct hxfr_msg *msg)
{
	if (c->state == HXFR_CLIENT_FAILED)
		return HXFR_CLIENT_EV_FAILED;
	if (c->ready_due) {
		c->ready_due = false;
		return HXFR_CLIENT_EV_READY;
	}
	if (c->rx.len == 0)
		return HXFR_CLIENT_EV_NONE;
	size_t used = 0;
	enum hxfr_status st = hxfr_decode(lc_buf_head(&c->rx), c->rx.len, c->max_payload, msg,
					  &used);
	if (st == HXFR_NEED_MORE)
		return HXFR_CLIENT_EV_NONE;
	if (st == HXFR_OK && !from_server(msg->hdr.type))
		st = HXFR_E_TYPE;
	c->status = st;
	if (st == HXFR_E_MAGIC || st == HXFR_E_OVERSIZE)
		return fail(c, "%s", hxfr_status_str(st)); /* the stream is lost */
	if (st != HXFR_OK) {
		lc_buf_consume(&c->rx, used);
		return HXFR_CLIENT_EV_SKIPPED;
	}
	enum hxfr_client_event ev = HXFR_CLIENT_EV_MESSAGE;
	if (msg->hdr.type == HXFR_HELLO_RESP)
		ev = on_hello_resp(c, msg);
	else if (msg->hdr.type == HXFR_AUTH_RESP)
		ev = on_auth_resp(c, msg);
	else if (c->state == HXFR_CLIENT_HELLO_SENT || c->state == HXFR_CLIENT_AUTH_SENT)
		ev = on_other_in_handshake(c, msg);
	/* Delivered messages leave the buffer now; their bytes stay in place
	 * until more are received. */
	if (ev == HXFR_CLIENT_EV_MESSAGE)
		lc_buf_consume(&c->rx, used);
	return ev;
}

enum hxfr_client_event hxfr_client_hello_timed_out(struct hxfr_client *c)
{
	if (c->state == HXFR_CLIENT_FAILED)
		return HXFR_CLIENT_EV_FAILED;
	if (c->state != HXFR_CLIENT_HELLO_SENT)
		return HXFR_CLIENT_EV_NONE;
	if (c->have_key)
		return fail(c, "no HELLO_RESP: the server does not speak the leasecast extension");
	c->v1 = true;
	c->state = HXFR_CLIENT_OPEN;
	return HXFR_CLIENT_EV_READY;
}

enum hxfr_client_state hxfr_client_state(const struct hxfr_client *c)
{
	return c->state;
}

const char *hxfr_client_error(const struct hxfr_client *c)
{
	return c->error;
}

enum hxfr_status hxfr_client_status(const struct hxfr_client *c)
{
	return c->status;
}

bool hxfr_client_v1(const struct hxfr_client *c)
{
	return c->v1;
}

uint32_t hxfr_client_offered(const struct hxfr_client *c)
{
	return c->offered;
}

const uint8_t *hxfr_client_nonce(const struct hxfr_client *c)
{
	return c->have_nonce ? c->nonce : NULL;
}

uint32_t hxfr_client_granted(const struct hxfr_client *c)
{
	return c->granted;
}

int hxfr_client_hello(struct hxfr_client *c, uint32_t features, const struct hxfr_key *key)
{
	if (c->state == HXFR_CLIENT_HELLO_SENT || c->state == HXFR_CLIENT_AUTH_SENT)
		return -EBUSY;
	uint8_t buf[REQUEST_MAX];
	int r = queue(c, buf, hxfr_encode_hello(buf, sizeof(buf), features));
	if (r < 0)
		return r;
	if (key) {
		c->key = *key;
		c->have_key = true;
	}
	c->state = HXFR_CLIENT_HELLO_SENT;
	c->v1 = false;
	c->ready_due = false;
	return 0;
}

int hxfr_client_ping(struct hxfr_client *c, uint16_t session_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_empty(buf, sizeof(buf), HXFR_PING, session_id));
}

int hxfr_client_subscribe(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_subscribe(buf, sizeof(buf), scanout_id));
}

int hxfr_client_subscribe_keyed(struct hxfr_client *c, uint32_t scanout_id,
				const uint8_t key[HXFR_STREAM_KEY_LEN])
{
	uint8_t buf[REQUEST_MAX];
	int r = queue(c, buf, hxfr_encode_subscribe_keyed(buf, sizeof(buf), scanout_id, key));
	explicit_bzero(buf, sizeof(buf));
	return r;
}

int hxfr_client_keyframe_req(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_empty(buf, sizeof(buf), HXFR_KEYFRAME_REQ, (uint16_t)scanout_id));
}

int hxfr_client_refresh_req(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_empty(buf, sizeof(buf), HXFR_REFRESH_REQ, (uint16_t)scanout_id));
}

int hxfr_client_input_key(struct hxfr_client *c, uint32_t scanout_id, uint16_t code, bool down)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_input_key(buf, sizeof(buf), (uint16_t)scanout_id, code, down));
}

int hxfr_client_input_button(struct hxfr_client *c, uint32_t scanout_id, uint16_t code, bool down)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_input_button(buf, sizeof(buf), (uint16_t)scanout_id, code, down));
}

int hxfr_client_input_abs(struct hxfr_client *c, uint32_t scanout_id, int32_t x, int32_t y)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_input_abs(buf, sizeof(buf), (uint16_t)scanout_id, x, y));
}

int hxfr_client_input_rel(struct hxfr_client *c, uint32_t scanout_id, int32_t dx, int32_t dy)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_input_rel(buf, sizeof(buf), (uint16_t)scanout_id, dx, dy));
}

int hxfr_client_input_wheel(struct hxfr_client *c, uint32_t scanout_id, int32_t dx, int32_t dy)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_input_wheel(buf, sizeof(buf), (uint16_t)scanout_id, dx, dy));
}

int hxfr_client_input_touch(struct hxfr_client *c, uint32_t scanout_id, uint8_t kind, uint32_t slot,
			    int32_t x, int32_t y)
{
	uint8_t buf[REQUEST_MAX];
	return queue(
		c, buf,
		hxfr_encode_input_touch(buf, sizeof(buf), (uint16_t)scanout_id, kind, slot, x, y));
}

int hxfr_client_input_release_all(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(
		c, buf,
		hxfr_encode_empty(buf, sizeof(buf), HXFR_INPUT_RELEASE_ALL, (uint16_t)scanout_id));
}

int hxfr_client_resize_req(struct hxfr_client *c, uint32_t scanout_id, uint32_t width,
			   uint32_t height)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf,
		     hxfr_encode_resize_req(buf, sizeof(buf), (uint16_t)scanout_id, width, height));
}

int hxfr_client_config_req(struct hxfr_client *c, uint32_t scanout_id,
			   const struct hxfr_config_req *cfg)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_config_req(buf, sizeof(buf), (uint16_t)scanout_id, cfg));
}

int hxfr_client_enable_scanout(struct hxfr_client *c, const struct hxfr_enable_scanout *e)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_enable_scanout(buf, sizeof(buf), e));
}

int hxfr_client_disable_scanout(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_disable_scanout(buf, sizeof(buf), scanout_id));
}

int hxfr_client_stream_key_req(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_stream_key_req(buf, sizeof(buf), scanout_id));
}

int hxfr_client_stream_key_revoke(struct hxfr_client *c, uint32_t scanout_id)
{
	uint8_t buf[REQUEST_MAX];
	return queue(c, buf, hxfr_encode_stream_key_revoke(buf, sizeof(buf), scanout_id));
}
