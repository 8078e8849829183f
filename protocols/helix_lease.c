#include "helix_lease.h"

#include <string.h>

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Names travel to logs and terminals: no control characters. Bytes >= 0x80
 * are let through so UTF-8 messages survive. */
static bool is_name_byte(uint8_t c)
{
	return c >= 0x20 && c != 0x7f;
}

enum helix_lease_result helix_lease_req_decode(const uint8_t *buf, size_t len,
					       struct helix_lease_req *req)
{
	if (len < HELIX_LEASE_REQ_SIZE)
		return HELIX_LEASE_DECODE_SHORT;
	req->cmd = buf[0];
	req->width = get_u32(buf + 1);
	req->height = get_u32(buf + 5);
	switch (req->cmd) {
	case HELIX_LEASE_CMD_LEASE:
		if (req->width == 0 && req->height == 0) {
			req->width = HELIX_LEASE_DEFAULT_WIDTH;
			req->height = HELIX_LEASE_DEFAULT_HEIGHT;
		}
		if (req->width == 0 || req->height == 0 || req->width > HELIX_LEASE_MAX_DIM ||
		    req->height > HELIX_LEASE_MAX_DIM)
			return HELIX_LEASE_DECODE_VALUE;
		return HELIX_LEASE_DECODE_OK;
	case HELIX_LEASE_CMD_RELEASE: /* scanout id in width; height unused */
	case HELIX_LEASE_CMD_STATUS:  /* both unused: senders write 0 */
		return HELIX_LEASE_DECODE_OK;
	case HELIX_LEASE_CMD_AUTH_MAGIC:
		/* magic in width; 0 is refused by the broker with a reply (not a
		 * framing error), so the connection survives it */
		req->height = 0; /* reserved: ignored */
		return HELIX_LEASE_DECODE_OK;
	default: return HELIX_LEASE_DECODE_CMD;
	}
}

size_t helix_lease_req_encode(uint8_t *buf, size_t cap, const struct helix_lease_req *req)
{
	if (cap < HELIX_LEASE_REQ_SIZE)
		return 0;
	buf[0] = req->cmd;
	put_u32(buf + 1, req->width);
	put_u32(buf + 5, req->height);
	return HELIX_LEASE_REQ_SIZE;
}

enum helix_lease_result helix_lease_resp_decode(const uint8_t *buf, size_t len,
						struct helix_lease_resp *resp)
{
	if (len < HELIX_LEASE_RESP_SIZE)
		return HELIX_LEASE_DECODE_SHORT;
	resp->status = buf[0];
	resp->scanout_id = get_u32(buf + 1);
	memset(resp->name, 0, sizeof(resp->name));
	if (resp->status != HELIX_LEASE_OK && resp->status != HELIX_LEASE_ERROR)
		return HELIX_LEASE_DECODE_STATUS;
	const uint8_t *name = buf + 5;
	const uint8_t *nul = memchr(name, '\0', HELIX_LEASE_NAME_LEN);
	if (!nul)
		return HELIX_LEASE_DECODE_NAME;
	size_t n = (size_t)(nul - name);
	for (size_t i = 0; i < n; i++)
		if (!is_name_byte(name[i]))
			return HELIX_LEASE_DECODE_NAME;
	memcpy(resp->name, name, n);
	return HELIX_LEASE_DECODE_OK;
}

size_t helix_lease_resp_encode(uint8_t *buf, size_t cap, uint8_t status, uint32_t scanout_id,
			       const char *name)
{
	if (cap < HELIX_LEASE_RESP_SIZE)
		return 0;
	memset(buf, 0, HELIX_LEASE_RESP_SIZE);
	buf[0] = status;
	put_u32(buf + 1, scanout_id);
	size_t n = name ? strnlen(name, HELIX_LEASE_NAME_LEN - 1) : 0;
	/* Control characters would make our own decoder (and Helix's logs)
	 * choke: replace them rather than send them. */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)name[i];
		buf[5 + i] = is_name_byte(c) ? c : '?';
	}
	return HELIX_LEASE_RESP_SIZE;
}

size_t helix_lease_ext_hdr_encode(uint8_t *buf, size_t cap, uint8_t status, uint32_t length)
{
	if (cap < HELIX_LEASE_EXT_HDR_SIZE || length > HELIX_LEASE_EXT_MAX)
		return 0;
	buf[0] = status;
	put_u32(buf + 1, length);
	return HELIX_LEASE_EXT_HDR_SIZE;
}

enum helix_lease_result helix_lease_ext_hdr_decode(const uint8_t *buf, size_t len, uint8_t *status,
						   uint32_t *length)
{
	if (len < HELIX_LEASE_EXT_HDR_SIZE)
		return HELIX_LEASE_DECODE_SHORT;
	*status = buf[0];
	*length = get_u32(buf + 1);
	if (*status != HELIX_LEASE_OK && *status != HELIX_LEASE_ERROR)
		return HELIX_LEASE_DECODE_STATUS;
	if (*length > HELIX_LEASE_EXT_MAX)
		return HELIX_LEASE_DECODE_VALUE;
	return HELIX_LEASE_DECODE_OK;
}

const char *helix_lease_result_str(enum helix_lease_result r)
{
	switch (r) {
	case HELIX_LEASE_DECODE_OK: return "ok";
	case HELIX_LEASE_DECODE_SHORT: return "message too short";
	case HELIX_LEASE_DECODE_CMD: return "unknown command";
	case HELIX_LEASE_DECODE_VALUE: return "field out of range";
	case HELIX_LEASE_DECODE_NAME: return "name not NUL-terminated or not printable";
	case HELIX_LEASE_DECODE_STATUS: return "status neither 0 nor 1";
	}
	return "unknown result";
}
