/* A latency histogram in fixed memory: log-linear buckets (32 per power of
 * two), so any percentile it reports is within 1/32 of a sample it saw,
 * whatever the range, at O(1) per sample. Daemons keep one per thing they
 * time and report percentiles without storing samples. */
#ifndef LC_HIST_H
#define LC_HIST_H

#include <stdint.h>

#define LC_HIST_SUB_BITS 5
#define LC_HIST_SUB (1u << LC_HIST_SUB_BITS)
#define LC_HIST_BUCKETS ((64u - LC_HIST_SUB_BITS + 1u) * LC_HIST_SUB)

struct lc_hist {
	uint64_t count, sum, max;
	uint32_t bucket[LC_HIST_BUCKETS];
};

void lc_hist_reset(struct lc_hist *h);
void lc_hist_add(struct lc_hist *h, uint64_t value);
/* The nearest-rank p-quantile (0 < p <= 1), as the middle of its bucket
 * capped at the largest sample (p = 1: that sample); 0 for an empty
 * histogram. */
uint64_t lc_hist_quantile(const struct lc_hist *h, double p);

#endif
