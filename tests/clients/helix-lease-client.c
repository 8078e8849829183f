/* lc-helix-client: a real client of the Helix lease socket, for the VM
 * rig. Prints one machine-readable line per result. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "auth_check.h"
#include "fdpass.h"
#include "helix_lease_client.h"
#include "input_check.h"
#include "kms_check.h"
#include "sock.h"

#define REPLY_TIMEOUT_MS 20000

static const char *sock_path = "/run/helix-drm/drm.sock";

static void usage(void)
{
	fprintf(stderr,
		"usage: lc-helix-client [--socket PATH] COMMAND\n"
		"  lease [--size WxH] [--flip N] [--close-fd-after-ms N] [--release-after-ms N]\n"
		"        [--hangup-after-ms N] [--expect-revoked-ms N]\n"
		"        [--hold-ms N | --hold-until-stdin-eof]\n"
		"  many N [--hold-ms N | --hold-until-stdin-eof]\n"
		"  cycles N [--flip N]\n"
		"  status\n"
		"  keys --status-out F [--hold-file F]  lease; STATUS (with its stream key) to F;\n"
		"        AUTH_MAGIC checks before, during and after the lease\n"
		"  input [--hold-file F] [--end release|hangup|close-fd|wait] [--expect-inputs N]\n"
		"        lease; STATUS; INPUT_DEVICES: fds checked, events printed until F,\n"
		"        the lease ended, every fd ENODEV\n"
		"  release N  RELEASE of scanout N on a new connection, as Helix's ReleaseLease\n"
		"  raw HEXBYTES [--shutdown]\n"
		"  release SCANOUT_ID\n");
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = poll(&p, 1, timeout_ms);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

static int connect_broker(void)
{
	int s = lc_unix_connect(sock_path);
	if (s < 0)
		printf("connect error path=%s err=%s\n", sock_path, strerror(-s));
	return s;
}

/* Leases on an open connection. Returns the lease fd or -1 (line printed). */
static int do_lease(int sock, uint32_t w, uint32_t h, uint32_t *scanout, bool quiet)
{
	struct helix_client_reply r;
	int fd = helix_client_lease(sock, w, h, lc_now_ms() + REPLY_TIMEOUT_MS, &r);
	switch (r.outcome) {
	case HELIX_CLIENT_GRANTED: break;
	case HELIX_CLIENT_SEND_FAILED: printf("lease error msg=send-failed\n"); return -1;
	case HELIX_CLIENT_REFUSED:
	case HELIX_CLIENT_NO_FD:
		printf("lease error msg=\"%s\" fd=%s\n", r.resp.name, r.fd_came ? "yes" : "no");
		return -1;
	default: printf("lease error msg=no-valid-reply(%zd)\n", r.got); return -1;
	}
	if (!quiet)
		printf("lease ok scanout=%u connector=%s fd=%d\n", r.resp.scanout_id, r.resp.name,
		       fd);
	*scanout = r.resp.scanout_id;
	return fd;
}

static int expect_revoked(int fd, int within_ms)
{
	double t0 = lc_now_ms_f();
	for (;;) {
		unsigned c, k, p;
		int r = kms_check_count_objects(fd, &c, &k, &p);
		if (r == 0 && c == 0 && k == 0) {
			printf("revoked after_ms=%.0f\n", lc_now_ms_f() - t0);
			return 0;
		}
		if (lc_now_ms_f() - t0 > within_ms) {
			printf("revoked error connectors=%u crtcs=%u after_ms=%d\n", c, k,
			       within_ms);
			return 1;
		}
		sleep_ms(20);
	}
}

static void hold(long hold_ms, bool until_eof)
{
	if (until_eof) {
		char buf[256];
		while (read(0, buf, sizeof(buf)) > 0)
			;
	} else if (hold_ms > 0) {
		sleep_ms(hold_ms);
	}
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	unsigned a, b;
	char x;
	if (sscanf(s, "%u%c%u", &a, &x, &b) != 3 || (x != 'x' && x != 'X'))
		return -1;
	*w = a;
	*h = b;
	return 0;
}

static int cmd_lease(int argc, char **argv)
{
	uint32_t w = 0, h = 0;
	long flip = -1, close_fd_after = -1, release_after = -1, hangup_after = -1;
	long expect_revoked_ms = -1, hold_ms = 0;
	bool until_eof = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--hold-until-stdin-eof") == 0) {
			until_eof = true;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (strcmp(a, "--size") == 0) {
			if (parse_size(v, &w, &h) < 0) {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--flip") == 0) {
			flip = atol(v);
		} else if (strcmp(a, "--hold-ms") == 0) {
			hold_ms = atol(v);
		} else if (strcmp(a, "--close-fd-after-ms") == 0) {
			close_fd_after = atol(v);
		} else if (strcmp(a, "--release-after-ms") == 0) {
			release_after = atol(v);
		} else if (strcmp(a, "--hangup-after-ms") == 0) {
			hangup_after = atol(v);
		} else if (strcmp(a, "--expect-revoked-ms") == 0) {
			expect_revoked_ms = atol(v);
		} else {
			usage();
			return 2;
		}
	}
	int sock = connect_broker();
	if (sock < 0)
		return 1;
	uint32_t scanout = 0;
	fflush(stdout);
	int fd = do_lease(sock, w, h, &scanout, false);
	fflush(stdout);
	if (fd < 0) {
		close(sock);
		return 1;
	}
	int ret = 0;
	if (flip >= 0) {
		struct kms_check_result res;
		int r = kms_check_modeset_and_flip(fd, 0, (unsigned)flip, 5000, &res);
		if (r < 0) {
			printf("kms error err=%s flips=%u\n", strerror(-r), res.flips_done);
			ret = 1;
		} else {
			printf("kms ok connector=%u crtc=%u mode=%ux%u flips=%u flip_ms=%.2f\n",
			       res.connector_id, res.crtc_id, res.width, res.height, res.flips_done,
			       res.flip_ms);
		}
		fflush(stdout);
	}
	if (close_fd_after >= 0) {
		sleep_ms(close_fd_after);
		close(fd);
		fd = -1;
		printf("fd closed\n");
		fflush(stdout);
	}
	if (expect_revoked_ms >= 0 && fd >= 0) {
		/* So that "revoked" below means a change, not a lease that never worked. */
		unsigned c, k, p;
		if (kms_check_count_objects(fd, &c, &k, &p) < 0 || c == 0 || k == 0) {
			printf("lease error msg=fd-sees-nothing\n");
			ret = 1;
		}
	}
	if (release_after >= 0) {
		sleep_ms(release_after);
		helix_client_send(sock, HELIX_LEASE_CMD_RELEASE, scanout, 0);
		printf("release sent scanout=%u\n", scanout);
		fflush(stdout);
	}
	if (hangup_after >= 0) {
		sleep_ms(hangup_after);
		close(sock);
		sock = -1;
		printf("hung up\n");
		fflush(stdout);
	}
	if (expect_revoked_ms >= 0 && fd >= 0)
		ret |= expect_revoked(fd, (int)expect_revoked_ms);
	fflush(stdout);
	hold(hold_ms, until_eof);
	if (fd >= 0)
		close(fd);
	if (sock >= 0)
		close(sock);
	return ret;
}

static int cmd_many(int argc, char **argv)
{
	if (argc < 1) {
		usage();
		return 2;
	}
	int n = atoi(argv[0]);
	long hold_ms = 0;
	bool until_eof = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hold-until-stdin-eof") == 0)
			until_eof = true;
		else if (strcmp(argv[i], "--hold-ms") == 0 && i + 1 < argc)
			hold_ms = atol(argv[++i]);
	}
	if (n < 1 || n > 64) {
		usage();
		return 2;
	}
	int socks[64], fds[64], ok = 0, err = 0;
	for (int i = 0; i < n; i++) {
		uint32_t scanout;
		socks[i] = connect_broker();
		fds[i] = socks[i] >= 0 ? do_lease(socks[i], 0, 0, &scanout, false) : -1;
		if (fds[i] >= 0)
			ok++;
		else
			err++;
		fflush(stdout);
	}
	printf("many ok=%d error=%d\n", ok, err);
	fflush(stdout);
	hold(hold_ms, until_eof);
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (socks[i] >= 0)
			close(socks[i]);
	}
	return 0;
}

static int cmd_cycles(int argc, char **argv)
{
	if (argc < 1) {
		usage();
		return 2;
	}
	long n = atol(argv[0]);
	long flip = -1;
	if (argc >= 3 && strcmp(argv[1], "--flip") == 0)
		flip = atol(argv[2]);
	int fds_before = lc_count_open_fds();
	double t0 = lc_now_ms_f();
	for (long i = 0; i < n; i++) {
		int sock = connect_broker();
		if (sock < 0)
			return 1;
		uint32_t scanout;
		int fd = do_lease(sock, 0, 0, &scanout, true);
		if (fd < 0) {
			printf("cycles error at=%ld\n", i);
			close(sock);
			return 1;
		}
		if (flip >= 0) {
			struct kms_check_result res;
			if (kms_check_modeset_and_flip(fd, 0, (unsigned)flip, 5000, &res) < 0) {
				printf("cycles error at=%ld kms\n", i);
				return 1;
			}
		}
		close(fd);
		close(sock);
		int now = lc_count_open_fds();
		if (now > fds_before) {
			printf("cycles error at=%ld fds_before=%d fds_now=%d\n", i, fds_before,
			       now);
			return 1;
		}
	}
	printf("cycles ok n=%ld fds_before=%d fds_after=%d ms_per_cycle=%.2f\n", n, fds_before,
	       lc_count_open_fds(), n ? (lc_now_ms_f() - t0) / (double)n : 0.0);
	return 0;
}

static int cmd_status(void)
{
	int sock = connect_broker();
	if (sock < 0)
		return 1;
	helix_client_send(sock, HELIX_LEASE_CMD_STATUS, 0, 0);
	uint8_t st;
	uint32_t len;
	char *text;
	int r = helix_client_ext_reply(sock, lc_now_ms() + REPLY_TIMEOUT_MS, &st, &text, &len);
	if (r == -EPROTO) {
		printf("status error msg=no-valid-reply\n");
		return 1;
	}
	if (r < 0) {
		printf("status error msg=short-reply\n");
		return 1;
	}
	fputs(text, stdout);
	free(text);
	close(sock);
	return st == HELIX_LEASE_OK ? 0 : 1;
}

/* AUTH_MAGIC; returns 0 on success or the errno named by the reply. */
static int auth_magic(int sock, uint32_t magic)
{
	uint8_t st;
	uint32_t len;
	char *body = NULL;
	if (helix_client_send(sock, HELIX_LEASE_CMD_AUTH_MAGIC, magic, 0) < 0 ||
	    helix_client_ext_reply(sock, lc_now_ms() + REPLY_TIMEOUT_MS, &st, &body, &len) < 0) {
		printf("auth-magic error msg=no-valid-reply\n");
		return -1;
	}
	printf("auth-magic status=%u msg=\"%s\"\n", st, body);
	int r = st == HELIX_LEASE_OK ? (body[0] ? -1 : 0) : helix_client_errno_from_text(body, len);
	free(body);
	return r;
}

static int keys_fail(const char *what)
{
	printf("keys error msg=\"%s\"\n", what);
	return 1;
}

/* Helix side of stream keys and AUTH_MAGIC, on one connection. */
static int cmd_keys(int argc, char **argv)
{
	const char *status_out = NULL, *hold_file = NULL;
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--status-out") == 0)
			status_out = argv[i + 1];
		else if (strcmp(argv[i], "--hold-file") == 0)
			hold_file = argv[i + 1];
	}
	if (!status_out) {
		usage();
		return 2;
	}
	int sock = connect_broker();
	if (sock < 0)
		return 1;
	uint32_t magic = 0;
	int fd2 = auth_check_open("/dev/dri/card0", &magic);
	if (fd2 < 0)
		return keys_fail("cannot open the card again");
	if (auth_magic(sock, magic) != EPERM)
		return keys_fail("AUTH_MAGIC without a lease not refused with EPERM");
	if (auth_check_is_authenticated(fd2) != 0)
		return keys_fail("fd authenticated without a lease");
	printf("keys ok auth-magic-without-lease=EPERM\n");

	uint32_t scanout = 0;
	int lfd = do_lease(sock, 0, 0, &scanout, false);
	if (lfd < 0)
		return 1;
	helix_client_send(sock, HELIX_LEASE_CMD_STATUS, 0, 0);
	char *json = NULL;
	uint8_t st;
	uint32_t len;
	if (helix_client_ext_reply(sock, lc_now_ms() + REPLY_TIMEOUT_MS, &st, &json, &len) < 0 ||
	    st != HELIX_LEASE_OK)
		return keys_fail("no STATUS on the lease's connection");
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s.tmp", status_out);
	FILE *f = fopen(tmp, "w");
	bool written = f && fputs(json, f) >= 0;
	free(json);
	if (!f || fclose(f) != 0 || !written || rename(tmp, status_out) != 0)
		return keys_fail("cannot write the status file");
	printf("keys ok status written\n");

	if (auth_magic(sock, 0) != EINVAL)
		return keys_fail("AUTH_MAGIC 0 not refused with EINVAL");
	if (auth_magic(sock, magic) != 0)
		return keys_fail("AUTH_MAGIC refused during the lease");
	if (auth_check_is_authenticated(fd2) != 1)
		return keys_fail("fd not authenticated after AUTH_MAGIC");
	printf("keys ok auth-magic authenticated (GEM_FLINK works)\n");

	if (hold_file) {
		double deadline = lc_now_ms_f() + 120000;
		while (access(hold_file, F_OK) != 0) {
			if (lc_now_ms_f() > deadline)
				return keys_fail("hold file never appeared");
			sleep_ms(50);
		}
	}
	helix_client_send(sock, HELIX_LEASE_CMD_RELEASE, scanout, 0);
	close(lfd);
	uint32_t magic3 = 0;
	int fd3 = auth_check_open("/dev/dri/card0", &magic3);
	if (fd3 < 0)
		return keys_fail("cannot open the card a third time");
	if (auth_magic(sock, magic3) != EPERM)
		return keys_fail("AUTH_MAGIC after RELEASE not refused with EPERM");
	if (auth_check_is_authenticated(fd3) != 0)
		return keys_fail("fd authenticated after the lease ended");
	printf("keys ok auth-magic-after-release=EPERM\n");
	close(fd3);
	close(fd2);
	close(sock);
	printf("keys pass\n");
	return 0;
}

static int input_fail(const char *what)
{
	printf("input error msg=\"%s\"\n", what);
	return 1;
}

/* The lease's input devices through cmd 5: the right fds, events from the
 * host until the hold file exists, then the lease ends (--end release,
 * hangup, close-fd, or wait for the broker to end it) and every fd must
 * read ENODEV. */
static int cmd_input(int argc, char **argv)
{
	const char *hold_file = NULL, *end = "release";
	long expect = -1;
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--hold-file") == 0)
			hold_file = argv[i + 1];
		else if (strcmp(argv[i], "--end") == 0)
			end = argv[i + 1];
		else if (strcmp(argv[i], "--expect-inputs") == 0)
			expect = atol(argv[i + 1]);
	}
	bool release = strcmp(end, "release") == 0, hangup = strcmp(end, "hangup") == 0,
	     close_fd = strcmp(end, "close-fd") == 0, wait = strcmp(end, "wait") == 0;
	if (!release && !hangup && !close_fd && !wait) {
		usage();
		return 2;
	}
	int sock = connect_broker();
	if (sock < 0)
		return 1;
	struct lc_lease_input in[LC_LEASE_INPUT_MAX];
	size_t n = 0;
	char err[160];
	/* Without a lease: refused, the connection stays. */
	if (helix_client_input_devices(sock, lc_now_ms() + REPLY_TIMEOUT_MS, in, LC_LEASE_INPUT_MAX,
				       &n, err, sizeof(err)) != -EPERM)
		return input_fail("INPUT_DEVICES without a lease not refused with EPERM");
	printf("input ok without-lease=EPERM\n");
	uint32_t scanout = 0;
	int lfd = do_lease(sock, 0, 0, &scanout, false);
	if (lfd < 0)
		return 1;
	helix_client_send(sock, HELIX_LEASE_CMD_STATUS, 0, 0);
	char *json = NULL;
	uint8_t st;
	uint32_t len;
	if (helix_client_ext_reply(sock, lc_now_ms() + REPLY_TIMEOUT_MS, &st, &json, &len) < 0 ||
	    st != HELIX_LEASE_OK)
		return input_fail("no STATUS on the lease's connection");
	bool listed = helix_lease_status_has_extension(json, len,
						       HELIX_LEASE_EXT_NAME_INPUT_DEVICES);
	free(json);
	if (!listed)
		return input_fail("STATUS does not list input_devices");
	int r = helix_client_input_devices(sock, lc_now_ms() + REPLY_TIMEOUT_MS, in,
					   LC_LEASE_INPUT_MAX, &n, err, sizeof(err));
	if (r < 0) {
		printf("input error msg=\"INPUT_DEVICES: %s (%s)\"\n", strerror(-r), err);
		return 1;
	}
	char connector[32];
	snprintf(connector, sizeof(connector), "Virtual-%u", scanout + 1);
	printf("inputs n=%zu connector=%s scanout=%u\n", n, connector, scanout);
	if (expect >= 0 && n != (size_t)expect)
		return input_fail("not the expected number of input devices");
	if (!input_check_describe(in, n))
		return 1;
	for (size_t i = 0; i < n; i++) {
		char want[LC_LEASE_INPUT_UNIQ_LEN];
		snprintf(want, sizeof(want), "leasecast-%s-%u", i == 0 ? "kbd" : "tab", scanout);
		if (strcmp(in[i].connector, connector) != 0 || strcmp(in[i].uniq, want) != 0 ||
		    in[i].kind != (i == 0 ? LC_LEASE_INPUT_KEYBOARD : LC_LEASE_INPUT_TABLET))
			return input_fail("an input device that is not the leased output's");
	}
	/* Asked again: copies of the same open files. */
	struct lc_lease_input again[LC_LEASE_INPUT_MAX];
	size_t m = 0;
	if (helix_client_input_devices(sock, lc_now_ms() + REPLY_TIMEOUT_MS, again,
				       LC_LEASE_INPUT_MAX, &m, err, sizeof(err)) < 0 ||
	    m != n)
		return input_fail("a second INPUT_DEVICES did not give the same devices");
	lc_lease_inputs_close(again, m);
	printf("inputs ready\n");
	if (hold_file && !input_check_watch(in, n, hold_file, 180000))
		return 1;
	if (release) {
		helix_client_send(sock, HELIX_LEASE_CMD_RELEASE, scanout, 0);
	} else if (hangup) {
		close(sock);
		sock = -1;
	} else if (close_fd) {
		close(lfd);
		lfd = -1;
	}
	printf("input ok lease ended by %s\n", end);
	if (!input_check_revoked(in, n, wait ? 120000 : 10000))
		return 1;
	if (sock >= 0 && !wait) {
		/* The connection outlived its lease: cmd 5 is refused now. */
		if (helix_client_input_devices(sock, lc_now_ms() + REPLY_TIMEOUT_MS, again,
					       LC_LEASE_INPUT_MAX, &m, err, sizeof(err)) != -EPERM)
			return input_fail("INPUT_DEVICES after the lease not refused with EPERM");
		printf("input ok after-lease=EPERM\n");
	}
	lc_lease_inputs_close(in, n);
	if (lfd >= 0)
		close(lfd);
	if (sock >= 0)
		close(sock);
	printf("input pass\n");
	return 0;
}

static int cmd_raw(int argc, char **argv)
{
	if (argc < 1) {
		usage();
		return 2;
	}
	const char *hex = argv[0];
	bool shut = argc > 1 && strcmp(argv[1], "--shutdown") == 0;
	uint8_t buf[1024];
	size_t n = 0;
	for (const char *p = hex; p[0] && p[1] && n < sizeof(buf); p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1) {
			usage();
			return 2;
		}
		buf[n++] = (uint8_t)v;
	}
	int sock = connect_broker();
	if (sock < 0)
		return 1;
	if (n && lc_send_with_fd(sock, buf, n, -1) != (ssize_t)n) {
		printf("raw error msg=send-failed\n");
		return 1;
	}
	if (shut)
		shutdown(sock, SHUT_WR);
	uint8_t rep[HELIX_LEASE_RESP_SIZE];
	int fd = -1;
	ssize_t got = helix_client_recv(sock, rep, sizeof(rep), &fd, lc_now_ms() + 5000);
	struct helix_lease_resp resp;
	if (got == (ssize_t)sizeof(rep) &&
	    helix_lease_resp_decode(rep, sizeof(rep), &resp) == HELIX_LEASE_DECODE_OK)
		printf("reply status=%u scanout=%u msg=\"%s\" fd=%s\n", resp.status,
		       resp.scanout_id, resp.name, fd >= 0 ? "yes" : "no");
	else
		printf("reply none bytes=%zd fd=%s\n", got, fd >= 0 ? "yes" : "no");
	if (fd >= 0)
		close(fd);
	/* Did the broker hang up after its answer? */
	char c;
	int r = wait_readable(sock, 3000);
	ssize_t k = r == 0 ? recv(sock, &c, 1, MSG_DONTWAIT) : -1;
	/* A reset counts: the broker closed with our extra bytes unread. */
	bool closed = r == 0 && (k == 0 || (k < 0 && errno == ECONNRESET));
	printf("connection %s\n", closed ? "closed" : "open");
	close(sock);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--socket") == 0) {
		sock_path = argv[i + 1];
		i += 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i >= argc) {
		usage();
		return 2;
	}
	const char *cmd = argv[i++];
	if (strcmp(cmd, "lease") == 0)
		return cmd_lease(argc - i, argv + i);
	if (strcmp(cmd, "many") == 0)
		return cmd_many(argc - i, argv + i);
	if (strcmp(cmd, "cycles") == 0)
		return cmd_cycles(argc - i, argv + i);
	if (strcmp(cmd, "status") == 0)
		return cmd_status();
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(argc - i, argv + i);
	if (strcmp(cmd, "input") == 0)
		return cmd_input(argc - i, argv + i);
	if (strcmp(cmd, "raw") == 0)
		return cmd_raw(argc - i, argv + i);
	if (strcmp(cmd, "release") == 0 && i < argc) {
		int sock = connect_broker();
		if (sock < 0)
			return 1;
		helix_client_send(sock, HELIX_LEASE_CMD_RELEASE,
				  (uint32_t)strtoul(argv[i], NULL, 0), 0);
		printf("release sent scanout=%s\n", argv[i]);
		close(sock);
		return 0;
	}
	usage();
	return 2;
}
