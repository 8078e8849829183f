/* JSON lines of HXFR messages for the host test tools (lc-subscribe-check,
 * lc-input-send), which report what a server said on stdout. */
#ifndef LC_HXFR_JSON_H
#define LC_HXFR_JSON_H

#include "hxfr.h"

/* {"event":"error","code":C,"session":S,"message":"..."} and a newline on
 * stdout, flushed. The message comes from the peer: quotes, backslashes
 * and control characters become '_' so the line stays valid JSON. */
void hxfr_json_print_error(const struct hxfr_msg *m);

#endif
