#include "wsinit.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

/* Deeper than any message of the protocol needs: nesting is refused. */
#define JSON_DEPTH 4
/* The longest JSON text taken (the caller's receive bound is larger). */
#define JSON_MAX (16u << 10)

static struct json_object *parse(const char *text, size_t len, const char **why)
{
	if (len == 0 || len > JSON_MAX) {
		*why = len ? "JSON over 16 KiB" : "empty JSON";
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		*why = "a NUL byte in the JSON text";
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	/* The whole text is one value, nothing after it. */
	size_t end = o && err == json_tokener_success ? json_tokener_get_parse_end(tok) : 0;
	while (end > 0 && end < len && strchr(" \t\r\n", text[end]))
		end++;
	bool whole = end == len;
	json_tokener_free(tok);
	if (!whole) {
		json_object_put(o);
		*why = err == json_tokener_continue ? "truncated JSON" : "not valid JSON";
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*why = "the JSON is not an object";
		return NULL;
	}
	return o;
}

/* An integer field in lo..hi: 1 (set), 0 (absent), -1 (wrong type or range). */
static int int_field(struct json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
	struct json_object *f;
	if (!json_object_object_get_ex(o, key, &f) || json_object_is_type(f, json_type_null))
		return 0;
	if (!json_object_is_type(f, json_type_int))
		return -1;
	errno = 0;
	int64_t x = json_object_get_int64(f);
	if (errno || x < lo || x > hi)
		return -1;
	*v = x;
	return 1;
}

static int bool_field(struct json_object *o, const char *key, bool *v)
{
	struct json_object *f;
	if (!json_object_object_get_ex(o, key, &f) || json_object_is_type(f, json_type_null))
		return 0;
	if (!json_object_is_type(f, json_type_boolean))
		return -1;
	*v = json_object_get_boolean(f);
	return 1;
}

int lcb_wsinit_decode(const char *text, size_t len, struct lcb_wsinit *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*out = (struct lcb_wsinit){0};
	struct json_object *o = parse(text, len, why);
	if (!o)
		return -EINVAL;
	int r = -EINVAL;
	struct json_object *type;
	int64_t w = 0, h = 0, fps = 0, kbps = 0, formats = 0, ext = 0;
	int hw, hh, hf;
	bool keepalive;
	if (!json_object_object_get_ex(o, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    strcmp(json_object_get_string(type), "init") != 0) {
		*why = "the first message must be {\"type\":\"init\", ...}";
		goto out;
	}
	hw = int_field(o, "width", LCB_WSINIT_SIZE_MIN, LCB_WSINIT_SIZE_MAX, &w);
	hh = int_field(o, "height", LCB_WSINIT_SIZE_MIN, LCB_WSINIT_SIZE_MAX, &h);
	if (hw < 0 || hh < 0 || hw != hh) {
		*why = "width and height: both or neither, whole numbers 64..8192";
		goto out;
	}
	if (int_field(o, "fps", 1, LCB_WSINIT_FPS_MAX, &fps) < 0) {
		*why = "fps: a whole number 1..240";
		goto out;
	}
	if (int_field(o, "bitrate", 1, LCB_WSINIT_KBPS_MAX, &kbps) < 0) {
		*why = "bitrate: kbit/s, a whole number 1..1000000";
		goto out;
	}
	if ((hf = int_field(o, "video_supported_formats", 0, UINT32_MAX, &formats)) < 0) {
		*why = "video_supported_formats: a bit mask (a whole number)";
		goto out;
	}
	if (int_field(o, "leasecast", 0, 1000, &ext) < 0) {
		*why = "leasecast: the extension version, a whole number";
		goto out;
	}
	keepalive = ext == 0;
	if (bool_field(o, "keepalive", &keepalive) < 0) {
		*why = "keepalive: true or false";
		goto out;
	}
	out->has_size = hw > 0;
	out->width = (uint16_t)w;
	out->height = (uint16_t)h;
	out->fps = (uint8_t)fps;
	out->bitrate_kbps = (uint32_t)kbps;
	out->has_formats = hf > 0;
	out->formats = (uint32_t)formats;
	out->ext = (unsigned)ext;
	out->keepalive = keepalive;
	r = 0;
out:
	json_object_put(o);
	return r;
}

int lcb_wscontrol_decode(const uint8_t *msg, size_t len, struct lcb_wscontrol *out,
			 const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*out = (struct lcb_wscontrol){0};
	if (len < 1) {
		*why = "empty";
		return -EINVAL;
	}
	struct json_object *o = parse((const char *)msg + 1, len - 1, why);
	if (!o)
		return -EINVAL;
	int r = bool_field(o, "set_video_enabled", &out->video_enabled);
	json_object_put(o);
	if (r < 0) {
		*why = "set_video_enabled: true or false";
		return -EINVAL;
	}
	out->has_video_enabled = r > 0;
	return 0;
}
