/* libFuzzer target for the Helix lease-socket codec. The input is read as
 * a stream of 9-byte requests (as the broker reads them), as a 69-byte
 * response (as a client does), as an extension reply header, and as
 * extension bodies (an INPUT_DEVICES list, a STATUS "extensions" list);
 * whatever decodes is re-encoded and must decode to the same thing. */
#include <stdbool.h>
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

static void input_devices(const uint8_t *data, size_t size)
{
	struct lc_lease_input in[LC_LEASE_INPUT_MAX];
	size_t n = 99;
	/* A small max too, so "more than fits" is reached. */
	size_t max = size > 0 && data[0] < 4 ? data[0] : LC_LEASE_INPUT_MAX;
	enum helix_lease_result res = helix_lease_inputs_decode((const char *)data, size, in, max,
								&n);
	ASSERT(res == HELIX_LEASE_DECODE_OK || res == HELIX_LEASE_DECODE_BODY);
	if (res != HELIX_LEASE_DECODE_OK) {
		ASSERT(n == 0);
		return;
	}
	ASSERT(n <= max);
	bool known = true;
	for (size_t i = 0; i < n; i++) {
		ASSERT(in[i].fd == -1);
		ASSERT(memchr(in[i].connector, '\0', sizeof(in[i].connector)) != NULL);
		ASSERT(memchr(in[i].uniq, '\0', sizeof(in[i].uniq)) != NULL);
		ASSERT(in[i].connector[0] && in[i].uniq[0]);
		known &= lc_lease_input_kind_name(in[i].kind) != NULL;
	}
	static char b[8192];
	size_t len = helix_lease_inputs_encode(b, sizeof(b), in, n);
	if (!known) {
		ASSERT(len == 0);
		return;
	}
	ASSERT(len > 0);
	struct lc_lease_input again[LC_LEASE_INPUT_MAX];
	size_t m;
	ASSERT(helix_lease_inputs_decode(b, len, again, LC_LEASE_INPUT_MAX, &m) ==
	       HELIX_LEASE_DECODE_OK);
	ASSERT(m == n);
	for (size_t i = 0; i < n; i++) {
		ASSERT(again[i].kind == in[i].kind);
		ASSERT(strcmp(again[i].connector, in[i].connector) == 0);
		ASSERT(strcmp(again[i].uniq, in[i].uniq) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	requests(data, size);
	response(data, size);
	ext_header(data, size);
	input_devices(data, size);
	(void)helix_lease_status_has_extension((const char *)data, size,
					       HELIX_LEASE_EXT_NAME_INPUT_DEVICES);
	return 0;
}
