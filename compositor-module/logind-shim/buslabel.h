/* systemd's object-path label escaping (bus_label_escape): Mutter builds
 * /org/freedesktop/login1/session/<label> itself, so the shim must export
 * exactly the path systemd would. */
#ifndef SHIM_BUSLABEL_H
#define SHIM_BUSLABEL_H

#include <stddef.h>

/* Every byte that is not [A-Za-z], or [0-9] after the first byte, becomes
 * "_xx" (lower-case hex); "" becomes "_". Returns the length, or -1 when out
 * is too small. */
int bus_label_escape(const char *s, char *out, size_t size);

#endif
