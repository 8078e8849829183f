/* A lease from the broker, over either of its frontends. Acquiring blocks
 * (bounded) and brings the lease fd and the input devices' fds of the
 * leased output; afterwards the lease's connection lives in lease-launch's
 * poll loop, which learns of the lease's end from it and sends the lease
 * holder's drmAuthMagic requests over it. */
#ifndef LL_LEASE_H
#define LL_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_input.h"

#define LL_NO_SCANOUT 0xffffffffu

struct ll_lease;

struct ll_lease_info {
	char connector[64];
	uint32_t scanout_id; /* LL_NO_SCANOUT when the output has none */
	char stream_key[65]; /* 64 hex digits, or "" when the broker gives none */
	size_t n_inputs;     /* input devices the lease brought (ll_lease.inputs) */
};

/* Answers to ll_lease_auth_magic, in request order. */
typedef void (*ll_magic_result_fn)(void *data, uint32_t magic, int error);

struct ll_lease_impl {
	int (*fd)(struct ll_lease *l);
	/* Before poll: flush; returns the poll events wanted. */
	short (*prepare)(struct ll_lease *l);
	/* After poll. false: the lease ended (revoked, connection lost). */
	bool (*dispatch)(struct ll_lease *l, short revents);
	/* 0: sent (the answer comes through the result callback); -errno. */
	int (*auth_magic)(struct ll_lease *l, uint32_t magic);
	void (*destroy)(struct ll_lease *l); /* releases the lease */
};

struct ll_lease {
	const struct ll_lease_impl *impl;
	int lease_fd; /* owned until taken (ll_lease_take_fd) */
	struct ll_lease_info info;
	/* The output's input devices (leasecast_lease_info_v1 version 2,
	 * Helix INPUT_DEVICES): fds owned until taken (ll_lease_take_inputs);
	 * none from a broker without them. The broker revokes them when the
	 * lease ends. */
	struct lc_lease_input inputs[LC_LEASE_INPUT_MAX];
	size_t n_inputs;
	ll_magic_result_fn magic_result;
	void *magic_data;
};

/* The lease for output (NULL: any free one). NULL on failure, logged.
 * width x height (0x0: the broker's default) is the mode of an output the
 * broker must turn on; over Wayland it needs leasecast_lease_manager_v1. */
struct ll_lease *ll_lease_wayland_acquire(const char *socket, const char *output, uint32_t width,
					  uint32_t height, int timeout_ms);
struct ll_lease *ll_lease_helix_acquire(const char *socket, const char *output, uint32_t width,
					uint32_t height, int timeout_ms);

static inline int ll_lease_take_fd(struct ll_lease *l)
{
	int fd = l->lease_fd;
	l->lease_fd = -1;
	return fd;
}

/* Moves the input entries (with their fds) into out (room for
 * LC_LEASE_INPUT_MAX); returns how many. */
size_t ll_lease_take_inputs(struct ll_lease *l, struct lc_lease_input *out);

/* Keeps the entries of in[0..n) that belong to connector, in order (the
 * others' fds are closed, with a warning); returns how many. */
size_t ll_lease_keep_inputs(const char *connector, struct lc_lease_input *in, size_t n);

/* Closes what it still owns (the input fds too) and releases the lease. */
void ll_lease_destroy(struct ll_lease *l);

/* "Virtual-N" is virtio-gpu scanout N-1 (the broker's naming); else none. */
uint32_t ll_scanout_from_connector(const char *name);

#endif
