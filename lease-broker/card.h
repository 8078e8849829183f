/* A DRM card the broker is master of: discovery of its outputs and the
 * lease ioctls. No policy here. */
#ifndef LB_CARD_H
#define LB_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"

/* Opens path, becomes DRM master (fails if another master exists) and
 * discovers its outputs with a full probe. reserved(name) marks outputs
 * that are never leased. */
struct lb_card *lb_card_open(struct lb_broker *b, const char *path, bool has_exporter,
			     bool (*reserved)(void *data, const char *name), void *data, char *err,
			     size_t err_len);
void lb_card_destroy(struct lb_card *card);

/* Full probe (drmModeGetConnector): the host's current answer, not the
 * kernel's cache. Returns 1 connected, 0 not, -errno. */
int lb_card_probe_output(struct lb_output *o);
struct lb_output *lb_card_find_output(struct lb_card *card, const char *name);

/* Leases connector + CRTC + primary (+ cursor) of each output. Returns the
 * lessee fd (O_CLOEXEC) or -errno. */
int lb_card_create_lease(struct lb_card *card, struct lb_output *const *outputs, size_t n,
			 uint32_t *lessee_id);
int lb_card_revoke_lease(struct lb_card *card, uint32_t lessee_id);
/* Fills ids with the card's un-revoked lessees. Returns the count (may
 * exceed cap) or -errno. */
int lb_card_list_lessees(struct lb_card *card, uint32_t *ids, size_t cap);
/* drmAuthMagic on the master fd: another fd of this card that drmGetMagic
 * gave `magic` becomes authenticated (DRM_AUTH ioctls). 0 or -errno. */
int lb_card_auth_magic(struct lb_card *card, uint32_t magic);

#endif
