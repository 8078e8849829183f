#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int lc_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
