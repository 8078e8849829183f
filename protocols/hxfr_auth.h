/* The shared-secret authentication of HXFR's control extension:
 * mac = HMAC-SHA256(key, "leasecast-hxfr-auth-v1" || nonce). The key never
 * crosses the wire. */
#ifndef LC_HXFR_AUTH_H
#define LC_HXFR_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hxfr.h"

#define HXFR_KEY_MIN 16
#define HXFR_KEY_MAX 256

struct hxfr_key {
	uint8_t bytes[HXFR_KEY_MAX];
	size_t len;
};

/* Reads a key file: its raw bytes, trailing newline stripped; at least
 * HXFR_KEY_MIN bytes. Refuses files that group or others can read unless
 * allow_shared_mode (the fw_cfg sysfs file is 0400 and passes). -errno. */
int hxfr_key_load(const char *path, struct hxfr_key *key, bool allow_shared_mode);
/* Kernel randomness (getrandom); 0 or -errno. Nonces and stream keys. */
int hxfr_random_fill(void *buf, size_t len);
int hxfr_nonce_fill(uint8_t nonce[HXFR_NONCE_LEN]);
void hxfr_auth_mac(const struct hxfr_key *key, const uint8_t nonce[HXFR_NONCE_LEN],
		   uint8_t mac[HXFR_MAC_LEN]);
/* Constant-time check of a peer's mac. */
bool hxfr_auth_verify(const struct hxfr_key *key, const uint8_t nonce[HXFR_NONCE_LEN],
		      const uint8_t mac[HXFR_MAC_LEN]);

#endif
