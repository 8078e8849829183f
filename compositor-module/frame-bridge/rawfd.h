/* Foreign fds in libwebsockets' own loop: an fd adopted as a raw file
 * descriptor gets readable/writable/close callbacks on the bridge's one
 * event loop (lws_service), dispatched to the object that owns it. */
#ifndef LCB_RAWFD_H
#define LCB_RAWFD_H

#include <libwebsockets.h>

struct lcb_rawfd {
	/* LWS_CALLBACK_RAW_{RX,WRITEABLE,CLOSE}_FILE; non-zero closes the wsi
	 * (not for CLOSE). */
	int (*handle)(struct lcb_rawfd *r, struct lws *wsi, enum lws_callback_reasons reason);
};

extern const struct lws_protocols lcb_rawfd_protocol;

/* Hands fd to lws (which closes it with the wsi); NULL on failure, and fd
 * is then still the caller's. */
struct lws *lcb_rawfd_adopt(struct lws_vhost *vh, int fd, struct lcb_rawfd *r);

#endif
