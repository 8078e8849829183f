#include "hist.h"

#include <math.h>
#include <string.h>

/* Values below LC_HIST_SUB have a bucket each; above, a power of two
 * [2^e, 2^(e+1)) is split into LC_HIST_SUB equal buckets. */
static unsigned bucket_of(uint64_t v)
{
	if (v < LC_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= LC_HIST_SUB_BITS */
	unsigned shift = e - LC_HIST_SUB_BITS;
	unsigned sub = (unsigned)(v >> shift) - LC_HIST_SUB;
	return (shift + 1u) * LC_HIST_SUB + sub;
}

static uint64_t bucket_middle(unsigned i)
{
	if (i < LC_HIST_SUB)
		return i;
	unsigned shift = i / LC_HIST_SUB - 1u;
	uint64_t low = (uint64_t)(LC_HIST_SUB + i % LC_HIST_SUB) << shift;
	return low + ((1ull << shift) >> 1);
}

void lc_hist_reset(struct lc_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void lc_hist_add(struct lc_hist *h, uint64_t value)
{
	h->bucket[bucket_of(value)]++;
	h->count++;
	h->sum += value;
	if (value > h->max)
		h->max = value;
}

uint64_t lc_hist_quantile(const struct lc_hist *h, double p)
{
	if (!h->count || !(p > 0))
		return 0;
	if (p > 1)
		p = 1;
	uint64_t rank = (uint64_t)ceil(p * (double)h->count), seen = 0;
	if (rank == 0)
		rank = 1;
	if (rank >= h->count)
		return h->max;
	for (unsigned i = 0; i < LC_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t m = bucket_middle(i);
			return m < h->max ? m : h->max;
		}
	}
	return h->max;
}
