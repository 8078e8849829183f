#include "lease.h"

#include <stdlib.h>
#include <string.h>

void ll_lease_destroy(struct ll_lease *l)
{
	if (l)
		l->impl->destroy(l);
}

uint32_t ll_scanout_from_connector(const char *name)
{
	const char *p = strncmp(name, "Virtual-", 8) == 0 ? name + 8 : NULL;
	if (!p || *p < '1' || *p > '9')
		return LL_NO_SCANOUT;
	char *end;
	unsigned long n = strtoul(p, &end, 10);
	return *end == '\0' && n >= 1 && n <= 1024 ? (uint32_t)(n - 1) : LL_NO_SCANOUT;
}
