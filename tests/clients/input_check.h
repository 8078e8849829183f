/* What the rig's lease holders do with the input fds a lease brought
 * (tests/vm/scenarios/broker-input.sh): check each fd is the evdev device
 * the entry names, print every key, button and axis event that arrives on
 * them, and after the lease check that the broker revoked them. Lines:
 *   input i=N connector=C kind=K uniq=U evdev_uniq=U name="..." rdev=M:m
 *   event uniq=U type=T code=C value=V
 *   revoked uniq=U read=ENODEV ioctl=ENODEV after_ms=N
 *   input error msg="..." */
#ifndef LC_INPUT_CHECK_H
#define LC_INPUT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "lease_input.h"

/* Prints one input line per entry; false (with an error line) when an fd
 * is not an evdev device or its EVIOCGUNIQ is not the entry's uniq. */
bool input_check_describe(const struct lc_lease_input *in, size_t n);

/* Prints the events of every fd until stop_file exists (NULL: until
 * timeout_ms) or timeout_ms passes. false on a read error (a revoked fd
 * included) or when stop_file never appeared. */
bool input_check_watch(const struct lc_lease_input *in, size_t n, const char *stop_file,
		       int timeout_ms);

/* Waits up to within_ms for each fd to be revoked (poll: POLLERR|POLLHUP),
 * then wants read and EVIOCGNAME to fail with ENODEV. */
bool input_check_revoked(const struct lc_lease_input *in, size_t n, int within_ms);

#endif
