/* Proves that a lease fd really drives its output: find the leased
 * connector and CRTC through the lessee's own view, modeset a dumb buffer
 * filled with a colour, and complete a page flip. Used by the test clients. */
#ifndef LC_KMS_CHECK_H
#define LC_KMS_CHECK_H

#include <stdint.h>

struct kms_check_result {
	uint32_t connector_id, crtc_id;
	uint32_t width, height;
	unsigned flips_done;
	double flip_ms; /* mean time per completed flip */
};

/* connector_id 0: the first connector the lease holds. Waits up to
 * timeout_ms for each flip event. Returns 0 or -errno with a message on
 * stderr. */
int kms_check_modeset_and_flip(int lease_fd, uint32_t connector_id, unsigned flips, int timeout_ms,
			       struct kms_check_result *res);
/* Number of connectors, CRTCs and planes the fd can see (a revoked lease
 * sees none). */
int kms_check_count_objects(int fd, unsigned *connectors, unsigned *crtcs, unsigned *planes);

#endif
