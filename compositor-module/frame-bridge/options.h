/* leasecast-frame-bridge's command line (doc/leasecast-frame-bridge.1). */
#ifndef LCB_OPTIONS_H
#define LCB_OPTIONS_H

#include "bridge.h"

/* A token file holds 16..256 characters of [A-Za-z0-9._~-] (they go into
 * a URL unescaped) and at most one trailing newline. */
#define LCB_TOKEN_MIN 16
#define LCB_TOKEN_MAX 256

struct lcb_options {
	struct lcb_bridge_config bridge;
	char *www_dir, *viewer_token, *test_report;                           /* owned */
	char control_token[LCB_TOKEN_MAX + 1], view_token[LCB_TOKEN_MAX + 1]; /* "" if none */
	int log_level;
};

/* 0: run; 1: --help was printed (exit 0); -1: error printed (exit 1). */
int lcb_options_parse(struct lcb_options *o, int argc, char **argv);
void lcb_options_finish(struct lcb_options *o);

#endif
