/* HXFR: the Helix frame-export wire format, plus leasecast's versioned
 * extensions. A pure codec: no I/O, no allocation. See HXFR.md.
 *
 * All integers are little-endian; messages are a 12-byte header followed
 * by payload_size bytes. */
#ifndef LC_HXFR_H
#define LC_HXFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HXFR_MAGIC 0x52465848u /* "HXFR" */
#define HXFR_HEADER_SIZE 12u
#define HXFR_DEFAULT_PORT 15937
/* What a server accepts from a client; nothing a client sends is larger. */
#define HXFR_MAX_CLIENT_PAYLOAD 4096u
/* What a client accepts from a server (one encoded access unit). */
#define HXFR_MAX_SERVER_PAYLOAD (32u << 20)
/* FRAME_RESPONSE: at most this many NAL entries (Helix always sends 1). */
#define HXFR_MAX_NAL_COUNT 1024u

#define HXFR_CONNECTOR_NAME_LEN 64
#define HXFR_ERROR_MESSAGE_LEN 256
#define HXFR_NONCE_LEN 32
#define HXFR_MAC_LEN 32 /* HMAC-SHA256 */
#define HXFR_EXT_TAG "LCST"
#define HXFR_EXT_VERSION 1
#define HXFR_STREAM_KEY_LEN 32
#define HXFR_STREAM_KEY_HEX_LEN (2 * HXFR_STREAM_KEY_LEN) /* without the NUL */
/* CURSOR_DEFINE: 1..HXFR_CURSOR_MAX_SIZE pixels in each dimension. */
#define HXFR_CURSOR_MAX_SIZE 512

enum hxfr_type {
	/* Helix v1 */
	HXFR_FRAME_RESPONSE = 0x02,
	HXFR_KEYFRAME_REQ = 0x03,
	HXFR_CONFIG_REQ = 0x04,
	HXFR_CONFIG_RESP = 0x05,
	HXFR_PING = 0x10,
	HXFR_PONG = 0x11,
	HXFR_ENABLE_SCANOUT = 0x20,
	HXFR_DISABLE_SCANOUT = 0x21,
	HXFR_SCANOUT_RESP = 0x22,
	HXFR_SUBSCRIBE = 0x30,
	HXFR_SUBSCRIBE_RESP = 0x31,
	/* leasecast extension v1 (0x40..0x5f), see HXFR.md */
	HXFR_HELLO = 0x40,
	HXFR_HELLO_RESP = 0x41,
	HXFR_AUTH = 0x42,
	HXFR_AUTH_RESP = 0x43,
	HXFR_STREAM_KEY_REQ = 0x44,
	HXFR_STREAM_KEY = 0x45,
	HXFR_STREAM_KEY_REVOKE = 0x46,
	HXFR_SUBSCRIBE_KEYED = 0x47,
	HXFR_CURSOR_DEFINE = 0x48,
	HXFR_CURSOR_MOVE = 0x49,
	/* input and size, subscriber -> server (HXFR.md §5.10) */
	HXFR_INPUT_KEY = 0x4a,
	HXFR_INPUT_BUTTON = 0x4b,
	HXFR_INPUT_ABS = 0x4c,
	HXFR_INPUT_REL = 0x4d,
	HXFR_INPUT_WHEEL = 0x4e,
	HXFR_INPUT_TOUCH = 0x4f,
	HXFR_INPUT_RELEASE_ALL = 0x50,
	HXFR_RESIZE_REQ = 0x51,
	/* a new frame of the unchanged picture, subscriber -> server (§4.2.1) */
	HXFR_REFRESH_REQ = 0x52,
	HXFR_ERROR = 0xff,
};

/* Error codes carried in HXFR_ERROR (i32). Helix defined none; these are ours. */
enum hxfr_error_code {
	HXFR_ERR_BAD_MAGIC = 1,
	HXFR_ERR_UNKNOWN_TYPE = 2,
	HXFR_ERR_BAD_SIZE = 3,
	HXFR_ERR_OVERSIZE = 4,
	HXFR_ERR_UNAUTHENTICATED = 5,
	HXFR_ERR_BAD_SCANOUT = 6,
	HXFR_ERR_BACKEND = 7, /* QEMU refused or is gone */
	HXFR_ERR_UNSUPPORTED = 8,
	HXFR_ERR_AUTH_FAILED = 9,
	HXFR_ERR_LIMIT = 10,       /* quota or rate limit */
	HXFR_ERR_BAD_VALUE = 11,   /* a field out of range */
	HXFR_ERR_PROTOCOL = 12,    /* out of sequence */
	HXFR_ERR_KEY_REVOKED = 13, /* the subscription's stream key died */
};

/* Result of decoding; negative values are errors. */
enum hxfr_status {
	HXFR_OK = 0,
	HXFR_NEED_MORE = 1,   /* not an error: wait for more bytes */
	HXFR_E_MAGIC = -1,    /* stream is desynchronised: close */
	HXFR_E_TYPE = -2,     /* unknown type; header valid, payload skippable */
	HXFR_E_SIZE = -3,     /* payload_size wrong for the type; skippable */
	HXFR_E_OVERSIZE = -4, /* payload_size beyond the limit: close */
	HXFR_E_VALUE = -5,    /* a field is invalid; skippable */
};

struct hxfr_header {
	uint32_t magic;
	uint8_t type;
	uint8_t flags;
	uint16_t session_id;
	uint32_t payload_size;
};

struct hxfr_frame { /* FRAME_RESPONSE */
	int64_t pts_ns;
	int64_t dts_ns;
	bool keyframe;
	/* leasecast: the time from pts to the end of its encode, µs (100-µs
	 * steps); 0: not told (Helix's QEMU leaves the bytes zero). */
	uint32_t latency_us;
	uint32_t nal_count;
	const uint8_t *nals; /* nal_count x (u32 size, bytes), validated */
	size_t nals_len;
};

struct hxfr_config_req {
	uint32_t width, height, bitrate_bps, framerate_num, framerate_den;
	uint8_t profile, level, realtime;
};

struct hxfr_enable_scanout {
	uint32_t scanout_id, width, height, refresh_hz;
};

struct hxfr_scanout_resp {
	uint32_t scanout_id;
	uint32_t success;
	char connector[HXFR_CONNECTOR_NAME_LEN]; /* always NUL-terminated */
};

struct hxfr_subscribe_resp {
	uint32_t scanout_id;
	uint32_t success;
};

struct hxfr_hello { /* HELLO (client) and HELLO_RESP (server) */
	uint16_t version;
	uint32_t features;
	uint8_t nonce[HXFR_NONCE_LEN]; /* HELLO_RESP only */
};

struct hxfr_auth_resp {
	uint32_t success;
	uint32_t granted; /* features now allowed */
};

/* STREAM_KEY (server) and SUBSCRIBE_KEYED (client). */
struct hxfr_stream_key {
	uint32_t scanout_id;
	uint8_t key[HXFR_STREAM_KEY_LEN]; /* all zero: no key (STREAM_KEY only) */
};

struct hxfr_cursor_define {    /* session_id = scanout id */
	int32_t width, height; /* 1..HXFR_CURSOR_MAX_SIZE */
	int32_t hot_x, hot_y;  /* inside the image */
	const uint8_t *pixels; /* width*height ARGB8888, each a u32 LE, premultiplied */
	size_t pixels_len;     /* width * height * 4 */
};

struct hxfr_cursor_move { /* session_id = scanout id */
	int32_t x, y;
	bool visible;
};

/* INPUT_KEY (code: Linux KEY_*, 1..HXFR_KEY_CODE_MAX) and INPUT_BUTTON
 * (code: Linux BTN_LEFT..BTN_TASK); session_id = scanout id. */
struct hxfr_input_key {
	uint16_t code;
	bool down;
};
#define HXFR_KEY_CODE_MAX 0x2ffu    /* KEY_MAX */
#define HXFR_BUTTON_CODE_MIN 0x110u /* BTN_LEFT */
#define HXFR_BUTTON_CODE_MAX 0x117u /* BTN_TASK */
/* INPUT_ABS (scanout pixels), INPUT_REL (pixels), INPUT_WHEEL (1/120 of a
 * notch, y > 0 scrolls down, x > 0 right; |x|, |y| <= HXFR_WHEEL_MAX). */
struct hxfr_input_xy {
	int32_t x, y;
};
#define HXFR_WHEEL_NOTCH 120
#define HXFR_WHEEL_MAX 12000
enum hxfr_touch_kind {
	HXFR_TOUCH_BEGIN = 0,
	HXFR_TOUCH_UPDATE = 1,
	HXFR_TOUCH_END = 2,
	HXFR_TOUCH_CANCEL = 3,
};
#define HXFR_TOUCH_MAX_SLOTS 10u
struct hxfr_input_touch {
	uint8_t kind;  /* enum hxfr_touch_kind */
	uint32_t slot; /* < HXFR_TOUCH_MAX_SLOTS */
	int32_t x, y;  /* scanout pixels */
};
/* RESIZE_REQ: each side HXFR_RESIZE_MIN..HXFR_RESIZE_MAX. */
struct hxfr_resize {
	uint32_t width, height;
};
#define HXFR_RESIZE_MIN 64u
#define HXFR_RESIZE_MAX 8192u
struct hxfr_error {
	int32_t code;
	char message[HXFR_ERROR_MESSAGE_LEN]; /* always NUL-terminated */
};

struct hxfr_msg {
	struct hxfr_header hdr;
	union {
		struct hxfr_frame frame;
		struct hxfr_config_req config;
		struct hxfr_enable_scanout enable;
		uint32_t scanout_id; /* DISABLE_SCANOUT, SUBSCRIBE, STREAM_KEY_REQ,
					 * STREAM_KEY_REVOKE */
		struct hxfr_scanout_resp scanout_resp;
		struct hxfr_subscribe_resp subscribe_resp;
		struct hxfr_hello hello;
		uint8_t mac[HXFR_MAC_LEN]; /* AUTH */
		struct hxfr_auth_resp auth_resp;
		struct hxfr_error error;
		struct hxfr_stream_key stream_key;      /* STREAM_KEY */
		struct hxfr_stream_key subscribe_keyed; /* SUBSCRIBE_KEYED, key never zero */
		struct hxfr_cursor_define cursor_define;
		struct hxfr_cursor_move cursor_move;
		struct hxfr_input_key input_key;     /* INPUT_KEY, INPUT_BUTTON */
		struct hxfr_input_xy input_xy;       /* INPUT_ABS, INPUT_REL, INPUT_WHEEL */
		struct hxfr_input_touch input_touch; /* INPUT_TOUCH */
		struct hxfr_resize resize;           /* RESIZE_REQ */
	} u;
};

/* Feature bits negotiated in HELLO. */
#define HXFR_FEATURE_CONTROL 0x1u     /* ENABLE/DISABLE_SCANOUT */
#define HXFR_FEATURE_STREAM_KEYS 0x2u /* STREAM_KEY_REQ/REVOKE, SUBSCRIBE_KEYED */
#define HXFR_FEATURE_CURSOR 0x4u      /* CURSOR_DEFINE/MOVE to this subscriber */
#define HXFR_FEATURE_INPUT 0x8u       /* INPUT_*, RESIZE_REQ from this subscriber */
#define HXFR_FEATURE_REFRESH 0x10u    /* the server honours REFRESH_REQ */

/* Decodes the header at buf. HXFR_NEED_MORE if len < 12; HXFR_E_MAGIC;
 * HXFR_E_OVERSIZE if payload_size > max_payload. Type is not checked. */
enum hxfr_status hxfr_header_decode(const uint8_t *buf, size_t len, size_t max_payload,
				    struct hxfr_header *hdr);

/* Decodes one whole message at buf. On HXFR_OK, HXFR_E_TYPE, HXFR_E_SIZE
 * and HXFR_E_VALUE, *consumed is the message's full length (header and
 * payload), so the caller can skip it and keep the stream in sync; pointers
 * in msg point into buf. HXFR_NEED_MORE until the whole payload is there.
 * On HXFR_E_MAGIC and HXFR_E_OVERSIZE, *consumed is 0 and msg->hdr holds
 * the header as read (for the error message); the caller closes. */
enum hxfr_status hxfr_decode(const uint8_t *buf, size_t len, size_t max_payload,
			     struct hxfr_msg *msg, size_t *consumed);

const char *hxfr_status_str(enum hxfr_status st);
const char *hxfr_type_name(uint8_t type); /* "UNKNOWN" for others */

/* Encoders write a whole message (header included) and return its length,
 * or 0 if cap is too small. Strings are truncated to their field. */
size_t hxfr_encode_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t session_id);
size_t hxfr_encode_frame_header(uint8_t *buf, size_t cap, uint16_t scanout_id, int64_t pts_ns,
				int64_t dts_ns, bool keyframe, uint32_t au_size);
/* ^ writes the 12+24+4 bytes that precede a single-NAL-blob access unit of
 * au_size bytes (Helix's layout: nal_count=1); the caller sends the AU after. */
/* Puts the frame's latency (pts to the end of its encode, µs; rounded up to
 * 100-µs steps, saturating at 6.5535 s) into a prefix written by
 * hxfr_encode_frame_header (HXFR.md §4.1, offset 18). */
void hxfr_frame_header_set_latency(uint8_t *prefix, uint32_t latency_us);
#define HXFR_FRAME_PREFIX_SIZE (HXFR_HEADER_SIZE + 24u + 4u)
size_t hxfr_encode_config_req(uint8_t *buf, size_t cap, uint16_t session_id,
			      const struct hxfr_config_req *c);
/* CONFIG_RESP: the same 28-byte layout as CONFIG_REQ, echoing what was applied. */
size_t hxfr_encode_config_resp(uint8_t *buf, size_t cap, uint16_t session_id,
			       const struct hxfr_config_req *applied);
size_t hxfr_encode_enable_scanout(uint8_t *buf, size_t cap, const struct hxfr_enable_scanout *e);
size_t hxfr_encode_disable_scanout(uint8_t *buf, size_t cap, uint32_t scanout_id);
size_t hxfr_encode_scanout_resp(uint8_t *buf, size_t cap, uint32_t scanout_id, bool success,
				const char *connector);
size_t hxfr_encode_subscribe(uint8_t *buf, size_t cap, uint32_t scanout_id);
size_t hxfr_encode_subscribe_resp(uint8_t *buf, size_t cap, uint32_t scanout_id, bool success);
size_t hxfr_encode_hello(uint8_t *buf, size_t cap, uint32_t features);
size_t hxfr_encode_hello_resp(uint8_t *buf, size_t cap, uint32_t features,
			      const uint8_t nonce[HXFR_NONCE_LEN]);
size_t hxfr_encode_auth(uint8_t *buf, size_t cap, const uint8_t mac[HXFR_MAC_LEN]);
size_t hxfr_encode_auth_resp(uint8_t *buf, size_t cap, bool success, uint32_t granted);
size_t hxfr_encode_error(uint8_t *buf, size_t cap, uint16_t session_id, int32_t code,
			 const char *message);

/* leasecast extension v1: stream keys (HXFR.md §5.8) and cursor (§5.9). */
size_t hxfr_encode_stream_key_req(uint8_t *buf, size_t cap, uint32_t scanout_id);
/* key NULL sends the all-zero key ("no key"). */
size_t hxfr_encode_stream_key(uint8_t *buf, size_t cap, uint32_t scanout_id,
			      const uint8_t key[HXFR_STREAM_KEY_LEN]);
size_t hxfr_encode_stream_key_revoke(uint8_t *buf, size_t cap, uint32_t scanout_id);
/* Also 0 for an all-zero key, which no receiver accepts. */
size_t hxfr_encode_subscribe_keyed(uint8_t *buf, size_t cap, uint32_t scanout_id,
				   const uint8_t key[HXFR_STREAM_KEY_LEN]);
/* pixels: width*height*4 bytes, already in wire order (u32 LE ARGB, as QEMU's
 * CursorDefine hands them over on a little-endian host). Also 0 when the
 * size or hotspot is out of range (a receiver would reject the message).
 * The message is 12 + 16 + w*h*4 bytes: at most HXFR_CURSOR_DEFINE_MAX_SIZE. */
size_t hxfr_encode_cursor_define(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t width,
				 int32_t height, int32_t hot_x, int32_t hot_y,
				 const uint8_t *pixels);
#define HXFR_CURSOR_DEFINE_MAX_SIZE \
	(HXFR_HEADER_SIZE + 16u + 4u * HXFR_CURSOR_MAX_SIZE * HXFR_CURSOR_MAX_SIZE)
size_t hxfr_encode_cursor_move(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t x, int32_t y,
			       bool visible);

/* Input and size (HXFR.md §5.10); session_id = the subscribed scanout.
 * Each returns 0, like every encoder, for a value no receiver accepts (a
 * code, down, kind, slot or size out of range). INPUT_RELEASE_ALL (like
 * KEYFRAME_REQ and REFRESH_REQ) has no payload: hxfr_encode_empty. */
size_t hxfr_encode_input_key(uint8_t *buf, size_t cap, uint16_t scanout_id, uint16_t code,
			     bool down);
size_t hxfr_encode_input_button(uint8_t *buf, size_t cap, uint16_t scanout_id, uint16_t code,
				bool down);
size_t hxfr_encode_input_abs(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t x, int32_t y);
size_t hxfr_encode_input_rel(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t dx, int32_t dy);
size_t hxfr_encode_input_wheel(uint8_t *buf, size_t cap, uint16_t scanout_id, int32_t dx,
			       int32_t dy);
size_t hxfr_encode_input_touch(uint8_t *buf, size_t cap, uint16_t scanout_id, uint8_t kind,
			       uint32_t slot, int32_t x, int32_t y);
size_t hxfr_encode_resize_req(uint8_t *buf, size_t cap, uint16_t scanout_id, uint32_t width,
			      uint32_t height);
/* true if every byte of the key is 0 ("no key"). */
bool hxfr_stream_key_is_zero(const uint8_t key[HXFR_STREAM_KEY_LEN]);
/* Stream keys travel to lease holders as 64 lower-case hex digits + NUL. */
void hxfr_stream_key_to_hex(const uint8_t key[HXFR_STREAM_KEY_LEN],
			    char out[HXFR_STREAM_KEY_HEX_LEN + 1]);
/* Exactly 64 hex digits, either case, then the end of the string; else
 * -EINVAL and key is left untouched. 0 on success. */
int hxfr_stream_key_from_hex(const char *hex, uint8_t key[HXFR_STREAM_KEY_LEN]);

#endif
