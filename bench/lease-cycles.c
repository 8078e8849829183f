/* lc-lease-cycles: back-to-back Helix acquire/release cycles against a
 * running drm-lease-broker, with the pause between a release and the next
 * acquire swept over 0..MAX microseconds. With the exporter, every release
 * is a DISABLE_SCANOUT and every acquire an ENABLE_SCANOUT, so the sweep
 * walks the second display event across the guest's handling of the first:
 * the window in which a virtio-gpu guest loses a display event (see
 * lease-broker/output_power.c). Every lease must be granted.
 *
 *   lc-lease-cycles SOCKET N [MAX_GAP_US [MAX_SECONDS]]
 *
 * Runs N cycles, or fewer if MAX_SECONDS (default: no limit) pass first: a
 * slow machine completes fewer cycles in the same time, and every cycle it
 * completed must still have been granted.
 *
 * Prints "cycles n=DONE ok=K refused=R slow=S max_ms=M planned=N stop=count|time"
 * (slow: over 500 ms, i.e. recovered by a re-assert) and exits 1 if any
 * lease was refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "helix_lease_client.h"

#define SLOW_MS 500.0

/* One lease on a new connection: the fd, or -1 with the reason printed. */
static int lease_once(const char *path, int *sock, long i)
{
	struct helix_client_reply r;
	int fd = helix_client_open(path, 0, 0, lc_now_ms() + 30000, sock, &r);
	switch (r.outcome) {
	case HELIX_CLIENT_GRANTED: break;
	case HELIX_CLIENT_CONNECT_FAILED:
		printf("cycle %ld: cannot connect to %s\n", i, path);
		break;
	case HELIX_CLIENT_SEND_FAILED: printf("cycle %ld: cannot send the request\n", i); break;
	default:
		if (r.err == -ETIMEDOUT)
			printf("cycle %ld: no reply in 30 s\n", i);
		else
			printf("cycle %ld: lease refused: %s\n", i,
			       r.replied ? r.resp.name : "no valid reply");
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: lc-lease-cycles SOCKET N [MAX_GAP_US [MAX_SECONDS]]\n");
		return 2;
	}
	const char *path = argv[1];
	long n = atol(argv[2]);
	long max_gap = argc > 3 ? atol(argv[3]) : 0;
	long max_s = argc > 4 ? atol(argv[4]) : 0;
	if (n < 1 || n > 1000000 || max_gap < 0 || max_gap > 1000000 || max_s < 0 ||
	    max_s > 86400) {
		fprintf(stderr, "lc-lease-cycles: N 1..1000000, MAX_GAP_US 0..1000000, "
				"MAX_SECONDS 0..86400 (0: no limit)\n");
		return 2;
	}
	long ok = 0, refused = 0, slow = 0, done = 0;
	double max_ms = 0, end_ms = max_s ? lc_now_ms_f() + (double)max_s * 1000 : 0;
	for (long i = 0; i < n && !(end_ms && lc_now_ms_f() >= end_ms); i++) {
		done++;
		int sock;
		double t0 = lc_now_ms_f();
		int fd = lease_once(path, &sock, i);
		double dt = lc_now_ms_f() - t0;
		if (sock >= 0)
			close(sock);
		if (fd < 0) {
			refused++;
			continue;
		}
		close(fd);
		ok++;
		if (dt > max_ms)
			max_ms = dt;
		if (dt > SLOW_MS) {
			slow++;
			printf("cycle %ld: granted after %.0f ms\n", i, dt);
		}
		/* A step coprime to most sweep widths visits the whole range
		 * in a scattered order. */
		long gap = max_gap ? (i * 37) % (max_gap + 1) : 0;
		if (gap)
			nanosleep(&(struct timespec){.tv_nsec = gap * 1000}, NULL);
	}
	printf("cycles n=%ld ok=%ld refused=%ld slow=%ld max_ms=%.1f planned=%ld stop=%s\n", done,
	       ok, refused, slow, max_ms, n, done < n ? "time" : "count");
	return refused ? 1 : 0;
}
