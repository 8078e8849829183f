/* qemu-frame-exporter: QEMU's D-Bus display <-> HXFR on TCP. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "console_input.h"
#include "control.h"
#include "frames.h"
#include "log.h"
#include "qemu_display.h"
#include "server.h"

struct exporter {
	struct qe_display *display;
	struct qe_control *control;
	struct qe_frames *frames;
	struct qe_console_input *input;
	char last_status[256];
};

/* STATUS= for systemd (and the host tests): QEMU, its consoles, and how
 * many of them have a registered listener and have shown a picture. */
static void update_status(void *data)
{
	struct exporter *e = data;
	char status[256];
	enum qe_display_state st = qe_display_state(e->display);
	if (st == QE_DISPLAY_READY) {
		struct qe_frames_status fs = {0};
		if (e->frames)
			qe_frames_status(e->frames, &fs);
		snprintf(status, sizeof(status),
			 "QEMU connected: %u consoles, %u scanouts; listeners: %u registered, %u "
			 "with a picture; %u subscribers, %u stream keys",
			 qe_display_console_count(e->display), qe_display_scanout_count(e->display),
			 fs.registered, fs.with_picture, fs.subscribers, fs.keys);
	} else {
		snprintf(status, sizeof(status), "%s", qe_display_state_str(st));
	}
	if (strcmp(status, e->last_status) == 0)
		return;
	snprintf(e->last_status, sizeof(e->last_status), "%s", status);
	lc_debug("status: %s", status);
	sd_notifyf(0, "STATUS=%s", status);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *data)
{
	(void)s;
	(void)si;
	struct exporter *e = data;
	if (e->frames)
		qe_frames_report_stats(e->frames);
	return 0;
}

static void display_changed(void *data)
{
	struct exporter *e = data;
	if (e->control)
		qe_control_display_changed(e->control);
	if (e->frames)
		qe_frames_display_changed(e->frames); /* updates the status */
	else
		update_status(e);
}

int main(int argc, char **argv)
{
	struct qe_config cfg;
	enum qe_config_result cr = qe_config_parse(&cfg, argc, argv);
	if (cr != QE_CONFIG_RUN)
		return cr == QE_CONFIG_EXIT_OK ? 0 : 2;
	lc_log_init("qemu-frame-exporter", cfg.log_level);

	const char *bus_address = cfg.dbus_address ? cfg.dbus_address
						   : getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!bus_address || !*bus_address) {
		fprintf(stderr,
			"%s: no D-Bus address: pass --dbus-address or set "
			"DBUS_SESSION_BUS_ADDRESS to the bus QEMU's -display dbus uses\n",
			argv[0]);
		qe_config_finish(&cfg);
		return 2;
	}
	if (cfg.allow_unauthenticated_control)
		lc_warn("*** --allow-unauthenticated-control: ANY client that reaches %s:%u can "
			"enable and disable scanouts (Helix v1 compatibility; do not use with "
			"untrusted tenants) ***",
			cfg.listen_host, cfg.listen_port);
	else if (!cfg.have_key)
		lc_warn("no --control-key: ENABLE_SCANOUT/DISABLE_SCANOUT will be refused");
	if (cfg.allow_unkeyed_subscribe)
		lc_warn("*** --allow-unkeyed-subscribe: ANY client that reaches %s:%u can watch "
			"any scanout (Helix v1 compatibility) ***",
			cfg.listen_host, cfg.listen_port);

	int ret = 1;
	struct exporter e = {0};
	struct qe_server *server = NULL;
	sd_event *ev = NULL;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	int r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
	if (r >= 0)
		r = sd_event_default(&ev);
	if (r >= 0)
		r = sd_event_add_signal(ev, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(ev, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(ev, NULL, SIGUSR1, on_sigusr1, &e);
	if (r < 0) {
		lc_err("cannot set up the event loop: %s", strerror(-r));
		goto out;
	}

	if ((r = qe_display_create(&e.display, ev, bus_address, cfg.gpu_id, display_changed, &e)) <
	    0) {
		lc_err("cannot set up the D-Bus display: %s", strerror(-r));
		goto out;
	}
	e.control = qe_control_create(e.display, cfg.allow_unauthenticated_control);
	e.input = qe_console_input_create(e.display, ev);
	if (!e.control || !e.input) {
		lc_err("out of memory");
		goto out;
	}
	if ((r = qe_frames_create(&e.frames, ev, e.display, &cfg, update_status, &e)) < 0) {
		lc_err("cannot set up the frame plane: %s", strerror(-r));
		goto out;
	}
	qe_frames_display_changed(e.frames); /* QEMU may be there already */

	int listen_fd = -1;
	if (sd_listen_fds(1) == 1)
		listen_fd = SD_LISTEN_FDS_START; /* socket activation: systemd chose the address */
	if ((r = qe_server_create(&server, ev, &cfg, e.control, e.frames, e.display, e.input,
				  listen_fd)) < 0) {
		lc_err("cannot listen on %s:%u: %s", cfg.listen_host, cfg.listen_port,
		       strerror(-r));
		goto out;
	}
	if (listen_fd >= 0)
		lc_info("serving HXFR on the socket systemd passed (control %s)",
			cfg.have_key ? "with key" : "without key");
	else
		lc_info("serving HXFR on %s:%u (control %s); D-Bus %s", cfg.listen_host,
			cfg.listen_port,
			cfg.have_key ? "needs AUTH"
				     : (cfg.allow_unauthenticated_control ? "OPEN" : "disabled"),
			bus_address);
	sd_notifyf(0, "READY=1\nSTATUS=%s", qe_display_state_str(qe_display_state(e.display)));

	r = sd_event_loop(ev);
	if (r < 0) {
		lc_err("event loop: %s", strerror(-r));
		goto out;
	}
	qe_frames_report_stats(e.frames); /* the last period's figures */
	lc_info("exiting");
	sd_notify(0, "STOPPING=1");
	ret = 0;
out:
	qe_server_destroy(server);
	qe_frames_destroy(e.frames);
	qe_control_destroy(e.control);
	qe_display_destroy(e.display);
	/* After the display: closing its bus ends the input calls, whose
	 * records console_input keeps. */
	qe_console_input_destroy(e.input);
	sd_event_unref(ev);
	qe_config_finish(&cfg);
	return ret;
}
