/* A blocking HXFR client for tests and benchmarks: one socket and one
 * hxfr_client, driven with poll() and timeouts. Programs with an event
 * loop (the broker, the frame bridge) drive hxfr_client themselves. The
 * struct is the caller's (on its stack); hxfr_sync_close releases what it
 * holds. */
#ifndef LC_HXFR_SYNC_H
#define LC_HXFR_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hxfr_client.h"

struct hxfr_sync {
	int fd;                     /* -1 when closed */
	struct hxfr_client *client; /* queue requests on it, then hxfr_sync_flush */
	uint64_t bytes_in;          /* received on this connection */
	bool reset;                 /* the server's close was a reset (RST), not an EOF */
	char error[HXFR_ERROR_MESSAGE_LEN + 128]; /* why the last call failed */
};

enum hxfr_sync_result {
	HXFR_SYNC_MESSAGE, /* the next message is in *msg */
	HXFR_SYNC_SKIPPED, /* a malformed message was skipped (msg->hdr, hxfr_client_status) */
	HXFR_SYNC_TIMEOUT, /* nothing whole arrived in time */
	HXFR_SYNC_CLOSED,  /* the server closed (EOF, or a reset: s->reset) */
	HXFR_SYNC_FAILED,  /* the stream or the socket failed: s->error */
};

/* Takes fd, a TCP socket whose connect may be in progress (the caller set
 * its options), and waits up to timeout_ms for the connect. max_payload as
 * in hxfr_client_options. 0, or -errno with fd closed and s->fd -1. */
int hxfr_sync_open(struct hxfr_sync *s, int fd, size_t max_payload, int timeout_ms);
/* lc_tcp_connect_start to a numeric address, then hxfr_sync_open. */
int hxfr_sync_connect(struct hxfr_sync *s, const char *host, uint16_t port, size_t max_payload,
		      int timeout_ms);
void hxfr_sync_close(struct hxfr_sync *s);

/* Sends what the client has queued, waiting up to timeout_ms whenever the
 * socket is full. 0 or -errno (s->error). */
int hxfr_sync_flush(struct hxfr_sync *s, int timeout_ms);
/* Sends raw bytes after the queued ones (for tests of bad input). */
int hxfr_sync_send(struct hxfr_sync *s, const void *buf, size_t len, int timeout_ms);

/* HELLO asking for features and, with a key, AUTH; returns once the
 * handshake is over, within timeout_ms. A Helix v1 server (no HELLO_RESP)
 * is an error here. 0, or -errno with s->error saying what happened. The
 * outcome: hxfr_client_offered/_granted/_nonce(s->client). */
int hxfr_sync_handshake(struct hxfr_sync *s, uint32_t features, const struct hxfr_key *key,
			int timeout_ms);

/* The next message from the server, waiting up to timeout_ms (0: only
 * what is there already). Pointers in *msg are valid until the next call. */
enum hxfr_sync_result hxfr_sync_next(struct hxfr_sync *s, struct hxfr_msg *msg, int timeout_ms);

#endif
