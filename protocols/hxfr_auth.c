#include "hxfr_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define AUTH_LABEL "leasecast-hxfr-auth-v1"
#define AUTH_LABEL_LEN (sizeof(AUTH_LABEL) - 1)

int hxfr_key_load(const char *path, struct hxfr_key *key, bool allow_shared_mode)
{
	*key = (struct hxfr_key){0};
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* A secret others can read is no secret: refuse it rather than
	 * authenticate with it, unless the operator said otherwise. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) && !allow_shared_mode) {
		close(fd);
		return -EPERM;
	}

	/* One byte more than a maximal key plus its newline, to detect
	 * oversize files without trusting st_size (sysfs reports 4096). */
	uint8_t raw[HXFR_KEY_MAX + 2];
	size_t len = 0;
	int r = 0;
	while (len < sizeof(raw)) {
		ssize_t n = read(fd, raw + len, sizeof(raw) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r == 0) {
		if (len > 0 && raw[len - 1] == '\n')
			len--;
		if (len < HXFR_KEY_MIN)
			r = -EINVAL;
		else if (len > HXFR_KEY_MAX)
			r = -EFBIG;
	}
	if (r == 0) {
		memcpy(key->bytes, raw, len);
		key->len = len;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

int hxfr_random_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

int hxfr_nonce_fill(uint8_t nonce[HXFR_NONCE_LEN])
{
	return hxfr_random_fill(nonce, HXFR_NONCE_LEN);
}

static bool compute_mac(const struct hxfr_key *key, const uint8_t nonce[HXFR_NONCE_LEN],
			uint8_t mac[HXFR_MAC_LEN])
{
	uint8_t msg[AUTH_LABEL_LEN + HXFR_NONCE_LEN];
	memcpy(msg, AUTH_LABEL, AUTH_LABEL_LEN);
	memcpy(msg + AUTH_LABEL_LEN, nonce, HXFR_NONCE_LEN);
	unsigned int len = HXFR_MAC_LEN;
	return key->len <= HXFR_KEY_MAX &&
	       HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, sizeof(msg), mac, &len) &&
	       len == HXFR_MAC_LEN;
}

void hxfr_auth_mac(const struct hxfr_key *key, const uint8_t nonce[HXFR_NONCE_LEN],
		   uint8_t mac[HXFR_MAC_LEN])
{
	/* Cannot fail with a working libcrypto; if it does, send zeros, which
	 * the peer rejects (it computes the real mac), so we fail closed. */
	if (!compute_mac(key, nonce, mac))
		memset(mac, 0, HXFR_MAC_LEN);
}

bool hxfr_auth_verify(const struct hxfr_key *key, const uint8_t nonce[HXFR_NONCE_LEN],
		      const uint8_t mac[HXFR_MAC_LEN])
{
	/* An unloaded (empty) key must never authenticate anyone. */
	if (key->len < HXFR_KEY_MIN)
		return false;
	uint8_t want[HXFR_MAC_LEN];
	if (!compute_mac(key, nonce, want))
		return false;
	bool ok = CRYPTO_memcmp(want, mac, HXFR_MAC_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
