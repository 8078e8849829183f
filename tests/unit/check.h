/* A tiny assertion kit for the unit tests. Every failed check prints
 * file:line and the expression; check_report() prints the closing
 * "N passed, N failed" line and gives the program's exit status. */
#ifndef LC_CHECK_H
#define LC_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed_count;
static int check_failed_count;

static inline void check_record(int ok, const char *file, int line, const char *expr)
{
	if (ok) {
		check_passed_count++;
		return;
	}
	check_failed_count++;
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
}

#define CHECK(expr) check_record(!!(expr), __FILE__, __LINE__, #expr)

/* Integer equality, printing both values on failure. */
#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
		check_record(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b); \
		if (check_a_ != check_b_)                                             \
			fprintf(stderr, "    %lld != %lld\n", check_a_, check_b_);    \
	} while (0)

#define CHECK_STR(a, b) check_record(strcmp((a), (b)) == 0, __FILE__, __LINE__, #a " equals " #b)

/* Byte-array equality; on failure prints the first differing offset. */
#define CHECK_MEM(a, b, n)                                                                  \
	do {                                                                                \
		const unsigned char *check_p_ = (const void *)(a);                          \
		const unsigned char *check_q_ = (const void *)(b);                          \
		size_t check_n_ = (n), check_i_ = 0;                                        \
		while (check_i_ < check_n_ && check_p_[check_i_] == check_q_[check_i_])     \
			check_i_++;                                                         \
		check_record(check_i_ == check_n_, __FILE__, __LINE__,                      \
			     "memcmp(" #a ", " #b ", " #n ") == 0");                        \
		if (check_i_ != check_n_)                                                   \
			fprintf(stderr, "    first difference at byte %zu: %02x != %02x\n", \
				check_i_, check_p_[check_i_], check_q_[check_i_]);          \
	} while (0)

static inline int check_report(void)
{
	printf("%d passed, %d failed\n", check_passed_count, check_failed_count);
	fflush(stdout);
	/* A program that checked nothing has tested nothing: fail it. */
	return check_failed_count || check_passed_count == 0 ? 1 : 0;
}

#endif
