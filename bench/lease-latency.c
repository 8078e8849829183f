/* lc-bench-lease-latency: lease latency figures as JSON lines, one per case,
 * for bench/RESULTS.md. Run inside the VM rig (tests/vm/scenarios/
 * broker-bench.sh runs every mode in one boot).
 *
 *   raw CARD N                  the kernel's own cost, as DRM master (run it
 *                               before the broker starts): drmModeCreateLease
 *                               of the first connected output's connector,
 *                               CRTC and plane, then close, N times.
 *   helix SOCKET N CASE [BASE_P50 BASE_P99 BASE_NAME]
 *                               acquire over the broker's Helix socket
 *                               (connect, request, fd received), then
 *                               release (close); with a baseline from the
 *                               same run, the ratios broker/baseline.
 *   reference P50_MS CASE       Helix's manager: a fixed 500 ms sleep on
 *                               every acquire, 10 s stall on every release.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "fdpass.h"
#include "helix_lease.h"
#include "sock.h"

#define HELIX_ACQUIRE_SLEEP_MS 500.0
#define HELIX_RELEASE_STALL_MS 10000.0

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

struct figures {
	double p50, p99, max;
};

static struct figures summarize(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return (struct figures){v[n / 2], v[(n * 99) / 100], v[n - 1]};
}

/* One lease: the fd or -1; the socket stays open in *sock. */
static int helix_lease(const char *path, int *sock)
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
	    resp.status != HELIX_LEASE_OK || fd < 0) {
		fprintf(stderr, "lease refused: %s\n",
			n == (ssize_t)sizeof(rep) ? resp.name : "no valid reply");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int bench_helix(const char *path, long n, const char *name, int argc, char **argv)
{
	double *acq = calloc((size_t)n, sizeof(double));
	if (!acq)
		return 1;
	for (long i = 0; i < n; i++) {
		int sock;
		double t0 = now_ms();
		int fd = helix_lease(path, &sock);
		acq[i] = now_ms() - t0;
		if (sock >= 0)
			close(sock);
		if (fd < 0) {
			fprintf(stderr, "lease %ld failed\n", i);
			free(acq);
			return 1;
		}
		close(fd);
	}
	struct figures f = summarize(acq, n);
	printf("{\"bench\":\"lease\",\"case\":\"%s\",\"n\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f",
	       name, n, f.p50, f.p99, f.max);
	if (argc >= 3) {
		double b50 = atof(argv[0]), b99 = atof(argv[1]);
		printf(",\"baseline\":\"%s\",\"baseline_p50_ms\":%.3f,\"baseline_p99_ms\":%.3f,"
		       "\"ratio_p50\":%.2f,\"ratio_p99\":%.2f",
		       argv[2], b50, b99, b50 > 0 ? f.p50 / b50 : 0.0, b99 > 0 ? f.p99 / b99 : 0.0);
	}
	printf("}\n");
	free(acq);
	return 0;
}

/* Connector, CRTC and a plane of the first connected output. */
static int find_output(int fd, uint32_t objs[3])
{
	drmModeRes *res = drmModeGetResources(fd);
	drmModePlaneRes *pres = drmModeGetPlaneResources(fd);
	int found = -1;
	for (int i = 0; res && pres && i < res->count_connectors && found < 0; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		if (c && c->connection == DRM_MODE_CONNECTED && i < res->count_crtcs) {
			objs[0] = c->connector_id;
			objs[1] = res->crtcs[i];
			for (uint32_t p = 0; p < pres->count_planes && found < 0; p++) {
				drmModePlane *pl = drmModeGetPlane(fd, pres->planes[p]);
				if (pl && (pl->possible_crtcs & (1u << i))) {
					objs[2] = pl->plane_id;
					found = 0;
				}
				drmModeFreePlane(pl);
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreePlaneResources(pres);
	drmModeFreeResources(res);
	return found;
}

static int bench_raw(const char *card, long n)
{
	int fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0 || drmSetMaster(fd) < 0) {
		fprintf(stderr, "%s: cannot become DRM master: %s\n", card, strerror(errno));
		return 1;
	}
	uint32_t objs[3];
	/* Primary planes are only listed to clients that ask (as the broker). */
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	if (find_output(fd, objs) < 0) {
		fprintf(stderr, "%s: no connected output\n", card);
		return 1;
	}
	double *v = calloc((size_t)n, sizeof(double));
	if (!v)
		return 1;
	for (long i = 0; i < n; i++) {
		uint32_t lessee;
		double t0 = now_ms();
		int lfd = drmModeCreateLease(fd, objs, 3, O_CLOEXEC, &lessee);
		if (lfd < 0) {
			fprintf(stderr, "drmModeCreateLease: %s\n", strerror(errno));
			return 1;
		}
		close(lfd);
		v[i] = now_ms() - t0;
	}
	struct figures f = summarize(v, n);
	printf("{\"bench\":\"lease\",\"case\":\"raw-ioctl\",\"n\":%ld,\"p50_ms\":%.3f,"
	       "\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
	       n, f.p50, f.p99, f.max);
	free(v);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "raw") == 0) {
		long n = atol(argv[3]);
		return n > 0 ? bench_raw(argv[2], n) : 2;
	}
	if (argc >= 5 && strcmp(argv[1], "helix") == 0) {
		long n = atol(argv[3]);
		return n > 0 ? bench_helix(argv[2], n, argv[4], argc - 5, argv + 5) : 2;
	}
	if (argc == 4 && strcmp(argv[1], "reference") == 0) {
		double p50 = atof(argv[2]);
		printf("{\"bench\":\"lease\",\"case\":\"helix-manager-reference\",\"of\":\"%s\","
		       "\"acquire_fixed_ms\":%.0f,\"release_fixed_ms\":%.0f,\"our_p50_ms\":%.3f,"
		       "\"ratio_p50_to_acquire_sleep\":%.4f}\n",
		       argv[3], HELIX_ACQUIRE_SLEEP_MS, HELIX_RELEASE_STALL_MS, p50,
		       p50 / HELIX_ACQUIRE_SLEEP_MS);
		return 0;
	}
	fprintf(stderr, "usage: lc-bench-lease-latency raw CARD N\n"
			"       lc-bench-lease-latency helix SOCKET N CASE [BASE_P50 BASE_P99 NAME]\n"
			"       lc-bench-lease-latency reference P50_MS CASE\n");
	return 2;
}
