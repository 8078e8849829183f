/* The socket the drmAuthMagic wrapper (authmagic-preload/) talks to: a
 * compositor process sends a u32 magic (host order), lease-launch has the
 * broker authenticate it on its master fd over the lease's connection, and
 * answers an i32: 0 or a positive errno. One request per connection;
 * answers go back in request order, as the broker gives them. */
#ifndef LL_AUTHMAGIC_SERVER_H
#define LL_AUTHMAGIC_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lease.h"

#define LL_AUTHMAGIC_MAX_CLIENTS 8

struct ll_authmagic_client {
	int fd;
	uint8_t buf[4];
	size_t got;
	uint32_t magic;
	int state; /* 0 reading, 1 waiting for the broker */
	uint64_t seq;
};

struct ll_authmagic_server {
	int listen_fd;
	uid_t uid; /* only the compositor's user may ask */
	struct ll_lease *lease;
	struct ll_authmagic_client clients[LL_AUTHMAGIC_MAX_CLIENTS];
	uint64_t next_seq;
	unsigned served, refused;
};

/* Listens at path (0600, owned by uid). */
int ll_authmagic_server_init(struct ll_authmagic_server *s, const char *path, uid_t uid, gid_t gid,
			     struct ll_lease *lease);
void ll_authmagic_server_finish(struct ll_authmagic_server *s);

/* Appends its pollfds (at most 1 + LL_AUTHMAGIC_MAX_CLIENTS); returns how
 * many. */
size_t ll_authmagic_server_pollfds(struct ll_authmagic_server *s, struct pollfd *p);
void ll_authmagic_server_dispatch(struct ll_authmagic_server *s, const struct pollfd *p, size_t n);

#endif
