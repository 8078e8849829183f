/* Stream keys (HXFR.md §5.8): at most one per scanout, 32 bytes from the
 * kernel's CSPRNG, held only in memory. Whoever presents a scanout's
 * current key may watch it. */
#ifndef QE_KEYS_H
#define QE_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "hxfr.h"
#include "qemu_display.h"

struct qe_keys {
	struct {
		bool set;
		uint8_t key[HXFR_STREAM_KEY_LEN];
	} slot[QE_MAX_SCANOUTS];
};

/* Replaces the scanout's key with a fresh one, copied to out. -errno. */
int qe_keys_create(struct qe_keys *k, uint32_t scanout, uint8_t out[HXFR_STREAM_KEY_LEN]);
/* Returns whether the scanout had a key. */
bool qe_keys_revoke(struct qe_keys *k, uint32_t scanout);
void qe_keys_revoke_all(struct qe_keys *k);
/* Constant time in the key's bytes; false for a scanout without a key. */
bool qe_keys_check(const struct qe_keys *k, uint32_t scanout,
		   const uint8_t key[HXFR_STREAM_KEY_LEN]);

#endif
