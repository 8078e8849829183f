/* HXFR control authentication: HMAC known answers, verification, nonces
 * and the key file policy. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hxfr_auth.h"

/* Known answers computed independently when this test was written:
 *   printf 'leasecast-hxfr-auth-v1' + nonce > msg
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:<key> msg
 * Vector 1: key = 20 x 0x0b (RFC 4231 case 1's key), nonce = 00 01 .. 1f.
 * Vector 2: key = 131 x 0xaa (RFC 4231 case 6's key, longer than a SHA-256
 * block, so HMAC hashes it first), nonce = ff fe .. e0. */
static const uint8_t kat1[HXFR_MAC_LEN] = {
	0x8e, 0xdd, 0x33, 0xa6, 0x50, 0xf6, 0x77, 0xe4, 0x52, 0xfc, 0x41,
	0xa0, 0xee, 0x6c, 0x5b, 0x32, 0x07, 0x47, 0xa6, 0x6e, 0x3f, 0x8f,
	0xe7, 0x7f, 0xc2, 0xc8, 0xca, 0x9f, 0xf8, 0x9c, 0x3c, 0x8b,
};
static const uint8_t kat2[HXFR_MAC_LEN] = {
	0x9e, 0x26, 0x46, 0x08, 0x60, 0x85, 0xd5, 0x96, 0xde, 0x3c, 0xb8,
	0x26, 0x82, 0x8d, 0xb0, 0xec, 0x22, 0x61, 0xdd, 0xd7, 0x1f, 0xc2,
	0x1e, 0x4d, 0x45, 0x47, 0xe3, 0xa7, 0xb0, 0xe5, 0xda, 0xb4,
};

static void test_mac_known_answers(void)
{
	struct hxfr_key key = {.len = 20};
	uint8_t nonce[HXFR_NONCE_LEN], mac[HXFR_MAC_LEN];
	memset(key.bytes, 0x0b, key.len);
	for (int i = 0; i < HXFR_NONCE_LEN; i++)
		nonce[i] = (uint8_t)i;
	hxfr_auth_mac(&key, nonce, mac);
	CHECK_MEM(mac, kat1, HXFR_MAC_LEN);
	CHECK(hxfr_auth_verify(&key, nonce, kat1));

	key.len = 131;
	memset(key.bytes, 0xaa, key.len);
	for (int i = 0; i < HXFR_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0xff - i);
	hxfr_auth_mac(&key, nonce, mac);
	CHECK_MEM(mac, kat2, HXFR_MAC_LEN);
	CHECK(hxfr_auth_verify(&key, nonce, kat2));
}

static void test_verify_rejects(void)
{
	struct hxfr_key key = {.len = 20};
	uint8_t nonce[HXFR_NONCE_LEN], mac[HXFR_MAC_LEN];
	memset(key.bytes, 0x0b, key.len);
	for (int i = 0; i < HXFR_NONCE_LEN; i++)
		nonce[i] = (uint8_t)i;
	hxfr_auth_mac(&key, nonce, mac);
	CHECK(hxfr_auth_verify(&key, nonce, mac));

	/* every single flipped bit of the mac is rejected */
	int accepted = 0;
	for (int bit = 0; bit < HXFR_MAC_LEN * 8; bit++) {
		uint8_t bad[HXFR_MAC_LEN];
		memcpy(bad, mac, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		accepted += hxfr_auth_verify(&key, nonce, bad);
	}
	CHECK_EQ(accepted, 0);

	/* another nonce or another key gives another mac */
	nonce[31] ^= 1;
	CHECK(!hxfr_auth_verify(&key, nonce, mac));
	nonce[31] ^= 1;
	key.bytes[0] ^= 1;
	CHECK(!hxfr_auth_verify(&key, nonce, mac));
	key.bytes[0] ^= 1;

	/* an empty (never loaded) key authenticates nobody, not even itself */
	struct hxfr_key empty = {0};
	hxfr_auth_mac(&empty, nonce, mac);
	CHECK(!hxfr_auth_verify(&empty, nonce, mac));
}

static void test_nonce(void)
{
	uint8_t a[HXFR_NONCE_LEN], b[HXFR_NONCE_LEN];
	CHECK_EQ(hxfr_nonce_fill(a), 0);
	CHECK_EQ(hxfr_nonce_fill(b), 0);
	CHECK(memcmp(a, b, HXFR_NONCE_LEN) != 0);
}

static char tmpdir[] = "/tmp/lc-unit-auth-XXXXXX";

static const char *write_key(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return path;
	if (write(fd, data, len) != (ssize_t)len)
		fprintf(stderr, "short write to %s\n", path);
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void test_key_file(void)
{
	if (!mkdtemp(tmpdir)) {
		CHECK(!"mkdtemp");
		return;
	}
	struct hxfr_key key;
	const char *p;

	/* 0600 with a trailing newline: loaded, newline stripped */
	p = write_key("good", "0123456789abcdef\n", 17, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	CHECK_EQ(key.len, 16);
	CHECK_MEM(key.bytes, "0123456789abcdef", 16);

	/* 0400 (like the fw_cfg file), no newline, binary bytes kept */
	uint8_t bin[32];
	for (int i = 0; i < 32; i++)
		bin[i] = (uint8_t)(i * 13);
	p = write_key("bin", bin, sizeof(bin), 0400);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	CHECK_EQ(key.len, 32);
	CHECK_MEM(key.bytes, bin, 32);

	/* only one newline is stripped */
	p = write_key("two-nl", "0123456789abcdef\n\n", 18, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	CHECK_EQ(key.len, 17);

	/* group- or other-readable: refused unless allowed */
	p = write_key("group", "0123456789abcdef", 16, 0640);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EPERM);
	CHECK_EQ(key.len, 0);
	CHECK_EQ(hxfr_key_load(p, &key, true), 0);
	CHECK_EQ(key.len, 16);
	p = write_key("other", "0123456789abcdef", 16, 0604);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EPERM);
	p = write_key("group-x", "0123456789abcdef", 16, 0610);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EPERM);

	/* too short (15 bytes after stripping the newline) */
	p = write_key("short", "0123456789abcde\n", 16, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EINVAL);
	CHECK_EQ(key.len, 0);
	p = write_key("empty", "", 0, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EINVAL);

	/* exactly the maximum, with and without a newline, and one more */
	uint8_t big[HXFR_KEY_MAX + 2];
	memset(big, 'k', sizeof(big));
	p = write_key("max", big, HXFR_KEY_MAX, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	CHECK_EQ(key.len, HXFR_KEY_MAX);
	big[HXFR_KEY_MAX] = '\n';
	p = write_key("max-nl", big, HXFR_KEY_MAX + 1, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	CHECK_EQ(key.len, HXFR_KEY_MAX);
	big[HXFR_KEY_MAX] = 'k';
	p = write_key("too-big", big, HXFR_KEY_MAX + 1, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), -EFBIG);
	CHECK_EQ(key.len, 0);

	/* missing file, and a directory */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	CHECK_EQ(hxfr_key_load(missing, &key, false), -ENOENT);
	CHECK_EQ(hxfr_key_load(tmpdir, &key, true), -EINVAL);

	/* a loaded key authenticates against itself */
	p = write_key("good", "0123456789abcdef\n", 17, 0600);
	CHECK_EQ(hxfr_key_load(p, &key, false), 0);
	uint8_t nonce[HXFR_NONCE_LEN] = {1}, mac[HXFR_MAC_LEN];
	hxfr_auth_mac(&key, nonce, mac);
	CHECK(hxfr_auth_verify(&key, nonce, mac));

	static const char *const names[] = {"good",  "bin",     "two-nl", "group",
					    "other", "group-x", "short",  "empty",
					    "max",   "max-nl",  "too-big"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[300];
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	CHECK_EQ(rmdir(tmpdir), 0);
}

int main(void)
{
	test_mac_known_answers();
	test_verify_rejects();
	test_nonce();
	test_key_file();
	return check_report();
}
