/* One subscriber's input state (HXFR.md §5.10): whether it may send input
 * at all, its rate limit, every key, button and touch point it holds down
 * (so all of them can be released when it goes away, its key dies, it
 * re-subscribes or asks), the pointer's clamping to the scanout, and the
 * wheel's fractions of a notch. Pure: no D-Bus, no sockets; what reaches
 * QEMU goes through the emit callback, so it is unit-tested as it runs.
 * Embedded in its connection (client.c), which owns it. */
#ifndef QE_INPUT_H
#define QE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "hxfr.h"

/* QEMU's InputButton numbers, as org.qemu.Display1.Mouse Press/Release
 * take them (qapi/ui.json's enum order). */
enum qe_qemu_button {
	QE_BTN_LEFT = 0,
	QE_BTN_MIDDLE = 1,
	QE_BTN_RIGHT = 2,
	QE_BTN_WHEEL_UP = 3,
	QE_BTN_WHEEL_DOWN = 4,
	QE_BTN_SIDE = 5,
	QE_BTN_EXTRA = 6,
	QE_BTN_WHEEL_LEFT = 7,
	QE_BTN_WHEEL_RIGHT = 8,
};

/* leasecast's policy (HXFR.md §5.10): events per second and burst. */
#define QE_INPUT_RATE_PER_S 2000u
#define QE_INPUT_BURST_EVENTS 4000u

/* What the state asks QEMU to do: one Keyboard, Mouse or MultiTouch call. */
enum qe_input_call {
	QE_CALL_KEY,    /* code = QEMU key number, down */
	QE_CALL_BUTTON, /* code = enum qe_qemu_button, down */
	QE_CALL_ABS,    /* x, y in scanout pixels, already clamped */
	QE_CALL_REL,    /* x, y = dx, dy */
	QE_CALL_TOUCH,  /* touch_kind, slot, x, y (clamped) */
};

struct qe_input_event {
	enum qe_input_call call;
	uint32_t code;
	bool down;
	int32_t x, y;
	uint8_t touch_kind;
	uint32_t slot;
};

/* Sends ev to scanout's console. must: a release (or a touch end) that
 * the guest needs whatever the load, the sink sends it even past its
 * bound (there are at most as many as were pressed). Returns false when a
 * call that is not a must was dropped (the sink is full), so the state
 * does not record a press QEMU never saw. */
typedef bool (*qe_input_emit_fn)(void *data, uint32_t scanout, const struct qe_input_event *ev,
				 bool must);

/* Why a message did nothing; each maps to the ERROR of HXFR.md §5.10. */
enum qe_input_verdict {
	QE_INPUT_OK = 0,
	QE_INPUT_NO_RIGHT,       /* INPUT not asked for / not offered: ERROR 5 */
	QE_INPUT_NOT_SUBSCRIBED, /* no keyed subscription: ERROR 12 */
	QE_INPUT_FORGED,         /* another scanout: ERROR 12 and close */
	QE_INPUT_RATE,           /* over the bucket: dropped, counted */
	QE_INPUT_BUSY,           /* QEMU's calls in flight at their bound: dropped */
	QE_INPUT_BAD_CODE,       /* no QEMU number for the code: ERROR 11 */
	QE_INPUT_UNSUPPORTED,    /* e.g. touch without MultiTouch: ERROR 8 */
};

struct qe_input_counters {
	uint64_t forwarded, rate_dropped, busy_dropped, clamped, bad_code, stale_release;
};

struct qe_input {
	/* The scanout (and QEMU instance) its presses went to: releases go
	 * there even after the subscription moved on. */
	uint32_t scanout;
	uint64_t generation;
	uint8_t keys[(HXFR_KEY_CODE_MAX + 1 + 7) / 8]; /* by evdev code */
	uint8_t buttons;                               /* bit (code - BTN_LEFT) */
	uint16_t touches;                              /* bit slot */
	int32_t touch_x[HXFR_TOUCH_MAX_SLOTS], touch_y[HXFR_TOUCH_MAX_SLOTS];
	int32_t wheel_rem_x, wheel_rem_y; /* 1/120 notch, |rem| < 120 */
	/* token bucket, in millitokens so integer arithmetic stays exact */
	uint64_t tokens_milli;
	uint64_t refill_ns;
	bool bucket_started;
	uint64_t last_limit_error_ns;
	bool limit_error_sent;
	struct qe_input_counters n;
};

void qe_input_init(struct qe_input *in);

/* Who may send input (the table of HXFR.md §5.10). asked: HELLO asked
 * for INPUT (the server always offers it); keyed/subscribed: a live
 * SUBSCRIBE_KEYED of sub_scanout; session_id: the message's scanout. */
enum qe_input_verdict qe_input_rights(bool asked, bool subscribed, bool keyed, uint32_t sub_scanout,
				      uint16_t session_id);

/* Takes one token at now_ns; false when the bucket is empty (counted). */
bool qe_input_take_token(struct qe_input *in, uint64_t now_ns);
/* After a QE_INPUT_RATE or _BUSY: true at most once a second, when the
 * caller should tell the client (ERROR 10). */
bool qe_input_limit_error_due(struct qe_input *in, uint64_t now_ns);

/* One INPUT_* message (the rights and the token already checked) for
 * scanout, whose picture is width x height now (0x0: unknown, pointer
 * positions then go through as 0,0), on QEMU instance generation.
 * touch_slots: how many MultiTouch slots the console has (0: none). */
enum qe_input_verdict qe_input_handle(struct qe_input *in, const struct hxfr_msg *msg,
				      uint32_t scanout, uint64_t generation, uint32_t width,
				      uint32_t height, unsigned touch_slots, qe_input_emit_fn emit,
				      void *data);

/* Releases every key and button held and ends every touch point begun,
 * on the scanout they went to; skipped when QEMU has been replaced since
 * (generation differs: the new instance has nothing down). */
void qe_input_release_all(struct qe_input *in, uint64_t generation, qe_input_emit_fn emit,
			  void *data);
/* Anything held down? */
bool qe_input_holds(const struct qe_input *in);

#endif
