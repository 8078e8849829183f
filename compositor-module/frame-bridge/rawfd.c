#include "rawfd.h"

static int rawfd_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			  size_t len)
{
	struct lcb_rawfd *r = lws_get_opaque_user_data(wsi);
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		/* Adoption runs RAW_ADOPT_FILE before the owner is attached. */
		return r ? r->handle(r, wsi, reason) : 0;
	default: return 0;
	}
}

const struct lws_protocols lcb_rawfd_protocol = {
	.name = "lcb-rawfd",
	.callback = rawfd_callback,
};

struct lws *lcb_rawfd_adopt(struct lws_vhost *vh, int fd, struct lcb_rawfd *r)
{
	lws_sock_file_fd_type d = {.filefd = fd};
	struct lws *wsi = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, d,
						     lcb_rawfd_protocol.name, NULL);
	if (wsi)
		lws_set_opaque_user_data(wsi, r);
	return wsi;
}
