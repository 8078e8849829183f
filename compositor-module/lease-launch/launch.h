/* lease-launch's lifecycle: lease, bus, shim, session files, compositor;
 * then one poll loop until the compositor exits; then teardown in reverse.
 * Returns the exit status for main (the compositor's, 128+signal when it
 * was killed, 1 when lease-launch failed before it ran). */
#ifndef LL_LAUNCH_H
#define LL_LAUNCH_H

#include "options.h"

int ll_launch_run(const struct ll_options *o);

#endif
