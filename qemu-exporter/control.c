#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "qemu_display.h"

#define MAX_DIMENSION 16384
/* Helix's default for a 0x0 request. */
#define DEFAULT_WIDTH 1920
#define DEFAULT_HEIGHT 1080

struct qe_control_op {
	struct qe_ui_call call;
	struct qe_control *ctl;
	struct qe_control_req *req; /* NULL once detached */
	uint64_t conn_id, generation;
	uint32_t scanout_id, width, height;
	bool enable;
	bool resize; /* RESIZE_REQ: the size changes, not who enabled it */
	struct qe_list link;
};

struct qe_control {
	struct qe_display *display;
	bool allow_unauthenticated;
	uint64_t generation; /* QEMU instance the records below describe */
	struct scanout_record {
		uint64_t owner; /* connection that enabled it; 0 when off */
		uint32_t width, height;
		/* The last SetUIInfo sent to this scanout's console (valid if
		 * sent_valid), to avoid sending the same arguments twice. */
		bool sent_valid;
		uint32_t sent_width, sent_height;
		uint16_t sent_width_mm, sent_height_mm;
	} scanouts[QE_MAX_SCANOUTS];
	struct qe_list ops;
};

struct qe_control *qe_control_create(struct qe_display *display, bool allow_unauthenticated)
{
	struct qe_control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->display = display;
	ctl->allow_unauthenticated = allow_unauthenticated;
	qe_list_init(&ctl->ops);
	return ctl;
}

static void op_free(struct qe_control_op *op)
{
	qe_ui_call_cancel(&op->call);
	qe_list_remove(&op->link);
	if (op->req)
		op->req->op = NULL;
	free(op);
}

void qe_control_destroy(struct qe_control *ctl)
{
	if (!ctl)
		return;
	struct qe_list *pos, *tmp;
	qe_list_for_each_safe(pos, tmp, &ctl->ops)
		op_free(qe_container_of(pos, struct qe_control_op, link));
	free(ctl);
}

static void forget_scanouts(struct qe_control *ctl, const char *why)
{
	for (unsigned i = 0; i < QE_MAX_SCANOUTS; i++) {
		if (ctl->scanouts[i].owner)
			lc_info("scanout %u (enabled by connection %" PRIu64 ") is gone: %s", i,
				ctl->scanouts[i].owner, why);
		ctl->scanouts[i].owner = 0;
		ctl->scanouts[i].sent_valid = false;
	}
}

/* The physical size to send with a SetUIInfo of width x height.
 *
 * QEMU's dpy_set_ui_info drops a SetUIInfo whose arguments are byte-identical
 * to the console's last ones (memcmp), so the guest gets no display event for
 * it. That matters because virtio-gpu guests (Linux 6.1
 * virtio_gpu_config_changed_work_func) can lose a display event: the guest
 * reads events_read, fetches the display info, and only then writes
 * events_clear, clearing an event QEMU raised in between unseen; the
 * connector then keeps stale status until the next event. The broker
 * recovers by sending the same ENABLE/DISABLE again, which must reach the
 * guest as a new event: so a request that would repeat the last arguments
 * alternates width_mm by one. The guest's mode is unaffected (virtio-gpu
 * reports width and height; the size is only a hint in the EDID). */
static void pick_physical_size(struct qe_control *ctl, uint32_t scanout, uint32_t width,
			       uint32_t height, uint16_t *width_mm, uint16_t *height_mm)
{
	*width_mm = qe_display_mm_for_px(width);
	*height_mm = qe_display_mm_for_px(height);
	const struct scanout_record *s = &ctl->scanouts[scanout];
	if (s->sent_valid && s->sent_width == width && s->sent_height == height &&
	    s->sent_width_mm == *width_mm && s->sent_height_mm == *height_mm)
		*width_mm = (uint16_t)(*width_mm + 1);
}

void qe_control_display_changed(struct qe_control *ctl)
{
	uint64_t gen = qe_display_generation(ctl->display);
	if (gen != ctl->generation) {
		forget_scanouts(ctl, "QEMU restarted");
		ctl->generation = gen;
	} else if (qe_display_state(ctl->display) < QE_DISPLAY_LOADING) {
		forget_scanouts(ctl, "QEMU left");
	}
}

static bool refuse(struct qe_control_result *res, int32_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool refuse(struct qe_control_result *res, int32_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	res->success = false;
	res->error_code = code;
	return false;
}

static bool validate(struct qe_control *ctl, bool authenticated, bool enable, uint32_t scanout_id,
		     uint32_t *w, uint32_t *h, struct qe_control_result *res);
static bool send_ui_info(struct qe_control *ctl, struct qe_control_req *req, uint64_t conn_id,
			 bool enable, bool resize, uint32_t scanout_id, uint32_t width,
			 uint32_t height, struct qe_control_result *res);

static void op_done(struct qe_ui_call *call, const sd_bus_error *err)
{
	struct qe_control_op *op = qe_container_of(call, struct qe_control_op, call);
	struct qe_control *ctl = op->ctl;
	struct qe_control_result res = {.scanout_id = op->scanout_id, .success = !err};
	snprintf(res.connector, sizeof(res.connector), "Virtual-%" PRIu32, op->scanout_id + 1);
	const char *what = op->resize ? "RESIZE" : op->enable ? "ENABLE" : "DISABLE";

	if (err) {
		res.error_code = HXFR_ERR_BACKEND;
		snprintf(res.message, sizeof(res.message), "QEMU refused SetUIInfo: %s",
			 err->message ? err->message : err->name);
		lc_warn("connection %" PRIu64 ": %s scanout %" PRIu32 " failed: %s", op->conn_id,
			what, op->scanout_id, res.message);
	} else if (op->resize && op->generation == ctl->generation) {
		ctl->scanouts[op->scanout_id].width = op->width;
		ctl->scanouts[op->scanout_id].height = op->height;
		lc_info("connection %" PRIu64 ": RESIZE_REQ scanout %" PRIu32 " to %" PRIu32
			"x%" PRIu32 " sent to QEMU",
			op->conn_id, op->scanout_id, op->width, op->height);
	} else if (op->generation == ctl->generation) {
		uint64_t *owner = &ctl->scanouts[op->scanout_id].owner;
		if (*owner && *owner != op->conn_id)
			/* One trusted broker holds the key; different connections are its
			 * reconnects. Allowed, but worth a line when tenants get keys. */
			lc_info("scanout %" PRIu32 " was enabled by connection %" PRIu64
				"; %s by connection %" PRIu64,
				op->scanout_id, *owner, what, op->conn_id);
		*owner = op->enable ? op->conn_id : 0;
		ctl->scanouts[op->scanout_id].width = op->width;
		ctl->scanouts[op->scanout_id].height = op->height;
		lc_info("connection %" PRIu64 ": %s scanout %" PRIu32 " (%s) %" PRIu32 "x%" PRIu32
			" done",
			op->conn_id, what, op->scanout_id, res.connector, op->width, op->height);
	}

	struct qe_control_req *req = op->req;
	op->req = NULL;
	if (req)
		req->op = NULL;
	op_free(op);
	if (req)
		req->done(req, &res);
}

bool qe_control_submit(struct qe_control *ctl, struct qe_control_req *req, bool authenticated,
		       bool enable, uint32_t scanout_id, uint32_t width, uint32_t height,
		       struct qe_control_result *res)
{
	*res = (struct qe_control_result){.scanout_id = scanout_id};
	if (!validate(ctl, authenticated, enable, scanout_id, &width, &height, res))
		return false;
	return send_ui_info(ctl, req, req->conn_id, enable, false, scanout_id, width, height, res);
}

static bool validate(struct qe_control *ctl, bool authenticated, bool enable, uint32_t scanout_id,
		     uint32_t *w, uint32_t *h, struct qe_control_result *res)
{
	uint32_t width = *w, height = *h;
	if (scanout_id < QE_MAX_SCANOUTS)
		snprintf(res->connector, sizeof(res->connector), "Virtual-%" PRIu32,
			 scanout_id + 1);
	const char *what = enable ? "ENABLE_SCANOUT" : "DISABLE_SCANOUT";

	if (!authenticated && !ctl->allow_unauthenticated)
		return refuse(res, HXFR_ERR_UNAUTHENTICATED,
			      "%s needs an authenticated connection (HELLO, then AUTH with the "
			      "control key)",
			      what);
	if (scanout_id == 0)
		return refuse(res, HXFR_ERR_BAD_SCANOUT,
			      "%s: scanout 0 is the VM console and is not controllable", what);
	if (scanout_id >= QE_MAX_SCANOUTS)
		return refuse(res, HXFR_ERR_BAD_SCANOUT, "%s: no scanout %" PRIu32 " (at most %d)",
			      what, scanout_id, QE_MAX_SCANOUTS - 1);
	if (enable) {
		if (width == 0 && height == 0) {
			width = DEFAULT_WIDTH;
			height = DEFAULT_HEIGHT;
		}
		if (width < 1 || width > MAX_DIMENSION || height < 1 || height > MAX_DIMENSION)
			return refuse(res, HXFR_ERR_BAD_VALUE,
				      "%s: size %" PRIu32 "x%" PRIu32 " out of range (1..%d each, "
				      "or 0x0 for %dx%d)",
				      what, width, height, MAX_DIMENSION, DEFAULT_WIDTH,
				      DEFAULT_HEIGHT);
	} else {
		width = height = 0;
	}
	enum qe_display_state st = qe_display_state(ctl->display);
	if (st != QE_DISPLAY_READY)
		return refuse(res, HXFR_ERR_BACKEND, "QEMU not connected (%s)",
			      qe_display_state_str(st));
	unsigned count = qe_display_scanout_count(ctl->display);
	if (scanout_id >= count)
		return refuse(res, HXFR_ERR_BAD_SCANOUT,
			      "%s: no scanout %" PRIu32 " (QEMU has scanouts 0..%u)", what,
			      scanout_id, count ? count - 1 : 0);
	*w = width;
	*h = height;
	return true;
}

static bool send_ui_info(struct qe_control *ctl, struct qe_control_req *req, uint64_t conn_id,
			 bool enable, bool resize, uint32_t scanout_id, uint32_t width,
			 uint32_t height, struct qe_control_result *res)
{
	const char *what = resize ? "RESIZE_REQ" : enable ? "ENABLE_SCANOUT" : "DISABLE_SCANOUT";
	struct qe_control_op *op = calloc(1, sizeof(*op));
	if (!op)
		return refuse(res, HXFR_ERR_LIMIT, "out of memory");
	*op = (struct qe_control_op){
		.call.done = op_done,
		.ctl = ctl,
		.req = req,
		.conn_id = conn_id,
		.generation = ctl->generation,
		.scanout_id = scanout_id,
		.width = width,
		.height = height,
		.enable = enable,
		.resize = resize,
	};
	qe_list_init(&op->link);
	uint16_t width_mm, height_mm;
	pick_physical_size(ctl, scanout_id, width, height, &width_mm, &height_mm);
	int r = qe_display_set_ui_info_mm(ctl->display, scanout_id, width, height, width_mm,
					  height_mm, &op->call);
	if (r < 0) {
		free(op);
		if (r == -ENOENT)
			return refuse(res, HXFR_ERR_BAD_SCANOUT,
				      "%s: no console for scanout %" PRIu32, what, scanout_id);
		return refuse(res, HXFR_ERR_BACKEND, "%s: cannot call QEMU: %s", what,
			      strerror(-r));
	}
	/* Recorded when sent: D-Bus keeps the order of our calls, so this is
	 * what QEMU will compare the next one with. */
	ctl->scanouts[scanout_id].sent_valid = true;
	ctl->scanouts[scanout_id].sent_width = width;
	ctl->scanouts[scanout_id].sent_height = height;
	ctl->scanouts[scanout_id].sent_width_mm = width_mm;
	ctl->scanouts[scanout_id].sent_height_mm = height_mm;
	qe_list_insert_tail(&ctl->ops, &op->link);
	if (req)
		req->op = op;
	res->success = true;
	return true;
}

bool qe_control_resize(struct qe_control *ctl, uint64_t conn_id, uint32_t scanout_id,
		       uint32_t width, uint32_t height, struct qe_control_result *res)
{
	*res = (struct qe_control_result){.scanout_id = scanout_id};
	/* The stream key is the right (HXFR.md §5.10): no AUTH here, but only
	 * a scanout that is on may change size; a resize must never turn on
	 * an output its manager turned off. */
	if (scanout_id == 0 || scanout_id >= QE_MAX_SCANOUTS || !ctl->scanouts[scanout_id].owner)
		return refuse(res, HXFR_ERR_UNSUPPORTED,
			      "RESIZE_REQ: scanout %" PRIu32 " was not enabled through this "
			      "exporter",
			      scanout_id);
	/* Allowed by §5.10.5, and what keeps every encoder's rows aligned. */
	width &= ~7u;
	if (!validate(ctl, true, true, scanout_id, &width, &height, res))
		return false;
	return send_ui_info(ctl, NULL, conn_id, true, true, scanout_id, width, height, res);
}

void qe_control_detach(struct qe_control_req *req)
{
	if (req->op)
		req->op->req = NULL;
	req->op = NULL;
}
