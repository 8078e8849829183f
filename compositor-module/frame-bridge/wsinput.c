#include "wsinput.h"

#include <math.h>
#include <string.h>

static uint16_t rd_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Helix puts its floats little-endian (unlike everything else). */
static float rd_lef32(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	float f;
	memcpy(&f, &v, sizeof(f));
	return f;
}

bool lcb_wsin_is_input(uint8_t type)
{
	switch (type) {
	case LCB_WSIN_T_KEY:
	case LCB_WSIN_T_MOUSE:
	case LCB_WSIN_T_ABS:
	case LCB_WSIN_T_REL:
	case LCB_WSIN_T_TOUCH:
	case LCB_WSIN_T_RESIZE:
	case LCB_WSIN_T_RELEASE_ALL: return true;
	default: return false;
	}
}

const char *lcb_wsin_status_name(enum lcb_wsin_status s)
{
	switch (s) {
	case LCB_WSIN_OK: return "ok";
	case LCB_WSIN_NOT_INPUT: return "not an input message";
	case LCB_WSIN_E_TRUNCATED: return "truncated";
	case LCB_WSIN_E_OVERSIZE: return "oversized";
	case LCB_WSIN_E_SUBTYPE: return "unknown subtype";
	case LCB_WSIN_E_RANGE: return "value out of range";
	}
	return "?";
}

static enum lcb_wsin_status size_is(size_t len, size_t want)
{
	return len < want ? LCB_WSIN_E_TRUNCATED : len > want ? LCB_WSIN_E_OVERSIZE : LCB_WSIN_OK;
}

static bool wheel_ok(float v)
{
	return isfinite(v) && fabsf(v) <= LCB_WSIN_WHEEL_MAX;
}

/* Touch positions are fractions of the picture; a finger dragged off the
 * page edge is fine (clamped later), a wild value is not. */
static bool frac_ok(float v)
{
	return isfinite(v) && v >= -1.0f && v <= 2.0f;
}

#define FAIL(st, text)                 \
	do {                           \
		if (why)               \
			*why = (text); \
		return (st);           \
	} while (0)
#define SIZE(want, text)                                        \
	do {                                                    \
		enum lcb_wsin_status s_ = size_is(len, (want)); \
		if (s_ != LCB_WSIN_OK)                          \
			FAIL(s_, text);                         \
	} while (0)

enum lcb_wsin_status lcb_wsin_decode(const uint8_t *m, size_t len, struct lcb_wsin *out,
				     const char **why)
{
	if (why)
		*why = "";
	if (len == 0)
		FAIL(LCB_WSIN_E_TRUNCATED, "empty message");
	memset(out, 0, sizeof(*out));
	switch (m[0]) {
	case LCB_WSIN_T_KEY:
		if (len >= 2 && m[1] != 0)
			FAIL(LCB_WSIN_E_SUBTYPE,
			     "Key: only subtype 0 (evdev code) is taken, not keysyms");
		SIZE(6, "Key is 6 bytes: type, sub 0, down, mods, u16 evdev code");
		if (m[2] > 1)
			FAIL(LCB_WSIN_E_RANGE, "Key: down must be 0 or 1");
		out->kind = LCB_WSIN_KEY;
		out->u.key.down = m[2];
		out->u.key.mods = m[3];
		out->u.key.code = rd_be16(m + 4);
		if (out->u.key.code == 0 || out->u.key.code > LCB_WSIN_KEY_MAX)
			FAIL(LCB_WSIN_E_RANGE, "Key: evdev code must be 1..0x2ff");
		return LCB_WSIN_OK;
	case LCB_WSIN_T_MOUSE:
		if (len < 2)
			FAIL(LCB_WSIN_E_TRUNCATED, "Mouse: no subtype");
		switch (m[1]) {
		case 2:
			SIZE(4, "Mouse button is 4 bytes: type, 2, down, button");
			if (m[2] > 1)
				FAIL(LCB_WSIN_E_RANGE, "Mouse button: down must be 0 or 1");
			if (m[3] < LCB_WSIN_BUTTON_MIN || m[3] > LCB_WSIN_BUTTON_MAX)
				FAIL(LCB_WSIN_E_RANGE, "Mouse button: button must be 1..5");
			out->kind = LCB_WSIN_BUTTON;
			out->u.button.down = m[2];
			out->u.button.button = m[3];
			return LCB_WSIN_OK;
		case 3:
			SIZE(10, "Mouse wheel is 10 bytes: type, 3, f32 LE dx, f32 LE dy");
			out->kind = LCB_WSIN_WHEEL;
			out->u.wheel.dx = rd_lef32(m + 2);
			out->u.wheel.dy = rd_lef32(m + 6);
			if (!wheel_ok(out->u.wheel.dx) || !wheel_ok(out->u.wheel.dy))
				FAIL(LCB_WSIN_E_RANGE,
				     "Mouse wheel: each delta finite and within +-12000");
			return LCB_WSIN_OK;
		case 4:
			SIZE(4, "Mouse wheel notches is 4 bytes: type, 4, i8 dx, i8 dy");
			out->kind = LCB_WSIN_WHEEL_NOTCH;
			out->u.notch.dx = (int8_t)m[2];
			out->u.notch.dy = (int8_t)m[3];
			return LCB_WSIN_OK;
		default: FAIL(LCB_WSIN_E_SUBTYPE, "Mouse: subtype must be 2, 3 or 4");
		}
	case LCB_WSIN_T_ABS:
		/* The subtype byte is not checked: Helix's own server ignores it. */
		SIZE(10, "Absolute pointer is 10 bytes: type, sub, i16 x, y, refWidth, refHeight");
		out->kind = LCB_WSIN_ABS;
		out->u.abs.x = (int16_t)rd_be16(m + 2);
		out->u.abs.y = (int16_t)rd_be16(m + 4);
		out->u.abs.ref_w = (int16_t)rd_be16(m + 6);
		out->u.abs.ref_h = (int16_t)rd_be16(m + 8);
		if (out->u.abs.ref_w < 1 || out->u.abs.ref_h < 1)
			FAIL(LCB_WSIN_E_RANGE,
			     "Absolute pointer: refWidth and refHeight must be >= 1");
		return LCB_WSIN_OK;
	case LCB_WSIN_T_REL:
		SIZE(6, "Relative pointer is 6 bytes: type, sub, i16 dx, i16 dy");
		out->kind = LCB_WSIN_REL;
		out->u.rel.dx = (int16_t)rd_be16(m + 2);
		out->u.rel.dy = (int16_t)rd_be16(m + 4);
		return LCB_WSIN_OK;
	case LCB_WSIN_T_TOUCH:
		SIZE(11, "Touch is 11 bytes: type, event, id, f32 LE x, f32 LE y");
		if (m[1] > LCB_WSIN_TOUCH_CANCEL)
			FAIL(LCB_WSIN_E_RANGE, "Touch: event must be 0..3");
		out->kind = LCB_WSIN_TOUCH;
		out->u.touch.event = m[1];
		out->u.touch.id = m[2];
		out->u.touch.x = rd_lef32(m + 3);
		out->u.touch.y = rd_lef32(m + 7);
		if (!frac_ok(out->u.touch.x) || !frac_ok(out->u.touch.y))
			FAIL(LCB_WSIN_E_RANGE, "Touch: x and y are finite fractions (-1..2)");
		return LCB_WSIN_OK;
	case LCB_WSIN_T_RESIZE:
		SIZE(5, "Resize is 5 bytes: type, u16 width, u16 height");
		out->kind = LCB_WSIN_RESIZE;
		out->u.resize.width = rd_be16(m + 1);
		out->u.resize.height = rd_be16(m + 3);
		if (out->u.resize.width < LCB_WSIN_RESIZE_MIN ||
		    out->u.resize.width > LCB_WSIN_RESIZE_MAX ||
		    out->u.resize.height < LCB_WSIN_RESIZE_MIN ||
		    out->u.resize.height > LCB_WSIN_RESIZE_MAX)
			FAIL(LCB_WSIN_E_RANGE, "Resize: width and height must be 64..8192");
		return LCB_WSIN_OK;
	case LCB_WSIN_T_RELEASE_ALL:
		SIZE(1, "ReleaseAll is the type byte alone");
		out->kind = LCB_WSIN_RELEASE_ALL;
		return LCB_WSIN_OK;
	default: FAIL(LCB_WSIN_NOT_INPUT, "not an input message");
	}
}
