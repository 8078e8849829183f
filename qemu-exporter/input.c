#include "input.h"

#include <string.h>

#include "qemu_keymap.h"

#define NS_PER_SEC 1000000000ull
#define MILLI 1000ull

void qe_input_init(struct qe_input *in)
{
	*in = (struct qe_input){0};
}

enum qe_input_verdict qe_input_rights(bool asked, bool subscribed, bool keyed, uint32_t sub_scanout,
				      uint16_t session_id)
{
	if (!asked)
		return QE_INPUT_NO_RIGHT;
	/* Plain SUBSCRIBE (Helix v1) watches without a key: it never controls. */
	if (!subscribed || !keyed)
		return QE_INPUT_NOT_SUBSCRIBED;
	if (sub_scanout != session_id)
		return QE_INPUT_FORGED;
	return QE_INPUT_OK;
}

bool qe_input_take_token(struct qe_input *in, uint64_t now_ns)
{
	const uint64_t cap = (uint64_t)QE_INPUT_BURST_EVENTS * MILLI;
	if (!in->bucket_started) {
		in->bucket_started = true;
		in->tokens_milli = cap;
		in->refill_ns = now_ns;
	} else if (now_ns > in->refill_ns) {
		/* QE_INPUT_RATE_PER_S tokens a second = that many millitokens a millisecond;
		 * whole milliseconds only, the rest carries over in refill_ns. */
		uint64_t ms = (now_ns - in->refill_ns) / 1000000ull;
		uint64_t add = ms * QE_INPUT_RATE_PER_S;
		in->refill_ns += ms * 1000000ull;
		in->tokens_milli = add >= cap - in->tokens_milli ? cap : in->tokens_milli + add;
	}
	if (in->tokens_milli < MILLI) {
		in->n.rate_dropped++;
		return false;
	}
	in->tokens_milli -= MILLI;
	return true;
}

bool qe_input_limit_error_due(struct qe_input *in, uint64_t now_ns)
{
	if (in->limit_error_sent && now_ns - in->last_limit_error_ns < NS_PER_SEC)
		return false;
	in->limit_error_sent = true;
	in->last_limit_error_ns = now_ns;
	return true;
}

static bool key_held(const struct qe_input *in, uint16_t code)
{
	return in->keys[code / 8] & (1u << (code % 8));
}

static void key_set(struct qe_input *in, uint16_t code, bool down)
{
	if (down)
		in->keys[code / 8] |= (uint8_t)(1u << (code % 8));
	else
		in->keys[code / 8] &= (uint8_t) ~(1u << (code % 8));
}

/* Linux BTN_* (0x110 + i) to QEMU's InputButton; -1 where QEMU has none
 * (BTN_FORWARD, BTN_BACK, BTN_TASK). */
static int qemu_button(uint16_t code)
{
	static const int map[] = {
		QE_BTN_LEFT,   /* BTN_LEFT */
		QE_BTN_RIGHT,  /* BTN_RIGHT */
		QE_BTN_MIDDLE, /* BTN_MIDDLE */
		QE_BTN_SIDE,   /* BTN_SIDE */
		QE_BTN_EXTRA,  /* BTN_EXTRA */
		-1,
		-1,
		-1,
	};
	return map[code - HXFR_BUTTON_CODE_MIN];
}

static int32_t clamp(struct qe_input *in, int32_t v, uint32_t size)
{
	int32_t max = size > 0 ? (int32_t)(size - 1) : 0;
	if (v < 0 || v > max) {
		in->n.clamped++;
		return v < 0 ? 0 : max;
	}
	return v;
}

static bool send(struct qe_input *in, qe_input_emit_fn emit, void *data,
		 const struct qe_input_event *ev, bool must)
{
	if (!emit(data, in->scanout, ev, must)) {
		in->n.busy_dropped++;
		return false;
	}
	in->n.forwarded++;
	return true;
}

static enum qe_input_verdict handle_key(struct qe_input *in, const struct hxfr_input_key *k,
					qe_input_emit_fn emit, void *data)
{
	uint32_t qnum = qe_keymap_qnum(k->code);
	if (!qnum) {
		in->n.bad_code++;
		return QE_INPUT_BAD_CODE;
	}
	if (!k->down && !key_held(in, k->code)) {
		/* Not ours to release (§5.10: it may be another connection's). */
		in->n.stale_release++;
		return QE_INPUT_OK;
	}
	struct qe_input_event ev = {.call = QE_CALL_KEY, .code = qnum, .down = k->down};
	if (!send(in, emit, data, &ev, !k->down))
		return QE_INPUT_BUSY;
	key_set(in, k->code, k->down);
	return QE_INPUT_OK;
}

static enum qe_input_verdict handle_button(struct qe_input *in, const struct hxfr_input_key *b,
					   qe_input_emit_fn emit, void *data)
{
	int btn = qemu_button(b->code);
	if (btn < 0) {
		in->n.bad_code++;
		return QE_INPUT_BAD_CODE;
	}
	uint8_t bit = (uint8_t)(1u << (b->code - HXFR_BUTTON_CODE_MIN));
	if (!b->down && !(in->buttons & bit)) {
		in->n.stale_release++;
		return QE_INPUT_OK;
	}
	struct qe_input_event ev = {.call = QE_CALL_BUTTON, .code = (uint32_t)btn, .down = b->down};
	if (!send(in, emit, data, &ev, !b->down))
		return QE_INPUT_BUSY;
	if (b->down)
		in->buttons |= bit;
	else
		in->buttons &= (uint8_t)~bit;
	return QE_INPUT_OK;
}

/* Whole notches of one axis as wheel-button clicks, the remainder kept
 * (QEMU's Mouse knows no finer step). */
static enum qe_input_verdict wheel_axis(struct qe_input *in, int32_t *rem, int32_t delta,
					uint32_t btn_neg, uint32_t btn_pos, qe_input_emit_fn emit,
					void *data)
{
	*rem += delta; /* |rem| < 120 and |delta| <= 12000: no overflow */
	int32_t notches = *rem / HXFR_WHEEL_NOTCH;
	*rem %= HXFR_WHEEL_NOTCH;
	uint32_t btn = notches < 0 ? btn_neg : btn_pos;
	for (int32_t i = notches < 0 ? -notches : notches; i > 0; i--) {
		struct qe_input_event ev = {.call = QE_CALL_BUTTON, .code = btn, .down = true};
		if (!send(in, emit, data, &ev, false))
			return QE_INPUT_BUSY; /* the notches left are lost with the load */
		ev.down = false;
		send(in, emit, data, &ev, true);
	}
	return QE_INPUT_OK;
}

static enum qe_input_verdict handle_touch(struct qe_input *in, const struct hxfr_input_touch *t,
					  uint32_t width, uint32_t height, unsigned touch_slots,
					  qe_input_emit_fn emit, void *data)
{
	if (touch_slots == 0)
		return QE_INPUT_UNSUPPORTED;
	if (t->slot >= touch_slots) {
		in->n.bad_code++;
		return QE_INPUT_BAD_CODE;
	}
	uint16_t bit = (uint16_t)(1u << t->slot);
	bool ending = t->kind == HXFR_TOUCH_END || t->kind == HXFR_TOUCH_CANCEL;
	if (t->kind != HXFR_TOUCH_BEGIN && !(in->touches & bit)) {
		in->n.stale_release++;
		return QE_INPUT_OK;
	}
	struct qe_input_event ev = {.call = QE_CALL_TOUCH,
				    .touch_kind = t->kind,
				    .slot = t->slot,
				    .x = clamp(in, t->x, width),
				    .y = clamp(in, t->y, height)};
	if (!send(in, emit, data, &ev, ending))
		return QE_INPUT_BUSY;
	if (ending) {
		in->touches &= (uint16_t)~bit;
	} else {
		in->touches |= bit;
		in->touch_x[t->slot] = ev.x;
		in->touch_y[t->slot] = ev.y;
	}
	return QE_INPUT_OK;
}

enum qe_input_verdict qe_input_handle(struct qe_input *in, const struct hxfr_msg *msg,
				      uint32_t scanout, uint64_t generation, uint32_t width,
				      uint32_t height, unsigned touch_slots, qe_input_emit_fn emit,
				      void *data)
{
	/* Presses made on another scanout or QEMU are let go before anything
	 * goes to this one (the owner normally did so on re-subscribing). */
	if (scanout != in->scanout || generation != in->generation) {
		qe_input_release_all(in, generation, emit, data);
		in->scanout = scanout;
		in->generation = generation;
		in->wheel_rem_x = in->wheel_rem_y = 0;
	}
	const struct hxfr_input_xy *xy = &msg->u.input_xy;
	switch (msg->hdr.type) {
	case HXFR_INPUT_KEY: return handle_key(in, &msg->u.input_key, emit, data);
	case HXFR_INPUT_BUTTON: return handle_button(in, &msg->u.input_key, emit, data);
	case HXFR_INPUT_ABS: {
		struct qe_input_event ev = {.call = QE_CALL_ABS,
					    .x = clamp(in, xy->x, width),
					    .y = clamp(in, xy->y, height)};
		return send(in, emit, data, &ev, false) ? QE_INPUT_OK : QE_INPUT_BUSY;
	}
	case HXFR_INPUT_REL: {
		if (xy->x == 0 && xy->y == 0)
			return QE_INPUT_OK;
		struct qe_input_event ev = {.call = QE_CALL_REL, .x = xy->x, .y = xy->y};
		return send(in, emit, data, &ev, false) ? QE_INPUT_OK : QE_INPUT_BUSY;
	}
	case HXFR_INPUT_WHEEL: {
		/* y > 0 is down (towards the user), x > 0 right (§5.10.2). */
		enum qe_input_verdict v = wheel_axis(in, &in->wheel_rem_y, xy->y, QE_BTN_WHEEL_UP,
						     QE_BTN_WHEEL_DOWN, emit, data);
		if (v != QE_INPUT_OK)
			return v;
		return wheel_axis(in, &in->wheel_rem_x, xy->x, QE_BTN_WHEEL_LEFT,
				  QE_BTN_WHEEL_RIGHT, emit, data);
	}
	case HXFR_INPUT_TOUCH:
		return handle_touch(in, &msg->u.input_touch, width, height, touch_slots, emit,
				    data);
	case HXFR_INPUT_RELEASE_ALL:
		qe_input_release_all(in, generation, emit, data);
		return QE_INPUT_OK;
	default: return QE_INPUT_UNSUPPORTED;
	}
}

bool qe_input_holds(const struct qe_input *in)
{
	if (in->buttons || in->touches)
		return true;
	for (size_t i = 0; i < sizeof(in->keys); i++)
		if (in->keys[i])
			return true;
	return false;
}

void qe_input_release_all(struct qe_input *in, uint64_t generation, qe_input_emit_fn emit,
			  void *data)
{
	bool same_qemu = generation == in->generation;
	for (uint16_t code = 0; code <= HXFR_KEY_CODE_MAX; code++) {
		if (!key_held(in, code))
			continue;
		key_set(in, code, false);
		struct qe_input_event ev = {
			.call = QE_CALL_KEY, .code = qe_keymap_qnum(code), .down = false};
		if (same_qemu)
			send(in, emit, data, &ev, true);
	}
	for (uint16_t i = 0; i < 8; i++) {
		if (!(in->buttons & (1u << i)))
			continue;
		struct qe_input_event ev = {
			.call = QE_CALL_BUTTON,
			.code = (uint32_t)qemu_button((uint16_t)(HXFR_BUTTON_CODE_MIN + i)),
			.down = false};
		if (same_qemu)
			send(in, emit, data, &ev, true);
	}
	in->buttons = 0;
	for (uint32_t s = 0; s < HXFR_TOUCH_MAX_SLOTS; s++) {
		if (!(in->touches & (1u << s)))
			continue;
		struct qe_input_event ev = {.call = QE_CALL_TOUCH,
					    .touch_kind = HXFR_TOUCH_END,
					    .slot = s,
					    .x = in->touch_x[s],
					    .y = in->touch_y[s]};
		if (same_qemu)
			send(in, emit, data, &ev, true);
	}
	in->touches = 0;
}
