/* The modes of lc-bench-lease-latency (see lease-latency.c). Each prints
 * its JSON lines (lease-stats.h) and returns the exit status. */
#ifndef LC_BENCH_LEASE_MODES_H
#define LC_BENCH_LEASE_MODES_H

/* lease-raw.c: the kernel's own costs, as DRM master, no broker. */
int bench_raw_ioctl(const char *card, long n);
/* lease-raw-exporter.c: turning an output on and off by hand over HXFR. */
int bench_raw_exporter(const char *card, const char *addr, const char *key_file, long n);

struct broker_bench {
	const char *helix_socket, *wayland_socket;
	long n;
	const char *acquire_tag;   /* "on" or "turn-on" */
	const char *release_tag;   /* "noexp" or "exporter" */
	const char *baseline_file; /* earlier lines of this run */
	const char *acquire_baseline, *release_baseline;
};
/* lease-broker.c: acquire and release through a running broker, each
 * release observed by a separate wp_drm_lease_v1 client. */
int bench_broker(const struct broker_bench *cfg);

#endif
