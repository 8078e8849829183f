/* Samples, percentiles and the JSON lines of the lease benchmark
 * (lc-bench-lease-latency). Every figure is printed as one line:
 *   {"bench":"lease","case":C,"n":N,"p50_ms":..,"p99_ms":..,"max_ms":..,
 *    "baseline":B,"baseline_p50_ms":..,"baseline_p99_ms":..,
 *    "ratio_p50":..,"ratio_p99":..[,extra]}
 * where the baseline is an earlier line of the same run (a file). */
#ifndef LC_BENCH_LEASE_STATS_H
#define LC_BENCH_LEASE_STATS_H

#include <stdbool.h>
#include <stdio.h>

/* Helix's manager (the reference): fixed costs, whatever the machine. */
#define HELIX_ACQUIRE_SLEEP_MS 500.0
#define HELIX_RELEASE_STALL_MS 10000.0

struct samples {
	double *v;
	long n, cap;
};

struct figures {
	long n;
	double p50, p99, max;
};

int samples_init(struct samples *s, long cap);
void samples_add(struct samples *s, double ms);
void samples_finish(struct samples *s);
/* Samples above ms: a lost display event costs at least 750 ms (the
 * recovery's first re-send), far above any normal cycle. */
long samples_over(const struct samples *s, double ms);
/* Nearest-rank percentiles; sorts the samples. */
struct figures samples_figures(struct samples *s);

/* The figures of case_name in a file of earlier lines; false if absent. */
bool figures_lookup(const char *file, const char *case_name, struct figures *f);

/* Prints the case's line. baseline NULL: a baseline itself (no ratios).
 * Otherwise the baseline is looked up in baseline_file and its absence is
 * an error (-1): a broker figure is never printed without its baseline.
 * extra: more "key":value pairs (without a leading comma), or NULL. */
int figures_print(const char *case_name, struct figures f, const char *baseline_file,
		  const char *baseline, const char *extra);

#endif
