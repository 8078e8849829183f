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

/* For leasecast_lease_manager_v1.set_requested_size: our
 * wp_drm_lease_request_v1 objects, before submit. */
struct lb_wl_request;
/* NULL when the resource is not a wp_drm_lease_request_v1 of this server. */
struct lb_wl_request *lb_wl_request_from_resource(struct wl_resource *resource);
/* The size (already checked by the caller) of the outputs the broker turns
 * on for this request; replaces an earlier one. */
void lb_wl_request_set_size(struct lb_wl_request *req, uint32_t width, uint32_t height);

#endif
