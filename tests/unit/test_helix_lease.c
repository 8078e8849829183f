/* Helix lease-socket codec: byte-exact layouts from helix-interop.md §2 and
 * every decode result. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helix_lease.h"

static void test_req_layout(void)
{
	/* cmd 1, 1280 x 720 */
	static const uint8_t lease[9] = {0x01, 0x00, 0x05, 0x00, 0x00, 0xd0, 0x02, 0x00, 0x00};
	/* cmd 2, scanout 7 in the width field */
	static const uint8_t release[9] = {0x02, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t b[16];
	struct helix_lease_req r = {.cmd = 1, .width = 1280, .height = 720};
	CHECK_EQ(helix_lease_req_encode(b, sizeof(b), &r), 9);
	CHECK_MEM(b, lease, 9);
	r = (struct helix_lease_req){.cmd = 2, .width = 7};
	CHECK_EQ(helix_lease_req_encode(b, sizeof(b), &r), 9);
	CHECK_MEM(b, release, 9);
	CHECK_EQ(helix_lease_req_encode(b, 8, &r), 0);

	struct helix_lease_req d;
	CHECK_EQ(helix_lease_req_decode(lease, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.cmd, HELIX_LEASE_CMD_LEASE);
	CHECK_EQ(d.width, 1280);
	CHECK_EQ(d.height, 720);
	CHECK_EQ(helix_lease_req_decode(release, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.cmd, HELIX_LEASE_CMD_RELEASE);
	CHECK_EQ(d.width, 7);
}

static void test_req_default_size(void)
{
	static const uint8_t zero[9] = {0x01};
	struct helix_lease_req d;
	CHECK_EQ(helix_lease_req_decode(zero, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.width, 1920);
	CHECK_EQ(d.height, 1080);
}

static void test_req_status(void)
{
	static const uint8_t status[9] = {0x03};
	struct helix_lease_req d;
	CHECK_EQ(helix_lease_req_decode(status, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.cmd, HELIX_LEASE_CMD_STATUS);
}

static void test_req_auth_magic(void)
{
	/* the example of helix-lease.md: AUTH_MAGIC magic 42 */
	static const uint8_t wire[9] = {0x04, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t b[9];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_AUTH_MAGIC, .width = 42};
	CHECK_EQ(helix_lease_req_encode(b, sizeof(b), &r), 9);
	CHECK(memcmp(b, wire, 9) == 0);
	struct helix_lease_req d;
	CHECK_EQ(helix_lease_req_decode(wire, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.cmd, HELIX_LEASE_CMD_AUTH_MAGIC);
	CHECK_EQ(d.width, 42);
	/* the reserved field is ignored; magic 0 is left to the broker */
	static const uint8_t odd[9] = {0x04, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04};
	CHECK_EQ(helix_lease_req_decode(odd, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.width, 0xffffffffu);
	CHECK_EQ(d.height, 0);
	static const uint8_t zero[9] = {0x04};
	CHECK_EQ(helix_lease_req_decode(zero, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.width, 0);
	/* the success reply is an empty extension reply */
	static const uint8_t ok[5] = {0x00, 0x00, 0x00, 0x00, 0x00};
	CHECK_EQ(helix_lease_ext_hdr_encode(b, sizeof(b), HELIX_LEASE_OK, 0), 5);
	CHECK(memcmp(b, ok, 5) == 0);
}

static void test_req_errors(void)
{
	struct helix_lease_req d;
	uint8_t b[9] = {0x01, 0x00, 0x05, 0x00, 0x00, 0xd0, 0x02, 0x00, 0x00};
	for (size_t n = 0; n < 9; n++)
		CHECK_EQ(helix_lease_req_decode(b, n, &d), HELIX_LEASE_DECODE_SHORT);

	static const uint8_t cmds[] = {0, 6, 0x7f, 0xff};
	for (size_t i = 0; i < sizeof(cmds); i++) {
		b[0] = cmds[i];
		CHECK_EQ(helix_lease_req_decode(b, 9, &d), HELIX_LEASE_DECODE_CMD);
	}

	struct helix_lease_req r = {.cmd = 1};
	static const uint32_t bad[][2] = {
		{0, 720}, {1280, 0}, {16385, 720}, {1280, 16385}, {0xffffffffu, 0xffffffffu},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.width = bad[i][0];
		r.height = bad[i][1];
		helix_lease_req_encode(b, sizeof(b), &r);
		CHECK_EQ(helix_lease_req_decode(b, 9, &d), HELIX_LEASE_DECODE_VALUE);
	}
	r.width = r.height = HELIX_LEASE_MAX_DIM;
	helix_lease_req_encode(b, sizeof(b), &r);
	CHECK_EQ(helix_lease_req_decode(b, 9, &d), HELIX_LEASE_DECODE_OK);
	r.width = r.height = 1;
	helix_lease_req_encode(b, sizeof(b), &r);
	CHECK_EQ(helix_lease_req_decode(b, 9, &d), HELIX_LEASE_DECODE_OK);
}

static void test_resp_layout(void)
{
	uint8_t want[69] = {0x00, 0x03, 0x00, 0x00, 0x00, 'V', 'i',
			    'r',  't',  'u',  'a',  'l',  '-', '4'};
	uint8_t b[80];
	memset(b, 0xcc, sizeof(b));
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 0, 3, "Virtual-4"), 69);
	CHECK_MEM(b, want, 69);
	CHECK_EQ(b[69], 0xcc); /* nothing written past the message */
	CHECK_EQ(helix_lease_resp_encode(b, 68, 0, 3, "Virtual-4"), 0);

	struct helix_lease_resp r;
	CHECK_EQ(helix_lease_resp_decode(want, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(r.status, HELIX_LEASE_OK);
	CHECK_EQ(r.scanout_id, 3);
	CHECK_STR(r.name, "Virtual-4");

	/* error reply: status 1, message in the name field */
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 1, 0, "no free output"), 69);
	CHECK_EQ(b[0], 1);
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(r.status, HELIX_LEASE_ERROR);
	CHECK_STR(r.name, "no free output");

	/* long names are cut to 63 bytes and stay NUL-terminated */
	char longname[100];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[99] = '\0';
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 1, 0, longname), 69);
	CHECK_EQ(b[68], 0);
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(strlen(r.name), 63);

	/* control characters are not sent */
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 1, 0, "bad\nline\x1b"), 69);
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_STR(r.name, "bad?line?");

	/* NULL name: an empty field */
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 0, 1, NULL), 69);
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_STR(r.name, "");

	/* UTF-8 passes */
	CHECK_EQ(helix_lease_resp_encode(b, sizeof(b), 1, 0, "sortie \xc3\xa9teinte"), 69);
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_STR(r.name, "sortie \xc3\xa9teinte");
}

static void test_resp_errors(void)
{
	uint8_t b[69];
	struct helix_lease_resp r;
	helix_lease_resp_encode(b, sizeof(b), 0, 3, "Virtual-4");
	for (size_t n = 0; n < 69; n++)
		CHECK_EQ(helix_lease_resp_decode(b, n, &r), HELIX_LEASE_DECODE_SHORT);

	b[0] = 2;
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_STATUS);
	b[0] = 0xff;
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_STATUS);
	b[0] = 0;

	memset(b + 5, 'A', 64); /* no NUL */
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_NAME);
	b[68] = 0;
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	b[6] = '\n'; /* a control character */
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_NAME);
	b[6] = 0x7f;
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_NAME);
	/* bytes after the NUL are padding and not looked at */
	helix_lease_resp_encode(b, sizeof(b), 0, 3, "Virtual-4");
	b[40] = 0x01;
	CHECK_EQ(helix_lease_resp_decode(b, 69, &r), HELIX_LEASE_DECODE_OK);
	CHECK_STR(r.name, "Virtual-4");
}

static void test_ext_hdr(void)
{
	static const uint8_t want[5] = {0x00, 0x34, 0x12, 0x00, 0x00};
	uint8_t b[8];
	uint8_t status;
	uint32_t length;
	CHECK_EQ(helix_lease_ext_hdr_encode(b, sizeof(b), 0, 0x1234), 5);
	CHECK_MEM(b, want, 5);
	CHECK_EQ(helix_lease_ext_hdr_decode(want, 5, &status, &length), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(status, 0);
	CHECK_EQ(length, 0x1234);
	CHECK_EQ(helix_lease_ext_hdr_encode(b, 4, 0, 1), 0);

	CHECK_EQ(helix_lease_ext_hdr_encode(b, sizeof(b), 1, HELIX_LEASE_EXT_MAX), 5);
	CHECK_EQ(helix_lease_ext_hdr_decode(b, 5, &status, &length), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(status, 1);
	CHECK_EQ(length, HELIX_LEASE_EXT_MAX);
	CHECK_EQ(helix_lease_ext_hdr_encode(b, sizeof(b), 0, HELIX_LEASE_EXT_MAX + 1), 0);

	for (size_t n = 0; n < 5; n++)
		CHECK_EQ(helix_lease_ext_hdr_decode(want, n, &status, &length),
			 HELIX_LEASE_DECODE_SHORT);
	uint8_t bad_status[5] = {0x02, 0x01};
	CHECK_EQ(helix_lease_ext_hdr_decode(bad_status, 5, &status, &length),
		 HELIX_LEASE_DECODE_STATUS);
	uint8_t too_long[5] = {0x00, 0x01, 0x00, 0x01, 0x00}; /* 65537 */
	CHECK_EQ(helix_lease_ext_hdr_decode(too_long, 5, &status, &length),
		 HELIX_LEASE_DECODE_VALUE);
}

/* cmd 5: both fields reserved, ignored. */
static void test_req_input_devices(void)
{
	static const uint8_t want[9] = {0x05};
	uint8_t b[9];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_INPUT_DEVICES};
	CHECK_EQ(helix_lease_req_encode(b, sizeof(b), &r), 9);
	CHECK_MEM(b, want, 9);
	uint8_t junk[9] = {0x05, 1, 2, 3, 4, 5, 6, 7, 8};
	struct helix_lease_req d;
	CHECK_EQ(helix_lease_req_decode(junk, 9, &d), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(d.cmd, HELIX_LEASE_CMD_INPUT_DEVICES);
	CHECK_EQ(d.width, 0);
	CHECK_EQ(d.height, 0);
}

static struct lc_lease_input entry(const char *conn, int kind, const char *uniq)
{
	struct lc_lease_input e = {.fd = 7, .kind = kind};
	snprintf(e.connector, sizeof(e.connector), "%s", conn);
	snprintf(e.uniq, sizeof(e.uniq), "%s", uniq);
	return e;
}

static void test_inputs_layout(void)
{
	struct lc_lease_input in[2] = {
		entry("Virtual-4", LC_LEASE_INPUT_KEYBOARD, "leasecast-kbd-3"),
		entry("Virtual-4", LC_LEASE_INPUT_TABLET, "leasecast-tab-3"),
	};
	static const char want[] =
		"{\"input_devices\":[{\"connector\":\"Virtual-4\",\"kind\":\"keyboard\","
		"\"uniq\":\"leasecast-kbd-3\"},{\"connector\":\"Virtual-4\",\"kind\":\"tablet\","
		"\"uniq\":\"leasecast-tab-3\"}]}";
	char b[512];
	size_t n = helix_lease_inputs_encode(b, sizeof(b), in, 2);
	CHECK_EQ(n, strlen(want));
	CHECK_MEM(b, want, strlen(want));
	/* exactly the room needed, plus snprintf's NUL; one less does not fit */
	CHECK_EQ(helix_lease_inputs_encode(b, strlen(want) + 1, in, 2), strlen(want));
	CHECK_EQ(helix_lease_inputs_encode(b, strlen(want), in, 2), 0);
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), in, 0), strlen("{\"input_devices\":[]}"));
	CHECK_MEM(b, "{\"input_devices\":[]}", 20);

	struct lc_lease_input out[4];
	size_t got = 99;
	CHECK_EQ(helix_lease_inputs_decode(want, strlen(want), out, 4, &got),
		 HELIX_LEASE_DECODE_OK);
	CHECK_EQ(got, 2);
	CHECK_STR(out[0].connector, "Virtual-4");
	CHECK_EQ(out[0].kind, LC_LEASE_INPUT_KEYBOARD);
	CHECK_STR(out[0].uniq, "leasecast-kbd-3");
	CHECK_EQ(out[0].fd, -1);
	CHECK_EQ(out[1].kind, LC_LEASE_INPUT_TABLET);
	CHECK_STR(out[1].uniq, "leasecast-tab-3");
	CHECK_EQ(helix_lease_inputs_decode(b, 20, out, 4, &got), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(got, 0);

	/* Whitespace, key order, unknown keys of every type, escapes, an
	 * unknown kind (kept, so the fds still pair up), a trailing newline. */
	static const char loose[] =
		" {\"version\": 2, \"note\": \"x\\u00e9\\n\", \"input_devices\" : [\n"
		"  {\"uniq\": \"leasecast-kbd-\\u0031\", \"extra\": {\"a\": [1, -2.5e3, true, null]},"
		"   \"kind\": \"keyboard\", \"connector\": \"Virtual-2\"},\n"
		"  {\"connector\": \"Virtual-2\", \"kind\": \"touchscreen\", \"uniq\": \"lc-touch-1\"}\n"
		" ], \"more\": [[], {}, \"\\ud83d\\ude00\"]}\n";
	CHECK_EQ(helix_lease_inputs_decode(loose, strlen(loose), out, 4, &got),
		 HELIX_LEASE_DECODE_OK);
	CHECK_EQ(got, 2);
	CHECK_STR(out[0].uniq, "leasecast-kbd-1");
	CHECK_STR(out[0].connector, "Virtual-2");
	CHECK_EQ(out[1].kind, LC_LEASE_INPUT_UNKNOWN);
	/* ... which the encoder does not send */
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), out, 2), 0);

	/* Encoder refusals: no name for the kind, bad characters, empty. */
	struct lc_lease_input bad = entry("Virtual-4", 3, "u");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	bad = entry("Virt ual", LC_LEASE_INPUT_KEYBOARD, "u");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	bad = entry("Virtual-4", LC_LEASE_INPUT_KEYBOARD, "a\"b");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	bad = entry("Virtual-4", LC_LEASE_INPUT_KEYBOARD, "");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	bad = entry("", LC_LEASE_INPUT_KEYBOARD, "u");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	memset(bad.uniq, 'u', sizeof(bad.uniq)); /* not NUL-terminated */
	snprintf(bad.connector, sizeof(bad.connector), "Virtual-4");
	CHECK_EQ(helix_lease_inputs_encode(b, sizeof(b), &bad, 1), 0);
	struct lc_lease_input many[LC_LEASE_INPUT_MAX + 1];
	for (size_t i = 0; i < LC_LEASE_INPUT_MAX + 1; i++)
		many[i] = entry("Virtual-16", LC_LEASE_INPUT_TABLET, "leasecast-tab-15");
	static char big[8192];
	size_t nb = helix_lease_inputs_encode(big, sizeof(big), many, LC_LEASE_INPUT_MAX);
	CHECK(nb > 0);
	CHECK_EQ(helix_lease_inputs_encode(big, sizeof(big), many, LC_LEASE_INPUT_MAX + 1), 0);
	struct lc_lease_input outs[LC_LEASE_INPUT_MAX];
	CHECK_EQ(helix_lease_inputs_decode(big, nb, outs, LC_LEASE_INPUT_MAX, &got),
		 HELIX_LEASE_DECODE_OK);
	CHECK_EQ(got, LC_LEASE_INPUT_MAX);
	/* more entries than the caller has room for */
	CHECK_EQ(helix_lease_inputs_decode(big, nb, outs, LC_LEASE_INPUT_MAX - 1, &got),
		 HELIX_LEASE_DECODE_BODY);
	CHECK_EQ(got, 0);
}

static void test_inputs_malformed(void)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[]",
		"{\"input_devices\":{}}",
		"{\"input_devices\":[]",   /* truncated */
		"{\"input_devices\":[]}}", /* trailing garbage */
		"{\"input_devices\":[]} x",
		"{\"input_devices\":[],\"input_devices\":[]}", /* twice */
		"{\"input_devices\":[],}",                     /* trailing comma */
		"{\"input_devices\":[{}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\"}]}", /* no uniq */
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"u\",\"uniq\":\"v\"}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":1,\"uniq\":\"u\"}]}",
		"{\"input_devices\":[{\"connector\":\"V 1\",\"kind\":\"keyboard\",\"uniq\":\"u\"}]}",
		"{\"input_devices\":[{\"connector\":\"\",\"kind\":\"keyboard\",\"uniq\":\"u\"}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"a\\nb\"}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"a\\\"b\"}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"\xc3\xa9\"}]}",
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"u\"},]}",
		"{\"input_devices\":[],\"x\":tru}",
		"{\"input_devices\":[],\"x\":01}",
		"{\"input_devices\":[],\"x\":-}",
		"{\"input_devices\":[],\"x\":1.}",
		"{\"input_devices\":[],\"x\":\"\\ud800\"}", /* lone high surrogate */
		"{\"input_devices\":[],\"x\":\"\\udc00\"}", /* lone low surrogate */
		"{\"input_devices\":[],\"x\":\"\\u12\"}",
		"{\"input_devices\":[],\"x\":\"\\q\"}",
		"{\"input_devices\":[],\"x\":\"a\tb\"}", /* raw control character */
		"{\"input_devices\":[],\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", /* too deep */
		"{\"input_devices\" [] }",
		"{input_devices:[]}",
	};
	struct lc_lease_input out[4];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t got = 99;
		enum helix_lease_result r = helix_lease_inputs_decode(bad[i], strlen(bad[i]), out,
								      4, &got);
		if (r != HELIX_LEASE_DECODE_BODY)
			fprintf(stderr, "    accepted: %s\n", bad[i]);
		CHECK_EQ(r, HELIX_LEASE_DECODE_BODY);
		CHECK_EQ(got, 0);
	}
	/* A NUL inside the body, and every truncation of a good one. */
	static const char good[] =
		"{\"input_devices\":[{\"connector\":\"V\",\"kind\":\"keyboard\",\"uniq\":\"u\"}]}";
	char nul[sizeof(good)];
	memcpy(nul, good, sizeof(good));
	nul[40] = '\0';
	size_t got;
	CHECK_EQ(helix_lease_inputs_decode(nul, sizeof(good) - 1, out, 4, &got),
		 HELIX_LEASE_DECODE_BODY);
	for (size_t n = 0; n < sizeof(good) - 1; n++)
		CHECK_EQ(helix_lease_inputs_decode(good, n, out, 4, &got), HELIX_LEASE_DECODE_BODY);
	CHECK_EQ(helix_lease_inputs_decode(good, sizeof(good) - 1, out, 4, &got),
		 HELIX_LEASE_DECODE_OK);
	CHECK_EQ(got, 1);
}

static void test_status_extensions(void)
{
	static const char st[] =
		"{\"outputs\":[{\"name\":\"Virtual-2\",\"x\":[1,2]}],\"leases\":[],"
		"\"extensions\":[\"status\",\"auth_magic\",\"input_devices\"]}\n";
	size_t n = strlen(st);
	CHECK(helix_lease_status_has_extension(st, n, HELIX_LEASE_EXT_NAME_INPUT_DEVICES));
	CHECK(helix_lease_status_has_extension(st, n, HELIX_LEASE_EXT_NAME_STATUS));
	CHECK(!helix_lease_status_has_extension(st, n, "input"));
	CHECK(!helix_lease_status_has_extension(st, n - 3, HELIX_LEASE_EXT_NAME_STATUS));
	static const char old[] = "{\"outputs\":[],\"leases\":[]}\n";
	CHECK(!helix_lease_status_has_extension(old, strlen(old), HELIX_LEASE_EXT_NAME_STATUS));
	static const char nested[] = "{\"leases\":[{\"extensions\":[\"input_devices\"]}]}";
	CHECK(!helix_lease_status_has_extension(nested, strlen(nested), "input_devices"));
	static const char notarray[] = "{\"extensions\":\"input_devices\"}";
	CHECK(!helix_lease_status_has_extension(notarray, strlen(notarray), "input_devices"));
	static const char badtail[] = "{\"extensions\":[\"input_devices\"]";
	CHECK(!helix_lease_status_has_extension(badtail, strlen(badtail), "input_devices"));
}

static void test_result_strings(void)
{
	static const enum helix_lease_result all[] = {
		HELIX_LEASE_DECODE_OK,    HELIX_LEASE_DECODE_SHORT, HELIX_LEASE_DECODE_CMD,
		HELIX_LEASE_DECODE_VALUE, HELIX_LEASE_DECODE_NAME,  HELIX_LEASE_DECODE_STATUS,
		HELIX_LEASE_DECODE_BODY,
	};
	int dup = 0;
	for (size_t i = 0; i < 7; i++)
		for (size_t j = i + 1; j < 7; j++)
			dup += strcmp(helix_lease_result_str(all[i]),
				      helix_lease_result_str(all[j])) == 0;
	CHECK_EQ(dup, 0);
}

int main(void)
{
	test_req_layout();
	test_req_default_size();
	test_req_status();
	test_req_auth_magic();
	test_req_input_devices();
	test_req_errors();
	test_resp_layout();
	test_resp_errors();
	test_ext_hdr();
	test_inputs_layout();
	test_inputs_malformed();
	test_status_extensions();
	test_result_strings();
	return check_report();
}
