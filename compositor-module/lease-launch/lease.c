#include "lease.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

size_t ll_lease_take_inputs(struct ll_lease *l, struct lc_lease_input *out)
{
	size_t n = l->n_inputs;
	memcpy(out, l->inputs, n * sizeof(*out));
	l->n_inputs = 0;
	return n;
}

size_t ll_lease_keep_inputs(const char *connector, struct lc_lease_input *in, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(in[i].connector, connector) != 0) {
			lc_warn("input device %s for %s, not the leased %s: ignored", in[i].uniq,
				in[i].connector, connector);
			if (in[i].fd >= 0)
				close(in[i].fd);
			continue;
		}
		in[kept++] = in[i];
	}
	return kept;
}

void ll_lease_destroy(struct ll_lease *l)
{
	if (!l)
		return;
	lc_lease_inputs_close(l->inputs, l->n_inputs);
	l->n_inputs = 0;
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
