/* A subscriber's input state (qemu-exporter/input.c) and the evdev -> QEMU
 * key table: known keys map to their AT set 1 numbers (extended ones at
 * 0x80 | code), unknown ones are refused and never forwarded; the rights
 * table; the token bucket's rate and burst; every press is released by
 * release_all (and only once), a release of a key not held is dropped;
 * wheel notches come out whole with the remainder kept, in both
 * directions; pointer and touch positions are clamped and counted; a
 * sink that is full refuses presses but never releases. The sink is a
 * recorder standing where QEMU's D-Bus calls go. */
#include <stdlib.h>

#include "check.h"
#include "hxfr.h"
#include "input.h"
#include "qemu_keymap.h"

#define MAX_EVENTS 512

struct recorder {
	struct qe_input_event ev[MAX_EVENTS];
	uint32_t scanout[MAX_EVENTS];
	bool must[MAX_EVENTS];
	unsigned n;
	unsigned room; /* non-must events it still takes */
};

static bool record(void *data, uint32_t scanout, const struct qe_input_event *ev, bool must)
{
	struct recorder *r = data;
	if (!must && r->room == 0)
		return false;
	if (!must)
		r->room--;
	if (r->n < MAX_EVENTS) {
		r->ev[r->n] = *ev;
		r->scanout[r->n] = scanout;
		r->must[r->n] = must;
		r->n++;
	}
	return true;
}

static struct hxfr_msg key(uint16_t type, uint16_t code, bool down)
{
	struct hxfr_msg m = {.hdr = {.type = type, .session_id = 3}};
	m.u.input_key.code = code;
	m.u.input_key.down = down;
	return m;
}

static struct hxfr_msg xy(uint16_t type, int32_t x, int32_t y)
{
	struct hxfr_msg m = {.hdr = {.type = type, .session_id = 3}};
	m.u.input_xy.x = x;
	m.u.input_xy.y = y;
	return m;
}

static enum qe_input_verdict feed(struct qe_input *in, struct recorder *r, struct hxfr_msg m)
{
	return qe_input_handle(in, &m, 3, 1, 1920, 1080, 0, record, r);
}

static void test_keymap(void)
{
	CHECK_EQ(qe_keymap_qnum(30), 0x1e);  /* KEY_A */
	CHECK_EQ(qe_keymap_qnum(1), 0x01);   /* KEY_ESC */
	CHECK_EQ(qe_keymap_qnum(28), 0x1c);  /* KEY_ENTER */
	CHECK_EQ(qe_keymap_qnum(57), 0x39);  /* KEY_SPACE */
	CHECK_EQ(qe_keymap_qnum(88), 0x58);  /* KEY_F12 */
	CHECK_EQ(qe_keymap_qnum(96), 0x9c);  /* KEY_KPENTER, e0 1c */
	CHECK_EQ(qe_keymap_qnum(97), 0x9d);  /* KEY_RIGHTCTRL, e0 1d */
	CHECK_EQ(qe_keymap_qnum(100), 0xb8); /* KEY_RIGHTALT, e0 38 */
	CHECK_EQ(qe_keymap_qnum(103), 0xc8); /* KEY_UP, e0 48 */
	CHECK_EQ(qe_keymap_qnum(108), 0xd0); /* KEY_DOWN, e0 50 */
	CHECK_EQ(qe_keymap_qnum(111), 0xd3); /* KEY_DELETE, e0 53 */
	CHECK_EQ(qe_keymap_qnum(125), 0xdb); /* KEY_LEFTMETA, e0 5b */
	CHECK_EQ(qe_keymap_qnum(127), 0xdd); /* KEY_COMPOSE, e0 5d */
	CHECK_EQ(qe_keymap_qnum(0), 0);      /* KEY_RESERVED */
	CHECK_EQ(qe_keymap_qnum(84), 0);     /* unassigned */
	CHECK_EQ(qe_keymap_qnum(122), 0);    /* KEY_HANGEUL: no set 1 scancode */
	CHECK_EQ(qe_keymap_qnum(0x2ff), 0);
	CHECK_EQ(qe_keymap_qnum(0xffff), 0);
	/* No two evdev codes share a QEMU number: the guest could not tell
	 * them apart. */
	static uint16_t owner[256];
	bool unique = true;
	for (uint16_t c = 1; c <= HXFR_KEY_CODE_MAX; c++) {
		uint32_t q = qe_keymap_qnum(c);
		if (!q)
			continue;
		if (q > 0xff || owner[q]) {
			fprintf(stderr, "    evdev %u and %u both map to 0x%x\n", owner[q], c, q);
			unique = false;
		}
		if (q <= 0xff)
			owner[q] = c;
	}
	CHECK(unique);
}

static void test_rights(void)
{
	CHECK_EQ(qe_input_rights(false, true, true, 3, 3), QE_INPUT_NO_RIGHT);
	CHECK_EQ(qe_input_rights(true, false, false, 0, 3), QE_INPUT_NOT_SUBSCRIBED);
	/* Helix v1 SUBSCRIBE without a key watches, never controls. */
	CHECK_EQ(qe_input_rights(true, true, false, 3, 3), QE_INPUT_NOT_SUBSCRIBED);
	CHECK_EQ(qe_input_rights(true, true, true, 3, 4), QE_INPUT_FORGED);
	CHECK_EQ(qe_input_rights(true, true, true, 3, 3), QE_INPUT_OK);
}

static void test_bucket(void)
{
	struct qe_input in;
	qe_input_init(&in);
	uint64_t t = 5000000000ull;
	unsigned taken = 0;
	while (qe_input_take_token(&in, t) && taken < 10000)
		taken++;
	CHECK_EQ(taken, QE_INPUT_BURST_EVENTS); /* the burst, at one instant */
	CHECK_EQ(in.n.rate_dropped, 1);
	/* 10 ms later: 20 more at 2000/s, not one more. */
	t += 10000000ull;
	taken = 0;
	while (qe_input_take_token(&in, t))
		taken++;
	CHECK_EQ(taken, 20);
	/* A long pause refills to the burst, not beyond. */
	t += 3600ull * 1000000000ull;
	taken = 0;
	while (qe_input_take_token(&in, t) && taken < 10000)
		taken++;
	CHECK_EQ(taken, QE_INPUT_BURST_EVENTS);
	/* The limit's ERROR at most once a second. */
	CHECK(qe_input_limit_error_due(&in, t));
	CHECK(!qe_input_limit_error_due(&in, t + 999999999ull));
	CHECK(qe_input_limit_error_due(&in, t + 1000000000ull));
}

static void test_pressed_set(void)
{
	struct qe_input in;
	struct recorder r = {.room = 1000};
	qe_input_init(&in);
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, true)), QE_INPUT_OK);  /* A down */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 97, true)), QE_INPUT_OK);  /* RCTRL down */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, true)), QE_INPUT_OK);  /* repeat: sent */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 31, false)), QE_INPUT_OK); /* S not held */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_BUTTON, 0x110, true)), QE_INPUT_OK);
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_BUTTON, 0x111, true)), QE_INPUT_OK);
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_BUTTON, 0x111, false)), QE_INPUT_OK);
	CHECK_EQ(r.n, 6); /* the stray release of S went nowhere */
	CHECK_EQ(in.n.stale_release, 1);
	CHECK_EQ(r.ev[0].call, QE_CALL_KEY);
	CHECK_EQ(r.ev[0].code, 0x1e);
	CHECK(r.ev[0].down);
	CHECK_EQ(r.ev[1].code, 0x9d);
	CHECK_EQ(r.ev[3].call, QE_CALL_BUTTON);
	CHECK_EQ(r.ev[3].code, QE_BTN_LEFT);
	CHECK_EQ(r.ev[4].code, QE_BTN_RIGHT);
	CHECK(!r.ev[5].down);
	CHECK(r.must[5]); /* releases are musts */
	CHECK(qe_input_holds(&in));

	/* Unknown key and a button QEMU lacks: refused, never forwarded. */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 84, true)), QE_INPUT_BAD_CODE);
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_BUTTON, 0x117, true)), QE_INPUT_BAD_CODE);
	CHECK_EQ(r.n, 6);

	/* Everything held comes up, once, on the scanout it went to. */
	r.n = 0;
	qe_input_release_all(&in, 1, record, &r);
	CHECK_EQ(r.n, 3);
	bool a = false, rctrl = false, left = false;
	for (unsigned i = 0; i < r.n; i++) {
		CHECK(!r.ev[i].down);
		CHECK(r.must[i]);
		CHECK_EQ(r.scanout[i], 3);
		a |= r.ev[i].call == QE_CALL_KEY && r.ev[i].code == 0x1e;
		rctrl |= r.ev[i].call == QE_CALL_KEY && r.ev[i].code == 0x9d;
		left |= r.ev[i].call == QE_CALL_BUTTON && r.ev[i].code == QE_BTN_LEFT;
	}
	CHECK(a && rctrl && left);
	CHECK(!qe_input_holds(&in));
	r.n = 0;
	qe_input_release_all(&in, 1, record, &r);
	CHECK_EQ(r.n, 0);

	/* After QEMU was replaced, the new instance has nothing down. */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, true)), QE_INPUT_OK);
	r.n = 0;
	qe_input_release_all(&in, 2, record, &r);
	CHECK_EQ(r.n, 0);
	CHECK(!qe_input_holds(&in));

	/* A press for another scanout first lets go of this one's. */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, true)), QE_INPUT_OK);
	r.n = 0;
	struct hxfr_msg m = key(HXFR_INPUT_KEY, 48, true);
	CHECK_EQ(qe_input_handle(&in, &m, 4, 1, 1920, 1080, 0, record, &r), QE_INPUT_OK);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.scanout[0], 3);
	CHECK(!r.ev[0].down);
	CHECK_EQ(r.scanout[1], 4);
	CHECK(r.ev[1].down);

	/* RELEASE_ALL as a message. */
	r.n = 0;
	m = (struct hxfr_msg){.hdr = {.type = HXFR_INPUT_RELEASE_ALL, .session_id = 4}};
	CHECK_EQ(qe_input_handle(&in, &m, 4, 1, 1920, 1080, 0, record, &r), QE_INPUT_OK);
	CHECK_EQ(r.n, 1);
	CHECK(!qe_input_holds(&in));
}

static void test_full_sink(void)
{
	struct qe_input in;
	struct recorder r = {.room = 1};
	qe_input_init(&in);
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, true)), QE_INPUT_OK);
	/* Full: the press is dropped and not recorded as held... */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 31, true)), QE_INPUT_BUSY);
	CHECK_EQ(in.n.busy_dropped, 1);
	/* ...but a release of a held key always goes. */
	CHECK_EQ(feed(&in, &r, key(HXFR_INPUT_KEY, 30, false)), QE_INPUT_OK);
	CHECK_EQ(r.n, 2);
	CHECK(!qe_input_holds(&in));
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_ABS, 1, 1)), QE_INPUT_BUSY);
}

static unsigned count_button(const struct recorder *r, uint32_t btn, bool down)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n; i++)
		n += r->ev[i].call == QE_CALL_BUTTON && r->ev[i].code == btn &&
		     r->ev[i].down == down;
	return n;
}

static void test_wheel(void)
{
	struct qe_input in;
	struct recorder r = {.room = 1000};
	qe_input_init(&in);
	/* Half a notch down twice: one notch, pressed and released. */
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 0, 60)), QE_INPUT_OK);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 0, 60)), QE_INPUT_OK);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_DOWN, true), 1);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_DOWN, false), 1);
	CHECK(r.ev[0].down && !r.ev[1].down);
	/* 3.5 notches up: three, and -60 left over. */
	r.n = 0;
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 0, -420)), QE_INPUT_OK);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_UP, true), 3);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_UP, false), 3);
	CHECK_EQ(in.wheel_rem_y, -60);
	/* The remainder counts against the next step the other way. */
	r.n = 0;
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 0, 100)), QE_INPUT_OK);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(in.wheel_rem_y, 40);
	/* Horizontal: right is wheel-right (8), left wheel-left (7). */
	r.n = 0;
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 240, 0)), QE_INPUT_OK);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_RIGHT, true), 2);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, -120, 0)), QE_INPUT_OK);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_LEFT, true), 1);
	CHECK(!qe_input_holds(&in)); /* wheel clicks never stay down */
	/* The largest step is 100 notches and stays bounded. */
	r.n = 0;
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_WHEEL, 0, HXFR_WHEEL_MAX)), QE_INPUT_OK);
	CHECK_EQ(count_button(&r, QE_BTN_WHEEL_DOWN, true), 100);
}

static void test_clamp(void)
{
	struct qe_input in;
	struct recorder r = {.room = 1000};
	qe_input_init(&in);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_ABS, 300, 400)), QE_INPUT_OK);
	CHECK_EQ(r.ev[0].call, QE_CALL_ABS);
	CHECK_EQ(r.ev[0].x, 300);
	CHECK_EQ(r.ev[0].y, 400);
	CHECK_EQ(in.n.clamped, 0);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_ABS, -5, 5000)), QE_INPUT_OK);
	CHECK_EQ(r.ev[1].x, 0);
	CHECK_EQ(r.ev[1].y, 1079);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_ABS, INT32_MAX, INT32_MIN)), QE_INPUT_OK);
	CHECK_EQ(r.ev[2].x, 1919);
	CHECK_EQ(r.ev[2].y, 0);
	CHECK_EQ(in.n.clamped, 4);
	/* Unknown size (no picture yet): 0,0. */
	struct hxfr_msg m = xy(HXFR_INPUT_ABS, 10, 10);
	CHECK_EQ(qe_input_handle(&in, &m, 3, 1, 0, 0, 0, record, &r), QE_INPUT_OK);
	CHECK_EQ(r.ev[3].x, 0);
	/* Relative motion passes as is; none at all sends nothing. */
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_REL, -7, 9)), QE_INPUT_OK);
	CHECK_EQ(r.ev[4].call, QE_CALL_REL);
	CHECK_EQ(r.ev[4].x, -7);
	CHECK_EQ(r.ev[4].y, 9);
	CHECK_EQ(feed(&in, &r, xy(HXFR_INPUT_REL, 0, 0)), QE_INPUT_OK);
	CHECK_EQ(r.n, 5);
}

static void test_touch(void)
{
	struct qe_input in;
	struct recorder r = {.room = 1000};
	qe_input_init(&in);
	struct hxfr_msg m = {.hdr = {.type = HXFR_INPUT_TOUCH, .session_id = 3}};
	m.u.input_touch = (struct hxfr_input_touch){
		.kind = HXFR_TOUCH_BEGIN, .slot = 2, .x = 5000, .y = 7};
	/* QEMU 7.2: no MultiTouch. */
	CHECK_EQ(qe_input_handle(&in, &m, 3, 1, 1920, 1080, 0, record, &r), QE_INPUT_UNSUPPORTED);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(qe_input_handle(&in, &m, 3, 1, 1920, 1080, 2, record, &r), QE_INPUT_BAD_CODE);
	CHECK_EQ(qe_input_handle(&in, &m, 3, 1, 1920, 1080, 10, record, &r), QE_INPUT_OK);
	CHECK_EQ(r.ev[0].x, 1919);
	CHECK(qe_input_holds(&in));
	/* An update of a slot never begun is dropped. */
	m.u.input_touch.slot = 3;
	m.u.input_touch.kind = HXFR_TOUCH_UPDATE;
	CHECK_EQ(qe_input_handle(&in, &m, 3, 1, 1920, 1080, 10, record, &r), QE_INPUT_OK);
	CHECK_EQ(r.n, 1);
	r.n = 0;
	qe_input_release_all(&in, 1, record, &r);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.ev[0].touch_kind, HXFR_TOUCH_END);
	CHECK_EQ(r.ev[0].slot, 2);
	CHECK_EQ(r.ev[0].x, 1919);
	CHECK(!qe_input_holds(&in));
}

int main(void)
{
	test_keymap();
	test_rights();
	test_bucket();
	test_pressed_set();
	test_full_sink();
	test_wheel();
	test_clamp();
	test_touch();
	return check_report();
}
