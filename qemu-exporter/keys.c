#include "keys.h"

#include "hxfr_auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

int qe_keys_create(struct qe_keys *k, uint32_t scanout, uint8_t out[HXFR_STREAM_KEY_LEN])
{
	if (scanout >= QE_MAX_SCANOUTS)
		return -EINVAL;
	uint8_t key[HXFR_STREAM_KEY_LEN];
	do {
		int r = hxfr_random_fill(key, sizeof(key));
		if (r < 0)
			return r;
	} while (hxfr_stream_key_is_zero(key)); /* the zero key means "no key" */
	qe_keys_revoke(k, scanout);
	memcpy(k->slot[scanout].key, key, sizeof(key));
	k->slot[scanout].set = true;
	memcpy(out, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	return 0;
}

bool qe_keys_revoke(struct qe_keys *k, uint32_t scanout)
{
	if (scanout >= QE_MAX_SCANOUTS)
		return false;
	bool had = k->slot[scanout].set;
	explicit_bzero(k->slot[scanout].key, sizeof(k->slot[scanout].key));
	k->slot[scanout].set = false;
	return had;
}

void qe_keys_revoke_all(struct qe_keys *k)
{
	for (uint32_t i = 0; i < QE_MAX_SCANOUTS; i++)
		qe_keys_revoke(k, i);
}

bool qe_keys_check(const struct qe_keys *k, uint32_t scanout,
		   const uint8_t key[HXFR_STREAM_KEY_LEN])
{
	if (scanout >= QE_MAX_SCANOUTS || !k->slot[scanout].set)
		return false;
	return CRYPTO_memcmp(k->slot[scanout].key, key, HXFR_STREAM_KEY_LEN) == 0;
}
