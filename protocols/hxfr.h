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
	HXFR_ERR_BACKEND = 7,     /* QEMU refused or is gone */
	HXFR_ERR_UNSUPPORTED = 8,
	HXFR_ERR_AUTH_FAILED = 9,
	HXFR_ERR_LIMIT = 10,      /* quota or rate limit */
	HXFR_ERR_BAD_VALUE = 11,  /* a field out of range */
	HXFR_ERR_PROTOCOL = 12,   /* out of sequence */
};

/* Result of decoding; negative values are errors. */
enum hxfr_status {
	HXFR_OK = 0,
	HXFR_NEED_MORE = 1,     /* not an error: wait for more bytes */
	HXFR_E_MAGIC = -1,      /* stream is desynchronised: close */
	HXFR_E_TYPE = -2,       /* unknown type; header valid, payload skippable */
	HXFR_E_SIZE = -3,       /* payload_size wrong for the type; skippable */
	HXFR_E_OVERSIZE = -4,   /* payload_size beyond the limit: close */
	HXFR_E_VALUE = -5,      /* a field is invalid; skippable */
};

struct hxfr_header {
	uint32_t magic;
	uint8_t type;
	uint8_t flags;
	uint16_t session_id;
	uint32_t payload_size;
};

struct hxfr_frame {             /* FRAME_RESPONSE */
	int64_t pts_ns;
	int64_t dts_ns;
	bool keyframe;
	uint32_t nal_count;
	const uint8_t *nals;        /* nal_count x (u32 size, bytes), validated */
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

struct hxfr_hello {             /* HELLO (client) and HELLO_RESP (server) */
	uint16_t version;
	uint32_t features;
	uint8_t nonce[HXFR_NONCE_LEN]; /* HELLO_RESP only */
};

struct hxfr_auth_resp {
	uint32_t success;
	uint32_t granted;           /* features now allowed */
};

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
		uint32_t scanout_id;    /* DISABLE_SCANOUT, SUBSCRIBE */
		struct hxfr_scanout_resp scanout_resp;
		struct hxfr_subscribe_resp subscribe_resp;
		struct hxfr_hello hello;
		uint8_t mac[HXFR_MAC_LEN]; /* AUTH */
		struct hxfr_auth_resp auth_resp;
		struct hxfr_error error;
	} u;
};

/* Feature bits negotiated in HELLO. */
#define HXFR_FEATURE_CONTROL 0x1u  /* ENABLE/DISABLE_SCANOUT */

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
size_t hxfr_encode_frame_header(uint8_t *buf, size_t cap, uint16_t scanout_id,
				int64_t pts_ns, int64_t dts_ns, bool keyframe,
				uint32_t au_size);
/* ^ writes the 12+24+4 bytes that precede a single-NAL-blob access unit of
 * au_size bytes (Helix's layout: nal_count=1); the caller sends the AU after. */
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

#endif
