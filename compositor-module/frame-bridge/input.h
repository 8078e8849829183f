/* From the viewers' input (wsinput.h) to the exporter's HXFR input
 * (HXFR.md §5.10) for the bridge's one scanout. The bridge is one HXFR
 * connection for all its viewers, so the exporter's own pressed-state
 * bookkeeping sees only the sum; this module keeps it per viewer:
 *
 * - every key, button and touch point a viewer pressed is remembered, with
 *   a count of the viewers holding each key and button, so that viewer A
 *   leaving (or sending ReleaseAll) releases only what A pressed, and a
 *   key two viewers hold stays down until both let go;
 * - touch ids of each page map to the exporter's 10 slots;
 * - when the last control viewer goes, RELEASE_ALL goes upstream;
 * - view-only viewers are refused; each viewer has a token bucket;
 * - upstream back-pressure (the send queue full, -ENOBUFS) never loses a
 *   release: releases are owed and sent first when there is room; motion
 *   is coalesced (the newest absolute position, the sum of relative and
 *   wheel deltas); a press that cannot go out is dropped (and not
 *   remembered, so its release is not owed either).
 *
 * Pure (no I/O, time passed in); one per bridge, owned by it; the viewer
 * records are embedded in the bridge's viewers. */
#ifndef LCB_INPUT_H
#define LCB_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "wsinput.h"

#define LCB_INPUT_KEYS 0x300u
#define LCB_INPUT_SLOTS 10u
/* Per viewer: sustained events per second and burst. Releases are free. */
#define LCB_INPUT_RATE 1000.0
#define LCB_INPUT_BURST 2000.0

/* One HXFR input message for the bridge's scanout. */
struct lcb_hxin {
	uint8_t type;  /* HXFR_INPUT_* or HXFR_RESIZE_REQ */
	uint16_t code; /* KEY: evdev KEY_*, BUTTON: BTN_* */
	bool down;
	uint8_t kind;  /* TOUCH: enum hxfr_touch_kind */
	uint32_t slot; /* TOUCH */
	int32_t x, y; /* ABS/TOUCH pixels, REL pixels, WHEEL 1/120 notch (y > 0 down), RESIZE w/h */
};

/* Queues e upstream: 0; -ENOBUFS: no room now (try again after the next
 * lcb_input_flush); any other negative: not sent and never will be (no
 * upstream connection, or the exporter takes no input). */
typedef int (*lcb_input_send_fn)(void *data, const struct lcb_hxin *e);

struct lcb_input_counters {
	uint64_t forwarded, view_only, rate_limited, busy_dropped, refused, unavailable;
};

struct lcb_input_viewer {
	bool joined, control;
	unsigned gen; /* the upstream connection its state belongs to */
	uint8_t keys[LCB_INPUT_KEYS / 8];
	uint8_t buttons;    /* bit n: Helix button n held */
	uint8_t touch[256]; /* the page's touch id -> slot + 1; 0: none */
	double tokens;
	int64_t refill_us;
	struct lcb_input_counters c;
};

enum lcb_input_result {
	LCB_IN_SENT,      /* queued upstream */
	LCB_IN_NOOP,      /* nothing to send (a key another viewer holds, a release of nothing) */
	LCB_IN_OWED,      /* a release or motion kept for when upstream has room */
	LCB_IN_VIEW_ONLY, /* this viewer may not control */
	LCB_IN_RATE_LIMITED,
	LCB_IN_BUSY,        /* upstream full: a press or touch dropped */
	LCB_IN_REFUSED,     /* touch slots full, unknown touch id, no picture size yet */
	LCB_IN_UNAVAILABLE, /* no upstream, or it takes no input */
};

struct lcb_input {
	lcb_input_send_fn send;
	void *data;
	uint32_t width, height; /* the picture's size; 0 until known */
	unsigned gen, n_control;
	uint16_t key_refs[LCB_INPUT_KEYS];
	uint16_t button_refs[LCB_WSIN_BUTTON_MAX + 1];
	struct lcb_input_viewer *slot_owner[LCB_INPUT_SLOTS];
	/* Owed upstream, in this order. */
	bool owe_release_all;
	uint8_t owe_key_up[LCB_INPUT_KEYS / 8];
	uint8_t owe_button_up;
	uint16_t owe_touch_end;                  /* bit per slot */
	uint8_t owe_touch_kind[LCB_INPUT_SLOTS]; /* END or CANCEL */
	bool owe_abs, owe_rel, owe_wheel;
	int32_t abs_x, abs_y, rel_x, rel_y, wheel_x, wheel_y;
	struct lcb_input_counters total;
};

void lcb_input_init(struct lcb_input *in, lcb_input_send_fn send, void *data);
void lcb_input_set_size(struct lcb_input *in, uint32_t width, uint32_t height);
/* The upstream connection was lost or replaced: the exporter released
 * everything it held for it, so nothing is held or owed any more. */
void lcb_input_upstream_reset(struct lcb_input *in);
/* Sends what is owed; true when nothing is owed any more. */
bool lcb_input_flush(struct lcb_input *in);

void lcb_input_viewer_join(struct lcb_input *in, struct lcb_input_viewer *v, bool control,
			   int64_t now_us);
/* Releases what v holds; the last control viewer's leave sends RELEASE_ALL. */
void lcb_input_viewer_leave(struct lcb_input *in, struct lcb_input_viewer *v);

/* One decoded message from v. *why (if not NULL) says why for the results
 * from VIEW_ONLY on. */
enum lcb_input_result lcb_input_handle(struct lcb_input *in, struct lcb_input_viewer *v,
				       const struct lcb_wsin *m, int64_t now_us, const char **why);

/* Helix's button number (1..5) -> Linux BTN_*; 0 for anything else. */
uint16_t lcb_input_btn_code(uint8_t helix_button);

#endif
