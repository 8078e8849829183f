/* The Helix lease socket (helix-drm-manager), byte-compatible, plus
 * leasecast's extension commands. A pure codec. See helix-lease.md.
 * INPUT_DEVICES bodies (and the STATUS "extensions" list) are read with a
 * small strict JSON reader of its own, bounded in depth and size.
 *
 * Little-endian, packed. A client sends 9-byte requests on a Unix stream
 * socket; a lease reply is 69 bytes with the lease fd attached (SCM_RIGHTS).
 * The connection's life is the lease's life. */
#ifndef LC_HELIX_LEASE_H
#define LC_HELIX_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_input.h"

#define HELIX_LEASE_REQ_SIZE 9u
#define HELIX_LEASE_RESP_SIZE 69u
#define HELIX_LEASE_NAME_LEN 64u
#define HELIX_LEASE_DEFAULT_WIDTH 1920u
#define HELIX_LEASE_DEFAULT_HEIGHT 1080u
#define HELIX_LEASE_MAX_DIM 16384u
/* Extension replies: 5-byte header (u8 status, u32 length) + length bytes. */
#define HELIX_LEASE_EXT_HDR_SIZE 5u
#define HELIX_LEASE_EXT_MAX 65536u

enum helix_lease_cmd {
	HELIX_LEASE_CMD_LEASE = 1,   /* width, height (0x0: 1920x1080) */
	HELIX_LEASE_CMD_RELEASE = 2, /* scanout id in the width field; no reply */
	/* leasecast extension */
	HELIX_LEASE_CMD_STATUS = 3, /* reply: ext header + UTF-8 JSON text */
	/* magic in width, height reserved (0); reply: ext header, length 0 on
	 * success, else a text starting with the errno name */
	HELIX_LEASE_CMD_AUTH_MAGIC = 4,
	/* width, height reserved (0, ignored); reply: ext header + JSON body
	 * (helix_lease_inputs_*) with one SCM_RIGHTS fd per entry, in order */
	HELIX_LEASE_CMD_INPUT_DEVICES = 5,
};

/* The name a broker lists in STATUS "extensions" for each command. */
#define HELIX_LEASE_EXT_NAME_STATUS "status"
#define HELIX_LEASE_EXT_NAME_AUTH_MAGIC "auth_magic"
#define HELIX_LEASE_EXT_NAME_INPUT_DEVICES "input_devices"

enum helix_lease_status {
	HELIX_LEASE_OK = 0,
	HELIX_LEASE_ERROR = 1
};

enum helix_lease_result {
	HELIX_LEASE_DECODE_OK = 0,
	HELIX_LEASE_DECODE_SHORT = -1,  /* fewer bytes than a message */
	HELIX_LEASE_DECODE_CMD = -2,    /* unknown command */
	HELIX_LEASE_DECODE_VALUE = -3,  /* a field out of range */
	HELIX_LEASE_DECODE_NAME = -4,   /* name not NUL-terminated or not printable */
	HELIX_LEASE_DECODE_STATUS = -5, /* status byte neither 0 nor 1 */
	HELIX_LEASE_DECODE_BODY = -6,   /* an extension body that is not what the spec says */
};

struct helix_lease_req {
	uint8_t cmd;
	uint32_t width; /* RELEASE: the scanout id */
	uint32_t height;
};

struct helix_lease_resp {
	uint8_t status;
	uint32_t scanout_id;
	char name[HELIX_LEASE_NAME_LEN]; /* connector name, or the error message */
};

/* Decodes exactly HELIX_LEASE_REQ_SIZE bytes. A LEASE of 0x0 becomes
 * 1920x1080; one dimension 0 or either above HELIX_LEASE_MAX_DIM is
 * HELIX_LEASE_DECODE_VALUE. */
enum helix_lease_result helix_lease_req_decode(const uint8_t *buf, size_t len,
					       struct helix_lease_req *req);
size_t helix_lease_req_encode(uint8_t *buf, size_t cap, const struct helix_lease_req *req);

enum helix_lease_result helix_lease_resp_decode(const uint8_t *buf, size_t len,
						struct helix_lease_resp *resp);
/* name is truncated to 63 bytes and NUL-padded. */
size_t helix_lease_resp_encode(uint8_t *buf, size_t cap, uint8_t status, uint32_t scanout_id,
			       const char *name);

/* Extension reply header. */
size_t helix_lease_ext_hdr_encode(uint8_t *buf, size_t cap, uint8_t status, uint32_t length);
enum helix_lease_result helix_lease_ext_hdr_decode(const uint8_t *buf, size_t len, uint8_t *status,
						   uint32_t *length);

/* INPUT_DEVICES success body, {"input_devices":[{"connector":...,"kind":
 * ...,"uniq":...},...]}, from in[0..n) (their fds are not looked at). 0 when
 * it does not fit in cap, n exceeds LC_LEASE_INPUT_MAX, a kind has no name
 * or a connector or uniq is empty or has a byte the spec does not allow. */
size_t helix_lease_inputs_encode(char *buf, size_t cap, const struct lc_lease_input *in, size_t n);
/* Decodes such a body (len bytes, no NUL needed) into out[0..*n), at most
 * max entries, each fd -1 (the caller pairs them with the reply's
 * descriptors, in order). Unknown keys are skipped; an unknown kind name
 * is LC_LEASE_INPUT_UNKNOWN. HELIX_LEASE_DECODE_BODY (with *n 0) for
 * anything malformed, more than max entries, or values out of the spec. */
enum helix_lease_result helix_lease_inputs_decode(const char *body, size_t len,
						  struct lc_lease_input *out, size_t max,
						  size_t *n);
/* Does a STATUS body list `name` (HELIX_LEASE_EXT_NAME_*) in its top-level
 * "extensions" array? false also for a body that is not valid JSON. */
bool helix_lease_status_has_extension(const char *json, size_t len, const char *name);

const char *helix_lease_result_str(enum helix_lease_result r);

#endif
