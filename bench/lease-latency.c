/* lc-bench-lease-latency: how long a Helix client waits for a lease fd
 * (connect + request + reply with SCM_RIGHTS), and a whole acquire/release
 * cycle, against a running drm-lease-broker. Run inside the VM rig
 * (tests/vm/scenarios/broker-bench.sh); figures go to bench/RESULTS.md. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "helix_lease.h"
#include "sock.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One lease: returns the fd or -1; the socket stays open in *sock. */
static int lease_once(const char *path, int *sock)
{
	*sock = lc_unix_connect(path);
	if (*sock < 0)
		return -1;
	uint8_t req[HELIX_LEASE_REQ_SIZE], rep[HELIX_LEASE_RESP_SIZE];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_LEASE};
	helix_lease_req_encode(req, sizeof(req), &r);
	if (write(*sock, req, sizeof(req)) != (ssize_t)sizeof(req))
		return -1;
	struct pollfd p = {.fd = *sock, .events = POLLIN};
	if (poll(&p, 1, 20000) != 1)
		return -1;
	int fd = -1;
	ssize_t n = lc_recv_with_fd(*sock, rep, sizeof(rep), &fd);
	struct helix_lease_resp resp;
	if (n != (ssize_t)sizeof(rep) || helix_lease_resp_decode(rep, sizeof(rep), &resp) != 0 ||
	    resp.status != HELIX_LEASE_OK) {
		fprintf(stderr, "lease refused: %s\n",
			n == (ssize_t)sizeof(rep) ? resp.name : "no valid reply");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/run/helix-drm/drm.sock";
	long n = argc > 2 ? atol(argv[2]) : 200;
	const char *label = argc > 3 ? argv[3] : "helix";
	if (n < 1 || n > 100000) {
		fprintf(stderr, "usage: lc-bench-lease-latency [SOCKET] [N] [LABEL]\n");
		return 2;
	}
	double *acq = calloc((size_t)n, sizeof(double)), *cyc = calloc((size_t)n, sizeof(double));
	if (!acq || !cyc)
		return 1;
	for (long i = 0; i < n; i++) {
		int sock;
		double t0 = now_ms();
		int fd = lease_once(path, &sock);
		double t1 = now_ms();
		if (fd < 0) {
			fprintf(stderr, "lease %ld failed\n", i);
			return 1;
		}
		close(fd);
		close(sock);
		acq[i] = t1 - t0;
		cyc[i] = now_ms() - t0;
	}
	qsort(acq, (size_t)n, sizeof(double), cmp_double);
	qsort(cyc, (size_t)n, sizeof(double), cmp_double);
	printf("bench lease-latency label=%s n=%ld acquire_ms p50=%.2f p95=%.2f max=%.2f "
	       "cycle_ms p50=%.2f p95=%.2f max=%.2f\n",
	       label, n, acq[n / 2], acq[(n * 95) / 100], acq[n - 1], cyc[n / 2],
	       cyc[(n * 95) / 100], cyc[n - 1]);
	free(acq);
	free(cyc);
	return 0;
}
