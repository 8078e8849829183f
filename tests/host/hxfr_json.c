#include "hxfr_json.h"

#include <stdio.h>

void hxfr_json_print_error(const struct hxfr_msg *m)
{
	char clean[HXFR_ERROR_MESSAGE_LEN];
	size_t j = 0;
	for (size_t i = 0; m->u.error.message[i] && j + 1 < sizeof(clean); i++) {
		char ch = m->u.error.message[i];
		clean[j++] = (ch < 0x20 || ch == '"' || ch == '\\') ? '_' : ch;
	}
	clean[j] = '\0';
	printf("{\"event\":\"error\",\"code\":%d,\"session\":%u,\"message\":\"%s\"}\n",
	       m->u.error.code, m->hdr.session_id, clean);
	fflush(stdout);
}
