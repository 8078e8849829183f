/* libFuzzer target: the HXFR client state machine fed a hostile server.
 * The input's first byte picks how the client starts (HELLO or not, with a
 * key or not, a control client's 4096-byte payload limit or a subscriber's
 * 32 MiB one, a tiny send queue, the HELLO timeout at once); the second is
 * HELLO's features; the third seeds how the rest, the server's bytes, is
 * cut into reads. The stream is fed twice, whole and cut up, and both runs
 * must produce the same events. Every event is checked against what the
 * machine promises: bounded buffers, messages that lie inside the receive
 * buffer and travel server to client, a sticky failure, one READY per
 * HELLO, and on the wire exactly HELLO, then at most one AUTH with the
 * right mac for the nonce the server sent. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_client.h"

#define OPT_HELLO 0x01
#define OPT_KEY 0x02
#define OPT_SMALL_PAYLOAD 0x04
#define OPT_SMALL_TX 0x08
#define OPT_HELLO_TIMEOUT 0x10

#define MAX_EVENTS 4096

struct event {
	enum hxfr_client_event ev;
	uint8_t type;
	uint16_t session_id;
	uint32_t payload_size;
	enum hxfr_status status;
};

struct run {
	struct event ev[MAX_EVENTS];
	size_t n;
	unsigned readies;
	enum hxfr_client_state final_state;
};

/* Types only a client sends (HXFR.md §3): never delivered to one. */
static const uint8_t TO_SERVER[] = {
	HXFR_KEYFRAME_REQ,   HXFR_REFRESH_REQ,     HXFR_CONFIG_REQ,        HXFR_PING,
	HXFR_ENABLE_SCANOUT, HXFR_DISABLE_SCANOUT, HXFR_SUBSCRIBE,         HXFR_HELLO,
	HXFR_AUTH,           HXFR_STREAM_KEY_REQ,  HXFR_STREAM_KEY_REVOKE, HXFR_SUBSCRIBE_KEYED,
};

static const struct hxfr_key KEY = {.bytes = "fuzz-key-fuzz-key-fuzz!", .len = 23};

/* A consumer's walk over what a message points to: inside the buffer. */
static void check_pointers(const struct hxfr_msg *m, const struct lc_buf *rx)
{
	const uint8_t *lo = rx->data, *hi = rx->data + rx->cap;
	if (m->hdr.type == HXFR_FRAME_RESPONSE) {
		const struct hxfr_frame *f = &m->u.frame;
		ASSERT(f->nals >= lo && f->nals + f->nals_len <= hi);
		volatile uint8_t sum = 0;
		for (size_t i = 0; i < f->nals_len; i++)
			sum ^= f->nals[i];
		(void)sum;
	} else if (m->hdr.type == HXFR_CURSOR_DEFINE) {
		const struct hxfr_cursor_define *c = &m->u.cursor_define;
		ASSERT(c->pixels >= lo && c->pixels + c->pixels_len <= hi);
		ASSERT(c->pixels_len == (size_t)c->width * (size_t)c->height * 4);
	}
}

static void take_events(struct hxfr_client *c, struct run *r, size_t tx_max, size_t rx_max)
{
	for (;;) {
		struct hxfr_msg m;
		enum hxfr_client_state before = hxfr_client_state(c);
		enum hxfr_client_event ev = hxfr_client_next(c, &m);
		ASSERT(hxfr_client_tx(c)->len <= tx_max);
		ASSERT(hxfr_client_rx(c)->len <= rx_max);
		if (ev == HXFR_CLIENT_EV_NONE) {
			ASSERT(before != HXFR_CLIENT_FAILED);
			ASSERT(hxfr_client_rx(c)->len < rx_max); /* room for more */
			return;
		}
		struct event *e = &r->ev[r->n < MAX_EVENTS ? r->n++ : MAX_EVENTS - 1];
		*e = (struct event){.ev = ev, .status = hxfr_client_status(c)};
		switch (ev) {
		case HXFR_CLIENT_EV_MESSAGE:
			ASSERT(before != HXFR_CLIENT_FAILED);
			ASSERT(hxfr_client_status(c) == HXFR_OK);
			ASSERT(!memchr(TO_SERVER, m.hdr.type, sizeof(TO_SERVER)));
			check_pointers(&m, hxfr_client_rx(c));
			e->type = m.hdr.type;
			e->session_id = m.hdr.session_id;
			e->payload_size = m.hdr.payload_size;
			break;
		case HXFR_CLIENT_EV_SKIPPED: {
			enum hxfr_status st = hxfr_client_status(c);
			ASSERT(st == HXFR_E_TYPE || st == HXFR_E_SIZE || st == HXFR_E_VALUE);
			e->type = m.hdr.type;
			e->payload_size = m.hdr.payload_size;
			break;
		}
		case HXFR_CLIENT_EV_READY:
			ASSERT(hxfr_client_state(c) == HXFR_CLIENT_OPEN);
			r->readies++;
			break;
		case HXFR_CLIENT_EV_FAILED:
			ASSERT(hxfr_client_state(c) == HXFR_CLIENT_FAILED);
			ASSERT(hxfr_client_error(c)[0] != '\0');
			/* for good */
			ASSERT(hxfr_client_next(c, &m) == HXFR_CLIENT_EV_FAILED);
			ASSERT(hxfr_client_ping(c, 1) < 0);
			return;
		case HXFR_CLIENT_EV_NONE: break;
		}
	}
}

/* What the client sent: HELLO first (when asked), then at most one AUTH,
 * whose mac answers the nonce of the HELLO_RESP, and nothing else. */
static void check_sent(struct hxfr_client *c, uint8_t opts, uint32_t features)
{
	const struct lc_buf *tx = hxfr_client_tx(c);
	size_t left = tx->len, n = 0;
	const uint8_t *p = left ? lc_buf_head(tx) : NULL;
	while (left > 0) {
		struct hxfr_msg m;
		size_t used = 0;
		ASSERT(hxfr_decode(p, left, HXFR_MAX_CLIENT_PAYLOAD, &m, &used) == HXFR_OK);
		if (n == 0) {
			ASSERT(opts & OPT_HELLO);
			ASSERT(m.hdr.type == HXFR_HELLO);
			ASSERT(m.u.hello.features == features);
		} else {
			ASSERT(n == 1 && m.hdr.type == HXFR_AUTH && (opts & OPT_KEY));
			const uint8_t *nonce = hxfr_client_nonce(c);
			ASSERT(nonce != NULL);
			uint8_t mac[HXFR_MAC_LEN];
			hxfr_auth_mac(&KEY, nonce, mac);
			ASSERT(memcmp(mac, m.u.mac, sizeof(mac)) == 0);
		}
		p += used;
		left -= used;
		n++;
	}
	if (opts & OPT_HELLO)
		ASSERT(n >= 1); /* HELLO fits even the small queue */
}

/* One run; cut == 0 feeds as much as fits each time, else reads of 1..cut
 * bytes chosen by a small generator. */
static void run_stream(struct run *r, uint8_t opts, uint32_t features, uint8_t cut,
		       const uint8_t *data, size_t size)
{
	size_t max_payload = opts & OPT_SMALL_PAYLOAD ? HXFR_MAX_CLIENT_PAYLOAD : 0;
	size_t tx_max = opts & OPT_SMALL_TX ? 40 : HXFR_CLIENT_TX_DEFAULT;
	struct hxfr_client_options o = {.max_payload = max_payload, .tx_max = tx_max};
	struct hxfr_client *c = hxfr_client_create(&o);
	ASSERT(c);
	size_t rx_max = HXFR_HEADER_SIZE + (max_payload ? max_payload : HXFR_MAX_SERVER_PAYLOAD);
	memset(r, 0, sizeof(*r));
	if (opts & OPT_HELLO) {
		int rc = hxfr_client_hello(c, features, opts & OPT_KEY ? &KEY : NULL);
		ASSERT(rc == 0);
		ASSERT(hxfr_client_hello(c, features, NULL) == -EBUSY);
		if (opts & OPT_HELLO_TIMEOUT) {
			enum hxfr_client_event ev = hxfr_client_hello_timed_out(c);
			ASSERT(ev ==
			       (opts & OPT_KEY ? HXFR_CLIENT_EV_FAILED : HXFR_CLIENT_EV_READY));
			r->readies += ev == HXFR_CLIENT_EV_READY;
		}
	}
	uint32_t seed = cut * 2654435761u + 1;
	size_t pos = 0;
	while (pos < size && hxfr_client_state(c) != HXFR_CLIENT_FAILED) {
		const struct lc_buf *rx = hxfr_client_rx(c);
		size_t room = rx->max - rx->len, n = size - pos;
		if (cut) {
			seed = seed * 1103515245u + 12345u;
			size_t want = 1 + (seed >> 16) % cut;
			n = n < want ? n : want;
		}
		n = n < room ? n : room;
		ASSERT(n > 0);
		ASSERT(hxfr_client_feed(c, data + pos, n) == 0);
		pos += n;
		take_events(c, r, tx_max, rx_max);
	}
	take_events(c, r, tx_max, rx_max);
	ASSERT(r->readies <= 1);
	if (r->readies == 1)
		ASSERT(opts & OPT_HELLO);
	r->final_state = hxfr_client_state(c);
	check_sent(c, opts, features);
	hxfr_client_destroy(c);
}

static bool same_event(const struct event *a, const struct event *b)
{
	return a->ev == b->ev && a->type == b->type && a->session_id == b->session_id &&
	       a->payload_size == b->payload_size && a->status == b->status;
}

static struct run runs[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t opts = data[0], cut = data[2];
	uint32_t features = data[1];
	run_stream(&runs[0], opts, features, 0, data + 3, size - 3);
	run_stream(&runs[1], opts, features, cut ? cut : 1, data + 3, size - 3);
	ASSERT(runs[0].n == runs[1].n);
	for (size_t i = 0; i < runs[0].n; i++)
		ASSERT(same_event(&runs[0].ev[i], &runs[1].ev[i]));
	ASSERT(runs[0].final_state == runs[1].final_state);
	return 0;
}
