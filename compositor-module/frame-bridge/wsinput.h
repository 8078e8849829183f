/* The viewer -> bridge input messages on the WebSocket, decoded strictly
 * (WS.md beside this file): Helix's browser input messages (0x10 Key,
 * 0x11 Mouse button/wheel, 0x12 absolute pointer, 0x13 relative pointer,
 * 0x14 Touch) taken unchanged, and leasecast's own 0x61 Resize and 0x62
 * ReleaseAll, which Helix has none of. Pure: bytes in, one decoded event
 * or a reason out; what the event means upstream is input.c's business.
 * A message is exactly its size: a short one is truncated, a long one
 * oversized; an unknown subtype or a value out of its range is refused. */
#ifndef LCB_WSINPUT_H
#define LCB_WSINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lcb_wsin_type {
	LCB_WSIN_T_KEY = 0x10,
	LCB_WSIN_T_MOUSE = 0x11,
	LCB_WSIN_T_ABS = 0x12,
	LCB_WSIN_T_REL = 0x13,
	LCB_WSIN_T_TOUCH = 0x14,
	LCB_WSIN_T_RESIZE = 0x61,
	LCB_WSIN_T_RELEASE_ALL = 0x62,
};

enum lcb_wsin_kind {
	LCB_WSIN_KEY,
	LCB_WSIN_BUTTON,
	LCB_WSIN_WHEEL,       /* high resolution: CSS pixels, f32 */
	LCB_WSIN_WHEEL_NOTCH, /* steps of LCB_WSIN_WHEEL_STEP_PX, i8 */
	LCB_WSIN_ABS,
	LCB_WSIN_REL,
	LCB_WSIN_TOUCH,
	LCB_WSIN_RESIZE,
	LCB_WSIN_RELEASE_ALL,
};

/* Helix's button numbers. */
#define LCB_WSIN_BUTTON_MIN 1 /* left; 2 middle, 3 right, 4 side */
#define LCB_WSIN_BUTTON_MAX 5 /* extra */
#define LCB_WSIN_KEY_MAX 0x2ffu
/* Helix's wheel (its client since 2026-01-22): the browser's sign, y > 0
 * down, x > 0 right; |value| bound as HXFR's. The small form counts steps
 * of 10 px. */
#define LCB_WSIN_WHEEL_MAX 12000.0f
#define LCB_WSIN_WHEEL_STEP_PX 10
#define LCB_WSIN_RESIZE_MIN 64u
#define LCB_WSIN_RESIZE_MAX 8192u

enum lcb_wsin_touch_event {
	LCB_WSIN_TOUCH_DOWN = 0,
	LCB_WSIN_TOUCH_MOVE = 1,
	LCB_WSIN_TOUCH_UP = 2,
	LCB_WSIN_TOUCH_CANCEL = 3, /* leasecast's: the browser's touchcancel */
};

struct lcb_wsin {
	enum lcb_wsin_kind kind;
	union {
		struct {
			uint16_t code; /* Linux evdev KEY_*, 1..0x2ff */
			bool down;
			uint8_t mods; /* Helix's modifier bits: informative only */
		} key;
		struct {
			uint8_t button; /* LCB_WSIN_BUTTON_MIN..MAX */
			bool down;
		} button;
		struct {
			float dx, dy; /* finite, |v| <= LCB_WSIN_WHEEL_MAX; dy > 0 down */
		} wheel;
		struct {
			int8_t dx, dy; /* dy > 0 down */
		} notch;
		struct {
			int16_t x, y;         /* in ref units; may lie off the edge */
			int16_t ref_w, ref_h; /* >= 1 */
		} abs;
		struct {
			int16_t dx, dy;
		} rel;
		struct {
			uint8_t event; /* enum lcb_wsin_touch_event */
			uint8_t id;    /* the page's touch id, not a slot */
			float x, y;    /* finite; 0..1 across the picture, may lie off it */
		} touch;
		struct {
			uint16_t width, height; /* LCB_WSIN_RESIZE_MIN..MAX */
		} resize;
	} u;
};

enum lcb_wsin_status {
	LCB_WSIN_OK = 0,
	LCB_WSIN_NOT_INPUT,   /* the type is not an input message (the caller's) */
	LCB_WSIN_E_TRUNCATED, /* shorter than its type's size */
	LCB_WSIN_E_OVERSIZE,  /* longer than its type's size */
	LCB_WSIN_E_SUBTYPE,   /* a subtype the bridge does not take */
	LCB_WSIN_E_RANGE,     /* a field out of its range */
};

/* Decodes one whole WebSocket binary message. On an error *why (if not
 * NULL) is a static sentence for the viewer and the log. */
enum lcb_wsin_status lcb_wsin_decode(const uint8_t *msg, size_t len, struct lcb_wsin *out,
				     const char **why);
bool lcb_wsin_is_input(uint8_t type);
const char *lcb_wsin_status_name(enum lcb_wsin_status s);

#endif
