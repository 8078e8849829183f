/* lc-bridge-viewer: a scripted viewer of leasecast-frame-bridge for the host
 * tests, without a browser. It opens the bridge's WebSocket stream
 * (libwebsockets' client), decodes every VideoFrame with libavcodec in a
 * decoder made anew at each StreamInit (as a viewer configures for the
 * StreamInit it was last given), reads the test pattern in each picture
 * (tests/clients/patterns.h) and logs every message it receives as one JSON
 * line (WS.md beside the bridge's code names the messages):
 *
 *   {"ev":"init","i":3,"t":12.345,"w":640,"h":360,"codec":"avc1.42C01E"}
 *   {"ev":"video","i":4,"t":...,"key":1,"replay":0,"w":640,"h":360,"pts":0,
 *    "idr":1,"sps_pps":1,"pictures":1,"pic_w":640,"pic_h":360,"pattern":1000}
 *
 * "i" counts the messages received so far (this one included), "t" is
 * seconds since the start. "w"/"h" of a video line are its header's;
 * "idr"/"sps_pps" what its access unit holds; "pic_w"/"pic_h"/"pattern"
 * the picture decoded from it (the pattern -1 when unreadable); "err" a
 * decode error, or that no StreamInit came before the frame. Other lines: rights, status,
 * cursor_image (Helix's 0x50 with a bitmap), cursor_move (without one),
 * cursor_name, pong (its figures), stream_error, input_error, text (its
 * first 200 bytes), message (any other type), sent, open, closed, error,
 * ceiling.
 *
 *   lc-bridge-viewer --connect HOST:PORT [--token T] [--log FILE]
 *                    [--commands FILE] [--max-seconds S] [--init JSON]
 *
 * On open it sends its init (a text message; by default leasecast's page's:
 * {"type":"init","leasecast":1,"keepalive":false}; --init "" sends none).
 *
 * --commands FILE: lines appended to FILE while it runs are done in order;
 * "send HEX" sends those bytes as one binary message (input, Resize...).
 * It runs until SIGTERM or SIGINT (exit 0), until the bridge closes the
 * stream (exit 0 after "closed"), and at most --max-seconds (default 300;
 * exit 3): a ceiling, so a test that forgets it cannot leave it behind.
 * Exit 1 when the connection fails, 2 on bad usage. */
#include <errno.h>
#include <libavutil/log.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "h264_decode.h"
#include "patterns.h"
#include "sock.h"

#define POLL_US (20 * LWS_US_PER_MS)
/* A VideoFrame of a busy 4K desktop IDR stays well below this. */
#define RX_MAX (16u << 20)
#define TX_MSG_MAX 1024
#define TX_QUEUE 64

struct txmsg {
	uint8_t data[LWS_PRE + TX_MSG_MAX];
	size_t len;
	bool text;
};

static struct {
	FILE *log;
	const char *commands, *init;
	long commands_off;
	double start_s, max_s;
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t tick;
	uint8_t *rx;
	size_t rx_len;
	bool rx_binary, rx_overflow;
	unsigned long index; /* messages received */
	struct h264_decoder *dec;
	struct txmsg tx[TX_QUEUE];
	size_t tx_head, tx_n;
	volatile sig_atomic_t signalled;
	bool done;
	int exit_code;
} g;

static void on_signal(int sig)
{
	g.signalled = sig;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A JSON string of n bytes (the bridge's texts are UTF-8; control
 * characters and quotes are escaped). */
static void put_str(const char *name, const uint8_t *s, size_t n)
{
	fprintf(g.log, ",\"%s\":\"", name);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(g.log, "\\%c", s[i]);
		else if (s[i] < 0x20)
			fprintf(g.log, "\\u%04x", s[i]);
		else
			fputc(s[i], g.log);
	}
	fputc('"', g.log);
}

static void begin(const char *ev)
{
	fprintf(g.log, "{\"ev\":\"%s\",\"i\":%lu,\"t\":%.3f", ev, g.index, lc_now_s() - g.start_s);
}

static void end(void)
{
	fputs("}\n", g.log);
	fflush(g.log); /* the test reads the log while it runs */
}

struct decoded {
	unsigned pictures;
	int w, h, pattern;
};

static void on_picture(const struct h264_picture *pic, void *data)
{
	struct decoded *d = data;
	d->pictures++;
	d->w = pic->width;
	d->h = pic->height;
	d->pattern = pattern_identify(pic->y, pic->y_stride, pic->width, pic->height);
}

static void on_video(const uint8_t *m, size_t n)
{
	begin("video");
	if (n < 15) {
		fprintf(g.log, ",\"len\":%zu", n);
		put_str("err", (const uint8_t *)"shorter than its header", 23);
		end();
		return;
	}
	uint8_t flags = m[2];
	uint64_t pts = (uint64_t)be32(m + 3) << 32 | be32(m + 7);
	const uint8_t *au = m + 15;
	size_t au_len = n - 15;
	bool sps_pps = false;
	bool idr = h264_au_is_idr(au, au_len, &sps_pps);
	fprintf(g.log,
		",\"key\":%d,\"replay\":%d,\"w\":%u,\"h\":%u,\"pts\":%llu,\"idr\":%d,\"sps_pps\":%d",
		flags & 1, (flags >> 1) & 1, be16(m + 11), be16(m + 13), (unsigned long long)pts,
		idr, sps_pps);
	if (!g.dec) {
		put_str("err", (const uint8_t *)"no StreamInit before this frame", 31);
		end();
		return;
	}
	struct decoded d = {.pattern = -1};
	char err[200] = "";
	int r = h264_decoder_decode(g.dec, au, au_len, on_picture, &d, err, sizeof(err));
	fprintf(g.log, ",\"pictures\":%u", d.pictures);
	if (d.pictures)
		fprintf(g.log, ",\"pic_w\":%d,\"pic_h\":%d,\"pattern\":%d", d.w, d.h, d.pattern);
	if (r < 0)
		put_str("err", (const uint8_t *)err, strlen(err));
	end();
}

static void on_message(const uint8_t *m, size_t n)
{
	g.index++;
	if (!g.rx_binary) {
		begin("text");
		fprintf(g.log, ",\"len\":%zu", n);
		put_str("text", m, n < 200 ? n : 200);
		end();
		return;
	}
	if (n == 0) {
		begin("message");
		fputs(",\"len\":0", g.log);
		end();
		return;
	}
	switch (m[0]) {
	case 0x01: on_video(m, n); return;
	case 0x30:
		begin("init");
		/* Helix's 13 bytes, then leasecast's codec string (u8 n, n bytes). */
		if (n < 13 || (n > 13 && n < 14u + m[13])) {
			put_str("err", (const uint8_t *)"truncated", 9);
		} else {
			fprintf(g.log, ",\"len\":%zu,\"w\":%u,\"h\":%u,\"fps\":%u,\"touch\":%u", n,
				be16(m + 2), be16(m + 4), m[6], m[12]);
			if (n > 13)
				put_str("codec", m + 14, m[13]);
		}
		end();
		/* What a viewer configures for this StreamInit decodes the frames
		 * after it, and only those: a decoder of its own. */
		h264_decoder_destroy(g.dec);
		g.dec = h264_decoder_create();
		return;
	case 0x31:
		begin("stream_error");
		if (n >= 3 && n >= 3u + be16(m + 1))
			put_str("text", m + 3, be16(m + 1));
		else
			put_str("err", (const uint8_t *)"truncated", 9);
		end();
		return;
	case 0x64:
		begin("rights");
		fprintf(g.log, ",\"control\":%d", n >= 2 ? m[1] : -1);
		end();
		return;
	case 0x60:
		begin("status");
		fprintf(g.log, ",\"state\":%d", n >= 2 ? m[1] : -1);
		if (n > 2)
			put_str("text", m + 2, n - 2);
		end();
		return;
	case 0x63:
		begin("input_error");
		fprintf(g.log, ",\"code\":%d", n >= 2 ? m[1] : -1);
		if (n > 2)
			put_str("text", m + 2, n - 2);
		end();
		return;
	case 0x50: /* Helix's, little-endian */
		if (n < 25) {
			begin("cursor_image");
			put_str("err", (const uint8_t *)"truncated", 9);
		} else if (le32(m + 21) == 0) {
			begin("cursor_move");
			fprintf(g.log, ",\"len\":%zu,\"x\":%d,\"y\":%d", n, (int32_t)le32(m + 5),
				(int32_t)le32(m + 9));
		} else {
			begin("cursor_image");
			fprintf(g.log, ",\"len\":%zu,\"bitmap\":%u", n, le32(m + 21));
			if (n >= 41)
				fprintf(g.log, ",\"fourcc\":%u,\"w\":%u,\"h\":%u,\"stride\":%d",
					le32(m + 25), le32(m + 29), le32(m + 33),
					(int32_t)le32(m + 37));
		}
		end();
		return;
	case 0x51:
		begin("cursor_name");
		if (n >= 14 && n >= 14u + m[13])
			put_str("name", m + 14, m[13]);
		end();
		return;
	case 0x41:
		begin("pong");
		fprintf(g.log, ",\"len\":%zu", n);
		if (n >= 29)
			fprintf(g.log,
				",\"seq\":%u,\"encoder_ms\":%u,\"sched_p50_ms\":%u,\"sched_p99_ms\":%u,"
				"\"sched_max_ms\":%u",
				be32(m + 1), be16(m + 21), be16(m + 23), be16(m + 25),
				be16(m + 27));
		end();
		return;
	default:
		begin("message");
		fprintf(g.log, ",\"type\":%u,\"len\":%zu", m[0], n);
		end();
	}
}

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static void command(const char *line)
{
	begin("sent");
	const char *hex = strncmp(line, "send ", 5) == 0 ? line + 5 : NULL;
	struct txmsg *t = &g.tx[(g.tx_head + g.tx_n) % TX_QUEUE];
	size_t n = 0;
	bool ok = hex && g.tx_n < TX_QUEUE;
	for (; ok && hex[0] && hex[0] != '\n'; hex += 2) {
		int a = hexval(hex[0]), b = a < 0 ? -1 : hexval(hex[1]);
		if (b < 0 || n == TX_MSG_MAX)
			ok = false;
		else
			t->data[LWS_PRE + n++] = (uint8_t)(a << 4 | b);
	}
	if (!ok || n == 0) {
		put_str("err", (const uint8_t *)line, strcspn(line, "\n"));
	} else {
		t->len = n;
		t->text = false;
		g.tx_n++;
		fprintf(g.log, ",\"type\":%u,\"len\":%zu", t->data[LWS_PRE], n);
		if (g.wsi)
			lws_callback_on_writable(g.wsi);
	}
	end();
}

/* New whole lines of the commands file, from where the last read ended. */
static void read_commands(void)
{
	FILE *f = g.commands ? fopen(g.commands, "re") : NULL;
	if (!f)
		return;
	char line[2 * TX_MSG_MAX + 64];
	if (fseek(f, g.commands_off, SEEK_SET) == 0)
		while (fgets(line, sizeof(line), f) && strchr(line, '\n')) {
			g.commands_off += (long)strlen(line);
			command(line);
		}
	fclose(f);
}

static void stop(int code)
{
	g.done = true;
	g.exit_code = code;
	lws_cancel_service(g.ctx);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
	if (g.signalled) {
		stop(0);
		return;
	}
	if (lc_now_s() - g.start_s > g.max_s) {
		begin("ceiling");
		fprintf(g.log, ",\"max_seconds\":%.0f", g.max_s);
		end();
		stop(3);
		return;
	}
	if (g.wsi)
		read_commands();
	lws_sul_schedule(g.ctx, 0, &g.tick, on_tick, POLL_US);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		g.wsi = wsi;
		begin("open");
		end();
		if (g.init && *g.init && g.tx_n < TX_QUEUE && strlen(g.init) <= TX_MSG_MAX) {
			/* The init goes first, before any command. */
			g.tx_head = (g.tx_head + TX_QUEUE - 1) % TX_QUEUE;
			struct txmsg *t = &g.tx[g.tx_head];
			t->len = strlen(g.init);
			memcpy(t->data + LWS_PRE, g.init, t->len);
			t->text = true;
			g.tx_n++;
			lws_callback_on_writable(wsi);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		begin("error");
		put_str("why", in ? in : (const uint8_t *)"", in ? strlen(in) : 0);
		end();
		g.wsi = NULL;
		stop(1);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			g.rx_len = 0;
			g.rx_overflow = false;
			g.rx_binary = lws_frame_is_binary(wsi);
		}
		if (len > RX_MAX - g.rx_len)
			g.rx_overflow = true;
		else if (!g.rx_overflow) {
			memcpy(g.rx + g.rx_len, in, len);
			g.rx_len += len;
		}
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			if (g.rx_overflow) {
				g.index++;
				begin("error");
				put_str("why", (const uint8_t *)"message over 16 MiB", 19);
				end();
			} else {
				on_message(g.rx, g.rx_len);
			}
		}
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		if (!g.tx_n)
			return 0;
		struct txmsg *t = &g.tx[g.tx_head];
		if (lws_write(wsi, t->data + LWS_PRE, t->len,
			      t->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY) < (int)t->len)
			return -1;
		g.tx_head = (g.tx_head + 1) % TX_QUEUE;
		if (--g.tx_n)
			lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		begin("closed");
		end();
		g.wsi = NULL;
		stop(0);
		return 0;
	default: return 0;
	}
}

static int usage(void)
{
	fprintf(stderr,
		"usage: lc-bridge-viewer --connect HOST:PORT [--token T] [--log FILE]"
		" [--commands FILE] [--max-seconds S] [--init JSON]\n"
		"  --connect: the bridge's --listen; --token: its ?token= (control or view)\n"
		"  --log FILE: the JSON lines (default standard output)\n"
		"  --commands FILE: \"send HEX\" lines appended to FILE are sent as they come\n"
		"  --max-seconds S: exit 3 after S s (default 300)\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *connect = NULL, *token = NULL, *log_path = NULL;
	g.max_s = 300;
	g.init = "{\"type\":\"init\",\"leasecast\":1,\"keepalive\":false}";
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(a, "--connect"))
			connect = v;
		else if (!strcmp(a, "--token"))
			token = v;
		else if (!strcmp(a, "--log"))
			log_path = v;
		else if (!strcmp(a, "--commands"))
			g.commands = v;
		else if (!strcmp(a, "--init"))
			g.init = v;
		else if (!strcmp(a, "--max-seconds") && (g.max_s = atof(v)) > 0)
			continue;
		else
			return usage();
	}
	char host[64];
	uint16_t port;
	if (!connect || lc_parse_hostport(connect, host, sizeof(host), &port) < 0)
		return usage();
	g.log = log_path ? fopen(log_path, "we") : stdout;
	if (!g.log) {
		fprintf(stderr, "lc-bridge-viewer: %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	g.rx = malloc(RX_MAX);
	if (!g.rx)
		return 1;
	av_log_set_level(AV_LOG_ERROR);
	lws_set_log_level(LLL_ERR, NULL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	g.start_s = lc_now_s();

	static const struct lws_protocols protocols[] = {
		{.name = "leasecast-viewer", .callback = callback},
		{0},
	};
	struct lws_context_creation_info ci = {0};
	ci.port = CONTEXT_PORT_NO_LISTEN;
	ci.protocols = protocols;
	ci.gid = -1;
	ci.uid = -1;
	g.ctx = lws_create_context(&ci);
	if (!g.ctx)
		return 1;
	char path[512], hosthdr[96];
	snprintf(path, sizeof(path), "/stream%s%s", token ? "?token=" : "", token ? token : "");
	snprintf(hosthdr, sizeof(hosthdr), "%s:%u", host, port);
	struct lws_client_connect_info cc = {0};
	cc.context = g.ctx;
	cc.address = host;
	cc.port = port;
	cc.path = path;
	cc.host = hosthdr;
	cc.origin = hosthdr;
	if (!lws_client_connect_via_info(&cc)) {
		begin("error");
		put_str("why", (const uint8_t *)"cannot start the connection", 27);
		end();
		lws_context_destroy(g.ctx);
		return 1;
	}
	lws_sul_schedule(g.ctx, 0, &g.tick, on_tick, POLL_US);
	while (!g.done)
		if (lws_service(g.ctx, 0) < 0)
			break;
	lws_sul_cancel(&g.tick);
	lws_context_destroy(g.ctx);
	h264_decoder_destroy(g.dec);
	free(g.rx);
	if (g.log != stdout)
		fclose(g.log);
	return g.exit_code;
}
