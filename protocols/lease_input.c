#include "lease_input.h"

#include <string.h>
#include <unistd.h>

const char *lc_lease_input_kind_name(int kind)
{
	switch (kind) {
	case LC_LEASE_INPUT_KEYBOARD: return "keyboard";
	case LC_LEASE_INPUT_TABLET: return "tablet";
	}
	return NULL;
}

int lc_lease_input_kind_from_name(const char *name)
{
	if (strcmp(name, "keyboard") == 0)
		return LC_LEASE_INPUT_KEYBOARD;
	if (strcmp(name, "tablet") == 0)
		return LC_LEASE_INPUT_TABLET;
	return LC_LEASE_INPUT_UNKNOWN;
}

void lc_lease_inputs_close(struct lc_lease_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (in[i].fd >= 0)
			close(in[i].fd);
		in[i].fd = -1;
	}
}
