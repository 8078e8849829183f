/* leasecast_lease_v1 server: stream keys and DRM magic authentication for
 * the holders of wp_drm_lease_v1 leases. */
#ifndef LB_WL_LEASE_INFO_H
#define LB_WL_LEASE_INFO_H

#include "broker.h"

struct lb_wl_lease_info_manager;

struct lb_wl_lease_info_manager *lb_wl_lease_info_manager_create(struct lb_broker *broker);
void lb_wl_lease_info_manager_destroy(struct lb_wl_lease_info_manager *m);

#endif
