/* lease-launch: runs an unmodified Wayland compositor on a DRM lease from
 * drm-lease-broker, with a private system bus and the logind shim, like
 * seatd-launch does with seatd. See doc/lease-launch.1. */
#include <stdio.h>

#include "launch.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct ll_options o;
	int r = ll_options_parse(&o, argc, argv);
	if (r != 0)
		return r > 0 ? 0 : 2;
	lc_log_init("lease-launch", (enum lc_log_level)o.log_level);
	return ll_launch_run(&o);
}
