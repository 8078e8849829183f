#include "hxfr.h"

#include <errno.h>
#include <string.h>

/* Payload sizes of the fixed-size messages (HXFR.md, "Messages"). */
#define FRAME_FIXED_SIZE 24u
#define CONFIG_SIZE 28u
#define ENABLE_SIZE 16u
#define SCANOUT_ID_SIZE 4u
#define SCANOUT_RESP_SIZE (8u + HXFR_CONNECTOR_NAME_LEN)
#define SUBSCRIBE_RESP_SIZE 8u
#define HELLO_SIZE 16u
#define HELLO_RESP_SIZE (HELLO_SIZE + HXFR_NONCE_LEN)
#define AUTH_SIZE HXFR_MAC_LEN
#define AUTH_RESP_SIZE 8u
#define ERROR_SIZE (4u + HXFR_ERROR_MESSAGE_LEN)
#define STREAM_KEY_SIZE (4u + HXFR_STREAM_KEY_LEN)
#define CURSOR_FIXED_SIZE 16u
#define CURSOR_MOVE_SIZE 12u
#define INPUT_KEY_SIZE 4u
#define INPUT_XY_SIZE 8u
#define INPUT_TOUCH_SIZE 16u
#define RESIZE_SIZE 8u

/* Explicit little-endian packing: the wire layout must not depend on the
 * host's byte order or on struct padding. */
static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Two's complement reinterpretation without implementation-defined casts. */
static int64_t get_i64(const uint8_t *p)
{
	int64_t v;
	uint64_t u = get_u64(p);
	memcpy(&v, &u, sizeof(v));
	return v;
}

static int32_t get_i32(const uint8_t *p)
{
	int32_t v;
	uint32_t u = get_u32(p);
	memcpy(&v, &u, sizeof(v));
	return v;
}

static uint64_t i64_bits(int64_t v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	return u;
}

static uint32_t i32_bits(int32_t v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof(u));
	return u;
}

enum hxfr_status hxfr_header_decode(const uint8_t *buf, size_t len, size_t max_payload,
				    struct hxfr_header *hdr)
{
	if (len < HXFR_HEADER_SIZE)
		return HXFR_NEED_MORE;
	hdr->magic = get_u32(buf);
	hdr->type = buf[4];
	hdr->flags = buf[5];
	hdr->session_id = get_u16(buf + 6);
	hdr->payload_size = get_u32(buf + 8);
	if (hdr->magic != HXFR_MAGIC)
		return HXFR_E_MAGIC;
	if (hdr->payload_size > max_payload)
		return HXFR_E_OVERSIZE;
	return HXFR_OK;
}

/* The payload size a fixed-size type must have, or -1 for FRAME_RESPONSE
 * and CURSOR_DEFINE (variable) and -2 for types we do not know. */
static long fixed_payload_size(uint8_t type)
{
	switch (type) {
	case HXFR_FRAME_RESPONSE:
	case HXFR_CURSOR_DEFINE: return -1;
	case HXFR_KEYFRAME_REQ:
	case HXFR_REFRESH_REQ:
	case HXFR_INPUT_RELEASE_ALL:
	case HXFR_PING:
	case HXFR_PONG: return 0;
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON: return INPUT_KEY_SIZE;
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL: return INPUT_XY_SIZE;
	case HXFR_RESIZE_REQ: return RESIZE_SIZE;
	case HXFR_INPUT_TOUCH: return INPUT_TOUCH_SIZE;
	case HXFR_CONFIG_REQ:
	case HXFR_CONFIG_RESP: return CONFIG_SIZE;
	case HXFR_ENABLE_SCANOUT: return ENABLE_SIZE;
	case HXFR_DISABLE_SCANOUT:
	case HXFR_SUBSCRIBE:
	case HXFR_STREAM_KEY_REQ:
	case HXFR_STREAM_KEY_REVOKE: return SCANOUT_ID_SIZE;
	case HXFR_STREAM_KEY:
	case HXFR_SUBSCRIBE_KEYED: return STREAM_KEY_SIZE;
	case HXFR_CURSOR_MOVE: return CURSOR_MOVE_SIZE;
	case HXFR_SCANOUT_RESP: return SCANOUT_RESP_SIZE;
	case HXFR_SUBSCRIBE_RESP: return SUBSCRIBE_RESP_SIZE;
	case HXFR_HELLO: return HELLO_SIZE;
	case HXFR_HELLO_RESP: return HELLO_RESP_SIZE;
	case HXFR_AUTH: return AUTH_SIZE;
	case HXFR_AUTH_RESP: return AUTH_RESP_SIZE;
	case HXFR_ERROR: return ERROR_SIZE;
	default: return -2;
	}
}

/* Copies a fixed char field; it must hold a NUL within the field so that
 * nothing downstream ever reads an unterminated string. */
static bool copy_string(char *dst, const uint8_t *src, size_t field)
{
	if (!memchr(src, '\0', field))
		return false;
	memcpy(dst, src, field);
	return true;
}

static bool is_bool(uint32_t v)
{
	return v == 0 || v == 1;
}

static enum hxfr_status decode_frame(const uint8_t *p, uint32_t size, struct hxfr_frame *f)
{
	if (size < FRAME_FIXED_SIZE)
		return HXFR_E_SIZE;
	f->pts_ns = get_i64(p);
	f->dts_ns = get_i64(p + 8);
	if (p[16] > 1)
		return HXFR_E_VALUE;
	f->keyframe = p[16] == 1;
	/* p[17] reserved: ignored; p[18..19] leasecast's latency (0: none) */
	f->latency_us = (uint32_t)get_u16(p + 18) * 100u;
	f->nal_count = get_u32(p + 20);
	if (f->nal_count == 0 || f->nal_count > HXFR_MAX_NAL_COUNT)
		return HXFR_E_VALUE;
	f->nals = p + FRAME_FIXED_SIZE;
	f->nals_len = size - FRAME_FIXED_SIZE;

	/* Every NAL must fit in what is left, and together they must fill the
	 * payload exactly: comparing against the remainder (never summing)
	 * rules out overflow. */
	size_t off = 0;
	for (uint32_t i = 0; i < f->nal_count; i++) {
		if (f->nals_len - off < 4)
			return HXFR_E_SIZE;
		uint32_t n = get_u32(f->nals + off);
		off += 4;
		if (n == 0)
			return HXFR_E_VALUE;
		if (n > f->nals_len - off)
			return HXFR_E_SIZE;
		off += n;
	}
	if (off != f->nals_len)
		return HXFR_E_SIZE;
	return HXFR_OK;
}

/* The size and hotspot limits shared by the decoder and the encoder. */
static bool cursor_in_range(int32_t w, int32_t h, int32_t hot_x, int32_t hot_y)
{
	return w >= 1 && w <= HXFR_CURSOR_MAX_SIZE && h >= 1 && h <= HXFR_CURSOR_MAX_SIZE &&
	       hot_x >= 0 && hot_x < w && hot_y >= 0 && hot_y < h;
}

/* Fields first: the expected size is only defined (and only computed,
 * at most 16 + 512*512*4, no overflow) once width and height are valid. */
static enum hxfr_status decode_cursor_define(const uint8_t *p, uint32_t size,
					     struct hxfr_cursor_define *c)
{
	if (size < CURSOR_FIXED_SIZE)
		return HXFR_E_SIZE;
	c->width = get_i32(p);
	c->height = get_i32(p + 4);
	c->hot_x = get_i32(p + 8);
	c->hot_y = get_i32(p + 12);
	if (!cursor_in_range(c->width, c->height, c->hot_x, c->hot_y))
		return HXFR_E_VALUE;
	size_t want = (size_t)c->width * (size_t)c->height * 4u;
	if (size - CURSOR_FIXED_SIZE != want)
		return HXFR_E_SIZE;
	c->pixels = p + CURSOR_FIXED_SIZE;
	c->pixels_len = want;
	return HXFR_OK;
}

static bool key_code_ok(uint8_t type, uint32_t code)
{
	if (type == HXFR_INPUT_BUTTON)
		return code >= HXFR_BUTTON_CODE_MIN && code <= HXFR_BUTTON_CODE_MAX;
	return code >= 1 && code <= HXFR_KEY_CODE_MAX;
}

static bool wheel_ok(int32_t v)
{
	return v >= -HXFR_WHEEL_MAX && v <= HXFR_WHEEL_MAX;
}

static bool touch_ok(uint32_t kind, uint32_t slot)
{
	return kind <= HXFR_TOUCH_CANCEL && slot < HXFR_TOUCH_MAX_SLOTS;
}

static bool resize_ok(uint32_t w, uint32_t h)
{
	return w >= HXFR_RESIZE_MIN && w <= HXFR_RESIZE_MAX && h >= HXFR_RESIZE_MIN &&
	       h <= HXFR_RESIZE_MAX;
}

static enum hxfr_status decode_input(const uint8_t *p, struct hxfr_msg *m)
{
	switch (m->hdr.type) {
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON: {
		uint16_t code = get_u16(p);
		if (!key_code_ok(m->hdr.type, code) || p[2] > 1)
			return HXFR_E_VALUE;
		m->u.input_key.code = code;
		m->u.input_key.down = p[2] == 1;
		return HXFR_OK;
	}
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL:
		m->u.input_xy.x = get_i32(p);
		m->u.input_xy.y = get_i32(p + 4);
		if (m->hdr.type == HXFR_INPUT_WHEEL &&
		    (!wheel_ok(m->u.input_xy.x) || !wheel_ok(m->u.input_xy.y)))
			return HXFR_E_VALUE;
		return HXFR_OK;
	case HXFR_INPUT_TOUCH:
		if (!touch_ok(p[0], get_u32(p + 4)))
			return HXFR_E_VALUE;
		m->u.input_touch.kind = p[0];
		m->u.input_touch.slot = get_u32(p + 4);
		m->u.input_touch.x = get_i32(p + 8);
		m->u.input_touch.y = get_i32(p + 12);
		return HXFR_OK;
	case HXFR_RESIZE_REQ:
		m->u.resize.width = get_u32(p);
		m->u.resize.height = get_u32(p + 4);
		return resize_ok(m->u.resize.width, m->u.resize.height) ? HXFR_OK : HXFR_E_VALUE;
	default: return HXFR_E_TYPE;
	}
}

bool hxfr_stream_key_is_zero(const uint8_t key[HXFR_STREAM_KEY_LEN])
{
	uint8_t any = 0;
	for (size_t i = 0; i < HXFR_STREAM_KEY_LEN; i++)
		any |= key[i];
	return any == 0;
}

static enum hxfr_status decode_payload(const uint8_t *p, uint32_t size, struct hxfr_msg *m)
{
	switch (m->hdr.type) {
	case HXFR_FRAME_RESPONSE: return decode_frame(p, size, &m->u.frame);
	case HXFR_KEYFRAME_REQ:
	case HXFR_REFRESH_REQ:
	case HXFR_INPUT_RELEASE_ALL:
	case HXFR_PING:
	case HXFR_PONG: return HXFR_OK;
	case HXFR_INPUT_KEY:
	case HXFR_INPUT_BUTTON:
	case HXFR_INPUT_ABS:
	case HXFR_INPUT_REL:
	case HXFR_INPUT_WHEEL:
	case HXFR_INPUT_TOUCH:
	case HXFR_RESIZE_REQ: return decode_input(p, m);
	case HXFR_CONFIG_REQ:
	case HXFR_CONFIG_RESP:
		m->u.config = (struct hxfr_config_req){
			.width = get_u32(p),
			.height = get_u32(p + 4),
			.bitrate_bps = get_u32(p + 8),
			.framerate_num = get_u32(p + 12),
			.framerate_den = get_u32(p + 16),
			.profile = p[20],
			.level = p[21],
			.realtime = p[22],
		};
		return HXFR_OK;
	case HXFR_ENABLE_SCANOUT:
		m->u.enable = (struct hxfr_enable_scanout){
			.scanout_id = get_u32(p),
			.width = get_u32(p + 4),
			.height = get_u32(p + 8),
			.refresh_hz = get_u32(p + 12),
		};
		return HXFR_OK;
	case HXFR_DISABLE_SCANOUT:
	case HXFR_SUBSCRIBE:
	case HXFR_STREAM_KEY_REQ:
	case HXFR_STREAM_KEY_REVOKE: m->u.scanout_id = get_u32(p); return HXFR_OK;
	case HXFR_STREAM_KEY:
	case HXFR_SUBSCRIBE_KEYED:
		/* stream_key and subscribe_keyed are the same struct type */
		m->u.stream_key.scanout_id = get_u32(p);
		memcpy(m->u.stream_key.key, p + 4, HXFR_STREAM_KEY_LEN);
		/* The zero key means "no key": offering it is never valid. */
		if (m->hdr.type == HXFR_SUBSCRIBE_KEYED &&
		    hxfr_stream_key_is_zero(m->u.stream_key.key))
			return HXFR_E_VALUE;
		return HXFR_OK;
	case HXFR_CURSOR_DEFINE: return decode_cursor_define(p, size, &m->u.cursor_define);
	case HXFR_CURSOR_MOVE: {
		uint32_t visible = get_u32(p + 8);
		m->u.cursor_move.x = get_i32(p);
		m->u.cursor_move.y = get_i32(p + 4);
		m->u.cursor_move.visible = visible == 1;
		return is_bool(visible) ? HXFR_OK : HXFR_E_VALUE;
	}
	case HXFR_SCANOUT_RESP:
		m->u.scanout_resp.scanout_id = get_u32(p);
		m->u.scanout_resp.success = get_u32(p + 4);
		if (!is_bool(m->u.scanout_resp.success) ||
		    !copy_string(m->u.scanout_resp.connector, p + 8, HXFR_CONNECTOR_NAME_LEN))
			return HXFR_E_VALUE;
		return HXFR_OK;
	case HXFR_SUBSCRIBE_RESP:
		m->u.subscribe_resp.scanout_id = get_u32(p);
		m->u.subscribe_resp.success = get_u32(p + 4);
		return is_bool(m->u.subscribe_resp.success) ? HXFR_OK : HXFR_E_VALUE;
	case HXFR_HELLO:
	case HXFR_HELLO_RESP:
		/* reserved fields (bytes 6..7 and 12..15) are ignored */
		if (memcmp(p, HXFR_EXT_TAG, 4) != 0)
			return HXFR_E_VALUE;
		m->u.hello.version = get_u16(p + 4);
		m->u.hello.features = get_u32(p + 8);
		if (m->u.hello.version == 0)
			return HXFR_E_VALUE;
		if (m->hdr.type == HXFR_HELLO_RESP)
			memcpy(m->u.hello.nonce, p + HELLO_SIZE, HXFR_NONCE_LEN);
		return HXFR_OK;
	case HXFR_AUTH: memcpy(m->u.mac, p, HXFR_MAC_LEN); return HXFR_OK;
	case HXFR_AUTH_RESP:
		m->u.auth_resp.success = get_u32(p);
		m->u.auth_resp.granted = get_u32(p + 4);
		return is_bool(m->u.auth_resp.success) ? HXFR_OK : HXFR_E_VALUE;
	case HXFR_ERROR:
		m->u.error.code = get_i32(p);
		if (!copy_string(m->u.error.message, p + 4, HXFR_ERROR_MESSAGE_LEN))
			return HXFR_E_VALUE;
		return HXFR_OK;
	default: return HXFR_E_TYPE;
	}
}

enum hxfr_status hxfr_decode(const uint8_t *buf, size_t len, size_t max_payload,
			     struct hxfr_msg *msg, size_t *consumed)
{
	*consumed = 0;
	memset(msg, 0, sizeof(*msg));
	enum hxfr_status st = hxfr_header_decode(buf, len, max_payload, &msg->hdr);
	if (st != HXFR_OK)
		return st;
	uint32_t size = msg->hdr.payload_size;
	if (len - HXFR_HEADER_SIZE < size)
		return HXFR_NEED_MORE;
	*consumed = HXFR_HEADER_SIZE + (size_t)size;

	long want = fixed_payload_size(msg->hdr.type);
	if (want == -2)
		return HXFR_E_TYPE;
	if (want >= 0 && (uint32_t)want != size)
		return HXFR_E_SIZE;
	return decode_payload(buf + HXFR_HEADER_SIZE, size, msg);
}

const char *hxfr_status_str(enum hxfr_status st)
{
	switch (st) {
	case HXFR_OK: return "ok";
	case HXFR_NEED_MORE: return "incomplete message";
	case HXFR_E_MAGIC: return "bad magic";
	case HXFR_E_TYPE: return "unknown message type";
	case HXFR_E_SIZE: return "wrong payload size for the message type";
	case HXFR_E_OVERSIZE: return "payload larger than allowed";
	case HXFR_E_VALUE: return "invalid field value";
	}
	return "unknown status";
}

const char *hxfr_type_name(uint8_t type)
{
	switch (type) {
	case HXFR_FRAME_RESPONSE: return "FRAME_RESPONSE";
	case HXFR_KEYFRAME_REQ: return "KEYFRAME_REQ";
	case HXFR_CONFIG_REQ: return "CONFIG_REQ";
	case HXFR_CONFIG_RESP: return "CONFIG_RESP";
	case HXFR_PING: return "PING";
	case HXFR_PONG: return "PONG";
	case HXFR_ENABLE_SCANOUT: return "ENABLE_SCANOUT";
	case HXFR_DISABLE_SCANOUT: return "DISABLE_SCANOUT";
	case HXFR_SCANOUT_RESP: return "SCANOUT_RESP";
	case HXFR_SUBSCRIBE: return "SUBSCRIBE";
	case HXFR_SUBSCRIBE_RESP: return "SUBSCRIBE_RESP";
	case HXFR_HELLO: return "HELLO";
	case HXFR_HELLO_RESP: return "HELLO_RESP";
	case HXFR_AUTH: return "AUTH";
	case HXFR_AUTH_RESP: return "AUTH_RESP";
	case HXFR_STREAM_KEY_REQ: return "STREAM_KEY_REQ";
	case HXFR_STREAM_KEY: return "STREAM_KEY";
	case HXFR_STREAM_KEY_REVOKE: return "STREAM_KEY_REVOKE";
	case HXFR_SUBSCRIBE_KEYED: return "SUBSCRIBE_KEYED";
	case HXFR_CURSOR_DEFINE: return "CURSOR_DEFINE";
	case HXFR_CURSOR_MOVE: return "CURSOR_MOVE";
	case HXFR_INPUT_KEY: return "INPUT_KEY";
	case HXFR_INPUT_BUTTON: return "INPUT_BUTTON";
	case HXFR_INPUT_ABS: return "INPUT_ABS";
	case HXFR_INPUT_REL: return "INPUT_REL";
	case HXFR_INPUT_WHEEL: return "INPUT_WHEEL";
	case HXFR_INPUT_TOUCH: return "INPUT_TOUCH";
	case HXFR_INPUT_RELEASE_ALL: return "INPUT_RELEASE_ALL";
	case HXFR_RESIZE_REQ: return "RESIZE_REQ";
	case HXFR_REFRESH_REQ: return "REFRESH_REQ";
	case HXFR_ERROR: return "ERROR";
	default: return "UNKNOWN";
	}
}

/* Writes the header and zeroes the payload, so every reserved byte and
 * every string's padding goes out as 0. Returns the message length or 0. */
static size_t begin(uint8_t *buf, size_t cap, uint8_t type, uint16_t session_id,
		    uint32_t payload_size)
{
	if (cap < HXFR_HEADER_SIZE || cap - HXFR_HEADER_SIZE < payload_size)
		return 0;
	put_u32(buf, HXFR_MAGIC);
	buf[4] = type;
	buf[5] = 0; /* flags: reserved, always 0 on send */
	put_u16(buf + 6, session_id);
	put_u32(buf + 8, payload_size);
	memset(buf + HXFR_HEADER_SIZE, 0, payload_size);
	return HXFR_HEADER_SIZE + payload_size;
}

/* Copies at most field-1 bytes so the field always holds a NUL. */
static void put_string(uint8_t *dst, const char *s, size_t field)
{
	if (!s)
		return;
	size_t n = strnlen(s, field - 1);
	memcpy(dst, s, n);
}

size_t hxfr_encode_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t session_id)
{
	return begin(buf, cap, type, session_id, 0);
}

void hxfr_frame_header_set_latency(uint8_t *prefix, uint32_t latency_us)
{
	uint32_t steps = latency_us / 100u + (latency_us % 100u != 0);
	put_u16(prefix + HXFR_HEADER_SIZE + 18, (uint16_t)(steps > 0xffff ? 0xffff : steps));
}

size_t hxfr_encode_frame_header(uint8_t *buf, size_t cap, uint16_t scanout_id, int64_t pts_ns,
				int64_t dts_ns, bool keyframe, uint32_t au_size)
{
	const uint32_t prefix = FRAME_FIXED_SIZE + 4u;
	if (au_size > UINT32_MAX - prefix || cap < HXFR_FRAME_PREFIX_SIZE)
		return 0;
	/* Only the prefix is written here; the payload_size covers the AU that
	 * the caller sends next. */
	put_u32(buf, HXFR_MAGIC);
	buf[4] = HXFR_FRAME_RESPONSE;
	buf[5] = 0;
	put_u16(buf + 6, scanout_id);
	put_u32(buf + 8, prefix + au_size);
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u64(p, i64_bits(pts_ns));
	put_u64(p + 8, i64_bits(dts_ns));
	p[16] = keyframe ? 1 : 0;
	p[17] = p[18] = p[19] = 0;
	put_u32(p + 20, 1); /* nal_count: one Annex-B access unit, as Helix */
	put_u32(p + 24, au_size);
	return HXFR_FRAME_PREFIX_SIZE;
}

static size_t encode_config(uint8_t *buf, size_t cap, uint8_t type, uint16_t session_id,
			    const struct hxfr_config_req *c)
{
	size_t n = begin(buf, cap, type, session_id, CONFIG_SIZE);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u32(p, c->width);
	put_u32(p + 4, c->height);
	put_u32(p + 8, c->bitrate_bps);
	put_u32(p + 12, c->framerate_num);
	put_u32(p + 16, c->framerate_den);
	p[20] = c->profile;
	p[21] = c->level;
	p[22] = c->realtime;
	return n;
}

size_t hxfr_encode_config_req(uint8_t *buf, size_t cap, uint16_t session_id,
			      const struct hxfr_config_req *c)
{
	return encode_config(buf, cap, HXFR_CONFIG_REQ, session_id, c);
}

size_t hxfr_encode_config_resp(uint8_t *buf, size_t cap, uint16_t session_id,
			       const struct hxfr_config_req *applied)
{
	return encode_config(buf, cap, HXFR_CONFIG_RESP, session_id, applied);
}

size_t hxfr_encode_enable_scanout(uint8_t *buf, size_t cap, const struct hxfr_enable_scanout *e)
{
	size_t n = begin(buf, cap, HXFR_ENABLE_SCANOUT, 0, ENABLE_SIZE);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u32(p, e->scanout_id);
	put_u32(p + 4, e->width);
	put_u32(p + 8, e->height);
	put_u32(p + 12, e->refresh_hz);
	return n;
}

size_t hxfr_encode_disable_scanout(uint8_t *buf, size_t cap, uint32_t scanout_id)
{
	size_t n = begin(buf, cap, HXFR_DISABLE_SCANOUT, 0, SCANOUT_ID_SIZE);
	if (n)
		put_u32(buf + HXFR_HEADER_SIZE, scanout_id);
	return n;
}

size_t hxfr_encode_scanout_resp(uint8_t *buf, size_t cap, uint32_t scanout_id, bool success,
				const char *connector)
{
	size_t n = begin(buf, cap, HXFR_SCANOUT_RESP, 0, SCANOUT_RESP_SIZE);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u32(p, scanout_id);
	put_u32(p + 4, success ? 1 : 0);
	put_string(p + 8, connector, HXFR_CONNECTOR_NAME_LEN);
	return n;
}

/* Helix puts the scanout id in session_id on SUBSCRIBE, SUBSCRIBE_RESP and
 * FRAME_RESPONSE, truncated to 16 bits (there are at most 16 scanouts). */
size_t hxfr_encode_subscribe(uint8_t *buf, size_t cap, uint32_t scanout_id)
{
	size_t n = begin(buf, cap, HXFR_SUBSCRIBE, (uint16_t)scanout_id, SCANOUT_ID_SIZE);
	if (n)
		put_u32(buf + HXFR_HEADER_SIZE, scanout_id);
	return n;
}

size_t hxfr_encode_subscribe_resp(uint8_t *buf, size_t cap, uint32_t scanout_id, bool success)
{
	size_t n = begin(buf, cap, HXFR_SUBSCRIBE_RESP, (uint16_t)scanout_id, SUBSCRIBE_RESP_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, scanout_id);
	put_u32(buf + HXFR_HEADER_SIZE + 4, success ? 1 : 0);
	return n;
}

static size_t encode_hello(uint8_t *buf, size_t cap, uint8_t type, uint32_t size, uint32_t features)
{
	size_t n = begin(buf, cap, type, 0, size);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	memcpy(p, HXFR_EXT_TAG, 4);
	put_u16(p + 4, HXFR_EXT_VERSION);
	put_u32(p + 8, features);
	return n;
}

size_t hxfr_encode_hello(uint8_t *buf, size_t cap, uint32_t features)
{
	return encode_hello(buf, cap, HXFR_HELLO, HELLO_SIZE, features);
}

size_t hxfr_encode_hello_resp(uint8_t *buf, size_t cap, uint32_t features,
			      const uint8_t nonce[HXFR_NONCE_LEN])
{
	size_t n = encode_hello(buf, cap, HXFR_HELLO_RESP, HELLO_RESP_SIZE, features);
	if (n)
		memcpy(buf + HXFR_HEADER_SIZE + HELLO_SIZE, nonce, HXFR_NONCE_LEN);
	return n;
}

size_t hxfr_encode_auth(uint8_t *buf, size_t cap, const uint8_t mac[HXFR_MAC_LEN])
{
	size_t n = begin(buf, cap, HXFR_AUTH, 0, AUTH_SIZE);
	if (n)
		memcpy(buf + HXFR_HEADER_SIZE, mac, HXFR_MAC_LEN);
	return n;
}

size_t hxfr_encode_auth_resp(uint8_t *buf, size_t cap, bool success, uint32_t granted)
{
	size_t n = begin(buf, cap, HXFR_AUTH_RESP, 0, AUTH_RESP_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, success ? 1 : 0);
	put_u32(buf + HXFR_HEADER_SIZE + 4, granted);
	return n;
}

size_t hxfr_encode_error(uint8_t *buf, size_t cap, uint16_t session_id, int32_t code,
			 const char *message)
{
	size_t n = begin(buf, cap, HXFR_ERROR, session_id, ERROR_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, i32_bits(code));
	put_string(buf + HXFR_HEADER_SIZE + 4, message, HXFR_ERROR_MESSAGE_LEN);
	return n;
}

static size_t encode_scanout_id(uint8_t *buf, size_t cap, uint8_t type, uint32_t scanout_id)
{
	size_t n = begin(buf, cap, type, 0, SCANOUT_ID_SIZE);
	if (n)
		put_u32(buf + HXFR_HEADER_SIZE, scanout_id);
	return n;
}

size_t hxfr_encode_stream_key_req(uint8_t *buf, size_t cap, uint32_t scanout_id)
{
	return encode_scanout_id(buf, cap, HXFR_STREAM_KEY_REQ, scanout_id);
}

size_t hxfr_encode_stream_key_revoke(uint8_t *buf, size_t cap, uint32_t scanout_id)
{
	return encode_scanout_id(buf, cap, HXFR_STREAM_KEY_REVOKE, scanout_id);
}

static size_t encode_stream_key(uint8_t *buf, size_t cap, uint8_t type, uint16_t session_id,
				uint32_t scanout_id, const uint8_t *key)
{
	size_t n = begin(buf, cap, type, session_id, STREAM_KEY_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, scanout_id);
	if (key) /* else left zero by begin() */
		memcpy(buf + HXFR_HEADER_SIZE + 4, key, HXFR_STREAM_KEY_LEN);
	return n;
}

size_t hxfr_encode_stream_key(uint8_t *buf, size_t cap, uint32_t scanout_id,
			      const uint8_t key[HXFR_STREAM_KEY_LEN])
{
	return encode_stream_key(buf, cap, HXFR_STREAM_KEY, 0, scanout_id, key);
}

/* Like SUBSCRIBE, the scanout id also goes in session_id (truncated). */
size_t hxfr_encode_subscribe_keyed(uint8_t *buf, size_t cap, uint32_t scanout_id,
				   const uint8_t key[HXFR_STREAM_KEY_LEN])
{
	if (hxfr_stream_key_is_zero(key))
		return 0;
	return encode_stream_key(buf, cap, HXFR_SUBSCRIBE_KEYED, (uint16_t)scanout_id, scanout_id,
				 key);
}

size_t hxfr_encode_cursor_define(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t width,
				 int32_t height, int32_t hot_x, int32_t hot_y,
				 const uint8_t *pixels)
{
	if (!cursor_in_range(width, height, hot_x, hot_y))
		return 0;
	size_t pixels_len = (size_t)width * (size_t)height * 4u;
	size_t n = begin(buf, cap, HXFR_CURSOR_DEFINE, scanout_id,
			 (uint32_t)(CURSOR_FIXED_SIZE + pixels_len));
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u32(p, i32_bits(width));
	put_u32(p + 4, i32_bits(height));
	put_u32(p + 8, i32_bits(hot_x));
	put_u32(p + 12, i32_bits(hot_y));
	memcpy(p + CURSOR_FIXED_SIZE, pixels, pixels_len);
	return n;
}

size_t hxfr_encode_cursor_move(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t x, int32_t y,
			       bool visible)
{
	size_t n = begin(buf, cap, HXFR_CURSOR_MOVE, scanout_id, CURSOR_MOVE_SIZE);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	put_u32(p, i32_bits(x));
	put_u32(p + 4, i32_bits(y));
	put_u32(p + 8, visible ? 1 : 0);
	return n;
}

void hxfr_stream_key_to_hex(const uint8_t key[HXFR_STREAM_KEY_LEN],
			    char out[HXFR_STREAM_KEY_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < HXFR_STREAM_KEY_LEN; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 0xf];
	}
	out[HXFR_STREAM_KEY_HEX_LEN] = '\0';
}

/* Not isxdigit(): that depends on the locale. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hxfr_stream_key_from_hex(const char *hex, uint8_t key[HXFR_STREAM_KEY_LEN])
{
	uint8_t tmp[HXFR_STREAM_KEY_LEN];
	/* strnlen bounds the read: a 65th character means too long. */
	if (!hex || strnlen(hex, HXFR_STREAM_KEY_HEX_LEN + 1) != HXFR_STREAM_KEY_HEX_LEN)
		return -EINVAL;
	for (size_t i = 0; i < HXFR_STREAM_KEY_LEN; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, tmp, sizeof(tmp));
	return 0;
}

static size_t encode_key(uint8_t *buf, size_t cap, uint8_t type, uint16_t scanout_id, uint16_t code,
			 bool down)
{
	if (!key_code_ok(type, code))
		return 0;
	size_t n = begin(buf, cap, type, scanout_id, INPUT_KEY_SIZE);
	if (!n)
		return 0;
	put_u16(buf + HXFR_HEADER_SIZE, code);
	buf[HXFR_HEADER_SIZE + 2] = down ? 1 : 0;
	return n;
}

size_t hxfr_encode_input_key(uint8_t *buf, size_t cap, uint16_t scanout_id, uint16_t code,
			     bool down)
{
	return encode_key(buf, cap, HXFR_INPUT_KEY, scanout_id, code, down);
}

size_t hxfr_encode_input_button(uint8_t *buf, size_t cap, uint16_t scanout_id, uint16_t code,
				bool down)
{
	return encode_key(buf, cap, HXFR_INPUT_BUTTON, scanout_id, code, down);
}

static size_t encode_xy(uint8_t *buf, size_t cap, uint8_t type, uint16_t scanout_id, uint32_t x,
			uint32_t y)
{
	size_t n = begin(buf, cap, type, scanout_id, INPUT_XY_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, x);
	put_u32(buf + HXFR_HEADER_SIZE + 4, y);
	return n;
}

size_t hxfr_encode_input_abs(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t x, int32_t y)
{
	return encode_xy(buf, cap, HXFR_INPUT_ABS, scanout_id, i32_bits(x), i32_bits(y));
}

size_t hxfr_encode_input_rel(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t dx, int32_t dy)
{
	return encode_xy(buf, cap, HXFR_INPUT_REL, scanout_id, i32_bits(dx), i32_bits(dy));
}

size_t hxfr_encode_input_wheel(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t dx,
			       int32_t dy)
{
	if (!wheel_ok(dx) || !wheel_ok(dy))
		return 0;
	return encode_xy(buf, cap, HXFR_INPUT_WHEEL, scanout_id, i32_bits(dx), i32_bits(dy));
}

size_t hxfr_encode_input_touch(uint8_t *buf, size_t cap, uint16_t scanout_id, uint8_t kind,
			       uint32_t slot, int32_t x, int32_t y)
{
	if (!touch_ok(kind, slot))
		return 0;
	size_t n = begin(buf, cap, HXFR_INPUT_TOUCH, scanout_id, INPUT_TOUCH_SIZE);
	if (!n)
		return 0;
	uint8_t *p = buf + HXFR_HEADER_SIZE;
	p[0] = kind;
	put_u32(p + 4, slot);
	put_u32(p + 8, i32_bits(x));
	put_u32(p + 12, i32_bits(y));
	return n;
}

size_t hxfr_encode_resize_req(uint8_t *buf, size_t cap, uint16_t scanout_id, uint32_t width,
			      uint32_t height)
{
	if (!resize_ok(width, height))
		return 0;
	size_t n = begin(buf, cap, HXFR_RESIZE_REQ, scanout_id, RESIZE_SIZE);
	if (!n)
		return 0;
	put_u32(buf + HXFR_HEADER_SIZE, width);
	put_u32(buf + HXFR_HEADER_SIZE + 4, height);
	return n;
}
