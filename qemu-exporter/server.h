/* The HXFR TCP listener: accepts clients up to a limit and owns them. */
#ifndef QE_SERVER_H
#define QE_SERVER_H

#include <systemd/sd-event.h>

struct qe_config;
struct qe_console_input;
struct qe_control;
struct qe_display;
struct qe_frames;
struct qe_server;

/* Listens on cfg's address, or adopts fd when listen_fd >= 0 (socket
 * activation). input NULL: no INPUT offered. Returns -errno. */
int qe_server_create(struct qe_server **out, sd_event *ev, const struct qe_config *cfg,
		     struct qe_control *ctl, struct qe_frames *frames, struct qe_display *display,
		     struct qe_console_input *input, int listen_fd);
void qe_server_destroy(struct qe_server *srv);
unsigned qe_server_client_count(const struct qe_server *srv);

#endif
