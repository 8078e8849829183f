#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sock.h"

#ifndef LCB_DEFAULT_WWW
#define LCB_DEFAULT_WWW "/usr/local/share/leasecast/frame-bridge"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: leasecast-frame-bridge [--exporter HOST:PORT] [--scanout N]\n"
		   "         [--key-file FILE | --key HEX | --stream-file FILE]\n"
		   "         [--listen HOST:PORT] [--allow-remote] [--www DIR]\n"
		   "         [--control-token-file FILE] [--view-token-file FILE]\n"
		   "         [--viewer-token TOKEN] [--view-only] [--max-viewers N]\n"
		   "         [--helix-listen [HOST:]PORT] [--test-report FILE]\n"
		   "         [--log-level error|warn|info|debug]\n");
}

/* Reads a small text file into buf (NUL-terminated); -errno. */
static int read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, cap - 1, f);
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	buf[n] = '\0';
	return err;
}

static int key_from_text(const char *what, char *text, uint8_t key[HXFR_STREAM_KEY_LEN])
{
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (hxfr_stream_key_from_hex(text, key) < 0) {
		fprintf(stderr, "%s: a stream key is 64 hex digits\n", what);
		return -1;
	}
	return 0;
}

/* lease-launch's leasecast-stream: "connector=..\nscanout=N\nkey=HEX\n". */
static int read_stream_file(const char *path, struct lcb_upstream_config *up, bool *have_scanout)
{
	char text[1024];
	int r = read_small(path, text, sizeof(text));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return -1;
	}
	bool have_key = false;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "scanout=", 8) == 0 && !*have_scanout) {
			char *end;
			unsigned long s = strtoul(line + 8, &end, 10);
			if (*end || s == 0 || s > 0xffff) {
				fprintf(stderr, "%s: bad scanout line\n", path);
				return -1;
			}
			up->scanout = (uint32_t)s;
			*have_scanout = true;
		} else if (strncmp(line, "key=", 4) == 0) {
			if (key_from_text(path, line + 4, up->key) < 0)
				return -1;
			have_key = true;
		}
	}
	if (!have_key) {
		fprintf(stderr, "%s: no key= line\n", path);
		return -1;
	}
	return 0;
}

/* A token from its file (LCB_TOKEN_MIN..MAX URL-safe characters). */
static int read_token(const char *opt, const char *path, char out[LCB_TOKEN_MAX + 1])
{
	char text[LCB_TOKEN_MAX + 3];
	int r = read_small(path, text, sizeof(text));
	if (r < 0) {
		fprintf(stderr, "%s %s: %s\n", opt, path, strerror(-r));
		return -1;
	}
	size_t n = strlen(text);
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	bool ok = n >= LCB_TOKEN_MIN && n <= LCB_TOKEN_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
		     (text[i] >= '0' && text[i] <= '9') || strchr("._~-", text[i]);
	if (!ok) {
		fprintf(stderr,
			"%s %s: a token is %d..%d characters of A-Z a-z 0-9 . _ ~ - "
			"(and one trailing newline)\n",
			opt, path, LCB_TOKEN_MIN, LCB_TOKEN_MAX);
		return -1;
	}
	memcpy(out, text, n + 1);
	return 0;
}

int lcb_options_parse(struct lcb_options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"exporter", required_argument, NULL, 'e'},
		{"scanout", required_argument, NULL, 's'},
		{"key-file", required_argument, NULL, 'K'},
		{"key", required_argument, NULL, 'k'},
		{"stream-file", required_argument, NULL, 'S'},
		{"listen", required_argument, NULL, 'l'},
		{"allow-remote", no_argument, NULL, 'R'},
		{"www", required_argument, NULL, 'w'},
		{"viewer-token", required_argument, NULL, 't'},
		{"control-token-file", required_argument, NULL, 'C'},
		{"view-token-file", required_argument, NULL, 'V'},
		{"view-only", no_argument, NULL, 'O'},
		{"max-viewers", required_argument, NULL, 'm'},
		{"test-report", required_argument, NULL, 'T'},
		{"helix-listen", required_argument, NULL, 'H'},
		{"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct lcb_bridge_config *c = &o->bridge;
	memset(o, 0, sizeof(*o));
	o->log_level = LC_LOG_INFO;
	snprintf(c->upstream.host, sizeof(c->upstream.host), "10.0.2.2");
	c->upstream.port = HXFR_DEFAULT_PORT;
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 8080;
	c->max_viewers = 8;
	const char *key_file = NULL, *key_hex = NULL, *stream_file = NULL;
	bool have_scanout = false, allow_remote = false, view_only = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;
		switch (opt) {
		case 'e':
			if (lc_parse_hostport(optarg, c->upstream.host, sizeof(c->upstream.host),
					      &c->upstream.port) < 0) {
				fprintf(stderr, "--exporter: want HOST:PORT, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 's':
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v == 0 || v > 0xffff) {
				fprintf(stderr, "--scanout: want 1..65535 (0 is the console)\n");
				return -1;
			}
			c->upstream.scanout = (uint32_t)v;
			have_scanout = true;
			break;
		case 'K': key_file = optarg; break;
		case 'k': key_hex = optarg; break;
		case 'S': stream_file = optarg; break;
		case 'l':
			if (lc_parse_hostport(optarg, c->listen_host, sizeof(c->listen_host),
					      &c->listen_port) < 0) {
				fprintf(stderr, "--listen: want HOST:PORT, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'R': allow_remote = true; break;
		case 'w':
			free(o->www_dir);
			o->www_dir = strdup(optarg);
			break;
		case 't':
			free(o->viewer_token);
			o->viewer_token = strdup(optarg);
			break;
		case 'C':
			if (read_token("--control-token-file", optarg, o->control_token) < 0)
				return -1;
			break;
		case 'V':
			if (read_token("--view-token-file", optarg, o->view_token) < 0)
				return -1;
			break;
		case 'O': view_only = true; break;
		case 'm':
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v == 0 || v > 1000) {
				fprintf(stderr, "--max-viewers: want 1..1000\n");
				return -1;
			}
			c->max_viewers = (unsigned)v;
			break;
		case 'H': {
			/* PORT alone is 127.0.0.1:PORT, where Helix's API dials. */
			char spec[300];
			snprintf(spec, sizeof(spec), "%s%s",
				 strchr(optarg, ':') ? "" : "127.0.0.1:", optarg);
			if (lc_parse_hostport(spec, c->helix_host, sizeof(c->helix_host),
					      &c->helix_port) < 0 ||
			    c->helix_port == 0) {
				fprintf(stderr, "--helix-listen: want [HOST:]PORT, got '%s'\n",
					optarg);
				return -1;
			}
			break;
		}
		case 'T':
			free(o->test_report);
			o->test_report = strdup(optarg);
			break;
		case 'L':
			if ((o->log_level = lc_log_level_from_string(optarg)) < 0) {
				fprintf(stderr, "--log-level: unknown level '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if ((key_file != NULL) + (key_hex != NULL) + (stream_file != NULL) > 1) {
		fprintf(stderr, "give one of --key-file, --key, --stream-file\n");
		return -1;
	}
	char default_stream[4096];
	if (!key_file && !key_hex && !stream_file) {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (!rt || !*rt) {
			fprintf(stderr, "no stream key: give --key-file, --key or --stream-file "
					"(XDG_RUNTIME_DIR is not set)\n");
			return -1;
		}
		snprintf(default_stream, sizeof(default_stream), "%s/leasecast-stream", rt);
		stream_file = default_stream;
	}
	if (stream_file) {
		if (read_stream_file(stream_file, &c->upstream, &have_scanout) < 0)
			return -1;
	} else if (key_file) {
		char text[256];
		int r = read_small(key_file, text, sizeof(text));
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", key_file, strerror(-r));
			return -1;
		}
		if (key_from_text(key_file, text, c->upstream.key) < 0)
			return -1;
	} else {
		char text[256];
		snprintf(text, sizeof(text), "%s", key_hex);
		if (key_from_text("--key", text, c->upstream.key) < 0)
			return -1;
	}
	if (!have_scanout) {
		fprintf(stderr, "no scanout: give --scanout (or a stream file with scanout=)\n");
		return -1;
	}
	if (!lc_addr_is_loopback(c->listen_host) && !allow_remote) {
		fprintf(stderr,
			"--listen %s is not a loopback address: the stream would be "
			"open to the network; add --allow-remote (and --viewer-token)\n",
			c->listen_host);
		return -1;
	}
	/* No token there, as Helix's API connects: the tunnel that reaches
	 * loopback is the trust boundary, so never a network address. */
	if (c->helix_port && !lc_addr_is_loopback(c->helix_host)) {
		fprintf(stderr,
			"--helix-listen %s: Helix's endpoint takes no token, so it listens on "
			"loopback only\n",
			c->helix_host);
		return -1;
	}
	if (c->helix_port && c->helix_port == c->listen_port &&
	    strcmp(c->helix_host, c->listen_host) == 0) {
		fprintf(stderr, "--helix-listen and --listen are the same address\n");
		return -1;
	}
	if (o->control_token[0] &&
	    (strcmp(o->control_token, o->view_token) == 0 ||
	     (o->viewer_token && strcmp(o->control_token, o->viewer_token) == 0))) {
		fprintf(stderr, "the control token and a view token are the same: a share link "
				"would give control\n");
		return -1;
	}
	if (view_only && o->control_token[0]) {
		fprintf(stderr, "--view-only and --control-token-file contradict each other\n");
		return -1;
	}
	bool any_token = o->control_token[0] || o->view_token[0] ||
			 (o->viewer_token && o->viewer_token[0]);
	/* Without a token, control is open only to who can reach loopback; on
	 * a network address without a control token nobody controls. */
	c->open_control = !view_only && !any_token && lc_addr_is_loopback(c->listen_host);
	c->helix_control = !view_only && c->helix_port;
	c->upstream.input = !view_only &&
			    (o->control_token[0] || c->open_control || c->helix_control);
	c->control_token = o->control_token;
	c->view_token = o->view_token;
	if (!o->www_dir)
		o->www_dir = strdup(LCB_DEFAULT_WWW);
	c->www_dir = o->www_dir;
	c->viewer_token = o->viewer_token;
	c->test_report = o->test_report;
	return 0;
}

void lcb_options_finish(struct lcb_options *o)
{
	free(o->www_dir);
	free(o->viewer_token);
	free(o->test_report);
	memset(o, 0, sizeof(*o));
}
