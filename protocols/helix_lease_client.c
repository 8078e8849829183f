#include "helix_lease_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fdpass.h"
#include "sock.h"

int helix_client_send(int sock, uint8_t cmd, uint32_t width, uint32_t height)
{
	uint8_t buf[HELIX_LEASE_REQ_SIZE];
	struct helix_lease_req req = {.cmd = cmd, .width = width, .height = height};
	size_t n = helix_lease_req_encode(buf, sizeof(buf), &req);
	ssize_t r = lc_send_with_fd(sock, buf, n, -1);
	return r == (ssize_t)n ? 0 : (r < 0 ? (int)r : -EIO);
}

ssize_t helix_client_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n,
			      int64_t deadline_ms)
{
	size_t got = 0;
	*n = 0;
	while (got < len) {
		int64_t left = deadline_ms - lc_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the deadline is checked above */
		size_t k = 0;
		ssize_t m = lc_recv_with_fds(sock, (uint8_t *)buf + got, len - got, fds + *n,
					     max - *n, &k);
		*n += k;
		if (m < 0)
			return m;
		if (m == 0)
			break;
		got += (size_t)m;
	}
	return (ssize_t)got;
}

ssize_t helix_client_recv(int sock, void *buf, size_t len, int *fd, int64_t deadline_ms)
{
	size_t got = 0;
	if (fd)
		*fd = -1;
	while (got < len) {
		int64_t left = deadline_ms - lc_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the deadline is checked above */
		int rfd = -1;
		ssize_t n = lc_recv_with_fd(sock, (uint8_t *)buf + got, len - got, &rfd);
		if (rfd >= 0) {
			if (fd && *fd < 0)
				*fd = rfd;
			else
				close(rfd);
		}
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int helix_client_lease(int sock, uint32_t width, uint32_t height, int64_t deadline_ms,
		       struct helix_client_reply *reply)
{
	*reply = (struct helix_client_reply){.fd = -1};
	int e = helix_client_send(sock, HELIX_LEASE_CMD_LEASE, width, height);
	if (e < 0) {
		reply->outcome = HELIX_CLIENT_SEND_FAILED;
		reply->err = e;
		return -1;
	}
	uint8_t buf[HELIX_LEASE_RESP_SIZE];
	int fd = -1;
	ssize_t n = helix_client_recv(sock, buf, sizeof(buf), &fd, deadline_ms);
	reply->got = n;
	reply->fd_came = fd >= 0;
	reply->replied = n == (ssize_t)sizeof(buf);
	if (!reply->replied) {
		reply->outcome = HELIX_CLIENT_NO_REPLY;
		reply->err = n < 0 ? (int)n : -ECONNRESET;
	} else if ((reply->decode = helix_lease_resp_decode(buf, sizeof(buf), &reply->resp)) !=
		   HELIX_LEASE_DECODE_OK) {
		reply->outcome = HELIX_CLIENT_BAD_REPLY;
	} else if (reply->resp.status != HELIX_LEASE_OK) {
		reply->outcome = HELIX_CLIENT_REFUSED;
	} else if (fd < 0) {
		reply->outcome = HELIX_CLIENT_NO_FD;
	} else {
		reply->outcome = HELIX_CLIENT_GRANTED;
		reply->fd = fd;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

int helix_client_open(const char *path, uint32_t width, uint32_t height, int64_t deadline_ms,
		      int *sock, struct helix_client_reply *reply)
{
	*sock = lc_unix_connect(path);
	if (*sock < 0) {
		*reply = (struct helix_client_reply){
			.outcome = HELIX_CLIENT_CONNECT_FAILED, .err = *sock, .fd = -1};
		*sock = -1;
		return -1;
	}
	return helix_client_lease(*sock, width, height, deadline_ms, reply);
}

int helix_client_ext_reply(int sock, int64_t deadline_ms, uint8_t *status, char **body,
			   uint32_t *len)
{
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	*body = NULL;
	if (helix_client_recv(sock, hdr, sizeof(hdr), NULL, deadline_ms) != (ssize_t)sizeof(hdr) ||
	    helix_lease_ext_hdr_decode(hdr, sizeof(hdr), status, len) != HELIX_LEASE_DECODE_OK)
		return -EPROTO;
	char *text = malloc((size_t)*len + 1);
	if (!text)
		return -ENOMEM;
	if (helix_client_recv(sock, text, *len, NULL, deadline_ms) != (ssize_t)*len) {
		free(text);
		return -EIO;
	}
	text[*len] = '\0';
	*body = text;
	return 0;
}

int helix_client_input_devices(int sock, int64_t deadline_ms, struct lc_lease_input *out,
			       size_t max, size_t *n, char *err, size_t err_len)
{
	*n = 0;
	if (err_len)
		err[0] = '\0';
	int r = helix_client_send(sock, HELIX_LEASE_CMD_INPUT_DEVICES, 0, 0);
	if (r < 0)
		return r;
	uint8_t hdr[HELIX_LEASE_EXT_HDR_SIZE];
	int fds[LC_LEASE_INPUT_MAX];
	size_t nfds = 0, nbody = 0;
	uint8_t status;
	uint32_t len;
	char *body = NULL;
	struct lc_lease_input got[LC_LEASE_INPUT_MAX];
	size_t ngot = 0;
	/* The descriptors come with the header's first byte; none may come
	 * with the body. */
	ssize_t k = helix_client_recv_fds(sock, hdr, sizeof(hdr), fds, LC_LEASE_INPUT_MAX, &nfds,
					  deadline_ms);
	if (k != (ssize_t)sizeof(hdr) ||
	    helix_lease_ext_hdr_decode(hdr, sizeof(hdr), &status, &len) != HELIX_LEASE_DECODE_OK) {
		r = -EPROTO;
		goto out;
	}
	body = malloc((size_t)len + 1);
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	int stray[1];
	k = helix_client_recv_fds(sock, body, len, stray, 0, &nbody, deadline_ms);
	if (k == -EPROTO) {
		r = -EPROTO;
		goto out;
	}
	if (k != (ssize_t)len) {
		r = -EIO;
		goto out;
	}
	body[len] = '\0';
	if (status != HELIX_LEASE_OK) {
		snprintf(err, err_len, "%s", body);
		r = nfds ? -EPROTO : -helix_client_errno_from_text(body, len);
		goto out;
	}
	if (helix_lease_inputs_decode(body, len, got, LC_LEASE_INPUT_MAX, &ngot) !=
		    HELIX_LEASE_DECODE_OK ||
	    ngot != nfds) {
		snprintf(err, err_len, "%zu descriptors with a body of %zu entries%s", nfds, ngot,
			 ngot ? "" : " (or a malformed body)");
		r = -EPROTO;
		goto out;
	}
	for (size_t i = 0; i < ngot; i++) {
		if (got[i].kind == LC_LEASE_INPUT_UNKNOWN || *n == max) {
			close(fds[i]);
			continue;
		}
		out[*n] = got[i];
		out[*n].fd = fds[i];
		(*n)++;
	}
	nfds = 0; /* every one is in out or closed */
	r = 0;
out:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	free(body);
	return r;
}

int helix_client_errno_from_text(const char *text, size_t len)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {{"EPERM", EPERM},   {"EINVAL", EINVAL}, {"EDQUOT", EDQUOT}, {"EACCES", EACCES},
		     {"ENOENT", ENOENT}, {"EBUSY", EBUSY},   {"ENODEV", ENODEV}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t k = strlen(names[i].name);
		if (len >= k && memcmp(text, names[i].name, k) == 0 &&
		    (len == k || text[k] == ':' || text[k] == ' '))
			return names[i].err;
	}
	return EIO;
}
