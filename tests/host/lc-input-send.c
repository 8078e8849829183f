/* lc-input-send: a scripted HXFR input client (HXFR.md §5.10), for tests and
 * the bench. It connects to the exporter, says HELLO(features INPUT),
 * subscribes to one scanout with its stream key, then performs the
 * actions given, in order, reading what the server says between them, and
 * prints JSON lines: {"event":"subscribed"...}, one {"event":"error",...}
 * per ERROR the server sends, and a final {"event":"summary",...}.
 * Frames the server streams are read and dropped.
 *
 *   lc-input-send --scanout N (--key HEX | --key-file FILE) [--connect HOST:PORT]
 *                 [--no-input] [--no-subscribe] [--session N] [--linger-ms MS]
 *                 [--expect-error CODE]... [--expect-no-error] [--expect-close]
 *                 ACTION...
 *
 * Actions (x, y in the scanout's pixels; codes are Linux evdev numbers):
 *   --type TEXT        each character as key presses and releases (US
 *                      layout; Shift for capitals and shifted symbols;
 *                      '\n' is Enter)
 *   --key CODE         press and release; --key-down CODE, --key-up CODE
 *   --hold-key CODE    press and never release (the server must, when this
 *                      connection ends)
 *   --move X,Y         INPUT_ABS;  --rel DX,DY  INPUT_REL
 *   --click X,Y        INPUT_ABS, then BTN_LEFT down and up
 *   --button CODE      BTN_* (0x110..0x117, decimal or 0x hex) down and up
 *   --wheel N          N notches down (N < 0: up), as N*120 in one message
 *   --wheel-hires DX,DY  INPUT_WHEEL as is (1/120 notch units)
 *   --touch KIND,SLOT,X,Y  INPUT_TOUCH
 *   --release-all      INPUT_RELEASE_ALL
 *   --resize WxH       RESIZE_REQ
 *   --flood N          N INPUT_ABS to (0,0) as fast as the socket takes them
 *   --sleep MS         wait (still reading)
 *
 * --session N sends the input with session_id N instead of the scanout
 * (a forged scanout id). --no-input leaves INPUT out of HELLO;
 * --no-subscribe sends input without subscribing. --linger-ms (default
 * 500) is how long it keeps reading after the last action before it
 * disconnects.
 *
 * Exit status: 0 when the expectations held (by default none), 1 when one
 * did not or the connection failed, 2 on bad usage. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hxfr_json.h"
#include "hxfr.h"
#include "hxfr_sync.h"
#include "parse.h"
#include "sock.h"

#define TIMEOUT_MS 5000
#define MAX_EXPECT 16

/* Linux input-event-codes.h numbers used here. */
#define K_LEFTSHIFT 42
#define K_ENTER 28
#define K_TAB 15
#define K_SPACE 57
#define BTN_LEFT 0x110

struct options {
	char host[64];
	uint16_t port;
	uint32_t scanout;
	uint8_t key[HXFR_STREAM_KEY_LEN];
	bool have_key, no_input, no_subscribe, expect_no_error, expect_close;
	int session; /* -1: the scanout */
	unsigned linger_ms;
	int expect[MAX_EXPECT];
	unsigned n_expect;
	int first_action; /* argv index */
};

struct run {
	struct hxfr_sync c;
	const struct options *o;
	unsigned errors[16]; /* by code, 0..15 */
	unsigned errors_total;
	unsigned sent;
	bool closed;
	uint64_t frames;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lc-input-send --scanout N (--key HEX | --key-file FILE) "
		   "[--connect HOST:PORT]\n"
		   "         [--no-input] [--no-subscribe] [--session N] [--linger-ms MS]\n"
		   "         [--expect-error CODE]... [--expect-no-error] [--expect-close]\n"
		   "         ACTION...   (see the top of tests/host/lc-input-send.c)\n");
}

/* Reads what the server sent for up to ms (0: only what is there). */
static void drain(struct run *r, int ms)
{
	double deadline = lc_now_s() + ms / 1e3;
	while (!r->closed) {
		int left = (int)((deadline - lc_now_s()) * 1e3);
		struct hxfr_msg m;
		enum hxfr_sync_result res = hxfr_sync_next(&r->c, &m, left > 0 ? left : 0);
		if (res == HXFR_SYNC_TIMEOUT) {
			if (lc_now_s() >= deadline)
				return;
			continue;
		}
		if (res == HXFR_SYNC_CLOSED || res == HXFR_SYNC_FAILED) {
			r->closed = true;
			printf("{\"event\":\"closed\",\"by\":\"server\"}\n");
			fflush(stdout);
			return;
		}
		if (res != HXFR_SYNC_MESSAGE)
			continue;
		if (m.hdr.type == HXFR_ERROR) {
			int code = m.u.error.code;
			if (code >= 0 && code < 16)
				r->errors[code]++;
			r->errors_total++;
			hxfr_json_print_error(&m);
		} else if (m.hdr.type == HXFR_FRAME_RESPONSE) {
			r->frames++;
		}
	}
}

static int flush(struct run *r, int queued)
{
	if (queued < 0)
		return queued;
	r->sent++;
	int e = hxfr_sync_flush(&r->c, TIMEOUT_MS);
	if (e < 0) {
		r->closed = true;
		return e;
	}
	drain(r, 0);
	return 0;
}

static uint16_t sid(const struct run *r)
{
	return (uint16_t)(r->o->session >= 0 ? (uint32_t)r->o->session : r->o->scanout);
}

static int send_key(struct run *r, uint16_t code, bool down)
{
	return flush(r, hxfr_client_input_key(r->c.client, sid(r), code, down));
}

static int tap(struct run *r, uint16_t code, bool shift)
{
	int e = 0;
	if (shift)
		e = send_key(r, K_LEFTSHIFT, true);
	if (!e)
		e = send_key(r, code, true);
	if (!e)
		e = send_key(r, code, false);
	if (!e && shift)
		e = send_key(r, K_LEFTSHIFT, false);
	return e;
}

/* US layout: the evdev key of a character and whether it needs Shift. */
static bool char_key(char ch, uint16_t *code, bool *shift)
{
	static const char *const rows[] = {"1234567890-=", "qwertyuiop[]", "asdfghjkl;'`",
					   "\\zxcvbnm,./"};
	static const char *const shifted[] = {"!@#$%^&*()_+", "QWERTYUIOP{}", "ASDFGHJKL:\"~",
					      "|ZXCVBNM<>?"};
	/* First key of each row: KEY_1 2, KEY_Q 16, KEY_A 30, KEY_BACKSLASH 43
	 * (then KEY_Z 44...). */
	static const uint16_t first[] = {2, 16, 30, 43};
	if (ch == ' ' || ch == '\n' || ch == '\t') {
		*code = ch == ' ' ? K_SPACE : ch == '\n' ? K_ENTER : K_TAB;
		*shift = false;
		return true;
	}
	for (unsigned row = 0; row < 4; row++) {
		const char *p = strchr(rows[row], ch);
		const char *q = strchr(shifted[row], ch);
		if (ch && (p || q)) {
			*shift = !p;
			*code = (uint16_t)(first[row] + ((p ? p - rows[row] : q - shifted[row])));
			return true;
		}
	}
	return false;
}

static bool parse_pair(const char *s, char sep, long *a, long *b)
{
	char *end;
	errno = 0;
	*a = strtol(s, &end, 0);
	if (errno || end == s || *end != sep)
		return false;
	const char *t = end + 1;
	*b = strtol(t, &end, 0);
	return !errno && end != t && !*end;
}

static bool parse_code(const char *s, long min, long max, long *v)
{
	char *end;
	errno = 0;
	*v = strtol(s, &end, 0);
	return !errno && end != s && !*end && *v >= min && *v <= max;
}

/* Runs argv[i] (and its argument); returns the next index, or -1 on bad
 * usage, -2 when the connection failed. */
static int action(struct run *r, int argc, char **argv, int i)
{
	const char *a = argv[i];
	bool no_arg = strcmp(a, "--release-all") == 0;
	if (!no_arg && i + 1 >= argc) {
		fprintf(stderr, "lc-input-send: %s needs an argument\n", a);
		return -1;
	}
	const char *v = no_arg ? NULL : argv[i + 1];
	int next = no_arg ? i + 1 : i + 2;
	long x, y, n;
	int e = 0;
	printf("{\"event\":\"action\",\"action\":\"%s\"}\n", a + 2);
	fflush(stdout);
	if (strcmp(a, "--type") == 0) {
		for (const char *p = v; *p && !e; p++) {
			uint16_t code;
			bool shift;
			if (!char_key(*p, &code, &shift)) {
				fprintf(stderr, "lc-input-send: --type: no US key for '%c'\n", *p);
				return -1;
			}
			e = tap(r, code, shift);
		}
	} else if (strcmp(a, "--key") == 0 || strcmp(a, "--key-down") == 0 ||
		   strcmp(a, "--key-up") == 0 || strcmp(a, "--hold-key") == 0) {
		/* Any u16: the server is the one to refuse codes it cannot map. */
		if (!parse_code(v, 0, 0xffff, &n))
			return -1;
		if (strcmp(a, "--key") == 0)
			e = tap(r, (uint16_t)n, false);
		else
			e = send_key(r, (uint16_t)n, strcmp(a, "--key-up") != 0);
	} else if (strcmp(a, "--move") == 0 || strcmp(a, "--click") == 0) {
		if (!parse_pair(v, ',', &x, &y))
			return -1;
		e = flush(r, hxfr_client_input_abs(r->c.client, sid(r), (int32_t)x, (int32_t)y));
		if (!e && strcmp(a, "--click") == 0) {
			e = flush(r, hxfr_client_input_button(r->c.client, sid(r), BTN_LEFT, true));
			if (!e)
				e = flush(r, hxfr_client_input_button(r->c.client, sid(r), BTN_LEFT,
								      false));
		}
	} else if (strcmp(a, "--rel") == 0) {
		if (!parse_pair(v, ',', &x, &y))
			return -1;
		e = flush(r, hxfr_client_input_rel(r->c.client, sid(r), (int32_t)x, (int32_t)y));
	} else if (strcmp(a, "--button") == 0) {
		if (!parse_code(v, HXFR_BUTTON_CODE_MIN, HXFR_BUTTON_CODE_MAX, &n))
			return -1;
		e = flush(r, hxfr_client_input_button(r->c.client, sid(r), (uint16_t)n, true));
		if (!e)
			e = flush(r, hxfr_client_input_button(r->c.client, sid(r), (uint16_t)n,
							      false));
	} else if (strcmp(a, "--wheel") == 0) {
		if (!parse_code(v, -100, 100, &n))
			return -1;
		e = flush(r, hxfr_client_input_wheel(r->c.client, sid(r), 0,
						     (int32_t)n * HXFR_WHEEL_NOTCH));
	} else if (strcmp(a, "--wheel-hires") == 0) {
		if (!parse_pair(v, ',', &x, &y))
			return -1;
		e = flush(r, hxfr_client_input_wheel(r->c.client, sid(r), (int32_t)x, (int32_t)y));
	} else if (strcmp(a, "--touch") == 0) {
		long kind, slot;
		if (sscanf(v, "%ld,%ld,%ld,%ld", &kind, &slot, &x, &y) != 4)
			return -1;
		e = flush(r, hxfr_client_input_touch(r->c.client, sid(r), (uint8_t)kind,
						     (uint32_t)slot, (int32_t)x, (int32_t)y));
	} else if (strcmp(a, "--release-all") == 0) {
		e = flush(r, hxfr_client_input_release_all(r->c.client, sid(r)));
	} else if (strcmp(a, "--resize") == 0) {
		if (!parse_pair(v, 'x', &x, &y))
			return -1;
		e = flush(r, hxfr_client_resize_req(r->c.client, sid(r), (uint32_t)x, (uint32_t)y));
	} else if (strcmp(a, "--flood") == 0) {
		if (!parse_code(v, 1, 10000000, &n))
			return -1;
		for (long k = 0; k < n && !e; k++) {
			int q = hxfr_client_input_abs(r->c.client, sid(r), 0, 0);
			if (q == -ENOBUFS) { /* the client's send buffer is full: send it */
				e = hxfr_sync_flush(&r->c, TIMEOUT_MS);
				q = e < 0 ? e : hxfr_client_input_abs(r->c.client, sid(r), 0, 0);
			}
			/* Queue in batches so the flood is a flood, not a ping-pong. */
			if (q < 0)
				e = q;
			else if (k % 256 == 255 || k == n - 1) {
				e = hxfr_sync_flush(&r->c, TIMEOUT_MS);
				if (e < 0)
					r->closed = true;
				drain(r, 0);
			}
		}
		r->sent += (unsigned)n;
	} else if (strcmp(a, "--sleep") == 0) {
		if (!parse_code(v, 0, 600000, &n))
			return -1;
		drain(r, (int)n);
	} else {
		fprintf(stderr, "lc-input-send: unknown action %s\n", a);
		return -1;
	}
	if (e < 0) {
		printf("{\"event\":\"send-failed\",\"action\":\"%s\",\"message\":\"%s\"}\n", a + 2,
		       strerror(-e));
		return -2;
	}
	return next;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.port = HXFR_DEFAULT_PORT, .session = -1, .linger_ms = 500};
	snprintf(o->host, sizeof(o->host), "127.0.0.1");
	bool have_scanout = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		unsigned long v;
		if (strcmp(a, "--no-input") == 0) {
			o->no_input = true;
			continue;
		}
		if (strcmp(a, "--no-subscribe") == 0) {
			o->no_subscribe = true;
			continue;
		}
		if (strcmp(a, "--expect-no-error") == 0) {
			o->expect_no_error = true;
			continue;
		}
		if (strcmp(a, "--expect-close") == 0) {
			o->expect_close = true;
			continue;
		}
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		bool known = strcmp(a, "--connect") == 0 || strcmp(a, "--scanout") == 0 ||
			     strcmp(a, "--key") == 0 || strcmp(a, "--key-file") == 0 ||
			     strcmp(a, "--session") == 0 || strcmp(a, "--linger-ms") == 0 ||
			     strcmp(a, "--expect-error") == 0;
		/* --key HEX (64 digits) is the stream key; --key CODE later is an action. */
		if (strcmp(a, "--key") == 0 && (o->have_key || i + 1 >= argc ||
						strlen(argv[i + 1]) != HXFR_STREAM_KEY_LEN * 2))
			known = false;
		if (!known)
			break;
		if (i + 1 >= argc) {
			fprintf(stderr, "lc-input-send: %s needs an argument\n", a);
			return -1;
		}
		const char *val = argv[++i];
		if (strcmp(a, "--connect") == 0) {
			if (lc_parse_hostport(val, o->host, sizeof(o->host), &o->port) < 0)
				return -1;
		} else if (strcmp(a, "--scanout") == 0) {
			if (lc_parse_ulong(val, 0, 0xffff, &v) < 0)
				return -1;
			o->scanout = (uint32_t)v;
			have_scanout = true;
		} else if (strcmp(a, "--key") == 0) {
			if (hxfr_stream_key_from_hex(val, o->key) < 0)
				return -1;
			o->have_key = true;
		} else if (strcmp(a, "--key-file") == 0) {
			FILE *f = fopen(val, "r");
			char hex[HXFR_STREAM_KEY_LEN * 2 + 2] = {0};
			if (!f || !fgets(hex, sizeof(hex), f)) {
				fprintf(stderr, "lc-input-send: cannot read %s\n", val);
				if (f)
					fclose(f);
				return -1;
			}
			fclose(f);
			hex[strcspn(hex, "\r\n")] = '\0';
			if (hxfr_stream_key_from_hex(hex, o->key) < 0)
				return -1;
			o->have_key = true;
		} else if (strcmp(a, "--session") == 0) {
			if (lc_parse_ulong(val, 0, 0xffff, &v) < 0)
				return -1;
			o->session = (int)v;
		} else if (strcmp(a, "--linger-ms") == 0) {
			if (lc_parse_ulong(val, 0, 600000, &v) < 0)
				return -1;
			o->linger_ms = (unsigned)v;
		} else if (strcmp(a, "--expect-error") == 0) {
			if (lc_parse_ulong(val, 1, 15, &v) < 0 || o->n_expect >= MAX_EXPECT)
				return -1;
			o->expect[o->n_expect++] = (int)v;
		}
	}
	if (!have_scanout || (!o->have_key && !o->no_subscribe))
		return -1;
	o->first_action = i;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	struct run r = {.o = &o, .c = {.fd = -1}};
	bool pass = true;
	int e = hxfr_sync_connect(&r.c, o.host, o.port, HXFR_MAX_SERVER_PAYLOAD, TIMEOUT_MS);
	if (e < 0) {
		printf("{\"event\":\"connect-error\",\"message\":\"%s\"}\n", strerror(-e));
		return 1;
	}
	e = hxfr_sync_handshake(&r.c, o.no_input ? 0 : HXFR_FEATURE_INPUT, NULL, TIMEOUT_MS);
	if (e < 0) {
		printf("{\"event\":\"no-hello-resp\",\"message\":\"%s\"}\n", r.c.error);
		hxfr_sync_close(&r.c);
		return 1;
	}
	bool offered = hxfr_client_offered(r.c.client) & HXFR_FEATURE_INPUT;
	printf("{\"event\":\"hello\",\"input_offered\":%s}\n", offered ? "true" : "false");
	if (!o.no_subscribe) {
		e = hxfr_sync_flush(&r.c, 0);
		if (e >= 0)
			e = hxfr_client_subscribe_keyed(r.c.client, o.scanout, o.key);
		if (e >= 0)
			e = hxfr_sync_flush(&r.c, TIMEOUT_MS);
		struct hxfr_msg m;
		double deadline = lc_now_s() + TIMEOUT_MS / 1e3;
		bool got = false, ok = false;
		while (e >= 0 && !got && lc_now_s() < deadline) {
			enum hxfr_sync_result res = hxfr_sync_next(&r.c, &m, 100);
			if (res == HXFR_SYNC_CLOSED || res == HXFR_SYNC_FAILED)
				break;
			if (res != HXFR_SYNC_MESSAGE)
				continue;
			if (m.hdr.type == HXFR_SUBSCRIBE_RESP) {
				got = true;
				ok = m.u.subscribe_resp.success;
			} else if (m.hdr.type == HXFR_ERROR) {
				hxfr_json_print_error(&m);
			}
		}
		printf("{\"event\":\"subscribed\",\"scanout\":%u,\"success\":%s}\n", o.scanout,
		       ok ? "true" : "false");
		fflush(stdout);
		if (!ok) {
			hxfr_sync_close(&r.c);
			return 1;
		}
	}
	for (int i = o.first_action; i < argc && !r.closed;) {
		i = action(&r, argc, argv, i);
		if (i == -1) {
			usage(stderr);
			hxfr_sync_close(&r.c);
			return 2;
		}
		if (i == -2)
			break;
	}
	drain(&r, (int)o.linger_ms);
	/* Expectations. */
	for (unsigned k = 0; k < o.n_expect; k++)
		if (!r.errors[o.expect[k]]) {
			printf("{\"event\":\"missing-error\",\"code\":%d}\n", o.expect[k]);
			pass = false;
		}
	if (o.expect_no_error && r.errors_total)
		pass = false;
	if (o.expect_close != r.closed) {
		printf("{\"event\":\"%s\"}\n", r.closed ? "unexpected-close" : "not-closed");
		pass = false;
	}
	printf("{\"event\":\"summary\",\"sent\":%u,\"errors\":%u,\"error_5\":%u,\"error_8\":%u,"
	       "\"error_10\":%u,\"error_11\":%u,\"error_12\":%u,\"closed_by_server\":%s,"
	       "\"frames\":%llu,\"pass\":%s}\n",
	       r.sent, r.errors_total, r.errors[5], r.errors[8], r.errors[10], r.errors[11],
	       r.errors[12], r.closed ? "true" : "false", (unsigned long long)r.frames,
	       pass ? "true" : "false");
	fflush(stdout);
	/* Leaving now, with any --hold-key still down: the server lets go. */
	hxfr_sync_close(&r.c);
	return pass ? 0 : 1;
}
