/* leasecast-logind-shim: plays org.freedesktop.login1 for one session so
 * that unmodified Mutter and libseat compositors get a DRM lease fd from
 * Session.TakeDevice. */
#include <dbus/dbus.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "shim.h"

int main(int argc, char *argv[])
{
	struct shim_options opt;
	int r = shim_options_parse(&opt, argc, argv);
	if (r != 0)
		return r > 0 ? 0 : 2;
	lc_log_init("leasecast-logind-shim", (enum lc_log_level)opt.log_level);

	struct shim shim;
	int status = 1;
	r = shim_init(&shim, &opt);
	if (r < 0)
		lc_err("cannot start: %s", strerror(-r));
	else
		status = shim_run(&shim);
	shim_finish(&shim);
	dbus_shutdown();
	return status;
}
