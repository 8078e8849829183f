/* What every fuzz target shares: libFuzzer's entry point, and an ASSERT
 * that stays on in every build type and aborts, so libFuzzer records the
 * input as a crash. */
#ifndef LC_FUZZ_H
#define LC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(x)                                                                                 \
	do {                                                                                      \
		if (!(x)) {                                                                       \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

#endif
