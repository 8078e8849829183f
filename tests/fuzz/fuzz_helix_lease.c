/* libFuzzer target for the Helix lease-socket codec. The input is read as
 * a stream of 9-byte requests (as the broker reads them), as a 69-byte
 * response (as a client does) and as an extension reply header; whatever
 * decodes is re-encoded and must decode to the same thing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helix_lease.h"
#include "fuzz.h"

static void requests(const uint8_t *data, size_t size)
{
	for (size_t pos = 0;; pos += HELIX_LEASE_REQ_SIZE) {
		struct helix_lease_req r;
		enum helix_lease_result res = helix_lease_req_decode(data + pos, size - pos, &r);
		ASSERT(helix_lease_result_str(res) != NULL);
		if (res == HELIX_LEASE_DECODE_SHORT) {
			ASSERT(size - pos < HELIX_LEASE_REQ_SIZE);
			return;
		}
		if (res != HELIX_LEASE_DECODE_OK) {
			ASSERT(res == HELIX_LEASE_DECODE_CMD || res == HELIX_LEASE_DECODE_VALUE);
			continue;
		}
		if (r.cmd == HELIX_LEASE_CMD_LEASE) {
			ASSERT(r.width >= 1 && r.width <= HELIX_LEASE_MAX_DIM);
			ASSERT(r.height >= 1 && r.height <= HELIX_LEASE_MAX_DIM);
		}
		uint8_t b[HELIX_LEASE_REQ_SIZE];
		ASSERT(helix_lease_req_encode(b, sizeof(b), &r) == HELIX_LEASE_REQ_SIZE);
		struct helix_lease_req again;
		ASSERT(helix_lease_req_decode(b, sizeof(b), &again) == HELIX_LEASE_DECODE_OK);
		ASSERT(again.cmd == r.cmd && again.width == r.width && again.height == r.height);
	}
}

static void response(const uint8_t *data, size_t size)
{
	struct helix_lease_resp r;
	enum helix_lease_result res = helix_lease_resp_decode(data, size, &r);
	ASSERT(helix_lease_result_str(res) != NULL);
	if (res != HELIX_LEASE_DECODE_OK)
		return;
	ASSERT(r.status <= 1);
	ASSERT(memchr(r.name, '\0', sizeof(r.name)) != NULL);
	uint8_t b[HELIX_LEASE_RESP_SIZE];
	ASSERT(helix_lease_resp_encode(b, sizeof(b), r.status, r.scanout_id, r.name) ==
	       HELIX_LEASE_RESP_SIZE);
	struct helix_lease_resp again;
	ASSERT(helix_lease_resp_decode(b, sizeof(b), &again) == HELIX_LEASE_DECODE_OK);
	ASSERT(again.status == r.status && again.scanout_id == r.scanout_id);
	ASSERT(strcmp(again.name, r.name) == 0);
}

static void ext_header(const uint8_t *data, size_t size)
{
	uint8_t status;
	uint32_t length;
	enum helix_lease_result res = helix_lease_ext_hdr_decode(data, size, &status, &length);
	ASSERT(helix_lease_result_str(res) != NULL);
	if (res != HELIX_LEASE_DECODE_OK)
		return;
	ASSERT(status <= 1 && length <= HELIX_LEASE_EXT_MAX);
	uint8_t b[HELIX_LEASE_EXT_HDR_SIZE];
	ASSERT(helix_lease_ext_hdr_encode(b, sizeof(b), status, length) ==
	       HELIX_LEASE_EXT_HDR_SIZE);
	ASSERT(memcmp(b, data, HELIX_LEASE_EXT_HDR_SIZE) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	requests(data, size);
	response(data, size);
	ext_header(data, size);
	return 0;
}
