/* wp_drm_lease_v1 server: one wp_drm_lease_device_v1 global per card. */
#ifndef LB_WL_LEASE_H
#define LB_WL_LEASE_H

#include "broker.h"

struct lb_wl_lease_manager;

struct lb_wl_lease_manager *lb_wl_lease_manager_create(struct lb_broker *broker);
void lb_wl_lease_manager_destroy(struct lb_wl_lease_manager *m);

/* For leasecast_lease_v1 (wl_lease_info.c), which describes our
 * wp_drm_lease_v1 objects. */
struct lb_wl_lease;
/* NULL when the resource is not a wp_drm_lease_v1 of this server. */
struct lb_wl_lease *lb_wl_lease_from_resource(struct wl_resource *resource);
/* The broker lease behind it; NULL once refused, ended or released. */
struct lb_lease *lb_wl_lease_get_lease(const struct lb_wl_lease *l);
/* Marks that an info object describes this lease: false if one already did. */
bool lb_wl_lease_claim_info(struct lb_wl_lease *l);

#endif
