/* The Helix lease client against a peer on a socketpair (or a listening
 * socket) that speaks the real codec: what it sends, what it makes of
 * every kind of reply, its deadlines, and that no descriptor leaks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "fdpass.h"
#include "helix_lease_client.h"
#include "sock.h"

static void pair(int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* The broker's side: a lease reply, in one or two pieces, the fd with the
 * last piece when fd >= 0. */
static void peer_reply(int sock, uint8_t status, uint32_t scanout, const char *name, int fd,
		       size_t split)
{
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	CHECK_EQ(helix_lease_resp_encode(buf, sizeof(buf), status, scanout, name), sizeof(buf));
	if (split) {
		CHECK_EQ(lc_send_with_fd(sock, buf, split, -1), split);
		CHECK_EQ(lc_send_with_fd(sock, buf + split, sizeof(buf) - split, fd),
			 sizeof(buf) - split);
	} else {
		CHECK_EQ(lc_send_with_fd(sock, buf, sizeof(buf), fd), sizeof(buf));
	}
}

/* The request the client sent, decoded as the broker decodes it. */
static void peer_expect_req(int sock, uint8_t cmd, uint32_t width, uint32_t height)
{
	uint8_t buf[HELIX_LEASE_REQ_SIZE];
	CHECK_EQ(recv(sock, buf, sizeof(buf), MSG_DONTWAIT), sizeof(buf));
	struct helix_lease_req req;
	CHECK_EQ(helix_lease_req_decode(buf, sizeof(buf), &req), HELIX_LEASE_DECODE_OK);
	CHECK_EQ(req.cmd, cmd);
	CHECK_EQ(req.width, width);
	CHECK_EQ(req.height, height);
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void test_granted(void)
{
	int fds_before = lc_count_open_fds();
	int sv[2];
	pair(sv);
	int lease = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Split so the client must read on after a partial reply. */
	peer_reply(sv[1], HELIX_LEASE_OK, 3, "Virtual-4", lease, 10);
	struct helix_client_reply r;
	int fd = helix_client_lease(sv[0], 1280, 720, lc_now_ms() + 2000, &r);
	CHECK_EQ(r.outcome, HELIX_CLIENT_GRANTED);
	CHECK(fd >= 0 && fd == r.fd);
	CHECK(same_file(fd, lease));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(r.replied && r.fd_came);
	CHECK_EQ(r.got, HELIX_LEASE_RESP_SIZE);
	CHECK_EQ(r.resp.scanout_id, 3);
	CHECK_STR(r.resp.name, "Virtual-4");
	peer_expect_req(sv[1], HELIX_LEASE_CMD_LEASE, 1280, 720);
	close(fd);
	close(lease);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

static void test_default_size(void)
{
	int sv[2];
	pair(sv);
	int lease = open("/dev/null", O_RDONLY | O_CLOEXEC);
	peer_reply(sv[1], HELIX_LEASE_OK, 0, "Virtual-2", lease, 0);
	struct helix_client_reply r;
	int fd = helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r);
	CHECK_EQ(r.outcome, HELIX_CLIENT_GRANTED);
	/* 0x0 goes on the wire as such; the broker makes it 1920x1080. */
	peer_expect_req(sv[1], HELIX_LEASE_CMD_LEASE, HELIX_LEASE_DEFAULT_WIDTH,
			HELIX_LEASE_DEFAULT_HEIGHT);
	close(fd);
	close(lease);
	close(sv[0]);
	close(sv[1]);
}

static void test_refused(void)
{
	int fds_before = lc_count_open_fds();
	int sv[2];
	pair(sv);
	/* A refusal that still carries a descriptor: reported, and closed. */
	int stray = open("/dev/null", O_RDONLY | O_CLOEXEC);
	peer_reply(sv[1], HELIX_LEASE_ERROR, 0, "no free output", stray, 0);
	close(stray);
	struct helix_client_reply r;
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_REFUSED);
	CHECK(r.replied && r.fd_came);
	CHECK_EQ(r.fd, -1);
	CHECK_STR(r.resp.name, "no free output");

	/* OK without a descriptor. */
	peer_reply(sv[1], HELIX_LEASE_OK, 1, "Virtual-2", -1, 0);
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_NO_FD);
	CHECK(r.replied && !r.fd_came);
	CHECK_STR(r.resp.name, "Virtual-2");
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

static void test_bad_reply(void)
{
	int sv[2];
	pair(sv);
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	helix_lease_resp_encode(buf, sizeof(buf), HELIX_LEASE_OK, 0, "Virtual-2");
	buf[0] = 7; /* neither OK nor ERROR */
	CHECK_EQ(write(sv[1], buf, sizeof(buf)), sizeof(buf));
	struct helix_client_reply r;
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_BAD_REPLY);
	CHECK_EQ(r.decode, HELIX_LEASE_DECODE_STATUS);
	CHECK(r.replied);
	close(sv[0]);
	close(sv[1]);
}

static void test_no_reply(void)
{
	int sv[2];
	pair(sv);
	struct helix_client_reply r;
	/* Nothing before the deadline. */
	int64_t t0 = lc_now_ms();
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, t0 + 100, &r), -1);
	int64_t waited = lc_now_ms() - t0;
	CHECK(waited >= 100 && waited < 2000);
	CHECK_EQ(r.outcome, HELIX_CLIENT_NO_REPLY);
	CHECK_EQ(r.err, -ETIMEDOUT);
	CHECK_EQ(r.got, -ETIMEDOUT);
	CHECK(!r.replied);

	/* Part of a reply, then EOF. */
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	helix_lease_resp_encode(buf, sizeof(buf), HELIX_LEASE_OK, 0, "Virtual-2");
	CHECK_EQ(write(sv[1], buf, 20), 20);
	shutdown(sv[1], SHUT_WR);
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_NO_REPLY);
	CHECK_EQ(r.err, -ECONNRESET);
	CHECK_EQ(r.got, 20);
	close(sv[1]);

	/* The peer is gone: the send fails, without SIGPIPE. */
	CHECK_EQ(helix_client_lease(sv[0], 0, 0, lc_now_ms() + 2000, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_SEND_FAILED);
	CHECK_EQ(r.err, -EPIPE);
	close(sv[0]);
}

static void test_recv_fds(void)
{
	int fds_before = lc_count_open_fds();
	int sv[2];
	pair(sv);
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	CHECK_EQ(lc_send_with_fd(sv[1], "ab", 2, a), 2);
	CHECK_EQ(lc_send_with_fd(sv[1], "cd", 2, b), 2);
	char buf[4];
	int fd = -2;
	/* The first descriptor is kept, the second closed. */
	CHECK_EQ(helix_client_recv(sv[0], buf, sizeof(buf), &fd, lc_now_ms() + 2000), 4);
	CHECK_MEM(buf, "abcd", 4);
	CHECK(same_file(fd, a));
	close(fd);
	/* Without a place for one, every descriptor is closed. */
	CHECK_EQ(lc_send_with_fd(sv[1], "ef", 2, a), 2);
	CHECK_EQ(helix_client_recv(sv[0], buf, 2, NULL, lc_now_ms() + 2000), 2);
	close(a);
	close(b);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

static void peer_ext(int sock, uint8_t status, const char *body, size_t send_len)
{
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	size_t len = strlen(body);
	CHECK_EQ(helix_lease_ext_hdr_encode(hdr, sizeof(hdr), status, (uint32_t)len), sizeof(hdr));
	CHECK_EQ(write(sock, hdr, sizeof(hdr)), sizeof(hdr));
	if (send_len)
		CHECK_EQ(write(sock, body, send_len), send_len);
}

static void test_ext_reply(void)
{
	int sv[2];
	pair(sv);
	uint8_t st = 9;
	uint32_t len = 0;
	char *body = NULL;
	const char *json = "{\"outputs\":[]}";
	CHECK_EQ(helix_client_send(sv[0], HELIX_LEASE_CMD_STATUS, 0, 0), 0);
	peer_expect_req(sv[1], HELIX_LEASE_CMD_STATUS, 0, 0);
	peer_ext(sv[1], HELIX_LEASE_OK, json, strlen(json));
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), 0);
	CHECK_EQ(st, HELIX_LEASE_OK);
	CHECK_EQ(len, strlen(json));
	CHECK(body && strcmp(body, json) == 0);
	free(body);

	/* An empty body (AUTH_MAGIC's success). */
	CHECK_EQ(helix_client_send(sv[0], HELIX_LEASE_CMD_AUTH_MAGIC, 1234, 0), 0);
	peer_expect_req(sv[1], HELIX_LEASE_CMD_AUTH_MAGIC, 1234, 0);
	peer_ext(sv[1], HELIX_LEASE_OK, "", 0);
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), 0);
	CHECK(body && body[0] == '\0' && len == 0);
	free(body);

	/* A refusal's text names the errno. */
	const char *msg = "EPERM: no active lease on this connection";
	peer_ext(sv[1], HELIX_LEASE_ERROR, msg, strlen(msg));
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), 0);
	CHECK_EQ(st, HELIX_LEASE_ERROR);
	CHECK_EQ(helix_client_errno_from_text(body, len), EPERM);
	free(body);

	/* A bad header: status 2. */
	uint8_t bad[HELIX_LEASE_EXT_HDR_SIZE] = {2, 0, 0, 0, 0};
	CHECK_EQ(write(sv[1], bad, sizeof(bad)), sizeof(bad));
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), -EPROTO);
	CHECK(body == NULL);

	/* A body cut short by EOF. */
	peer_ext(sv[1], HELIX_LEASE_OK, json, 3);
	shutdown(sv[1], SHUT_WR);
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), -EIO);
	CHECK(body == NULL);
	/* Nothing at all (EOF): no header. */
	CHECK_EQ(helix_client_ext_reply(sv[0], lc_now_ms() + 2000, &st, &body, &len), -EPROTO);
	close(sv[0]);
	close(sv[1]);
}

/* The broker's INPUT_DEVICES reply: header (with the fds unless
 * fds_with_body) and body in one piece each. */
static void peer_inputs(int sock, uint8_t status, const char *body, const int *fds, size_t n,
			bool fds_with_body)
{
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	size_t len = strlen(body);
	CHECK_EQ(helix_lease_ext_hdr_encode(hdr, sizeof(hdr), status, (uint32_t)len), sizeof(hdr));
	CHECK_EQ(lc_send_with_fds(sock, hdr, sizeof(hdr), fds, fds_with_body ? 0 : n), sizeof(hdr));
	CHECK_EQ(lc_send_with_fds(sock, body, len, fds, fds_with_body ? n : 0), len);
}

static struct lc_lease_input dev(const char *conn, int kind, const char *uniq)
{
	struct lc_lease_input e = {.fd = -1, .kind = kind};
	snprintf(e.connector, sizeof(e.connector), "%s", conn);
	snprintf(e.uniq, sizeof(e.uniq), "%s", uniq);
	return e;
}

static void test_input_devices(void)
{
	int fds_before = lc_count_open_fds();
	int sv[2];
	pair(sv);
	int src[3] = {open("/dev/null", O_RDONLY | O_CLOEXEC),
		      open("/dev/zero", O_RDONLY | O_CLOEXEC),
		      open("/dev/full", O_RDONLY | O_CLOEXEC)};
	struct lc_lease_input want[2] = {
		dev("Virtual-3", LC_LEASE_INPUT_KEYBOARD, "leasecast-kbd-2"),
		dev("Virtual-3", LC_LEASE_INPUT_TABLET, "leasecast-tab-2"),
	};
	char body[1024];
	CHECK(helix_lease_inputs_encode(body, sizeof(body), want, 2) > 0);
	struct lc_lease_input out[LC_LEASE_INPUT_MAX];
	size_t n = 99;
	char err[128];

	/* Granted: both, in order, with their fds. */
	peer_inputs(sv[1], HELIX_LEASE_OK, body, src, 2, false);
	CHECK_EQ(helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, LC_LEASE_INPUT_MAX, &n,
					    err, sizeof(err)),
		 0);
	peer_expect_req(sv[1], HELIX_LEASE_CMD_INPUT_DEVICES, 0, 0);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_STR(out[0].connector, "Virtual-3");
		CHECK_EQ(out[0].kind, LC_LEASE_INPUT_KEYBOARD);
		CHECK_STR(out[0].uniq, "leasecast-kbd-2");
		CHECK(same_file(out[0].fd, src[0]));
		CHECK_EQ(out[1].kind, LC_LEASE_INPUT_TABLET);
		CHECK(same_file(out[1].fd, src[1]));
		CHECK(fcntl(out[1].fd, F_GETFD) & FD_CLOEXEC);
		lc_lease_inputs_close(out, n);
		CHECK_EQ(out[0].fd, -1);
	}

	/* A kind this side does not know, and a caller with room for one:
	 * what is dropped is closed. */
	const char *three = "{\"input_devices\":[{\"connector\":\"V-1\",\"kind\":\"touch\","
			    "\"uniq\":\"t\"},{\"connector\":\"V-1\",\"kind\":\"tablet\",\"uniq\":"
			    "\"a\"},{\"connector\":\"V-1\",\"kind\":\"keyboard\",\"uniq\":\"b\"}]}";
	int mid = lc_count_open_fds();
	peer_inputs(sv[1], HELIX_LEASE_OK, three, src, 3, false);
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 1, &n, err, sizeof(err)),
		0);
	CHECK_EQ(n, 1);
	CHECK_STR(out[0].uniq, "a");
	CHECK(same_file(out[0].fd, src[1]));
	lc_lease_inputs_close(out, n);
	CHECK_EQ(lc_count_open_fds(), mid);

	/* None. */
	peer_inputs(sv[1], HELIX_LEASE_OK, "{\"input_devices\":[]}", NULL, 0, false);
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		0);
	CHECK_EQ(n, 0);

	/* Refused: the errno the text names. */
	const char *perm = "EPERM: no active lease on this connection";
	peer_inputs(sv[1], HELIX_LEASE_ERROR, perm, NULL, 0, false);
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPERM);
	CHECK_STR(err, perm);
	CHECK_EQ(n, 0);

	/* Bad replies: every fd that came is closed. */
	peer_inputs(sv[1], HELIX_LEASE_OK, body, src, 1, false); /* 2 entries, 1 fd */
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPROTO);
	peer_inputs(sv[1], HELIX_LEASE_OK, body, src, 3, false); /* 2 entries, 3 fds */
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPROTO);
	peer_inputs(sv[1], HELIX_LEASE_OK, body, src, 2, true); /* fds with the body */
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPROTO);
	/* (that body was read with its fds, which were closed) */
	char junk[1024];
	CHECK_EQ(recv(sv[0], junk, sizeof(junk), MSG_DONTWAIT), -1);
	peer_inputs(sv[1], HELIX_LEASE_OK, "{\"input_devices\":[{}]}", src, 1, false);
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPROTO);
	peer_inputs(sv[1], HELIX_LEASE_ERROR, perm, src, 1, false); /* a refusal with a fd */
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EPROTO);
	CHECK_EQ(n, 0);
	CHECK_EQ(lc_count_open_fds(), mid);
	/* drain the requests the client sent */
	while (recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;

	/* Nothing before the deadline; then a body cut short by EOF. */
	int64_t t0 = lc_now_ms();
	CHECK_EQ(helix_client_input_devices(sv[0], t0 + 100, out, 4, &n, err, sizeof(err)),
		 -EPROTO);
	CHECK(lc_now_ms() - t0 >= 100);
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	helix_lease_ext_hdr_encode(hdr, sizeof(hdr), HELIX_LEASE_OK, 50);
	CHECK_EQ(lc_send_with_fds(sv[1], hdr, sizeof(hdr), src, 2), sizeof(hdr));
	CHECK_EQ(write(sv[1], "{\"in", 4), 4);
	shutdown(sv[1], SHUT_WR);
	CHECK_EQ(
		helix_client_input_devices(sv[0], lc_now_ms() + 2000, out, 4, &n, err, sizeof(err)),
		-EIO);
	for (int i = 0; i < 3; i++)
		close(src[i]);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(lc_count_open_fds(), fds_before);
}

static void test_errno_from_text(void)
{
	CHECK_EQ(helix_client_errno_from_text("EINVAL: magic 0", 15), EINVAL);
	CHECK_EQ(helix_client_errno_from_text("EDQUOT", 6), EDQUOT);
	CHECK_EQ(helix_client_errno_from_text("EPERM disabled", 14), EPERM);
	CHECK_EQ(helix_client_errno_from_text("EPERMX", 6), EIO);
	CHECK_EQ(helix_client_errno_from_text("EPE", 3), EIO);
	CHECK_EQ(helix_client_errno_from_text("", 0), EIO);
}

struct listener {
	int fd;
	int lease;
};

/* A broker of one connection: accepts, decodes the request, grants. */
static void *serve_one(void *arg)
{
	struct listener *l = arg;
	int64_t deadline = lc_now_ms() + 5000;
	int c = -1;
	while (c < 0 && lc_now_ms() < deadline) {
		c = accept(l->fd, NULL, NULL);
		if (c < 0)
			usleep(5000);
	}
	if (c < 0)
		return NULL;
	uint8_t buf[HELIX_LEASE_REQ_SIZE];
	struct helix_lease_req req;
	if (helix_client_recv(c, buf, sizeof(buf), NULL, deadline) == (ssize_t)sizeof(buf) &&
	    helix_lease_req_decode(buf, sizeof(buf), &req) == HELIX_LEASE_DECODE_OK &&
	    req.cmd == HELIX_LEASE_CMD_LEASE && req.width == 800 && req.height == 600)
		peer_reply(c, HELIX_LEASE_OK, 5, "Virtual-6", l->lease, 0);
	else
		peer_reply(c, HELIX_LEASE_ERROR, 0, "EINVAL: unexpected request", -1, 0);
	close(c);
	return NULL;
}

static void test_open(void)
{
	char dir[] = "/tmp/lc-helix-client-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/drm.sock", dir);

	struct helix_client_reply r;
	int sock = 7;
	CHECK_EQ(helix_client_open(path, 0, 0, lc_now_ms() + 1000, &sock, &r), -1);
	CHECK_EQ(r.outcome, HELIX_CLIENT_CONNECT_FAILED);
	CHECK_EQ(r.err, -ENOENT);
	CHECK_EQ(sock, -1);

	int lock_fd = -1;
	struct listener l = {.fd = lc_unix_listen(path, 0600, (gid_t)-1, &lock_fd),
			     .lease = open("/dev/null", O_RDONLY | O_CLOEXEC)};
	CHECK(l.fd >= 0);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, serve_one, &l), 0);
	int fd = helix_client_open(path, 800, 600, lc_now_ms() + 5000, &sock, &r);
	CHECK_EQ(r.outcome, HELIX_CLIENT_GRANTED);
	CHECK(sock >= 0);
	CHECK(fd >= 0 && same_file(fd, l.lease));
	CHECK_STR(r.resp.name, "Virtual-6");
	CHECK_EQ(r.resp.scanout_id, 5);
	pthread_join(t, NULL);
	close(fd);
	close(sock);
	close(l.lease);
	close(l.fd);
	close(lock_fd);
	unlink(path);
	char lock_path[160];
	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	unlink(lock_path);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would end the test: the client must avoid it */
	test_granted();
	test_default_size();
	test_refused();
	test_bad_reply();
	test_no_reply();
	test_recv_fds();
	test_ext_reply();
	test_input_devices();
	test_errno_from_text();
	test_open();
	return check_report();
}
