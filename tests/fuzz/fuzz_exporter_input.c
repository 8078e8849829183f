/* libFuzzer target: a subscriber's input state (qemu-exporter/input.c) fed
 * the INPUT_* messages a client could send, decoded by the real codec. The
 * sink stands where QEMU's calls go and keeps the guest's view: which QEMU
 * keys, buttons and touch slots are down on which scanout. Invariants:
 * nothing is released that this state did not press (per scanout), a
 * press the sink refused is never recorded as held, pointer positions are
 * always inside the scanout, and after release_all the guest has nothing
 * down, whatever came before.
 *
 * Input: byte 0 picks the scanout size and touch slots, byte 1 how often
 * the sink is "full"; the rest is an HXFR byte stream. A message's
 * session_id low bit switches between two scanouts, as a connection that
 * re-subscribes would. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "hxfr.h"
#include "input.h"

struct guest {
	uint8_t keys[2][256];
	uint8_t buttons[2][16];
	uint8_t touches[2][HXFR_TOUCH_MAX_SLOTS];
	uint32_t width, height;
	unsigned full_every, n;
};

static bool sink(void *data, uint32_t scanout, const struct qe_input_event *ev, bool must)
{
	struct guest *g = data;
	ASSERT(scanout < 2);
	if (!must && g->full_every && ++g->n % g->full_every == 0)
		return false;
	switch (ev->call) {
	case QE_CALL_KEY:
		ASSERT(ev->code > 0 && ev->code < 256);
		if (!ev->down)
			ASSERT(g->keys[scanout][ev->code]); /* only what it pressed */
		else
			ASSERT(!must);
		g->keys[scanout][ev->code] = ev->down;
		break;
	case QE_CALL_BUTTON:
		ASSERT(ev->code <= QE_BTN_WHEEL_RIGHT);
		if (!ev->down)
			ASSERT(g->buttons[scanout][ev->code]);
		g->buttons[scanout][ev->code] = ev->down;
		break;
	case QE_CALL_ABS:
	case QE_CALL_TOUCH:
		ASSERT(ev->x >= 0 && ev->y >= 0);
		ASSERT(g->width == 0 || (uint32_t)ev->x < g->width);
		ASSERT(g->height == 0 || (uint32_t)ev->y < g->height);
		if (ev->call == QE_CALL_TOUCH) {
			ASSERT(ev->slot < HXFR_TOUCH_MAX_SLOTS);
			bool ending = ev->touch_kind == HXFR_TOUCH_END ||
				      ev->touch_kind == HXFR_TOUCH_CANCEL;
			if (ev->touch_kind != HXFR_TOUCH_BEGIN)
				ASSERT(g->touches[scanout][ev->slot]);
			g->touches[scanout][ev->slot] = !ending;
		}
		break;
	case QE_CALL_REL: break;
	}
	return true;
}

static bool nothing_down(const struct guest *g)
{
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < 256; i++)
			if (g->keys[s][i])
				return false;
		for (int i = 0; i < 16; i++)
			if (g->buttons[s][i])
				return false;
		for (unsigned i = 0; i < HXFR_TOUCH_MAX_SLOTS; i++)
			if (g->touches[s][i])
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[4][2] = {{1920, 1080}, {0, 0}, {1, 1}, {8192, 64}};
	if (size < 2)
		return 0;
	struct guest g = {0};
	g.width = sizes[data[0] & 3][0];
	g.height = sizes[data[0] & 3][1];
	unsigned touch_slots = (data[0] >> 2) % 12;
	g.full_every = data[1] % 8;
	data += 2;
	size -= 2;
	struct qe_input in;
	qe_input_init(&in);
	uint64_t now = 1;
	while (size > 0) {
		struct hxfr_msg m;
		size_t used = 0;
		enum hxfr_status st = hxfr_decode(data, size, HXFR_MAX_CLIENT_PAYLOAD, &m, &used);
		if (st == HXFR_NEED_MORE || st == HXFR_E_MAGIC || st == HXFR_E_OVERSIZE || !used)
			break;
		data += used;
		size -= used;
		now += 100000; /* 0.1 ms a message: the bucket both empties and refills */
		if (st != HXFR_OK || m.hdr.type < HXFR_INPUT_KEY ||
		    m.hdr.type > HXFR_INPUT_RELEASE_ALL)
			continue;
		if (!qe_input_take_token(&in, now))
			continue;
		enum qe_input_verdict v = qe_input_handle(&in, &m, m.hdr.session_id & 1u, 1,
							  g.width, g.height, touch_slots, sink, &g);
		ASSERT(v == QE_INPUT_OK || v == QE_INPUT_BUSY || v == QE_INPUT_BAD_CODE ||
		       v == QE_INPUT_UNSUPPORTED);
		if (m.hdr.type == HXFR_INPUT_RELEASE_ALL)
			ASSERT(!qe_input_holds(&in));
	}
	/* The connection goes: the guest must have nothing down. Only the
	 * current scanout's presses are held; the other's were released when
	 * the state moved. */
	qe_input_release_all(&in, 1, sink, &g);
	ASSERT(!qe_input_holds(&in));
	ASSERT(nothing_down(&g));
	return 0;
}
