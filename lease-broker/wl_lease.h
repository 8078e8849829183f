/* wp_drm_lease_v1 server: one wp_drm_lease_device_v1 global per card. */
#ifndef LB_WL_LEASE_H
#define LB_WL_LEASE_H

#include "broker.h"

struct lb_wl_lease_manager;

struct lb_wl_lease_manager *lb_wl_lease_manager_create(struct lb_broker *broker);
void lb_wl_lease_manager_destroy(struct lb_wl_lease_manager *m);

#endif
