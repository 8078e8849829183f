/* The Helix lease socket (protocols/helix-lease.md). */
#ifndef LB_HELIX_SERVER_H
#define LB_HELIX_SERVER_H

#include "broker.h"

struct lb_helix_server;

/* Takes a listening socket (see lc_unix_listen). */
struct lb_helix_server *lb_helix_server_create(struct lb_broker *broker, int listen_fd);
void lb_helix_server_destroy(struct lb_helix_server *s);

#endif
