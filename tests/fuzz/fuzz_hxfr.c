/* libFuzzer target: the input is a byte stream arriving on an HXFR
 * connection. It is decoded as a server (client payload limit) and as a
 * client (server payload limit) would: decode, skip what is skippable,
 * stop on what is fatal. Every decoded message is re-encoded into a buffer
 * of exactly its size and decoded again, and must come back the same. The
 * input's first bytes are also tried as a hex stream key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hxfr.h"
#include "fuzz.h"

static size_t reencode(const struct hxfr_msg *m, uint8_t *b, size_t cap)
{
	const struct hxfr_header *h = &m->hdr;
	switch (h->type) {
	case HXFR_KEYFRAME_REQ:
	case HXFR_REFRESH_REQ:
	case HXFR_INPUT_RELEASE_ALL:
	case HXFR_PING:
	case HXFR_PONG: return hxfr_encode_empty(b, cap, h->type, h->session_id);
	case HXFR_INPUT_KEY:
		return hxfr_encode_input_key(b, cap, h->session_id, m->u.input_key.code,
					     m->u.input_key.down);
	case HXFR_INPUT_BUTTON:
		return hxfr_encode_input_button(b, cap, h->session_id, m->u.input_key.code,
						m->u.input_key.down);
	case HXFR_INPUT_ABS:
		return hxfr_encode_input_abs(b, cap, h->session_id, m->u.input_xy.x,
					     m->u.input_xy.y);
	case HXFR_INPUT_REL:
		return hxfr_encode_input_rel(b, cap, h->session_id, m->u.input_xy.x,
					     m->u.input_xy.y);
	case HXFR_INPUT_WHEEL:
		return hxfr_encode_input_wheel(b, cap, h->session_id, m->u.input_xy.x,
					       m->u.input_xy.y);
	case HXFR_INPUT_TOUCH:
		return hxfr_encode_input_touch(b, cap, h->session_id, m->u.input_touch.kind,
					       m->u.input_touch.slot, m->u.input_touch.x,
					       m->u.input_touch.y);
	case HXFR_RESIZE_REQ:
		return hxfr_encode_resize_req(b, cap, h->session_id, m->u.resize.width,
					      m->u.resize.height);
	case HXFR_CONFIG_REQ: return hxfr_encode_config_req(b, cap, h->session_id, &m->u.config);
	case HXFR_CONFIG_RESP: return hxfr_encode_config_resp(b, cap, h->session_id, &m->u.config);
	case HXFR_ENABLE_SCANOUT: return hxfr_encode_enable_scanout(b, cap, &m->u.enable);
	case HXFR_DISABLE_SCANOUT: return hxfr_encode_disable_scanout(b, cap, m->u.scanout_id);
	case HXFR_SCANOUT_RESP:
		return hxfr_encode_scanout_resp(b, cap, m->u.scanout_resp.scanout_id,
						m->u.scanout_resp.success,
						m->u.scanout_resp.connector);
	case HXFR_SUBSCRIBE: return hxfr_encode_subscribe(b, cap, m->u.scanout_id);
	case HXFR_SUBSCRIBE_RESP:
		return hxfr_encode_subscribe_resp(b, cap, m->u.subscribe_resp.scanout_id,
						  m->u.subscribe_resp.success);
	case HXFR_HELLO: return hxfr_encode_hello(b, cap, m->u.hello.features);
	case HXFR_HELLO_RESP:
		return hxfr_encode_hello_resp(b, cap, m->u.hello.features, m->u.hello.nonce);
	case HXFR_AUTH: return hxfr_encode_auth(b, cap, m->u.mac);
	case HXFR_AUTH_RESP:
		return hxfr_encode_auth_resp(b, cap, m->u.auth_resp.success,
					     m->u.auth_resp.granted);
	case HXFR_ERROR:
		return hxfr_encode_error(b, cap, h->session_id, m->u.error.code,
					 m->u.error.message);
	case HXFR_STREAM_KEY_REQ: return hxfr_encode_stream_key_req(b, cap, m->u.scanout_id);
	case HXFR_STREAM_KEY_REVOKE: return hxfr_encode_stream_key_revoke(b, cap, m->u.scanout_id);
	case HXFR_STREAM_KEY:
		return hxfr_encode_stream_key(b, cap, m->u.stream_key.scanout_id,
					      m->u.stream_key.key);
	case HXFR_SUBSCRIBE_KEYED:
		return hxfr_encode_subscribe_keyed(b, cap, m->u.subscribe_keyed.scanout_id,
						   m->u.subscribe_keyed.key);
	case HXFR_CURSOR_DEFINE: {
		const struct hxfr_cursor_define *c = &m->u.cursor_define;
		return hxfr_encode_cursor_define(b, cap, h->session_id, c->width, c->height,
						 c->hot_x, c->hot_y, c->pixels);
	}
	case HXFR_CURSOR_MOVE:
		return hxfr_encode_cursor_move(b, cap, h->session_id, m->u.cursor_move.x,
					       m->u.cursor_move.y, m->u.cursor_move.visible);
	default: return 0;
	}
}

static void check_same(const struct hxfr_msg *a, const struct hxfr_msg *b)
{
	ASSERT(a->hdr.type == b->hdr.type);
	ASSERT(a->hdr.payload_size == b->hdr.payload_size);
	ASSERT(b->hdr.flags == 0);
	switch (a->hdr.type) {
	case HXFR_CONFIG_REQ:
	case HXFR_CONFIG_RESP:
		ASSERT(a->u.config.width == b->u.config.width);
		ASSERT(a->u.config.bitrate_bps == b->u.config.bitrate_bps);
		ASSERT(a->u.config.framerate_den == b->u.config.framerate_den);
		ASSERT(a->u.config.realtime == b->u.config.realtime);
		break;
	case HXFR_ENABLE_SCANOUT:
		ASSERT(memcmp(&a->u.enable, &b->u.enable, sizeof(a->u.enable)) == 0);
		break;
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON:
		ASSERT(a->hdr.session_id == b->hdr.session_id);
		ASSERT(a->u.input_key.code == b->u.input_key.code);
		ASSERT(a->u.input_key.down == b->u.input_key.down);
		break;
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL:
		ASSERT(a->hdr.session_id == b->hdr.session_id);
		ASSERT(a->u.input_xy.x == b->u.input_xy.x && a->u.input_xy.y == b->u.input_xy.y);
		break;
	case HXFR_INPUT_TOUCH:
		ASSERT(a->u.input_touch.kind == b->u.input_touch.kind);
		ASSERT(a->u.input_touch.slot == b->u.input_touch.slot);
		ASSERT(a->u.input_touch.x == b->u.input_touch.x);
		ASSERT(a->u.input_touch.y == b->u.input_touch.y);
		break;
	case HXFR_RESIZE_REQ:
		ASSERT(a->u.resize.width == b->u.resize.width);
		ASSERT(a->u.resize.height == b->u.resize.height);
		break;
	case HXFR_DISABLE_SCANOUT:
	case HXFR_SUBSCRIBE: ASSERT(a->u.scanout_id == b->u.scanout_id); break;
	case HXFR_SCANOUT_RESP:
		ASSERT(a->u.scanout_resp.success == b->u.scanout_resp.success);
		ASSERT(strcmp(a->u.scanout_resp.connector, b->u.scanout_resp.connector) == 0);
		break;
	case HXFR_SUBSCRIBE_RESP:
		ASSERT(a->u.subscribe_resp.scanout_id == b->u.subscribe_resp.scanout_id);
		ASSERT(a->u.subscribe_resp.success == b->u.subscribe_resp.success);
		break;
	case HXFR_HELLO_RESP:
		ASSERT(memcmp(a->u.hello.nonce, b->u.hello.nonce, HXFR_NONCE_LEN) == 0);
		/* fall through */
	case HXFR_HELLO:
		ASSERT(a->u.hello.features == b->u.hello.features);
		ASSERT(b->u.hello.version == HXFR_EXT_VERSION);
		break;
	case HXFR_AUTH: ASSERT(memcmp(a->u.mac, b->u.mac, HXFR_MAC_LEN) == 0); break;
	case HXFR_AUTH_RESP:
		ASSERT(a->u.auth_resp.success == b->u.auth_resp.success);
		ASSERT(a->u.auth_resp.granted == b->u.auth_resp.granted);
		break;
	case HXFR_ERROR:
		ASSERT(a->u.error.code == b->u.error.code);
		ASSERT(strcmp(a->u.error.message, b->u.error.message) == 0);
		break;
	case HXFR_STREAM_KEY_REQ:
	case HXFR_STREAM_KEY_REVOKE: ASSERT(a->u.scanout_id == b->u.scanout_id); break;
	case HXFR_SUBSCRIBE_KEYED:
		ASSERT(!hxfr_stream_key_is_zero(b->u.subscribe_keyed.key));
		/* fall through: same struct as STREAM_KEY */
	case HXFR_STREAM_KEY:
		ASSERT(a->u.stream_key.scanout_id == b->u.stream_key.scanout_id);
		ASSERT(memcmp(a->u.stream_key.key, b->u.stream_key.key, HXFR_STREAM_KEY_LEN) == 0);
		break;
	case HXFR_CURSOR_DEFINE:
		ASSERT(a->hdr.session_id == b->hdr.session_id);
		ASSERT(a->u.cursor_define.width == b->u.cursor_define.width);
		ASSERT(a->u.cursor_define.height == b->u.cursor_define.height);
		ASSERT(a->u.cursor_define.hot_x == b->u.cursor_define.hot_x);
		ASSERT(a->u.cursor_define.hot_y == b->u.cursor_define.hot_y);
		ASSERT(a->u.cursor_define.pixels_len == b->u.cursor_define.pixels_len);
		ASSERT(memcmp(a->u.cursor_define.pixels, b->u.cursor_define.pixels,
			      a->u.cursor_define.pixels_len) == 0);
		break;
	case HXFR_CURSOR_MOVE:
		ASSERT(a->hdr.session_id == b->hdr.session_id);
		ASSERT(a->u.cursor_move.x == b->u.cursor_move.x);
		ASSERT(a->u.cursor_move.y == b->u.cursor_move.y);
		ASSERT(a->u.cursor_move.visible == b->u.cursor_move.visible);
		break;
	}
}

/* What a consumer of a decoded frame does: walk the NALs. They must lie
 * inside the message and fill it exactly. */
static void walk_frame(const struct hxfr_frame *f, const uint8_t *msg, size_t msg_len)
{
	ASSERT(f->nal_count >= 1 && f->nal_count <= HXFR_MAX_NAL_COUNT);
	ASSERT(f->nals >= msg && f->nals + f->nals_len == msg + msg_len);
	size_t off = 0;
	for (uint32_t i = 0; i < f->nal_count; i++) {
		ASSERT(off + 4 <= f->nals_len);
		uint32_t n = (uint32_t)f->nals[off] | (uint32_t)f->nals[off + 1] << 8 |
			     (uint32_t)f->nals[off + 2] << 16 | (uint32_t)f->nals[off + 3] << 24;
		off += 4;
		ASSERT(n > 0 && n <= f->nals_len - off);
		off += n;
	}
	ASSERT(off == f->nals_len);
}

/* What a consumer of a decoded cursor does: read every pixel. They must
 * lie inside the message, right after the 16 bytes of fields. */
static void walk_cursor(const struct hxfr_cursor_define *c, const uint8_t *msg, size_t msg_len)
{
	ASSERT(c->width >= 1 && c->width <= HXFR_CURSOR_MAX_SIZE);
	ASSERT(c->height >= 1 && c->height <= HXFR_CURSOR_MAX_SIZE);
	ASSERT(c->hot_x >= 0 && c->hot_x < c->width && c->hot_y >= 0 && c->hot_y < c->height);
	ASSERT(c->pixels_len == (size_t)c->width * (size_t)c->height * 4);
	ASSERT(c->pixels == msg + HXFR_HEADER_SIZE + 16);
	ASSERT(c->pixels + c->pixels_len == msg + msg_len);
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < c->pixels_len; i++)
		sum ^= c->pixels[i];
	(void)sum;
}

/* The hex helpers: whatever is accepted converts back to the same digits
 * (lower-cased); what is rejected leaves the key untouched. */
static void try_hex(const uint8_t *data, size_t size)
{
	char s[HXFR_STREAM_KEY_HEX_LEN + 4];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	uint8_t key[HXFR_STREAM_KEY_LEN];
	memset(key, 0xa5, sizeof(key));
	if (hxfr_stream_key_from_hex(s, key) != 0) {
		for (size_t i = 0; i < sizeof(key); i++)
			ASSERT(key[i] == 0xa5);
		return;
	}
	ASSERT(strlen(s) == HXFR_STREAM_KEY_HEX_LEN);
	char back[HXFR_STREAM_KEY_HEX_LEN + 1];
	hxfr_stream_key_to_hex(key, back);
	for (size_t i = 0; i < HXFR_STREAM_KEY_HEX_LEN; i++) {
		char c = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];
		ASSERT(back[i] == c);
	}
	ASSERT(back[HXFR_STREAM_KEY_HEX_LEN] == '\0');
}

static void run_stream(const uint8_t *data, size_t size, size_t max_payload)
{
	size_t pos = 0;
	while (pos < size) {
		struct hxfr_msg m;
		size_t consumed = 0;
		const uint8_t *p = data + pos;
		size_t left = size - pos;
		enum hxfr_status st = hxfr_decode(p, left, max_payload, &m, &consumed);
		ASSERT(hxfr_status_str(st) != NULL);
		ASSERT(hxfr_type_name(m.hdr.type) != NULL);

		struct hxfr_header h;
		enum hxfr_status hst = hxfr_header_decode(p, left, max_payload, &h);
		if (hst != HXFR_OK) {
			ASSERT(st == hst);
			ASSERT(consumed == 0);
			return; /* NEED_MORE: wait; MAGIC/OVERSIZE: close */
		}
		if (st == HXFR_NEED_MORE) {
			ASSERT(consumed == 0);
			ASSERT(left < HXFR_HEADER_SIZE + (size_t)h.payload_size);
			return;
		}
		ASSERT(h.payload_size <= max_payload);
		ASSERT(consumed == HXFR_HEADER_SIZE + (size_t)h.payload_size);
		ASSERT(consumed <= left);
		ASSERT(st == HXFR_OK || st == HXFR_E_TYPE || st == HXFR_E_SIZE ||
		       st == HXFR_E_VALUE);

		if (st == HXFR_OK) {
			if (m.hdr.type == HXFR_FRAME_RESPONSE) {
				walk_frame(&m.u.frame, p, consumed);
			} else {
				if (m.hdr.type == HXFR_CURSOR_DEFINE)
					walk_cursor(&m.u.cursor_define, p, consumed);
				/* exactly the size: an encoder writing past it shows */
				uint8_t *b = malloc(consumed);
				ASSERT(b);
				ASSERT(reencode(&m, b, consumed - 1) == 0);
				size_t n = reencode(&m, b, consumed);
				ASSERT(n == consumed);
				struct hxfr_msg again;
				size_t c2;
				ASSERT(hxfr_decode(b, n, max_payload, &again, &c2) == HXFR_OK);
				ASSERT(c2 == n);
				check_same(&m, &again);
				free(b);
			}
		}
		pos += consumed; /* skip errors and stay in sync */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_stream(data, size, HXFR_MAX_CLIENT_PAYLOAD);
	run_stream(data, size, HXFR_MAX_SERVER_PAYLOAD);
	try_hex(data, size);
	return 0;
}
