#include "helix_lease.h"

#include <stdio.h>
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
	case HELIX_LEASE_CMD_INPUT_DEVICES:
		req->width = req->height = 0; /* reserved: ignored */
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

/* ---- the JSON of extension bodies ----
 * A reader for exactly RFC 8259 JSON over a bounded buffer: no recursion
 * deeper than JR_MAX_DEPTH, no allocation, strings copied (unescaped) only
 * into the caller's fixed buffers. */

#define JR_MAX_DEPTH 16

struct jr {
	const char *p, *end;
};

static void jr_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool jr_eat(struct jr *r, char c)
{
	jr_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static int jr_peek(struct jr *r)
{
	jr_ws(r);
	return r->p < r->end ? (unsigned char)*r->p : -1;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool jr_hex4(struct jr *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return false;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(r->p[i]);
		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	r->p += 4;
	return true;
}

struct jstr {
	char *out; /* NULL: only check it */
	size_t cap, len;
	bool ascii; /* every character printable ASCII, 0x20..0x7e */
};

static void jstr_put(struct jstr *s, uint8_t byte)
{
	if (s->out && s->len + 1 < s->cap)
		s->out[s->len] = (char)byte;
	s->len++;
}

static void jstr_put_cp(struct jstr *s, uint32_t cp)
{
	if (cp < 0x20 || cp > 0x7e)
		s->ascii = false;
	if (cp < 0x80) {
		jstr_put(s, (uint8_t)cp);
	} else if (cp < 0x800) {
		jstr_put(s, (uint8_t)(0xc0 | cp >> 6));
		jstr_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		jstr_put(s, (uint8_t)(0xe0 | cp >> 12));
		jstr_put(s, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		jstr_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		jstr_put(s, (uint8_t)(0xf0 | cp >> 18));
		jstr_put(s, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
		jstr_put(s, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		jstr_put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* A string value: s->len is its whole length in bytes, s->out (if any)
 * holds its first cap - 1 bytes, NUL-terminated. */
static bool jr_string(struct jr *r, struct jstr *s)
{
	s->len = 0;
	s->ascii = true;
	if (!jr_eat(r, '"'))
		return false;
	bool ok = false;
	while (r->p < r->end) {
		uint8_t c = (uint8_t)*r->p++;
		if (c == '"') {
			ok = true;
			break;
		}
		if (c < 0x20)
			return false; /* raw control characters are not JSON */
		if (c != '\\') {
			if (c > 0x7e)
				s->ascii = false;
			jstr_put(s, c);
			continue;
		}
		if (r->p == r->end)
			return false;
		char e = *r->p++;
		uint32_t cp;
		switch (e) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!jr_hex4(r, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false; /* a low surrogate alone */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				uint32_t lo;
				if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
					return false;
				r->p += 2;
				if (!jr_hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			break;
		default: return false;
		}
		jstr_put_cp(s, cp);
	}
	if (s->out && s->cap)
		s->out[s->len < s->cap ? s->len : s->cap - 1] = '\0';
	return ok;
}

static bool jr_digits(struct jr *r)
{
	const char *start = r->p;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start;
}

static bool jr_number(struct jr *r)
{
	jr_ws(r);
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (!jr_digits(r))
		return false;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!jr_digits(r))
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!jr_digits(r))
			return false;
	}
	return true;
}

static bool jr_literal(struct jr *r, const char *word)
{
	size_t n = strlen(word);
	jr_ws(r);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

/* Any value, skipped (checked all the same). */
static bool jr_skip(struct jr *r, unsigned depth)
{
	if (depth > JR_MAX_DEPTH)
		return false;
	struct jstr str = {0};
	switch (jr_peek(r)) {
	case '{':
		r->p++;
		if (jr_eat(r, '}'))
			return true;
		do {
			if (!jr_string(r, &str) || !jr_eat(r, ':') || !jr_skip(r, depth + 1))
				return false;
		} while (jr_eat(r, ','));
		return jr_eat(r, '}');
	case '[':
		r->p++;
		if (jr_eat(r, ']'))
			return true;
		do {
			if (!jr_skip(r, depth + 1))
				return false;
		} while (jr_eat(r, ','));
		return jr_eat(r, ']');
	case '"': return jr_string(r, &str);
	case 't': return jr_literal(r, "true");
	case 'f': return jr_literal(r, "false");
	case 'n': return jr_literal(r, "null");
	default: return jr_number(r);
	}
}

/* An object key into a small buffer: "" for one too long to be ours. */
static bool jr_key(struct jr *r, char *key, size_t cap)
{
	struct jstr s = {.out = key, .cap = cap};
	if (!jr_string(r, &s) || !jr_eat(r, ':'))
		return false;
	if (s.len >= cap)
		key[0] = '\0';
	return true;
}

static bool jr_end(struct jr *r)
{
	jr_ws(r);
	return r->p == r->end;
}

/* Connector names: "Virtual-4", "HDMI-A-1", "card1-Virtual-17". */
static bool connector_ok(const char *s, size_t len)
{
	if (len == 0 || len >= LC_LEASE_INPUT_CONNECTOR_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* uniq: visible ASCII without the two characters JSON would escape. */
static bool uniq_ok(const char *s, size_t len)
{
	if (len == 0 || len >= LC_LEASE_INPUT_UNIQ_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

size_t helix_lease_inputs_encode(char *buf, size_t cap, const struct lc_lease_input *in, size_t n)
{
	if (n > LC_LEASE_INPUT_MAX || cap == 0)
		return 0;
	size_t off = 0;
	int w = snprintf(buf, cap, "{\"input_devices\":[");
	if (w < 0 || (size_t)w >= cap)
		return 0;
	off = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		const char *kind = lc_lease_input_kind_name(in[i].kind);
		size_t cl = strnlen(in[i].connector, sizeof(in[i].connector));
		size_t ul = strnlen(in[i].uniq, sizeof(in[i].uniq));
		if (!kind || !connector_ok(in[i].connector, cl) || !uniq_ok(in[i].uniq, ul))
			return 0;
		w = snprintf(buf + off, cap - off,
			     "%s{\"connector\":\"%s\",\"kind\":\"%s\",\"uniq\":\"%s\"}",
			     i ? "," : "", in[i].connector, kind, in[i].uniq);
		if (w < 0 || (size_t)w >= cap - off)
			return 0;
		off += (size_t)w;
	}
	w = snprintf(buf + off, cap - off, "]}");
	if (w < 0 || (size_t)w >= cap - off)
		return 0;
	return off + (size_t)w;
}

static bool decode_input(struct jr *r, struct lc_lease_input *e)
{
	bool have_conn = false, have_kind = false, have_uniq = false;
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (!jr_eat(r, '{'))
		return false;
	do {
		char key[16];
		if (!jr_key(r, key, sizeof(key)))
			return false;
		if (strcmp(key, "connector") == 0) {
			struct jstr s = {.out = e->connector, .cap = sizeof(e->connector)};
			if (have_conn || !jr_string(r, &s) || !s.ascii ||
			    !connector_ok(e->connector, s.len))
				return false;
			have_conn = true;
		} else if (strcmp(key, "kind") == 0) {
			char kind[16];
			struct jstr s = {.out = kind, .cap = sizeof(kind)};
			if (have_kind || !jr_string(r, &s))
				return false;
			e->kind = s.len < sizeof(kind) && s.ascii
					  ? lc_lease_input_kind_from_name(kind)
					  : LC_LEASE_INPUT_UNKNOWN;
			have_kind = true;
		} else if (strcmp(key, "uniq") == 0) {
			struct jstr s = {.out = e->uniq, .cap = sizeof(e->uniq)};
			if (have_uniq || !jr_string(r, &s) || !s.ascii || !uniq_ok(e->uniq, s.len))
				return false;
			have_uniq = true;
		} else if (!jr_skip(r, 3)) {
			return false;
		}
	} while (jr_eat(r, ','));
	return jr_eat(r, '}') && have_conn && have_kind && have_uniq;
}

static bool decode_inputs(struct jr *r, struct lc_lease_input *out, size_t max, size_t *n)
{
	bool seen = false;
	if (!jr_eat(r, '{'))
		return false;
	do {
		char key[16];
		if (!jr_key(r, key, sizeof(key)))
			return false;
		if (strcmp(key, "input_devices") != 0) {
			if (!jr_skip(r, 1))
				return false;
			continue;
		}
		if (seen || !jr_eat(r, '['))
			return false;
		seen = true;
		if (jr_eat(r, ']'))
			continue;
		do {
			if (*n == max || !decode_input(r, &out[*n]))
				return false;
			(*n)++;
		} while (jr_eat(r, ','));
		if (!jr_eat(r, ']'))
			return false;
	} while (jr_eat(r, ','));
	return jr_eat(r, '}') && jr_end(r) && seen;
}

enum helix_lease_result helix_lease_inputs_decode(const char *body, size_t len,
						  struct lc_lease_input *out, size_t max, size_t *n)
{
	struct jr r = {.p = body, .end = body + len};
	*n = 0;
	if (decode_inputs(&r, out, max, n))
		return HELIX_LEASE_DECODE_OK;
	*n = 0;
	return HELIX_LEASE_DECODE_BODY;
}

bool helix_lease_status_has_extension(const char *json, size_t len, const char *name)
{
	struct jr r = {.p = json, .end = json + len};
	bool found = false;
	if (!jr_eat(&r, '{'))
		return false;
	if (jr_eat(&r, '}'))
		return false;
	do {
		char key[16];
		if (!jr_key(&r, key, sizeof(key)))
			return false;
		if (strcmp(key, "extensions") != 0 || jr_peek(&r) != '[') {
			if (!jr_skip(&r, 1))
				return false;
			continue;
		}
		r.p++;
		if (jr_eat(&r, ']'))
			continue;
		do {
			char ext[32];
			struct jstr s = {.out = ext, .cap = sizeof(ext)};
			if (!jr_string(&r, &s))
				return false;
			found |= s.len < sizeof(ext) && strcmp(ext, name) == 0;
		} while (jr_eat(&r, ','));
		if (!jr_eat(&r, ']'))
			return false;
	} while (jr_eat(&r, ','));
	return jr_eat(&r, '}') && jr_end(&r) && found;
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
	case HELIX_LEASE_DECODE_BODY: return "extension body malformed";
	}
	return "unknown result";
}
