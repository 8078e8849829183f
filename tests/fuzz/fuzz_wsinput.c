/* libFuzzer target: the frame bridge's WebSocket input messages
 * (compositor-module/frame-bridge/wsinput.c) and what input.c makes of
 * them. The input is a sequence of records: u8 control, u8 length, then
 * that many bytes, one WebSocket message. The control byte picks the
 * viewer (one of three: two with control, one view-only), whether the
 * upstream queue is full (-ENOBUFS) or gone (with or without the bridge's
 * reset), and lets a viewer leave and
 * come back. Checked: the decoder never reads past the message and accepts
 * only the exact size of each type; what goes upstream is always valid for
 * the HXFR encoder; the per-key counts equal the viewers holding the key;
 * a view-only viewer never sends anything; and once every viewer has left
 * and the queue has room, nothing is held or owed and the last thing sent
 * was RELEASE_ALL. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hxfr.h"
#include "input.h"
#include "wsinput.h"

struct sink {
	int fail;
	bool viewer_only_turn;
	struct lcb_hxin last;
	unsigned n;
};

static int send_ev(void *data, const struct lcb_hxin *e)
{
	struct sink *s = data;
	ASSERT(!s->viewer_only_turn);
	if (s->fail)
		return s->fail;
	/* Everything sent must be encodable as HXFR. */
	uint8_t buf[64];
	size_t n = 0;
	switch (e->type) {
	case HXFR_INPUT_KEY:
		n = hxfr_encode_input_key(buf, sizeof(buf), 3, e->code, e->down);
		break;
	case HXFR_INPUT_BUTTON:
		n = hxfr_encode_input_button(buf, sizeof(buf), 3, e->code, e->down);
		break;
	case HXFR_INPUT_ABS:
		ASSERT(e->x >= 0 && e->x < 1280 && e->y >= 0 && e->y < 720);
		n = hxfr_encode_input_abs(buf, sizeof(buf), 3, e->x, e->y);
		break;
	case HXFR_INPUT_REL: n = hxfr_encode_input_rel(buf, sizeof(buf), 3, e->x, e->y); break;
	case HXFR_INPUT_WHEEL: n = hxfr_encode_input_wheel(buf, sizeof(buf), 3, e->x, e->y); break;
	case HXFR_INPUT_TOUCH:
		ASSERT(e->x >= 0 && e->x < 1280 && e->y >= 0 && e->y < 720);
		n = hxfr_encode_input_touch(buf, sizeof(buf), 3, e->kind, e->slot, e->x, e->y);
		break;
	case HXFR_INPUT_RELEASE_ALL:
		n = hxfr_encode_empty(buf, sizeof(buf), HXFR_INPUT_RELEASE_ALL, 3);
		break;
	case HXFR_RESIZE_REQ:
		n = hxfr_encode_resize_req(buf, sizeof(buf), 3, (uint32_t)e->x, (uint32_t)e->y);
		break;
	default: ASSERT(0);
	}
	ASSERT(n > 0);
	s->last = *e;
	s->n++;
	return 0;
}

static const size_t SIZES[][2] = {{0x10, 6},  {0x12, 10}, {0x13, 6},
				  {0x14, 11}, {0x61, 5},  {0x62, 1}};

static void check_refs(const struct lcb_input *in, struct lcb_input_viewer *v, size_t nv)
{
	for (uint16_t k = 0; k < LCB_INPUT_KEYS; k++) {
		unsigned held = 0;
		for (size_t i = 0; i < nv; i++)
			held += v[i].joined && v[i].gen == in->gen &&
				(v[i].keys[k / 8] & (1u << (k % 8)));
		ASSERT(held == in->key_refs[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s = {0};
	struct lcb_input in;
	lcb_input_init(&in, send_ev, &s);
	lcb_input_set_size(&in, 1280, 720);
	struct lcb_input_viewer v[3];
	int64_t t = 0;
	for (int i = 0; i < 3; i++)
		lcb_input_viewer_join(&in, &v[i], i < 2, t);
	size_t off = 0;
	while (off + 2 <= size) {
		uint8_t ctl = data[off], len = data[off + 1];
		off += 2;
		if (len > size - off)
			len = (uint8_t)(size - off);
		/* A copy exactly as long as the message: ASan sees any over-read. */
		uint8_t *msg = malloc(len ? len : 1);
		memcpy(msg, data + off, len);
		off += len;
		t += (ctl & 0x30) * 1000;
		/* 0x40 full; 0x80 gone, with the reset the bridge does then; 0xc0
		 * gone before the bridge heard of it. */
		s.fail = (ctl & 0xc0) == 0x40 ? -ENOBUFS : (ctl & 0x80) ? -ENOTCONN : 0;
		if ((ctl & 0xc0) == 0x80)
			lcb_input_upstream_reset(&in);
		struct lcb_input_viewer *who = &v[(ctl & 3) % 3];
		if (ctl & 0x08) {
			lcb_input_viewer_leave(&in, who);
			lcb_input_viewer_join(&in, who, who != &v[2], t);
		}
		struct lcb_wsin m;
		const char *why = NULL;
		enum lcb_wsin_status st = lcb_wsin_decode(msg, len, &m, &why);
		ASSERT(why != NULL);
		if (st == LCB_WSIN_OK) {
			for (size_t i = 0; i < sizeof(SIZES) / sizeof(SIZES[0]); i++)
				if (msg[0] == SIZES[i][0])
					ASSERT(len == SIZES[i][1]);
			s.viewer_only_turn = who == &v[2];
			const char *w2 = NULL;
			enum lcb_input_result r = lcb_input_handle(&in, who, &m, t, &w2);
			ASSERT(w2 != NULL);
			ASSERT(who != &v[2] || r == LCB_IN_VIEW_ONLY);
			s.viewer_only_turn = false;
		} else {
			ASSERT(why[0] != '\0');
		}
		free(msg);
		if (s.fail == 0)
			lcb_input_flush(&in);
		check_refs(&in, v, 3);
	}
	s.fail = 0;
	lcb_input_flush(&in);
	unsigned before = s.n;
	for (int i = 0; i < 3; i++)
		lcb_input_viewer_leave(&in, &v[i]);
	ASSERT(lcb_input_flush(&in));
	ASSERT(s.n > before && s.last.type == HXFR_INPUT_RELEASE_ALL);
	for (uint16_t k = 0; k < LCB_INPUT_KEYS; k++)
		ASSERT(in.key_refs[k] == 0);
	for (unsigned b = 0; b <= LCB_WSIN_BUTTON_MAX; b++)
		ASSERT(in.button_refs[b] == 0);
	for (unsigned i = 0; i < LCB_INPUT_SLOTS; i++)
		ASSERT(in.slot_owner[i] == NULL);
	return 0;
}
