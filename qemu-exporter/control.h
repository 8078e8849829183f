/* HXFR ENABLE_SCANOUT / DISABLE_SCANOUT mapped onto QEMU's SetUIInfo: the
 * policy (who may, which scanouts, what sizes) and the record of which
 * connection enabled which scanout. The D-Bus call belongs to control, not
 * to the requesting client: a client that disconnects mid-call only stops
 * hearing the answer, and the record stays right. */
#ifndef QE_CONTROL_H
#define QE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "hxfr.h"
#include "list.h"

struct qe_display;
struct qe_control;
struct qe_control_op;

struct qe_control_result {
	bool success;
	uint32_t scanout_id;
	char connector[HXFR_CONNECTOR_NAME_LEN];
	int32_t error_code; /* 0 on success */
	char message[HXFR_ERROR_MESSAGE_LEN];
};

/* A client's pending request; done runs once unless detached first. */
struct qe_control_req {
	uint64_t conn_id;
	struct qe_control_op *op; /* private */
	struct qe_list link;      /* the requester's list */
	void (*done)(struct qe_control_req *req, const struct qe_control_result *res);
};

struct qe_control *qe_control_create(struct qe_display *display, bool allow_unauthenticated);
void qe_control_destroy(struct qe_control *ctl);

/* Submits ENABLE (enable: width/height as received; 0x0 means 1920x1080) or
 * DISABLE. Returns true when the request is in flight (req->done follows);
 * false when it was refused or failed at once, with *res filled. */
bool qe_control_submit(struct qe_control *ctl, struct qe_control_req *req, bool authenticated,
		       bool enable, uint32_t scanout_id, uint32_t width, uint32_t height,
		       struct qe_control_result *res);
/* RESIZE_REQ from a keyed subscriber of an enabled scanout: SetUIInfo
 * with the new size (width rounded down to a multiple of 8), same size
 * rules as ENABLE. Fire and forget: true when sent (the outcome is only
 * logged; the picture is the answer), false with *res filled. */
bool qe_control_resize(struct qe_control *ctl, uint64_t conn_id, uint32_t scanout_id,
		       uint32_t width, uint32_t height, struct qe_control_result *res);
/* The requester goes away: its call completes unobserved. */
void qe_control_detach(struct qe_control_req *req);

/* QEMU came, went or restarted: a new instance has every output off. */
void qe_control_display_changed(struct qe_control *ctl);

#endif
