/* One output of a card, opened as DRM master: what a lease of it takes. */
#ifndef LC_BENCH_LEASE_OUTPUT_H
#define LC_BENCH_LEASE_OUTPUT_H

#include <stdint.h>

struct raw_output {
	uint32_t objs[3]; /* connector, CRTC, primary plane */
	int crtc_index;
};

/* Opens card as DRM master and finds scanout's output (Virtual-<scanout+1>,
 * CRTC index scanout), or with scanout -1 the first connected one. Returns
 * the fd or -1 (with a message). */
int raw_output_open(const char *card, int scanout, struct raw_output *out);
/* A full probe: 1 connected, 0 not, -1 error. */
int raw_output_probe(int fd, const struct raw_output *out);

#endif
