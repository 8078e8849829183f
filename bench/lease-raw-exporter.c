/* The raw cost of turning an output on and off without the broker: this
 * process is the exporter's control client (HELLO/AUTH, ENABLE_SCANOUT,
 * DISABLE_SCANOUT) and DRM master, and learns the guest's view the way the
 * broker does: a HOTPLUG uevent from the kernel (libudev, "kernel" monitor),
 * then a full probe. A cycle:
 *
 *   ENABLE -> connected -> drmModeCreateLease      raw-turn-on
 *   drmModeRevokeLease + DISABLE -> SCANOUT_RESP   raw-revoke-disable
 *   (from the revoke) -> disconnected              raw-turn-off
 *
 * A virtio-gpu guest loses a display event now and then (doc/DESIGN.md,
 * "Lost display events"); as the broker, the request goes again when the
 * guest has not followed 750 ms (doubling) after the host confirmed it, so
 * this baseline pays the same recovery the broker pays. */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "clock.h"
#include "hxfr.h"
#include "hxfr_auth.h"
#include "hxfr_sync.h"
#include "lease-modes.h"
#include "lease-output.h"
#include "lease-stats.h"
#include "sock.h"

#define SCANOUT 1 /* Virtual-2: the first output the broker would turn on */
#define WIDTH 1920
#define HEIGHT 1080
#define REFRESH_HZ 60
#define REASSERT_FIRST_MS 750.0
#define STEP_TIMEOUT_MS 20000.0
#define RX_MAX_PAYLOAD 4096u
#define XFR_TIMEOUT_MS 5000

struct raw_exporter {
	struct hxfr_sync xfr; /* HXFR control connection */
	unsigned resps_due;   /* SCANOUT_RESPs not received yet */
	double last_resp_ms;  /* when the last one came */
	struct udev *udev;
	struct udev_monitor *mon;
	int drm;
	struct raw_output out;
};

static int xfr_connect(struct raw_exporter *x, const char *addr, const char *key_file)
{
	char host[64];
	uint16_t port;
	struct hxfr_key key;
	int r = hxfr_key_load(key_file, &key, false);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", key_file, strerror(-r));
		return -1;
	}
	if (lc_parse_hostport(addr, host, sizeof(host), &port) < 0) {
		fprintf(stderr, "bad exporter address %s\n", addr);
		return -1;
	}
	if (hxfr_sync_connect(&x->xfr, host, port, RX_MAX_PAYLOAD, XFR_TIMEOUT_MS) < 0) {
		fprintf(stderr, "cannot connect to the exporter at %s\n", addr);
		return -1;
	}
	r = hxfr_sync_handshake(&x->xfr, HXFR_FEATURE_CONTROL, &key, XFR_TIMEOUT_MS);
	explicit_bzero(&key, sizeof(key));
	if (r < 0) {
		fprintf(stderr, "exporter: %s\n", x->xfr.error);
		return -1;
	}
	if (!(hxfr_client_granted(x->xfr.client) & HXFR_FEATURE_CONTROL)) {
		fprintf(stderr, "exporter did not grant scanout control\n");
		return -1;
	}
	return 0;
}

static int send_scanout(struct raw_exporter *x, bool on)
{
	struct hxfr_enable_scanout e = {SCANOUT, WIDTH, HEIGHT, REFRESH_HZ};
	struct hxfr_client *c = x->xfr.client;
	int r = on ? hxfr_client_enable_scanout(c, &e) : hxfr_client_disable_scanout(c, SCANOUT);
	if (r < 0 || hxfr_sync_flush(&x->xfr, XFR_TIMEOUT_MS) < 0) {
		fprintf(stderr, "exporter: send failed\n");
		return -1;
	}
	x->resps_due++;
	return 0;
}

/* Handles what the exporter sent (waiting up to timeout_ms for the first
 * message); sets *resp when a SCANOUT_RESP came. */
static int handle_exporter(struct raw_exporter *x, bool *resp, int timeout_ms)
{
	struct hxfr_msg m;
	enum hxfr_sync_result r;
	while ((r = hxfr_sync_next(&x->xfr, &m, timeout_ms)) == HXFR_SYNC_MESSAGE) {
		timeout_ms = 0;
		if (m.hdr.type == HXFR_SCANOUT_RESP && m.u.scanout_resp.success &&
		    x->resps_due > 0) {
			x->resps_due--;
			x->last_resp_ms = lc_now_ms_f();
			*resp = true;
			continue;
		}
		if (m.hdr.type == HXFR_SCANOUT_RESP)
			fprintf(stderr, "exporter refused scanout %u (%s)\n",
				m.u.scanout_resp.scanout_id, m.u.scanout_resp.connector);
		else if (m.hdr.type == HXFR_ERROR)
			fprintf(stderr, "exporter: ERROR %d %s\n", m.u.error.code,
				m.u.error.message);
		else
			fprintf(stderr, "exporter: unexpected %s\n", hxfr_type_name(m.hdr.type));
		return -1;
	}
	if (r == HXFR_SYNC_TIMEOUT)
		return 0;
	if (r == HXFR_SYNC_SKIPPED)
		fprintf(stderr, "exporter sent an invalid %s: %s\n", hxfr_type_name(m.hdr.type),
			hxfr_status_str(hxfr_client_status(x->xfr.client)));
	else
		fprintf(stderr, "exporter: %s\n", x->xfr.error);
	return -1;
}

/* Drains the monitor; true if a HOTPLUG came. */
static bool drain_hotplugs(struct raw_exporter *x)
{
	bool hotplug = false;
	struct udev_device *d;
	while ((d = udev_monitor_receive_device(x->mon))) {
		const char *action = udev_device_get_action(d);
		const char *v = udev_device_get_property_value(d, "HOTPLUG");
		hotplug |= action && strcmp(action, "change") == 0 && v && strcmp(v, "1") == 0;
		udev_device_unref(d);
	}
	return hotplug;
}

/* Until the guest shows the output connected (want 1) or not (want 0):
 * probes on every HOTPLUG and on every SCANOUT_RESP; re-sends the request
 * when the guest has not followed a while after the host confirmed it.
 * Entered with every answer in, it probes at once. */
static int wait_guest(struct raw_exporter *x, int want, unsigned *reasserts)
{
	double deadline = lc_now_ms_f() + STEP_TIMEOUT_MS, reassert_ms = REASSERT_FIRST_MS;
	double reassert_at = 0; /* armed once the host confirmed */
	bool seen = false;
	if (x->resps_due == 0) {
		seen = raw_output_probe(x->drm, &x->out) == want;
		reassert_at = x->last_resp_ms + reassert_ms;
	}
	for (;;) {
		if (seen)
			return 0;
		double t = lc_now_ms_f(), until = deadline;
		if (t >= deadline) {
			fprintf(stderr, "guest never showed the output %s\n",
				want ? "connected" : "disconnected");
			return -1;
		}
		if (reassert_at > 0 && reassert_at < until)
			until = reassert_at;
		if (reassert_at > 0 && t >= reassert_at) {
			if (raw_output_probe(x->drm, &x->out) == want) {
				seen = true;
				continue;
			}
			(*reasserts)++;
			reassert_at = 0;
			reassert_ms *= 2;
			if (send_scanout(x, want == 1) < 0)
				return -1;
			continue;
		}
		struct pollfd p[2] = {{.fd = x->xfr.fd, .events = POLLIN},
				      {.fd = udev_monitor_get_fd(x->mon), .events = POLLIN}};
		int timeout = (int)(until - t) + 1;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return -1;
		bool probe = false;
		if (p[0].revents) {
			bool resp = false;
			if (handle_exporter(x, &resp, 0) < 0)
				return -1;
			if (resp && x->resps_due == 0) {
				probe = true; /* the guest may already have seen it */
				reassert_at = x->last_resp_ms + reassert_ms;
			}
		}
		if (p[1].revents && drain_hotplugs(x))
			probe = true;
		if (probe && raw_output_probe(x->drm, &x->out) == want)
			seen = true;
	}
}

/* Until every SCANOUT_RESP is in; uevents wait in the monitor meanwhile. */
static int wait_resps(struct raw_exporter *x)
{
	double deadline = lc_now_ms_f() + STEP_TIMEOUT_MS;
	while (x->resps_due > 0) {
		bool resp = false;
		int left = (int)(deadline - lc_now_ms_f());
		if (left <= 0 || handle_exporter(x, &resp, left) < 0) {
			fprintf(stderr, "no SCANOUT_RESP from the exporter\n");
			return -1;
		}
	}
	return 0;
}

static int setup(struct raw_exporter *x, const char *card, const char *addr, const char *key_file)
{
	x->udev = udev_new();
	x->mon = x->udev ? udev_monitor_new_from_netlink(x->udev, "kernel") : NULL;
	if (!x->mon || udev_monitor_filter_add_match_subsystem_devtype(x->mon, "drm", NULL) < 0 ||
	    udev_monitor_enable_receiving(x->mon) < 0) {
		fprintf(stderr, "cannot listen to kernel uevents\n");
		return -1;
	}
	udev_monitor_set_receive_buffer_size(x->mon, 1 << 20);
	x->drm = raw_output_open(card, SCANOUT, &x->out);
	if (x->drm < 0)
		return -1;
	if (raw_output_probe(x->drm, &x->out) != 0) {
		fprintf(stderr, "Virtual-%d is already connected\n", SCANOUT + 1);
		return -1;
	}
	return xfr_connect(x, addr, key_file);
}

int bench_raw_exporter(const char *card, const char *addr, const char *key_file, long n)
{
	struct raw_exporter x = {.xfr = {.fd = -1}, .drm = -1};
	struct samples on, release, off;
	unsigned on_reasserts = 0, off_reasserts = 0;
	int rc = 1;
	if (samples_init(&on, n) < 0 || samples_init(&release, n) < 0 ||
	    samples_init(&off, n) < 0 || setup(&x, card, addr, key_file) < 0)
		goto out;
	long i;
	for (i = 0; i < n; i++) {
		double t0 = lc_now_ms_f();
		if (send_scanout(&x, true) < 0 || wait_guest(&x, 1, &on_reasserts) < 0)
			break;
		uint32_t lessee;
		int lfd = drmModeCreateLease(x.drm, x.out.objs, 3, O_CLOEXEC, &lessee);
		if (lfd < 0) {
			fprintf(stderr, "drmModeCreateLease: %s\n", strerror(errno));
			break;
		}
		samples_add(&on, lc_now_ms_f() - t0);
		/* The ENABLE's answers first, so the next one is the DISABLE's. */
		if (wait_resps(&x) < 0) {
			close(lfd);
			break;
		}
		double t1 = lc_now_ms_f();
		if (drmModeRevokeLease(x.drm, lessee) < 0) {
			fprintf(stderr, "drmModeRevokeLease: %s\n", strerror(errno));
			close(lfd);
			break;
		}
		int r = send_scanout(&x, false) < 0 ? -1 : wait_resps(&x);
		close(lfd);
		if (r < 0)
			break;
		samples_add(&release, x.last_resp_ms - t1);
		/* The answer is in: wait_guest probes at once and arms the re-send. */
		if (wait_guest(&x, 0, &off_reasserts) < 0)
			break;
		samples_add(&off, lc_now_ms_f() - t1);
	}
	if (i < n) {
		fprintf(stderr, "raw turn-on cycle %ld of %ld failed\n", i, n);
		goto out;
	}
	char extra[64];
	snprintf(extra, sizeof(extra), "\"reasserts\":%u,\"over_500_ms\":%ld", on_reasserts,
		 samples_over(&on, 500.0));
	figures_print("raw-turn-on", samples_figures(&on), NULL, NULL, extra);
	figures_print("raw-revoke-disable", samples_figures(&release), NULL, NULL, NULL);
	snprintf(extra, sizeof(extra), "\"reasserts\":%u", off_reasserts);
	figures_print("raw-turn-off", samples_figures(&off), NULL, NULL, extra);
	rc = 0;
out:
	samples_finish(&on);
	samples_finish(&release);
	samples_finish(&off);
	hxfr_sync_close(&x.xfr);
	if (x.drm >= 0)
		close(x.drm);
	if (x.mon)
		udev_monitor_unref(x.mon);
	if (x.udev)
		udev_unref(x.udev);
	return rc;
}
