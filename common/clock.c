#include "clock.h"

int64_t lc_clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t lc_now_ns(void)
{
	return lc_clock_ns(CLOCK_MONOTONIC);
}

int64_t lc_now_ms(void)
{
	return lc_now_ns() / 1000000;
}

double lc_now_ms_f(void)
{
	return (double)lc_now_ns() / 1e6;
}

double lc_now_s(void)
{
	return (double)lc_now_ns() / 1e9;
}
