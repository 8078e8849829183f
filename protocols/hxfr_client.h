/* The client side of one HXFR connection as a state machine: bytes in,
 * messages out (HXFR.md §9). It does no I/O and knows no event loop: the
 * caller owns the socket and its poll loop, puts what it received into
 * hxfr_client_rx() and sends what hxfr_client_tx() holds. The machine
 * says HELLO, answers HELLO_RESP with AUTH when it was given a key, checks
 * AUTH_RESP, falls back to Helix v1 when the server does not answer HELLO
 * (§5.5), frames the stream (partial reads, several messages per read),
 * skips what the codec says is skippable and fails for good on what is
 * not. Both buffers are bounded (netbuf.h): one message in, tx_max out.
 *
 * One machine per connection, owned by whoever owns the socket; no
 * globals. A decoded message's pointers point into the receive buffer:
 * they are valid until the next hxfr_client_next() or until more bytes go
 * into that buffer. */
#ifndef LC_HXFR_CLIENT_H
#define LC_HXFR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hxfr.h"
#include "hxfr_auth.h"
#include "netbuf.h"

#define HXFR_CLIENT_TX_DEFAULT 4096u

struct hxfr_client;

struct hxfr_client_options {
	size_t max_payload; /* largest payload taken from the server; 0: HXFR_MAX_SERVER_PAYLOAD */
	size_t tx_max;      /* bytes the send queue holds at most; 0: HXFR_CLIENT_TX_DEFAULT */
};

enum hxfr_client_state {
	HXFR_CLIENT_OPEN,       /* no handshake in flight: none was asked for, or it is over */
	HXFR_CLIENT_HELLO_SENT, /* waiting for HELLO_RESP */
	HXFR_CLIENT_AUTH_SENT,  /* waiting for AUTH_RESP */
	HXFR_CLIENT_FAILED,     /* unusable: close the connection */
};

enum hxfr_client_event {
	HXFR_CLIENT_EV_NONE,    /* no whole message buffered: receive more */
	HXFR_CLIENT_EV_MESSAGE, /* *msg is the next message (handshake ones included) */
	HXFR_CLIENT_EV_READY,   /* the handshake is over: state OPEN, features known */
	HXFR_CLIENT_EV_SKIPPED, /* a malformed message was skipped: msg->hdr, hxfr_client_status() */
	HXFR_CLIENT_EV_FAILED,  /* and every call after: hxfr_client_error() says why */
};

/* NULL on ENOMEM. */
struct hxfr_client *hxfr_client_create(const struct hxfr_client_options *opts);
void hxfr_client_destroy(struct hxfr_client *c);

/* The receive buffer: append what the socket gave (lc_buf_read, or
 * hxfr_client_feed), then call hxfr_client_next until EV_NONE; after EV_NONE
 * it has room for more. The send queue: send its bytes (lc_buf_flush)
 * whenever it is not empty; the machine itself queues AUTH. */
struct lc_buf *hxfr_client_rx(struct hxfr_client *c);
struct lc_buf *hxfr_client_tx(struct hxfr_client *c);
/* Appends bytes to the receive buffer: 0, or -ENOBUFS beyond its bound. */
int hxfr_client_feed(struct hxfr_client *c, const void *data, size_t len);

/* The next event from what was received. EV_READY comes once per
 * hxfr_client_hello, right after the HELLO_RESP (no key) or AUTH_RESP that
 * ended the handshake. Waiting for HELLO_RESP, any other message means a
 * Helix v1 server (HXFR.md §5.5): without a key EV_READY comes first
 * (hxfr_client_v1), then that message; with a key an ERROR is delivered
 * and the machine fails, anything else fails it at once. Waiting for
 * AUTH_RESP, an ERROR (a wrong mac: the server closes) or AUTH_RESP with
 * success 0 is delivered and fails it. A HELLO_RESP or AUTH_RESP out of
 * sequence, a HELLO_RESP with a version we did not ask for, bad magic and
 * an oversized payload fail it too. A client-to-server type from the
 * server is skipped like an unknown type. */
enum hxfr_client_event hxfr_client_next(struct hxfr_client *c, struct hxfr_msg *msg);

/* The caller's wait for HELLO_RESP is over (HXFR.md §5.5: 1 s): the server
 * is taken for Helix v1. Without a key the connection goes on (EV_READY,
 * hxfr_client_v1); with one it fails (EV_FAILED). Only in HELLO_SENT. */
enum hxfr_client_event hxfr_client_hello_timed_out(struct hxfr_client *c);

enum hxfr_client_state hxfr_client_state(const struct hxfr_client *c);
/* Why the machine failed; "" until it does. */
const char *hxfr_client_error(const struct hxfr_client *c);
/* The codec's verdict on the last message (why it was skipped or failed). */
enum hxfr_status hxfr_client_status(const struct hxfr_client *c);
/* The server skipped HELLO: a Helix v1 server, nothing negotiated. */
bool hxfr_client_v1(const struct hxfr_client *c);
/* What the last HELLO_RESP offered, and its nonce (NULL before one came). */
uint32_t hxfr_client_offered(const struct hxfr_client *c);
const uint8_t *hxfr_client_nonce(const struct hxfr_client *c);
/* What AUTH_RESP granted; 0 without AUTH. */
uint32_t hxfr_client_granted(const struct hxfr_client *c);

/* Requests: each queues one message. 0, -ENOBUFS (send queue full),
 * -EINVAL (not encodable: a zero key), -EPIPE (failed).
 *
 * HELLO asking for features; with a key (copied, wiped once used), AUTH
 * follows HELLO_RESP. Also on an open connection (a new nonce); -EBUSY
 * while a handshake is in flight. */
int hxfr_client_hello(struct hxfr_client *c, uint32_t features, const struct hxfr_key *key);
int hxfr_client_ping(struct hxfr_client *c, uint16_t session_id);
int hxfr_client_subscribe(struct hxfr_client *c, uint32_t scanout_id);
int hxfr_client_subscribe_keyed(struct hxfr_client *c, uint32_t scanout_id,
				const uint8_t key[HXFR_STREAM_KEY_LEN]);
int hxfr_client_keyframe_req(struct hxfr_client *c, uint32_t scanout_id);
/* REFRESH_REQ (HXFR.md §4.2.1): a new, non-IDR frame of the unchanged
 * picture, for a viewer that needs a frame now and then on a static screen.
 * Only a server whose HELLO_RESP offered HXFR_FEATURE_REFRESH knows it
 * (hxfr_client_offered); against any other, KEYFRAME_REQ is the fallback
 * (an older leasecast server answers REFRESH_REQ with ERROR 2, Helix's
 * QEMU skips it silently). */
int hxfr_client_refresh_req(struct hxfr_client *c, uint32_t scanout_id);
/* Input and size for the subscribed scanout (HXFR.md §5.10; the server
 * needs HXFR_FEATURE_INPUT asked for in HELLO). -EINVAL for a value the
 * codec refuses, -ENOBUFS when the send queue is full (nothing queued: the
 * caller drops or coalesces, it never blocks). */
int hxfr_client_input_key(struct hxfr_client *c, uint32_t scanout_id, uint16_t code, bool down);
int hxfr_client_input_button(struct hxfr_client *c, uint32_t scanout_id, uint16_t code, bool down);
int hxfr_client_input_abs(struct hxfr_client *c, uint32_t scanout_id, int32_t x, int32_t y);
int hxfr_client_input_rel(struct hxfr_client *c, uint32_t scanout_id, int32_t dx, int32_t dy);
int hxfr_client_input_wheel(struct hxfr_client *c, uint32_t scanout_id, int32_t dx, int32_t dy);
int hxfr_client_input_touch(struct hxfr_client *c, uint32_t scanout_id, uint8_t kind, uint32_t slot,
			    int32_t x, int32_t y);
int hxfr_client_input_release_all(struct hxfr_client *c, uint32_t scanout_id);
int hxfr_client_resize_req(struct hxfr_client *c, uint32_t scanout_id, uint32_t width,
			   uint32_t height);
int hxfr_client_config_req(struct hxfr_client *c, uint32_t scanout_id,
			   const struct hxfr_config_req *cfg);
int hxfr_client_enable_scanout(struct hxfr_client *c, const struct hxfr_enable_scanout *e);
int hxfr_client_disable_scanout(struct hxfr_client *c, uint32_t scanout_id);
int hxfr_client_stream_key_req(struct hxfr_client *c, uint32_t scanout_id);
int hxfr_client_stream_key_revoke(struct hxfr_client *c, uint32_t scanout_id);

#endif
