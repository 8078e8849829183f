/* The client side of the Helix lease socket (helix-lease.md), over the
 * codec in helix_lease.h: send a request, read a lease reply with its fd
 * (SCM_RIGHTS), read an extension reply, and the INPUT_DEVICES reply with
 * its fds. Used by lease-launch, the benches and the test clients.
 *
 * Blocking and bounded: every call that waits takes an absolute deadline
 * in CLOCK_MONOTONIC milliseconds (lc_now_ms() + timeout). No state: the
 * caller owns the socket (a blocking one) and every fd handed out, so a
 * granted lease's connection can move on into a poll loop. */
#ifndef LC_HELIX_LEASE_CLIENT_H
#define LC_HELIX_LEASE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "helix_lease.h"
#include "lease_input.h"

enum helix_client_outcome {
	HELIX_CLIENT_GRANTED = 0,
	HELIX_CLIENT_CONNECT_FAILED, /* err: -errno (helix_client_open only) */
	HELIX_CLIENT_SEND_FAILED,    /* err: -errno */
	HELIX_CLIENT_NO_REPLY,       /* no whole reply: err -ETIMEDOUT, -ECONNRESET (EOF), -errno */
	/* A whole reply came (replied): */
	HELIX_CLIENT_BAD_REPLY, /* it does not decode: decode says why */
	HELIX_CLIENT_REFUSED,   /* status ERROR: resp.name is the broker's reason */
	HELIX_CLIENT_NO_FD,     /* status OK but no descriptor came with it */
};

struct helix_client_reply {
	enum helix_client_outcome outcome;
	int err;      /* CONNECT_FAILED, SEND_FAILED, NO_REPLY: a negative errno */
	ssize_t got;  /* helix_client_recv's result for the reply */
	bool replied; /* HELIX_LEASE_RESP_SIZE bytes arrived */
	bool fd_came; /* a descriptor came with the reply (closed unless GRANTED) */
	enum helix_lease_result decode;
	struct helix_lease_resp resp; /* as decoded (name: connector or reason) */
	int fd;                       /* GRANTED: the lease, the caller's; else -1 */
};

/* One request (helix_lease_req_encode) in one send, without SIGPIPE.
 * 0, or -errno (-EIO: sent in part). */
int helix_client_send(int sock, uint8_t cmd, uint32_t width, uint32_t height);

/* Reads len bytes before deadline_ms, or up to EOF. The first descriptor
 * that comes goes to *fd (-1 if none; the caller's, even on error), later
 * ones are closed; with fd NULL every one is closed. Returns the bytes
 * read (fewer than len only at EOF), -ETIMEDOUT, or -errno. */
ssize_t helix_client_recv(int sock, void *buf, size_t len, int *fd, int64_t deadline_ms);
/* The same keeping up to max descriptors in fds[0..*n) (the caller's, even
 * on error); any beyond max are closed and the call fails with -EPROTO. */
ssize_t helix_client_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n,
			      int64_t deadline_ms);

/* LEASE (width x height, 0x0: the broker's default) on an open connection.
 * Returns the lease fd (reply->fd) or -1; *reply says what happened. */
int helix_client_lease(int sock, uint32_t width, uint32_t height, int64_t deadline_ms,
		       struct helix_client_reply *reply);

/* Connects to path, then helix_client_lease. *sock is the connection (the
 * lease lives as long as it is open), or -1 when the connect failed. */
int helix_client_open(const char *path, uint32_t width, uint32_t height, int64_t deadline_ms,
		      int *sock, struct helix_client_reply *reply);

/* An extension reply (STATUS, AUTH_MAGIC): its status, and its body in a
 * new NUL-terminated buffer (*body, the caller frees it) of *len bytes.
 * 0; -EPROTO: no valid header (timeout, EOF, bad bytes); -EIO: the body was
 * cut short; -ENOMEM. */
int helix_client_ext_reply(int sock, int64_t deadline_ms, uint8_t *status, char **body,
			   uint32_t *len);

/* INPUT_DEVICES (cmd 5) on a connection that holds an active lease; send
 * it only to a broker whose STATUS lists "input_devices"
 * (helix_lease_status_has_extension), any other ends the lease. 0 with
 * out[0..*n) filled, each entry's fd the caller's; entries of a kind this
 * side does not know and any beyond max are dropped (their fds closed).
 * Refused: -errno named by the broker's text (-EPERM: no active lease),
 * the text in err. -EPROTO: no valid reply (bad header or body, fds that
 * do not pair up with the entries); -EIO: cut short; -errno of the send.
 * Every fd of a failed call is closed. */
int helix_client_input_devices(int sock, int64_t deadline_ms, struct lc_lease_input *out,
			       size_t max, size_t *n, char *err, size_t err_len);

/* The errno an AUTH_MAGIC refusal names ("EPERM: ..."), EIO if unknown. */
int helix_client_errno_from_text(const char *text, size_t len);

#endif
