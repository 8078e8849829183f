/* The monotonic clock, in the units callers want. One place, so that every
 * program measures deadlines and latencies the same way (CLOCK_MONOTONIC:
 * never steps with the wall clock). No state. */
#ifndef LC_CLOCK_H
#define LC_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t lc_clock_ns(clockid_t clk); /* any clock, in nanoseconds */
int64_t lc_now_ns(void);            /* CLOCK_MONOTONIC */
int64_t lc_now_ms(void);            /* CLOCK_MONOTONIC, whole milliseconds */
double lc_now_ms_f(void);           /* CLOCK_MONOTONIC, fractional milliseconds */
double lc_now_s(void);              /* CLOCK_MONOTONIC, fractional seconds */

#endif
