/* What main.c and status.c see of the broker beyond the frontends' API. */
#ifndef LB_BROKER_CORE_H
#define LB_BROKER_CORE_H

#include "broker.h"
#include "config.h"

/* Opens every card of cfg (cfg must outlive the broker), the uevent monitor,
 * the input devices' watch and the exporter link. NULL with a message in
 * err. */
struct lb_broker *lb_broker_create(struct wl_display *display, const struct lb_config *cfg,
				   char *err, size_t err_len);
/* Ends every lease still recorded (revoke, scanout off) and closes cards. */
void lb_broker_destroy(struct lb_broker *b);
struct wl_list *lb_broker_leases(struct lb_broker *b);   /* of lb_lease.link */
struct lb_inputs *lb_broker_inputs(struct lb_broker *b); /* input_devices.h */
const char *lb_lease_state_name(enum lb_lease_state s);

#endif
