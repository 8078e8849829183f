/* A lease through the Helix lease socket (cmd 1), the stream key from the
 * leasecast STATUS extension (cmd 3, outputs_detail of our own lease), the
 * output's input devices (cmd 5, only when STATUS lists it: any command a
 * broker does not know ends the lease), and drmAuthMagic by the broker
 * (cmd 4). The connection's life is the lease's: EOF from the broker is
 * the revocation. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "helix_lease_client.h"
#include "lease.h"
#include "log.h"
#include "netbuf.h"
#include "sock.h"

#define MAX_PENDING_MAGIC 16

struct helix_lease {
	struct ll_lease base;
	int sock;
	struct lc_buf in;
	uint32_t pending[MAX_PENDING_MAGIC]; /* magics sent, in order */
	size_t n_pending;
};

/* Our own lease's key in STATUS JSON: the outputs_detail object that names
 * the connector. A plain scan: the object is flat and its keys are ours. */
static void key_from_status(const char *json, const char *connector, char key[65])
{
	char name[96];
	snprintf(name, sizeof(name), "\"name\":\"%s\"", connector);
	for (const char *p = strstr(json, "\"stream_key\":\""); p;
	     p = strstr(p + 1, "\"stream_key\":\"")) {
		const char *open = p, *close = strchr(p, '}');
		while (open > json && *open != '{')
			open--;
		if (!close)
			return;
		const char *hit = strstr(open, name);
		if (!hit || hit > close)
			continue;
		const char *v = p + strlen("\"stream_key\":\"");
		if (strspn(v, "0123456789abcdef") == 64 && v[64] == '"') {
			memcpy(key, v, 64);
			key[64] = '\0';
		}
		return;
	}
}

static void fetch_inputs(struct helix_lease *l, int64_t deadline)
{
	char err[128];
	size_t n = 0;
	int r = helix_client_input_devices(l->sock, deadline, l->base.inputs, LC_LEASE_INPUT_MAX,
					   &n, err, sizeof(err));
	if (r < 0) {
		lc_warn("no input devices from the broker: %s", err[0] ? err : strerror(-r));
		return;
	}
	l->base.n_inputs = ll_lease_keep_inputs(l->base.info.connector, l->base.inputs, n);
}

/* STATUS: the stream key, and whether INPUT_DEVICES may be sent. */
static void fetch_key(struct helix_lease *l, int64_t deadline)
{
	uint8_t status;
	uint32_t len;
	char *body = NULL;
	int r = helix_client_send(l->sock, HELIX_LEASE_CMD_STATUS, 0, 0) < 0
			? -EPROTO /* nothing asked, nothing answered */
			: helix_client_ext_reply(l->sock, deadline, &status, &body, &len);
	if (r == -EPROTO) {
		lc_warn("no STATUS from the Helix socket (not a leasecast broker?): no stream key");
		return;
	}
	if (r < 0) {
		lc_warn("STATUS reply cut short: no stream key");
		return;
	}
	bool inputs = false;
	if (status == HELIX_LEASE_OK) {
		key_from_status(body, l->base.info.connector, l->base.info.stream_key);
		inputs = helix_lease_status_has_extension(body, len,
							  HELIX_LEASE_EXT_NAME_INPUT_DEVICES);
	}
	if (!l->base.info.stream_key[0])
		lc_info("the broker's STATUS has no stream key for %s", l->base.info.connector);
	free(body);
	if (inputs)
		fetch_inputs(l, deadline);
	else
		lc_info("the broker does not offer INPUT_DEVICES: no input devices");
}

static int hx_fd(struct ll_lease *base)
{
	return ((struct helix_lease *)base)->sock;
}

static short hx_prepare(struct ll_lease *base)
{
	return POLLIN;
}

static bool hx_dispatch(struct ll_lease *base, short revents)
{
	struct helix_lease *l = (struct helix_lease *)base;
	ssize_t r = lc_buf_read(&l->in, l->sock);
	if (r == 0 || (r < 0 && r != -EAGAIN && r != -EWOULDBLOCK && r != -EINTR)) {
		lc_info("the broker closed the Helix connection: the lease on %s ended",
			l->base.info.connector);
		return false;
	}
	for (;;) {
		uint8_t status;
		uint32_t len;
		const uint8_t *p = lc_buf_head(&l->in);
		enum helix_lease_result res = helix_lease_ext_hdr_decode(p, l->in.len, &status,
									 &len);
		if (res == HELIX_LEASE_DECODE_SHORT)
			break;
		if (res != HELIX_LEASE_DECODE_OK || l->n_pending == 0) {
			lc_err("unexpected bytes from the Helix socket (%s): dropping the lease",
			       helix_lease_result_str(res));
			return false;
		}
		if (l->in.len < HELIX_LEASE_EXT_HDR_SIZE + len)
			break;
		uint32_t magic = l->pending[0];
		memmove(l->pending, l->pending + 1, --l->n_pending * sizeof(l->pending[0]));
		int err = status == HELIX_LEASE_OK
				  ? 0
				  : helix_client_errno_from_text(
					    (const char *)p + HELIX_LEASE_EXT_HDR_SIZE, len);
		lc_buf_consume(&l->in, HELIX_LEASE_EXT_HDR_SIZE + len);
		if (l->base.magic_result)
			l->base.magic_result(l->base.magic_data, magic, err);
	}
	return true;
}

static int hx_auth_magic(struct ll_lease *base, uint32_t magic)
{
	struct helix_lease *l = (struct helix_lease *)base;
	if (l->n_pending == MAX_PENDING_MAGIC)
		return -EBUSY;
	int r = helix_client_send(l->sock, HELIX_LEASE_CMD_AUTH_MAGIC, magic, 0);
	if (r < 0)
		return r;
	l->pending[l->n_pending++] = magic;
	return 0;
}

static void hx_destroy(struct ll_lease *base)
{
	struct helix_lease *l = (struct helix_lease *)base;
	if (l->sock >= 0)
		close(l->sock); /* EOF: the broker releases the lease */
	if (l->base.lease_fd >= 0)
		close(l->base.lease_fd);
	lc_buf_finish(&l->in);
	free(l);
}

static const struct ll_lease_impl hx_impl = {
	.fd = hx_fd,
	.prepare = hx_prepare,
	.dispatch = hx_dispatch,
	.auth_magic = hx_auth_magic,
	.destroy = hx_destroy,
};

struct ll_lease *ll_lease_helix_acquire(const char *socket, const char *output, uint32_t width,
					uint32_t height, int timeout_ms)
{
	int64_t deadline = lc_now_ms() + timeout_ms;
	if (output)
		lc_warn("the Helix socket picks the output itself: --output %s ignored", output);
	struct helix_lease *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->base.impl = &hx_impl;
	l->base.lease_fd = -1;
	l->base.info.scanout_id = LL_NO_SCANOUT;
	lc_buf_init(&l->in, HELIX_LEASE_EXT_HDR_SIZE + HELIX_LEASE_EXT_MAX);
	l->sock = lc_unix_connect(socket);
	if (l->sock < 0) {
		lc_err("cannot connect to the Helix socket %s: %s", socket, strerror(-l->sock));
		goto fail;
	}
	lc_info("requesting a lease on %s (%ux%u)", socket, width, height);
	struct helix_client_reply rep;
	l->base.lease_fd = helix_client_lease(l->sock, width, height, deadline, &rep);
	switch (rep.outcome) {
	case HELIX_CLIENT_GRANTED: break;
	case HELIX_CLIENT_BAD_REPLY:
		lc_err("bad lease reply from %s: %s", socket, helix_lease_result_str(rep.decode));
		goto fail;
	case HELIX_CLIENT_REFUSED:
	case HELIX_CLIENT_NO_FD:
		lc_err("the broker refused the lease: %s",
		       rep.outcome == HELIX_CLIENT_REFUSED ? rep.resp.name : "no fd");
		goto fail;
	default: lc_err("lease request on %s failed: %s", socket, strerror(-rep.err)); goto fail;
	}
	snprintf(l->base.info.connector, sizeof(l->base.info.connector), "%s", rep.resp.name);
	l->base.info.scanout_id = rep.resp.scanout_id;
	fetch_key(l, deadline);
	if (lc_set_nonblock(l->sock) < 0)
		goto fail;
	return &l->base;
fail:
	ll_lease_destroy(&l->base);
	return NULL;
}
