/* leasecast-frame-bridge: relays one scanout's H.264 from the exporter
 * (HXFR, with the lease's stream key) to browsers over WebSocket, and
 * serves the WebCodecs viewer page. See doc/leasecast-frame-bridge.1. */
#include <signal.h>
#include <stdlib.h>

#include "bridge.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct lcb_options o;
	int r = lcb_options_parse(&o, argc, argv);
	if (r != 0) {
		lcb_options_finish(&o);
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	lc_log_init("leasecast-frame-bridge", (enum lc_log_level)o.log_level);
	signal(SIGPIPE, SIG_IGN);
	struct lcb_bridge *b = lcb_bridge_create(&o.bridge);
	if (!b) {
		lcb_options_finish(&o);
		return EXIT_FAILURE;
	}
	int code = lcb_bridge_run(b);
	lcb_bridge_destroy(b);
	lcb_options_finish(&o);
	return code;
}
