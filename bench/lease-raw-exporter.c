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

struct raw_exporter {
	int xfr; /* HXFR control connection */
	uint8_t in[2 * (HXFR_HEADER_SIZE + RX_MAX_PAYLOAD)];
	size_t in_len;
	unsigned resps_due;  /* SCANOUT_RESPs not received yet */
	double last_resp_ms; /* when the last one came */
	struct udev *udev;
	struct udev_monitor *mon;
	int drm;
	struct raw_output out;
};

static int send_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, 5000) != 1)
				return -1;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Next whole message; 1 got one, 0 need more bytes, -1 broken stream. */
static int next_msg(struct raw_exporter *x, struct hxfr_msg *m)
{
	size_t used = 0;
	enum hxfr_status st = hxfr_decode(x->in, x->in_len, RX_MAX_PAYLOAD, m, &used);
	if (st == HXFR_NEED_MORE)
		return 0;
	if (used == 0) {
		fprintf(stderr, "exporter: %s\n", hxfr_status_str(st));
		return -1;
	}
	/* The messages read here are copied into m (no pointers into in). */
	memmove(x->in, x->in + used, x->in_len - used);
	x->in_len -= used;
	if (st != HXFR_OK) {
		fprintf(stderr, "exporter sent an invalid %s: %s\n", hxfr_type_name(m->hdr.type),
			hxfr_status_str(st));
		return -1;
	}
	return 1;
}

static int receive(struct raw_exporter *x)
{
	ssize_t r = read(x->xfr, x->in + x->in_len, sizeof(x->in) - x->in_len);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		fprintf(stderr, "exporter: %s\n", r == 0 ? "connection closed" : strerror(errno));
		return -1;
	}
	x->in_len += (size_t)r;
	return 0;
}

/* Waits for one message of type (others are an error) during the handshake. */
static int expect(struct raw_exporter *x, uint8_t type, struct hxfr_msg *m)
{
	double deadline = lc_now_ms_f() + 5000;
	for (;;) {
		int r = next_msg(x, m);
		if (r < 0)
			return -1;
		if (r == 1) {
			if (m->hdr.type == type)
				return 0;
			if (m->hdr.type == HXFR_ERROR)
				fprintf(stderr, "exporter: ERROR %d %s\n", m->u.error.code,
					m->u.error.message);
			else
				fprintf(stderr, "exporter: %s instead of %s\n",
					hxfr_type_name(m->hdr.type), hxfr_type_name(type));
			return -1;
		}
		struct pollfd p = {.fd = x->xfr, .events = POLLIN};
		int left = (int)(deadline - lc_now_ms_f());
		if (left <= 0 || poll(&p, 1, left) != 1 || receive(x) < 0) {
			fprintf(stderr, "exporter: no %s\n", hxfr_type_name(type));
			return -1;
		}
	}
}

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
	x->xfr = lc_tcp_connect_start(host, port);
	struct pollfd p = {.fd = x->xfr, .events = POLLOUT};
	if (x->xfr < 0 || poll(&p, 1, 5000) != 1 || lc_sock_error(x->xfr) < 0) {
		fprintf(stderr, "cannot connect to the exporter at %s\n", addr);
		return -1;
	}
	uint8_t buf[128];
	struct hxfr_msg m;
	if (send_all(x->xfr, buf, hxfr_encode_hello(buf, sizeof(buf), HXFR_FEATURE_CONTROL)) < 0 ||
	    expect(x, HXFR_HELLO_RESP, &m) < 0)
		return -1;
	uint8_t mac[HXFR_MAC_LEN];
	hxfr_auth_mac(&key, m.u.hello.nonce, mac);
	if (send_all(x->xfr, buf, hxfr_encode_auth(buf, sizeof(buf), mac)) < 0 ||
	    expect(x, HXFR_AUTH_RESP, &m) < 0)
		return -1;
	if (!m.u.auth_resp.success || !(m.u.auth_resp.granted & HXFR_FEATURE_CONTROL)) {
		fprintf(stderr, "exporter did not grant scanout control\n");
		return -1;
	}
	return 0;
}

static int send_scanout(struct raw_exporter *x, bool on)
{
	uint8_t buf[64];
	struct hxfr_enable_scanout e = {SCANOUT, WIDTH, HEIGHT, REFRESH_HZ};
	size_t n = on ? hxfr_encode_enable_scanout(buf, sizeof(buf), &e)
		      : hxfr_encode_disable_scanout(buf, sizeof(buf), SCANOUT);
	if (send_all(x->xfr, buf, n) < 0) {
		fprintf(stderr, "exporter: send failed\n");
		return -1;
	}
	x->resps_due++;
	return 0;
}

/* Handles what the exporter sent; sets *resp when a SCANOUT_RESP came. */
static int handle_exporter(struct raw_exporter *x, bool *resp)
{
	if (receive(x) < 0)
		return -1;
	struct hxfr_msg m;
	int r;
	while ((r = next_msg(x, &m)) == 1) {
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
	return r;
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
		struct pollfd p[2] = {{.fd = x->xfr, .events = POLLIN},
				      {.fd = udev_monitor_get_fd(x->mon), .events = POLLIN}};
		int timeout = (int)(until - t) + 1;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return -1;
		bool probe = false;
		if (p[0].revents) {
			bool resp = false;
			if (handle_exporter(x, &resp) < 0)
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
		struct pollfd p = {.fd = x->xfr, .events = POLLIN};
		int left = (int)(deadline - lc_now_ms_f());
		if (left <= 0 || poll(&p, 1, left) != 1 || handle_exporter(x, &resp) < 0) {
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
	struct raw_exporter x = {.xfr = -1, .drm = -1};
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
	if (x.xfr >= 0)
		close(x.xfr);
	if (x.drm >= 0)
		close(x.drm);
	if (x.mon)
		udev_monitor_unref(x.mon);
	if (x.udev)
		udev_unref(x.udev);
	return rc;
}
