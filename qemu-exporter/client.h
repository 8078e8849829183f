/* One HXFR client connection: bounded buffers, the message loop, HELLO/AUTH
 * state, and its control requests in flight. */
#ifndef QE_CLIENT_H
#define QE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "hxfr.h"
#include "input.h"
#include "list.h"
#include "netbuf.h"
#include "stream.h"

struct qe_config;
struct qe_console_input;
struct qe_control;
struct qe_display;
struct qe_client;
struct qe_frames;

/* What every client shares, owned by the server. */
struct qe_client_env {
	sd_event *ev;
	const struct qe_config *cfg;
	struct qe_control *ctl;
	struct qe_frames *frames;
	struct qe_display *display;     /* for input: QEMU's instance, touch */
	struct qe_console_input *input; /* where input events go */
	/* Called from qe_client_destroy, so the owner can unlink and count. */
	void (*gone)(void *data, struct qe_client *client);
	void *data;
};

struct qe_client {
	const struct qe_client_env *env;
	uint64_t id; /* connection number, for logs and scanout ownership */
	int fd;
	char peer[64];
	sd_event_source *io, *close_timer;
	struct lc_buf in, out;
	uint8_t nonce[HXFR_NONCE_LEN];
	bool nonce_valid; /* a HELLO_RESP nonce awaits one AUTH */
	bool authenticated;
	uint32_t features;     /* asked for in HELLO */
	bool closing;          /* flushing a last reply, then closing */
	struct qe_sub sub;     /* its subscription (one per connection) */
	struct qe_input input; /* what it pressed, its rate (HXFR.md §5.10) */
	unsigned pending;      /* control requests in flight */
	struct qe_list reqs;
	struct qe_list link; /* server's list */
};

/* Takes ownership of fd (non-blocking). NULL with fd closed on failure. */
struct qe_client *qe_client_create(const struct qe_client_env *env, int fd, uint64_t id,
				   const char *peer);
void qe_client_destroy(struct qe_client *c, const char *why);

#endif
