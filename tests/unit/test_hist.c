/* The latency histogram: quantiles agree with the exact nearest-rank
 * quantiles of the samples within the promised 1/32, over many orders of
 * magnitude; small values are exact; the maximum caps every answer. */
#include <stdlib.h>

#include "check.h"
#include "hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999999);
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

static void test_empty_and_small(void)
{
	struct lc_hist h;
	lc_hist_reset(&h);
	CHECK_EQ(lc_hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 0; v < 32; v++)
		lc_hist_add(&h, v);
	CHECK_EQ(h.count, 32);
	CHECK_EQ(h.max, 31);
	CHECK_EQ(h.sum, 31 * 32 / 2);
	/* below 32 every value has its own bucket: exact */
	CHECK_EQ(lc_hist_quantile(&h, 0.5), 15);
	CHECK_EQ(lc_hist_quantile(&h, 1.0), 31);
	CHECK_EQ(lc_hist_quantile(&h, 1.0 / 32), 0);
	CHECK_EQ(lc_hist_quantile(&h, 0), 0);
	CHECK_EQ(lc_hist_quantile(&h, 7), 31); /* p > 1 is the maximum */
}

static void test_single_and_max(void)
{
	struct lc_hist h;
	lc_hist_reset(&h);
	lc_hist_add(&h, 1000003);
	CHECK_EQ(lc_hist_quantile(&h, 0.5), 1000003); /* capped at the max */
	CHECK_EQ(lc_hist_quantile(&h, 0.99), 1000003);
	lc_hist_add(&h, UINT64_MAX); /* the last bucket exists */
	CHECK_EQ(lc_hist_quantile(&h, 1.0), UINT64_MAX);
	CHECK_EQ(h.count, 2);
}

static void test_against_exact(void)
{
	enum {
		N = 20000
	};
	uint64_t *v = malloc(N * sizeof(*v));
	CHECK(v != NULL);
	if (!v)
		return;
	srand(7);
	for (int round = 0; round < 4; round++) {
		struct lc_hist h;
		lc_hist_reset(&h);
		for (size_t i = 0; i < N; i++) {
			/* log-uniform from ~1 µs to ~17 s (in ns), as latencies spread */
			double e = 10.0 + 24.0 * ((double)rand() / RAND_MAX);
			v[i] = (uint64_t)(e < 63 ? (double)(1ull << (int)e) *
							   (1.0 + (double)rand() / RAND_MAX)
						 : 1.0);
			lc_hist_add(&h, v[i]);
		}
		qsort(v, N, sizeof(*v), cmp_u64);
		const double ps[] = {0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			uint64_t want = exact_quantile(v, N, ps[k]);
			uint64_t got = lc_hist_quantile(&h, ps[k]);
			double err = got > want ? (double)(got - want) : (double)(want - got);
			CHECK(err <= (double)want / 32.0);
			if (err > (double)want / 32.0)
				fprintf(stderr, "p=%g want %llu got %llu\n", ps[k],
					(unsigned long long)want, (unsigned long long)got);
		}
		CHECK_EQ(h.max, v[N - 1]);
	}
	free(v);
}

int main(void)
{
	test_empty_and_small();
	test_single_and_max();
	test_against_exact();
	return check_report();
}
