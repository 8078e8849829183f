/* The broker's state as JSON (schema in protocols/helix-lease.md). */
#ifndef LB_STATUS_H
#define LB_STATUS_H

#include <stddef.h>

#include "broker.h"

/* A malloc'd NUL-terminated document; *len excludes the NUL. A viewer
 * that is not root sees holder details (pid, uid) of its own leases only.
 * NULL when out of memory. */
char *lb_status_json(struct lb_broker *b, const struct lc_peer *viewer, size_t *len);

#endif
