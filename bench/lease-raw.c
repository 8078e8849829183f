/* The kernel's own lease costs, measured as DRM master before any broker
 * runs: the baselines of acquiring an output that is already on, and of
 * ending a lease without an exporter. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "clock.h"
#include "lease-modes.h"
#include "lease-stats.h"
#include "lease-output.h"

int bench_raw_ioctl(const char *card, long n)
{
	struct raw_output out;
	int fd = raw_output_open(card, -1, &out);
	if (fd < 0)
		return 1;
	struct samples create, revoke;
	if (samples_init(&create, n) < 0 || samples_init(&revoke, n) < 0) {
		close(fd);
		return 1;
	}
	int rc = 0;
	for (long i = 0; i < n && rc == 0; i++) {
		uint32_t lessee;
		double t0 = lc_now_ms_f();
		int lfd = drmModeCreateLease(fd, out.objs, 3, O_CLOEXEC, &lessee);
		if (lfd < 0) {
			fprintf(stderr, "drmModeCreateLease: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		close(lfd);
		samples_add(&create, lc_now_ms_f() - t0);

		lfd = drmModeCreateLease(fd, out.objs, 3, O_CLOEXEC, &lessee);
		if (lfd < 0) {
			fprintf(stderr, "drmModeCreateLease: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		t0 = lc_now_ms_f();
		if (drmModeRevokeLease(fd, lessee) < 0) {
			fprintf(stderr, "drmModeRevokeLease: %s\n", strerror(errno));
			rc = 1;
		}
		samples_add(&revoke, lc_now_ms_f() - t0);
		close(lfd);
	}
	if (rc == 0) {
		figures_print("raw-create-lease", samples_figures(&create), NULL, NULL, NULL);
		figures_print("raw-revoke-lease", samples_figures(&revoke), NULL, NULL, NULL);
	}
	samples_finish(&create);
	samples_finish(&revoke);
	close(fd);
	return rc;
}
