#include "input.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "hxfr.h"

#define BIT(a, i) ((a)[(i) / 8] & (1u << ((i) % 8)))
#define SET(a, i) ((a)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))
#define CLR(a, i) ((a)[(i) / 8] &= (uint8_t) ~(1u << ((i) % 8)))

uint16_t lcb_input_btn_code(uint8_t b)
{
	/* Helix: 1 left, 2 middle, 3 right, 4 side, 5 extra. */
	static const uint16_t map[] = {0, 0x110, 0x112, 0x111, 0x113, 0x114};
	return b < sizeof(map) / sizeof(map[0]) ? map[b] : 0;
}

void lcb_input_init(struct lcb_input *in, lcb_input_send_fn send, void *data)
{
	memset(in, 0, sizeof(*in));
	in->send = send;
	in->data = data;
	in->gen = 1;
}

void lcb_input_set_size(struct lcb_input *in, uint32_t width, uint32_t height)
{
	in->width = width;
	in->height = height;
}

static void clear_held(struct lcb_input *in)
{
	memset(in->key_refs, 0, sizeof(in->key_refs));
	memset(in->button_refs, 0, sizeof(in->button_refs));
	memset(in->slot_owner, 0, sizeof(in->slot_owner));
	in->owe_release_all = false;
	memset(in->owe_key_up, 0, sizeof(in->owe_key_up));
	in->owe_button_up = 0;
	in->owe_touch_end = 0;
	in->owe_abs = in->owe_rel = in->owe_wheel = false;
}

void lcb_input_upstream_reset(struct lcb_input *in)
{
	clear_held(in);
	in->gen++; /* every viewer's held state is stale: see fresh() */
}

/* A viewer's state from before an upstream reset is void. */
static void fresh(struct lcb_input *in, struct lcb_input_viewer *v)
{
	if (v->gen == in->gen)
		return;
	memset(v->keys, 0, sizeof(v->keys));
	v->buttons = 0;
	memset(v->touch, 0, sizeof(v->touch));
	v->gen = in->gen;
}

/* One owed message: true if it went (or can never go: then it is moot,
 * the connection that held the key is gone), false to stop flushing. */
static bool owed(struct lcb_input *in, const struct lcb_hxin *e)
{
	int r = in->send(in->data, e);
	if (r == -ENOBUFS)
		return false;
	if (r < 0 && r != -EINVAL)
		lcb_input_upstream_reset(in); /* no connection: nothing is held upstream */
	return true;
}

bool lcb_input_flush(struct lcb_input *in)
{
	if (in->owe_release_all) {
		if (!owed(in, &(struct lcb_hxin){.type = HXFR_INPUT_RELEASE_ALL}))
			return false;
		/* It released everything, the owed single releases too. */
		in->owe_release_all = false;
		memset(in->owe_key_up, 0, sizeof(in->owe_key_up));
		in->owe_button_up = 0;
		in->owe_touch_end = 0;
	}
	for (uint16_t k = 0; k < LCB_INPUT_KEYS; k++) {
		if (!in->owe_key_up[k / 8]) {
			k = (uint16_t)(k | 7);
			continue;
		}
		if (!BIT(in->owe_key_up, k))
			continue;
		if (!owed(in, &(struct lcb_hxin){.type = HXFR_INPUT_KEY, .code = k}))
			return false;
		CLR(in->owe_key_up, k);
	}
	for (uint8_t b = LCB_WSIN_BUTTON_MIN; b <= LCB_WSIN_BUTTON_MAX; b++) {
		if (!(in->owe_button_up & (1u << b)))
			continue;
		if (!owed(in, &(struct lcb_hxin){.type = HXFR_INPUT_BUTTON,
						 .code = lcb_input_btn_code(b)}))
			return false;
		in->owe_button_up &= (uint8_t) ~(1u << b);
	}
	for (uint32_t s = 0; s < LCB_INPUT_SLOTS; s++) {
		if (!(in->owe_touch_end & (1u << s)))
			continue;
		struct lcb_hxin e = {.type = HXFR_INPUT_TOUCH,
				     .kind = in->owe_touch_kind[s],
				     .slot = s,
				     .x = in->abs_x,
				     .y = in->abs_y};
		if (!owed(in, &e))
			return false;
		in->owe_touch_end &= (uint16_t) ~(1u << s);
	}
	if (in->owe_abs) {
		if (!owed(in, &(struct lcb_hxin){
				      .type = HXFR_INPUT_ABS, .x = in->abs_x, .y = in->abs_y}))
			return false;
		in->owe_abs = false;
	}
	if (in->owe_rel) {
		if (!owed(in, &(struct lcb_hxin){
				      .type = HXFR_INPUT_REL, .x = in->rel_x, .y = in->rel_y}))
			return false;
		in->owe_rel = false;
	}
	if (in->owe_wheel) {
		if (!owed(in, &(struct lcb_hxin){.type = HXFR_INPUT_WHEEL,
						 .x = in->wheel_x,
						 .y = in->wheel_y}))
			return false;
		in->owe_wheel = false;
	}
	return true;
}

/* A new message, behind whatever is owed. */
static int emit(struct lcb_input *in, const struct lcb_hxin *e)
{
	if (!lcb_input_flush(in))
		return -ENOBUFS;
	return in->send(in->data, e);
}

static enum lcb_input_result sent_or(struct lcb_input *in, struct lcb_input_viewer *v, int r,
				     const char **why)
{
	if (r == 0) {
		v->c.forwarded++;
		in->total.forwarded++;
		return LCB_IN_SENT;
	}
	if (r == -ENOBUFS) {
		*why = "the exporter connection is congested: event dropped";
		v->c.busy_dropped++;
		in->total.busy_dropped++;
		return LCB_IN_BUSY;
	}
	*why = r == -EOPNOTSUPP ? "the exporter takes no input"
				: "no connection to the exporter: event dropped";
	v->c.unavailable++;
	in->total.unavailable++;
	return LCB_IN_UNAVAILABLE;
}

/* A release: sent now or owed; never lost while the connection lives. */
static enum lcb_input_result release(struct lcb_input *in, struct lcb_input_viewer *v,
				     const struct lcb_hxin *e)
{
	int r = emit(in, e);
	if (r == 0) {
		v->c.forwarded++;
		in->total.forwarded++;
		return LCB_IN_SENT;
	}
	if (r != -ENOBUFS)
		return LCB_IN_NOOP; /* no connection: the exporter released it already */
	switch (e->type) {
	case HXFR_INPUT_KEY: SET(in->owe_key_up, e->code); break;
	case HXFR_INPUT_BUTTON:
		for (uint8_t b = LCB_WSIN_BUTTON_MIN; b <= LCB_WSIN_BUTTON_MAX; b++)
			if (lcb_input_btn_code(b) == e->code)
				in->owe_button_up |= (uint8_t)(1u << b);
		break;
	case HXFR_INPUT_TOUCH:
		in->owe_touch_end |= (uint16_t)(1u << e->slot);
		in->owe_touch_kind[e->slot] = e->kind;
		break;
	default: break;
	}
	return LCB_IN_OWED;
}

static void release_key(struct lcb_input *in, struct lcb_input_viewer *v, uint16_t k)
{
	CLR(v->keys, k);
	if (in->key_refs[k] > 0 && --in->key_refs[k] == 0)
		release(in, v, &(struct lcb_hxin){.type = HXFR_INPUT_KEY, .code = k});
}

static void release_button(struct lcb_input *in, struct lcb_input_viewer *v, uint8_t b)
{
	v->buttons &= (uint8_t) ~(1u << b);
	if (in->button_refs[b] > 0 && --in->button_refs[b] == 0)
		release(in, v,
			&(struct lcb_hxin){.type = HXFR_INPUT_BUTTON,
					   .code = lcb_input_btn_code(b)});
}

static void end_touch(struct lcb_input *in, struct lcb_input_viewer *v, uint8_t id, uint8_t kind,
		      int32_t x, int32_t y)
{
	uint32_t s = (uint32_t)v->touch[id] - 1;
	v->touch[id] = 0;
	in->slot_owner[s] = NULL;
	release(in, v,
		&(struct lcb_hxin){
			.type = HXFR_INPUT_TOUCH, .kind = kind, .slot = s, .x = x, .y = y});
}

static void release_everything(struct lcb_input *in, struct lcb_input_viewer *v)
{
	fresh(in, v);
	for (uint16_t k = 0; k < LCB_INPUT_KEYS; k++)
		if (BIT(v->keys, k))
			release_key(in, v, k);
	for (uint8_t b = LCB_WSIN_BUTTON_MIN; b <= LCB_WSIN_BUTTON_MAX; b++)
		if (v->buttons & (1u << b))
			release_button(in, v, b);
	for (unsigned id = 0; id < 256; id++)
		if (v->touch[id])
			end_touch(in, v, (uint8_t)id, HXFR_TOUCH_CANCEL, in->abs_x, in->abs_y);
}

void lcb_input_viewer_join(struct lcb_input *in, struct lcb_input_viewer *v, bool control,
			   int64_t now_us)
{
	memset(v, 0, sizeof(*v));
	v->joined = true;
	v->control = control;
	v->gen = in->gen;
	v->tokens = LCB_INPUT_BURST;
	v->refill_us = now_us;
	if (control)
		in->n_control++;
}

void lcb_input_viewer_leave(struct lcb_input *in, struct lcb_input_viewer *v)
{
	if (!v->joined)
		return;
	v->joined = false;
	if (!v->control)
		return;
	release_everything(in, v);
	if (--in->n_control == 0) {
		/* Belt and braces: whatever the exporter still holds for us. */
		in->owe_release_all = true;
		lcb_input_flush(in);
	}
}

static bool take_token(struct lcb_input_viewer *v, int64_t now_us)
{
	if (now_us > v->refill_us) {
		v->tokens += (double)(now_us - v->refill_us) * LCB_INPUT_RATE / 1e6;
		if (v->tokens > LCB_INPUT_BURST)
			v->tokens = LCB_INPUT_BURST;
		v->refill_us = now_us;
	}
	if (v->tokens < 1.0)
		return false;
	v->tokens -= 1.0;
	return true;
}

static int32_t clamp32(int64_t v, int64_t lo, int64_t hi)
{
	return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* A fraction of the picture -> its pixel, clamped to it. */
static int32_t frac_px(float f, uint32_t size)
{
	return clamp32((int64_t)floorf(f * (float)size), 0, (int64_t)size - 1);
}

static bool is_release(const struct lcb_wsin *m)
{
	switch (m->kind) {
	case LCB_WSIN_KEY: return !m->u.key.down;
	case LCB_WSIN_BUTTON: return !m->u.button.down;
	case LCB_WSIN_TOUCH:
		return m->u.touch.event == LCB_WSIN_TOUCH_UP ||
		       m->u.touch.event == LCB_WSIN_TOUCH_CANCEL;
	case LCB_WSIN_RELEASE_ALL: return true;
	default: return false;
	}
}

static enum lcb_input_result refuse(struct lcb_input *in, struct lcb_input_viewer *v,
				    const char *text, const char **why)
{
	*why = text;
	v->c.refused++;
	in->total.refused++;
	return LCB_IN_REFUSED;
}

static enum lcb_input_result motion(struct lcb_input *in, struct lcb_input_viewer *v,
				    const struct lcb_hxin *e, const char **why)
{
	int r = emit(in, e);
	if (r != -ENOBUFS)
		return sent_or(in, v, r, why);
	/* Coalesced behind what is owed: the newest position, summed deltas. */
	switch (e->type) {
	case HXFR_INPUT_ABS:
		in->owe_abs = true;
		in->abs_x = e->x;
		in->abs_y = e->y;
		break;
	case HXFR_INPUT_REL:
		in->rel_x = in->owe_rel ? clamp32((int64_t)in->rel_x + e->x, INT32_MIN, INT32_MAX)
					: e->x;
		in->rel_y = in->owe_rel ? clamp32((int64_t)in->rel_y + e->y, INT32_MIN, INT32_MAX)
					: e->y;
		in->owe_rel = true;
		break;
	case HXFR_INPUT_WHEEL:
		in->wheel_x = in->owe_wheel ? clamp32((int64_t)in->wheel_x + e->x, -HXFR_WHEEL_MAX,
						      HXFR_WHEEL_MAX)
					    : e->x;
		in->wheel_y = in->owe_wheel ? clamp32((int64_t)in->wheel_y + e->y, -HXFR_WHEEL_MAX,
						      HXFR_WHEEL_MAX)
					    : e->y;
		in->owe_wheel = true;
		break;
	default: break;
	}
	return LCB_IN_OWED;
}

enum lcb_input_result lcb_input_handle(struct lcb_input *in, struct lcb_input_viewer *v,
				       const struct lcb_wsin *m, int64_t now_us, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	if (!v->control) {
		*why = "this viewer may watch but not control (view-only token)";
		v->c.view_only++;
		in->total.view_only++;
		return LCB_IN_VIEW_ONLY;
	}
	fresh(in, v);
	/* A release is never rate-limited: it must not stay undone. */
	if (!is_release(m) && !take_token(v, now_us)) {
		*why = "too many input events: dropped (rate limit)";
		v->c.rate_limited++;
		in->total.rate_limited++;
		return LCB_IN_RATE_LIMITED;
	}
	switch (m->kind) {
	case LCB_WSIN_KEY: {
		uint16_t k = m->u.key.code;
		if (!m->u.key.down) {
			if (!BIT(v->keys, k))
				return LCB_IN_NOOP; /* not this viewer's key */
			release_key(in, v, k);
			return LCB_IN_SENT;
		}
		if (!BIT(v->keys, k) && in->key_refs[k] > 0) {
			SET(v->keys, k); /* down already, for another viewer */
			in->key_refs[k]++;
			return LCB_IN_NOOP;
		}
		/* A first press, or this viewer's own autorepeat: forwarded. */
		enum lcb_input_result r = sent_or(
			in, v,
			emit(in,
			     &(struct lcb_hxin){.type = HXFR_INPUT_KEY, .code = k, .down = true}),
			why);
		if (r == LCB_IN_SENT && !BIT(v->keys, k)) {
			SET(v->keys, k);
			in->key_refs[k]++;
		}
		return r;
	}
	case LCB_WSIN_BUTTON: {
		uint8_t b = m->u.button.button;
		if (!m->u.button.down) {
			if (!(v->buttons & (1u << b)))
				return LCB_IN_NOOP;
			release_button(in, v, b);
			return LCB_IN_SENT;
		}
		if (v->buttons & (1u << b))
			return LCB_IN_NOOP; /* buttons do not repeat */
		if (in->button_refs[b] > 0) {
			v->buttons |= (uint8_t)(1u << b);
			in->button_refs[b]++;
			return LCB_IN_NOOP;
		}
		enum lcb_input_result r = sent_or(
			in, v,
			emit(in, &(struct lcb_hxin){.type = HXFR_INPUT_BUTTON,
						    .code = lcb_input_btn_code(b),
						    .down = true}),
			why);
		if (r == LCB_IN_SENT) {
			v->buttons |= (uint8_t)(1u << b);
			in->button_refs[b]++;
		}
		return r;
	}
	case LCB_WSIN_WHEEL:
		/* Helix's client since 2026-01: CSS pixels with the browser's
		 * sign, as HXFR's (y > 0 down); a pixel is 1/120 notch, so a
		 * browser's notch of 100-120 px is about one. */
		return motion(in, v,
			      &(struct lcb_hxin){.type = HXFR_INPUT_WHEEL,
						 .x = (int32_t)lrintf(m->u.wheel.dx),
						 .y = (int32_t)lrintf(m->u.wheel.dy)},
			      why);
	case LCB_WSIN_WHEEL_NOTCH:
		/* Helix's "normal" scroll mode: units of 10 px. */
		return motion(
			in, v,
			&(struct lcb_hxin){.type = HXFR_INPUT_WHEEL,
					   .x = clamp32(m->u.notch.dx * LCB_WSIN_WHEEL_STEP_PX,
							-HXFR_WHEEL_MAX, HXFR_WHEEL_MAX),
					   .y = clamp32(m->u.notch.dy * LCB_WSIN_WHEEL_STEP_PX,
							-HXFR_WHEEL_MAX, HXFR_WHEEL_MAX)},
			why);
	case LCB_WSIN_ABS: {
		if (!in->width || !in->height)
			return refuse(in, v, "no picture yet: its size is unknown", why);
		int64_t x = (int64_t)m->u.abs.x * in->width / m->u.abs.ref_w;
		int64_t y = (int64_t)m->u.abs.y * in->height / m->u.abs.ref_h;
		return motion(in, v,
			      &(struct lcb_hxin){.type = HXFR_INPUT_ABS,
						 .x = clamp32(x, 0, (int64_t)in->width - 1),
						 .y = clamp32(y, 0, (int64_t)in->height - 1)},
			      why);
	}
	case LCB_WSIN_REL:
		return motion(in, v,
			      &(struct lcb_hxin){
				      .type = HXFR_INPUT_REL, .x = m->u.rel.dx, .y = m->u.rel.dy},
			      why);
	case LCB_WSIN_TOUCH: {
		if (!in->width || !in->height)
			return refuse(in, v, "no picture yet: its size is unknown", why);
		uint8_t id = m->u.touch.id;
		int32_t x = frac_px(m->u.touch.x, in->width), y = frac_px(m->u.touch.y, in->height);
		switch (m->u.touch.event) {
		case LCB_WSIN_TOUCH_DOWN: {
			if (v->touch[id])
				return refuse(in, v, "touch id already down", why);
			uint32_t s = 0;
			while (s < LCB_INPUT_SLOTS &&
			       (in->slot_owner[s] || (in->owe_touch_end & (1u << s))))
				s++;
			if (s == LCB_INPUT_SLOTS)
				return refuse(in, v, "all 10 touch points are in use", why);
			enum lcb_input_result r = sent_or(
				in, v,
				emit(in, &(struct lcb_hxin){.type = HXFR_INPUT_TOUCH,
							    .kind = HXFR_TOUCH_BEGIN,
							    .slot = s,
							    .x = x,
							    .y = y}),
				why);
			if (r == LCB_IN_SENT) {
				v->touch[id] = (uint8_t)(s + 1);
				in->slot_owner[s] = v;
			}
			return r;
		}
		case LCB_WSIN_TOUCH_MOVE:
			if (!v->touch[id])
				return refuse(in, v, "touch move of an id that is not down", why);
			return sent_or(
				in, v,
				emit(in, &(struct lcb_hxin){.type = HXFR_INPUT_TOUCH,
							    .kind = HXFR_TOUCH_UPDATE,
							    .slot = (uint32_t)v->touch[id] - 1,
							    .x = x,
							    .y = y}),
				why);
		default:
			if (!v->touch[id])
				return LCB_IN_NOOP;
			end_touch(in, v, id,
				  m->u.touch.event == LCB_WSIN_TOUCH_UP ? HXFR_TOUCH_END
									: HXFR_TOUCH_CANCEL,
				  x, y);
			return LCB_IN_SENT;
		}
	}
	case LCB_WSIN_RESIZE:
		return sent_or(in, v,
			       emit(in, &(struct lcb_hxin){.type = HXFR_RESIZE_REQ,
							   .x = m->u.resize.width,
							   .y = m->u.resize.height}),
			       why);
	case LCB_WSIN_RELEASE_ALL: release_everything(in, v); return LCB_IN_SENT;
	}
	return LCB_IN_NOOP;
}
